"""HS104 dangerous-capability: a powerful Linux capability is added."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS104", name="dangerous-capability", severity="high", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-250"], cis=["CIS Docker 1.6.0 5.4"],
    sources=["compose", "container"],
    summary="`cap_add` grants ALL, SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN, DAC_READ_SEARCH or a similar capability.",
    description=(
        "These capabilities let a process escape confinement, read other processes' memory or any file, or "
        "reconfigure the host network: each is a path to ePHI outside the container's own data."),
    remediation="Drop the capability; if one is truly needed, add only that one and document why. Prefer `cap_drop: [ALL]`.",
)

DANGEROUS = frozenset({
    "ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "NET_ADMIN", "DAC_READ_SEARCH", "SYS_RAWIO", "SYS_BOOT",
    "SYS_TIME", "BPF", "PERFMON", "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG", "NET_RAW", "DAC_OVERRIDE", "SETFCAP",
    "LINUX_IMMUTABLE", "SYS_RESOURCE",
})


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    for cap in res.cap_add:
        name = str(cap.value).strip().upper()
        if name.startswith("CAP_"):
            name = name[4:]
        if name in DANGEROUS:
            yield Hit(cap.loc, f"{res.label} adds the {name} capability", key=f"cap:{name}", evidence=f"cap_add {name}")
