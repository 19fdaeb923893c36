"""HS105 security-profile-disabled: seccomp, AppArmor or SELinux confinement switched off."""

from __future__ import annotations

import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS105", name="security-profile-disabled", severity="high", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-693"], cis=["CIS Docker 1.6.0 5.2", "CIS Docker 1.6.0 5.3", "CIS Docker 1.6.0 5.22"],
    sources=["compose", "container"],
    summary="`security_opt` sets seccomp or AppArmor `unconfined`, SELinux `label:disable` or `systempaths=unconfined`.",
    description=(
        "The default seccomp, AppArmor and SELinux profiles block the system calls and file accesses most container "
        "escapes rely on. Turning them off removes a layer that keeps a compromised service away from ePHI."),
    remediation="Remove the option; if the default profile blocks something legitimate, write a custom profile that allows only that.",
)

DISABLED = lazy(r"^(seccomp|apparmor|systempaths)[:=]\s*unconfined$|^label[:=]\s*disable$", re.IGNORECASE)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    for opt in res.security_opt:
        text = str(opt.value).strip()
        if DISABLED.match(text):
            yield Hit(opt.loc, f"{res.label} disables confinement with security_opt {text!r}", key=f"secopt:{text.lower()}",
                      evidence=text)
