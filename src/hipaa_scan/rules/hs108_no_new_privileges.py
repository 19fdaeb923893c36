"""HS108 no-new-privileges-missing: processes may gain privileges through setuid binaries."""

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
    id="HS108", name="no-new-privileges-missing", severity="low", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-269"], cis=["CIS Docker 1.6.0 5.26"],
    sources=["compose", "container"],
    summary="No `no-new-privileges` security option.",
    description=(
        "Without `no-new-privileges`, a process in the container can gain privileges through setuid or setcap "
        "binaries, turning a foothold into root inside the container."),
    remediation="Add `security_opt: [\"no-new-privileges:true\"]` to the service (or run the engine with it as the default).",
)

SET = lazy(r"^no-new-privileges(\s*[:=]\s*true)?$", re.IGNORECASE)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    if any(SET.match(str(opt.value).strip()) for opt in res.security_opt):
        return
    yield Hit(res.anchor, f"{res.label} does not set no-new-privileges", key="no-new-privileges",
              evidence="security_opt lacks no-new-privileges")
