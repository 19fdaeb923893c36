"""HS303 missing-healthcheck: nothing tells the engine when the service is broken."""

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

META = meta(
    id="HS303", name="missing-healthcheck", severity="low", confidence="medium",
    hipaa=["164.308(a)(7)"], cwe=["CWE-754"], cis=["CIS Docker 4.6"],
    sources=["dockerfile", "compose", "container"],
    summary="The final stage has no HEALTHCHECK (or `HEALTHCHECK NONE`); a compose healthcheck is disabled.",
    description=(
        "Without a health check the engine and orchestrator cannot tell a hung service from a healthy one, so "
        "availability of ePHI-serving systems depends on someone noticing. Availability is part of the contingency plan."),
    remediation="Add a HEALTHCHECK that exercises the service (an HTTP probe or a client ping) with sensible interval and retries.",
)


def check(res, ctx):
    hc = res.healthcheck
    if hc is not None and hc.value is False:
        yield Hit(hc.loc, f"{res.label} disables its health check", key="healthcheck", evidence="healthcheck disabled")
    elif hc is None and res.kind in ("dockerfile", "container"):
        yield Hit(res.anchor, f"{res.label} defines no HEALTHCHECK", key="healthcheck", evidence="no HEALTHCHECK")
