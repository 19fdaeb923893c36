"""JUnit XML (`--format junit`), for CI dashboards that read test reports.

One `<testsuite name="hipaa-scan">`, and one `<testcase>` per finding: `classname` is the file (or container),
`name` is `RULE-ID rule-name (line N)`. An unsuppressed finding is a `<failure>` (type: its severity; message: the
finding's message); a suppressed one is `<skipped>` with its justification; a file that could not be read or parsed
is a testcase with an `<error>`. A clean scan is one passing testcase, `hipaa-scan`, so that a dashboard shows that
the scan ran. Every text is shown with its control characters as escapes (visible.visible): XML 1.0 cannot hold them.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from hipaa_scan.model import ScanResult
from hipaa_scan.visible import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, TextIO


def _attr(text: str) -> str:
    return quoteattr(visible(text))


def _text(text: str) -> str:
    return escape(visible(text))


def write(result: ScanResult, handle: TextIO, show_suppressed: bool = False, **_: Any) -> None:
    cases: List[str] = []
    failures = skipped = 0
    for f in result.findings:
        where = f" (line {f.location.line})" if f.location.line else (f" ({f.location.key})" if f.location.key else "")
        head = f'    <testcase classname={_attr(f.location.path)} name={_attr(f"{f.rule_id} {f.rule_name}{where}")}>'
        if f.suppression is not None:
            skipped += 1
            body = f"      <skipped message={_attr('suppressed: ' + f.suppression.justification)}/>"
        else:
            failures += 1
            lines = [f.message, "HIPAA " + ", ".join(f.hipaa)] + ([f.snippet] if f.snippet else [])
            detail = "\n".join(_text(line) for line in lines)  # each line's own controls escaped, the breaks kept
            body = f"      <failure type={_attr(f.severity)} message={_attr(f.message)}>{detail}</failure>"
        cases.append(f"{head}\n{body}\n    </testcase>")
    for err in result.errors:
        cases.append(f'    <testcase classname={_attr(err.path or "hipaa-scan")} name={_attr(f"{err.kind} error")}>\n'
                     f"      <error type={_attr(err.kind)} message={_attr(err.message)}/>\n    </testcase>")
    if not cases:
        cases.append('    <testcase classname="hipaa-scan" name="hipaa-scan"/>')
    counts = (f'tests="{len(cases)}" failures="{failures}" errors="{len(result.errors)}" skipped="{skipped}"')
    handle.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    handle.write(f'<testsuites name="hipaa-scan" {counts}>\n')
    handle.write(f'  <testsuite name="hipaa-scan" {counts}>\n')
    for case in cases:
        handle.write(case + "\n")
    handle.write("  </testsuite>\n</testsuites>\n")
