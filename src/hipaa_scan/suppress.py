"""Suppressions, each with the reason an auditor will read:

- inline: `# hipaa-scan: ignore[HS101] <reason>` on the finding's line or the line above it (for findings about
  something missing that is the final stage's FROM line or the compose service's key). Several ids (or names) may
  be given, comma-separated. A suppression without a reason suppresses nothing and is reported.
- config: `per-path-ignores` entries (path glob, rules, reason).
- baseline: see baseline.py.
"""

from __future__ import annotations

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Document, Finding, Record, ScanError, Suppression

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Sequence, Tuple

COMMENT = lazy(r"#\s*hipaa-scan:\s*ignore\[([^\]]*)\]\s*(.*?)\s*$")


class Inline(Record):
    __slots__ = ("line", "selectors", "reason", "used")

    def __init__(self, line: int, selectors: Tuple[str, ...], reason: str, used: bool = False) -> None:
        self.line = line
        self.selectors = selectors
        self.reason = reason
        self.used = used


def inline_suppressions(doc: Document) -> List[Inline]:
    out: List[Inline] = []
    if not doc.lines:
        return out
    for number, text in enumerate(doc.lines, start=1):
        if "hipaa-scan" not in text:
            continue
        match = COMMENT.search(text)
        if match:
            selectors = tuple(s.strip() for s in match.group(1).split(",") if s.strip())
            out.append(Inline(number, selectors, match.group(2)))
    return out


def _matches(finding: Finding, selectors: Sequence[str]) -> bool:
    return any(s.upper() == finding.rule_id or s == finding.rule_name or s == "*" for s in selectors)


def apply_inline(doc: Document, findings: List[Finding], strict: bool,
                 rules_dirs: Sequence[str] = ()) -> List[ScanError]:
    """Mark findings suppressed by comments in their document; return problems with the comments: one without a
    reason, one naming no known rule (always: `ignore[HS1O1]` would hide nothing and say nothing), one unused
    (`strict`)."""
    marks = inline_suppressions(doc)
    if not marks:
        return []
    by_line: Dict[int, List[Inline]] = {}
    for mark in marks:
        by_line.setdefault(mark.line, []).append(mark)
    for finding in findings:
        line = finding.location.line
        if not line or finding.location.path != doc.path:
            continue
        for mark in by_line.get(line, []) + by_line.get(line - 1, []):
            if _matches(finding, mark.selectors):
                mark.used = True
                if mark.reason:
                    finding.suppression = Suppression("inline", mark.reason)
                break
    problems = []
    for mark in marks:
        unknown = _unknown(mark.selectors, rules_dirs)
        if unknown:
            problems.append(ScanError(doc.path, f"line {mark.line}: suppression names {unknown}", "suppression"))
        if not mark.reason:
            problems.append(ScanError(doc.path, f"line {mark.line}: suppression of {', '.join(mark.selectors)} has no "
                                                "reason, so it suppresses nothing (write the reason after the ])",
                                      "suppression"))
        elif strict and not mark.used:
            problems.append(ScanError(doc.path, f"line {mark.line}: unused suppression of {', '.join(mark.selectors)}",
                                      "suppression"))
    return problems


def _unknown(selectors: Sequence[str], rules_dirs: Sequence[str]) -> str:
    """The first selector of a comment that names no rule (id or name; `*` is every rule), with a "did you mean"."""
    from hipaa_scan.rules import unknown_reference

    for selector in selectors:
        problem = None if selector == "*" else unknown_reference(selector, rules_dirs, prefix=False)
        if problem:
            return problem
    return ""


def apply_path_ignores(findings: List[Finding], entries: Sequence[Dict[str, Any]]) -> None:
    for finding in findings:
        if finding.suppression is not None:
            continue
        for entry in entries:
            path = finding.location.path
            if entry.get("base") is not None:  # a configuration's entry: relative to its file's folder
                from hipaa_scan.discover import anchored

                if "://" in path or anchored(path, entry["base"]) is None:
                    continue
                path = anchored(path, entry["base"]) or ""
            if _path_matches(path, entry["path"]) and _matches(finding, entry["rules"]):
                finding.suppression = Suppression("config", entry["reason"])
                break


def _path_matches(path: str, pattern: str) -> bool:
    import fnmatch  # here: only the configuration's per-path ignores need it

    pattern = pattern.rstrip("/")
    return (fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*")
            or fnmatch.fnmatch(path, "*/" + pattern) or fnmatch.fnmatch(path, "*/" + pattern + "/*"))
