"""HS109 userns-remap-disabled: the engine does not remap container root to an unprivileged host user."""

from __future__ import annotations

from hipaa_scan.model import Hit, Location
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS109", name="userns-remap-disabled", severity="low", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-250"], cis=["CIS Docker 1.6.0 2.9"],
    sources=["engine"],
    summary="`docker info` SecurityOptions lacks `name=userns` (and the engine is not rootless): root in a container is root on the host.",
    description=(
        "Without user-namespace remapping (or a rootless engine), UID 0 inside every container is UID 0 on the "
        "host. A container escape, a writable host mount or a mounted socket then gives full control of the host "
        "and of the ePHI stored on it. Remapping is defence in depth for every other access-control finding."),
    remediation=(
        "Enable `\"userns-remap\": \"default\"` in /etc/docker/daemon.json (or run the engine rootless) and restart "
        "it; containers that truly need the host user namespace can opt out with `--userns=host`, which HS106 "
        "reports."),
)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    if not res.security_options_known:
        return
    for opt in res.security_opt:
        text = str(opt.value).strip().lower()
        if text.startswith("name=userns") or text.startswith("name=rootless"):
            return
    yield Hit(Location(res.path, None, None, "SecurityOptions"),
              f"{res.label} does not remap user namespaces: root in a container is root on the host",
              key="userns", evidence="SecurityOptions lacks name=userns")
