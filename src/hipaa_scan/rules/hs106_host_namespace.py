"""HS106 host-namespace: the container shares the host's network, PID, IPC, UTS or user namespace."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS106", name="host-namespace", severity="high", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-653"],
    cis=["CIS Docker 1.6.0 5.10", "CIS Docker 1.6.0 5.16", "CIS Docker 1.6.0 5.17", "CIS Docker 1.6.0 5.21",
         "CIS Docker 1.6.0 5.31"],
    sources=["compose", "container"],
    summary="`network_mode`, `pid`, `ipc`, `uts` or `userns_mode` is `host`.",
    description=(
        "Sharing a host namespace removes isolation: with the host network every port the service opens is on the "
        "host's interfaces; with the host PID or IPC namespace it can see and signal host processes and read shared "
        "memory that may hold ePHI."),
    remediation="Remove the host namespace setting and publish only the ports that must be reachable, on the interface that needs them.",
)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    for ns, value in sorted(res.namespaces.items()):
        if str(value.value).strip().lower() == "host":
            yield Hit(value.loc, f"{res.label} uses the host {ns} namespace", key=f"ns:{ns}", evidence=f"{ns}: host")
