"""HS302 unverified-remote-download: remote content fetched into the build without verification."""

from __future__ import annotations

import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta, quoted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS302", name="unverified-remote-download", severity="high", confidence="high",
    hipaa=["164.312(c)(1)", "164.308(a)(5)(ii)(B)"], cwe=["CWE-494"], cis=["CIS Docker 1.6.0 4.9"],
    sources=["dockerfile"],
    summary="`ADD <url>` without `--checksum`, or a download piped straight into a shell or interpreter.",
    description=(
        "Whatever the remote server returns at build time is executed or shipped, unverified. A compromised or "
        "spoofed download then runs inside an image that will handle ePHI."),
    remediation="Download to a file, verify its checksum or signature, then run it; or use `ADD --checksum=sha256:…`.",
)

URL = lazy(r"^(https?|ftp)://", re.IGNORECASE)
PIPE_TO_SHELL = lazy(
    r"\b(curl|wget|fetch)\b[^|;&\n]*\|\s*(sudo\s+(-[A-Za-z]+\s+)*)?(-?\w+=\S+\s+)*(\S*/)?(env\s+)?"
    r"(ba|z|k|da|fi)?sh\b|"
    r"\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+(-[A-Za-z]+\s+)*)?(\S*/)?(env\s+)?(python[0-9.]*|perl|ruby|node|php)\b|"
    r"\b(ba|z)?sh\s+(-c\s+)?[\"']?\$\(\s*(curl|wget)\b|"
    r"\b(ba|z)?sh\s+<\(\s*(curl|wget)\b", re.IGNORECASE)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    for copy in res.copies:
        instruction, sources, flags = copy.value[:3]
        if instruction == "ADD" and "checksum" not in flags:
            for source in sources:
                if URL.match(source):
                    yield Hit(copy.loc, f"{label_at(res, copy.loc)} downloads {source} with ADD and no --checksum",
                              key=f"add:{source}", evidence=f"ADD {source}")
    for run in res.run:
        match = PIPE_TO_SHELL.search(run.value)
        if match:
            snippet = quoted(match.group(0))
            yield Hit(run.loc, f"{label_at(res, run.loc)} pipes a download into an interpreter: {snippet}",
                      key=f"run:{snippet}", evidence=snippet)
