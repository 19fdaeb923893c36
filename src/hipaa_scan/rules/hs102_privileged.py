"""HS102 privileged-container: the container runs with --privileged."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS102", name="privileged-container", severity="critical", confidence="high",
    hipaa=["164.312(a)(1)", "164.312(c)(1)"], cwe=["CWE-250"], cis=["CIS Docker 1.6.0 5.5"],
    sources=["compose", "container"],
    summary="`privileged: true`: the container has every capability and every host device.",
    description=(
        "A privileged container can mount host disks, load kernel modules and escape to the host. Any ePHI on the "
        "host or in other containers is then reachable, and its integrity can no longer be assured."),
    remediation="Remove `privileged: true`; grant only the specific capability or device the workload needs.",
)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    if res.privileged is not None and str(res.privileged.value).lower() == "true":
        yield Hit(res.privileged.loc, f"{res.label} runs privileged", key="privileged", evidence="privileged=true")
