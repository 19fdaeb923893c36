"""HS304 missing-resource-limits: a service can take all of the host's memory or CPU."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS304", name="missing-resource-limits", severity="low", confidence="high",
    hipaa=["164.306(a)(1)"], cwe=["CWE-770"], cis=["CIS Docker 1.6.0 5.11", "CIS Docker 1.6.0 5.12"],
    sources=["compose", "container"],
    summary="A service without a memory limit or a CPU limit.",
    description=(
        "One runaway or attacked service without limits can starve every other container on the host, including "
        "the ones that serve or protect ePHI: a denial of service against availability. No safeguard names resource "
        "limits: the link is to the Security Rule's general requirement to ensure the availability of ePHI "
        "(164.306(a)(1))."),
    remediation="Set `deploy.resources.limits.memory` and `.cpus` (or `mem_limit` and `cpus`) on every service.",
)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    missing = [name for name in ("memory", "cpus") if name not in res.limits]
    if missing:
        what = " and ".join({"memory": "memory", "cpus": "CPU"}[m] for m in missing)
        yield Hit(res.anchor, f"{res.label} has no {what} limit", key="limits", evidence=f"no {what} limit")
