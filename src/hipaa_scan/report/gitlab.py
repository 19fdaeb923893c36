"""GitLab Code Quality report (`--format gitlab`): the JSON array GitLab reads from
`artifacts: reports: codequality:` and shows in merge requests. Each unsuppressed finding is one issue with the
fields GitLab requires: `description`, `check_name` (the rule id), `fingerprint` (the finding's own, unique per
finding), `severity` (GitLab's scale: info, minor, major, critical, blocker) and `location.path` with
`location.lines.begin`. `type: issue` and `categories: ["Security"]` come from the Code Climate spec it builds on.
Errors are not issues: they are on stderr and in the exit code (2). The schema this is tested against is
src/hipaa_scan/schemas/gitlab-codequality.schema.json.
"""

from __future__ import annotations

from hipaa_scan.model import ScanResult
from hipaa_scan.report import jsonwrite

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, TextIO

SEVERITY = {"info": "info", "low": "minor", "medium": "major", "high": "critical", "critical": "blocker"}


def issue(f: Any) -> Dict[str, Any]:
    path = f.location.path
    return {
        "type": "issue",
        "check_name": f.rule_id,
        "description": f"{f.rule_id} {f.rule_name}: {f.message}",
        "categories": ["Security"],
        "severity": SEVERITY.get(f.severity, "major"),
        "fingerprint": f.fingerprint,
        "location": {"path": path[2:] if path.startswith("./") else path,
                     "lines": {"begin": f.location.line or 1}},
    }


def _issues(result: ScanResult) -> Iterator[Dict[str, Any]]:
    return (issue(f) for f in result.findings if not f.suppressed)


def write(result: ScanResult, handle: TextIO, **_: Any) -> None:
    handle.write("[")
    first = True
    for item in _issues(result):
        handle.write("\n  " if first else ",\n  ")
        handle.write(jsonwrite.encode(item))
        first = False
    handle.write("\n]\n" if not first else "]\n")
