"""HS101 root-user: the container runs as root."""

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

META = meta(
    id="HS101", name="root-user", severity="high", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-250"], cis=["CIS Docker 4.1"],
    sources=["dockerfile", "compose", "container"],
    summary="The container runs as root: a final stage with no USER or USER root/0, or compose/engine user root.",
    description=(
        "A process running as root inside a container is one kernel or runtime flaw away from root on the host, and "
        "can read every file in its image and volumes, including ePHI belonging to other workloads. Least privilege "
        "is part of the access control standard."),
    remediation=(
        "Create an unprivileged user in the image and switch to it in the final stage (`USER 10001`), or set a "
        "non-root `user:` on the compose service. Give files the ownership they need at build time."),
    options={"nonroot_base_images": []},
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
    if res.kind == "dockerfile":
        base = res.extra.get("base_image")
        if base and _known_nonroot(base, ctx.options.get("nonroot_base_images", ())):
            return
        yield Hit(res.anchor, f"{res.label} sets no USER, so it runs as root", key="user", evidence="no USER")
    elif res.kind == "container":
        yield Hit(res.user.loc if res.user else res.anchor, f"{res.label} runs as root (no user configured)",
                  key="user", evidence="Config.User is empty")


def _known_nonroot(image, patterns):
    from fnmatch import fnmatch

    return any(fnmatch(image, p) for p in patterns)
