"""HS101 root-user: the container runs as root."""

from hipaa_scan.images import default_user, resolve_defaults, runs_nonroot
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import RuleOption, meta
from hipaa_scan.sources.kinds import SourceKind

META = meta(
    id="HS101", name="root-user", severity="high", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-250"], cis=["CIS Docker 1.6.0 4.1"],
    sources=["dockerfile", "compose", "container"],
    summary=("The container runs as root: a final stage with no USER or USER root/0, compose/engine user root, or a "
             "compose service with no `user:` whose image runs as root by default."),
    description=(
        "A process running as root inside a container is one kernel or runtime flaw away from root on the host, and "
        "can read every file in its image and volumes, including ePHI belonging to other workloads. Least privilege "
        "is part of the access control standard. A Dockerfile that sets no USER is not reported when its final "
        "stage starts from an image known to run as non-root (Elasticsearch, Kibana and Logstash as uid 1000, HAPI "
        "FHIR and distroless `:nonroot` as 65532, Bitnami, Chainguard, Grafana...: the package's "
        "data/nonroot_images.json, extended per project with the `nonroot_base_images` option), nor when it is a "
        "data-only `FROM scratch` image with no command. A USER set in an earlier stage that the final stage "
        "starts from counts. A compose service that sets no `user:` and runs an image known to run as root by "
        "default (MinIO, Milvus, etcd, nginx, Orthanc, language and distribution base images...: the package's "
        "data/root_images.json, extended with the `root_images` option) is reported at its service key. Images "
        "whose entrypoint starts as root only to switch to a service account (postgres, redis, mysql, mongo... "
        "listed as `steps_down`) are not reported in static mode; live mode, which reads `Config.User`, reports "
        "every container without a user. A service image in none of the catalogues is not passed silently: the "
        "report's notes name it as \"user not determined\". A service that builds its image is judged through "
        "its Dockerfile."),
    remediation=(
        "Create an unprivileged user in the image and switch to it in the final stage (`USER 10001`), or set a "
        "non-root `user:` on the compose service. Give files the ownership they need at build time."),
    options=[RuleOption("nonroot_base_images", "strings", [],
                        "Image globs that already run as a non-root user (Dockerfile bases and compose images)."),
             RuleOption("root_images", "strings", [],
                        "Image globs that run as root by default (compose services with no user: are reported).")],
)

ROOT = {"root", "0"}


def is_root(user: str) -> bool:
    name = user.strip().strip("\"'").split(":", 1)[0]
    return name in ROOT


def check(res, ctx):
    if res.user is not None and str(res.user.value).strip() not in ("",):
        if is_root(str(res.user.value)):
            yield Hit(res.user.loc, f"{res.label} runs as root (user {str(res.user.value).strip()!r})", key="user",
                      evidence=f"user={str(res.user.value).strip()}")
        return
    if res.kind == SourceKind.DOCKERFILE:
        base = res.base_image
        if base and runs_nonroot(base, ctx.options["nonroot_base_images"]):
            return
        if _data_only(res):
            return
        yield Hit(res.anchor, f"{res.label} sets no USER, so it runs as root", key="user", evidence="no USER")
    elif res.kind == SourceKind.COMPOSE:
        yield from _compose(res, ctx)
    elif res.kind == SourceKind.CONTAINER:
        yield Hit(res.user.loc if res.user else res.anchor, f"{res.label} runs as root (no user configured)",
                  key="user", evidence="Config.User is empty")


def _data_only(res):
    """A `FROM scratch` final stage with no CMD or ENTRYPOINT: an image other builds copy from, never run."""
    stages = res.stages or []
    final = next((s for s in stages if s.line == res.anchor.line), None)
    return final is not None and final.image.lower() == "scratch" and not res.command


def _compose(res, ctx):
    """A service with no `user:` that runs an image (not one it builds: the image's Dockerfile is judged)."""
    if res.builds or res.image is None:
        return  # an overlay fragment without an image, or a service whose built image is judged on its own
    ref = str(res.image.value).strip()
    if "$" in ref:
        ref = resolve_defaults(ref)
    verdict = default_user(ref, ctx.options["root_images"], ctx.options["nonroot_base_images"])
    if verdict == "root":
        yield Hit(res.anchor, f"{res.label} sets no user and runs image {ref}, which runs as root by default",
                  key="user", evidence=f"no user: image {ref}")
    elif verdict is None:
        shown = ref.replace("\x00", "${…}")
        ctx.note(f"HS101 root-user: user not determined for {res.label} at {res.anchor.path}:{res.anchor.line} "
                 f"(image {shown} is in no catalogue of default users; set user: or list it under rules.HS101)")
