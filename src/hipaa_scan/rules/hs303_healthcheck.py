"""HS303 missing-healthcheck: nothing tells the engine when the service is broken."""

from hipaa_scan.jobs import dockerfile_signal
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta
from hipaa_scan.sources.kinds import SourceKind

META = meta(
    id="HS303", name="missing-healthcheck", severity="low", confidence="medium",
    hipaa=["164.306(a)(1)"], cwe=["CWE-754"], cis=["CIS Docker 1.6.0 4.6", "CIS Docker 1.6.0 5.27"],
    sources=["dockerfile", "compose", "container"],
    summary=("The final stage has no HEALTHCHECK (or `HEALTHCHECK NONE`); a compose healthcheck is disabled. "
             "One-shot jobs, init and migration containers, test runners, load-test tools and development "
             "environments are not services and are not reported."),
    description=(
        "Without a health check the engine and orchestrator cannot tell a hung service from a healthy one, so "
        "availability of ePHI-serving systems depends on someone noticing. No safeguard names health checks: the link "
        "is to the Security Rule's general requirement to ensure the availability of ePHI (164.306(a)(1)). A container that does its work and exits has nothing to probe, so these are left alone: a Compose "
        "service with `restart: \"no\"` or `on-failure`, a job profile (`tools`, `test`, `setup`, `init`, "
        "`migrate`...), or that another service waits for with `condition: service_completed_successfully`; a "
        "service, image, folder or Dockerfile named as a job (migrate, init, setup, seed, populate, test, e2e, "
        "benchmark, batch, tools, cli) or a tool (k6, locust, jmeter, flyway, liquibase, certbot); an image whose command "
        "runs tests or only idles (`sleep infinity`); a Dockerfile or Compose file in `.devcontainer/`, or "
        "an image from a devcontainer image; a `FROM scratch` final stage with no command. Words are matched whole (`infinity` is not `init`)."),
    remediation="Add a HEALTHCHECK that exercises the service (an HTTP probe or a client ping) with sensible interval and retries.",
)


def _final_image(res):
    stages = res.stages or []
    for stage in stages:
        if stage.line == res.anchor.line:
            while stage.parent is not None:
                stage = stage.parent
            return stage.image
    return res.base_image or ""


def job(res):
    """Why the resource is a one-shot job or no service at all (None: it is a service)."""
    if res.one_shot:
        return res.one_shot[0]
    if res.kind == SourceKind.DOCKERFILE:
        return dockerfile_signal(res.path, _final_image(res), [str(t.value) for t in res.command])
    return None


def check(res, ctx):
    hc = res.healthcheck
    if hc is not None and hc.value is False:
        if job(res) is None:
            yield Hit(hc.loc, f"{res.label} disables its health check", key="healthcheck",
                      evidence="healthcheck disabled")
    elif hc is None and res.kind in (SourceKind.DOCKERFILE, SourceKind.CONTAINER) and job(res) is None:
        yield Hit(res.anchor, f"{res.label} defines no HEALTHCHECK", key="healthcheck", evidence="no HEALTHCHECK")
