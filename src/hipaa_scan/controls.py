"""The control-by-control view: every HIPAA provision the rule catalog cites, and every Security Rule standard and
implementation specification it does not, each with the rules that assess it and their status. Rows never
disappear: a rule the configuration ignores or does not select is listed as excluded, with the reason.

`view(result)` builds it from the citation table (hipaa.PROVISIONS), the run record attached to the result
(`result.record`: the whole catalog, the effective configuration) and the result (its tally, the kinds of source
it read: `ScanResult.kinds_scanned`). Without a record (a library caller), the catalog is the rules that ran and
nothing is excluded.

A `Control` (JSON: `Control.as_dict`, the report schema's `controls` items):

```
{"citation": "164.312(a)(1)", "title": "Access control", "text": "...", "section": "164.312 Technical safeguards",
 "rule": "Security Rule", "kind": "standard" | "implementation specification" | "general requirement",
 "requirement": "required" | "addressable" | null,   # a safeguard standard with no specifications: required
 "label": "required" | "addressable" | "standard" | ...,
 "status": "findings" | "suppressed" | "passed" | "not-applicable" | "excluded" | "not-assessable",
 "reason": "..."          # why not assessable / excluded / not applicable; "" otherwise
 "findings": 3, "worst": "high" | null,
 "rules": [{"id": "HS102", "name": "...", "severity": "high" (effective), "status": ..., "findings": 2,
            "suppressed": 0, "reason": "ignored by configuration .hipaa-scan.yaml (ignore: HS1)"}]}
```

Rule statuses: `findings` (active findings relate to this provision), `suppressed` (findings, all suppressed: inline,
configuration or baseline), `passed` (ran, nothing found), `not-applicable` (ran, but no source of the kinds it
reads was scanned, such as an engine rule in a file scan), `excluded` (kept from running by the configuration or
the command line). A control's status is its rules' best-ranked one in that order; a provision no rule cites is
`not-assessable`, with the table's reason. The order of rows is the regulation's (hipaa.PROVISIONS), then any
citation a rule pack makes that the table does not hold.
"""

from __future__ import annotations

from hipaa_scan import hipaa
from hipaa_scan.model import SEVERITIES, SEVERITY_RANK, Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence

    from hipaa_scan.hipaa import Provision
    from hipaa_scan.model import ScanResult
    from hipaa_scan.rules.base import RuleMeta

FINDINGS, SUPPRESSED, PASSED, NOT_APPLICABLE, EXCLUDED, NOT_ASSESSABLE = (
    "findings", "suppressed", "passed", "not-applicable", "excluded", "not-assessable")
STATUSES = (FINDINGS, SUPPRESSED, PASSED, NOT_APPLICABLE, EXCLUDED, NOT_ASSESSABLE)
# How reports word a status
STATUS_TEXT: Dict[str, str] = {
    FINDINGS: "findings",
    SUPPRESSED: "findings, all suppressed",
    PASSED: "passed (ran, nothing found)",
    NOT_APPLICABLE: "not applicable (nothing of the kinds its rules read was scanned)",
    EXCLUDED: "excluded by configuration",
    NOT_ASSESSABLE: "not assessable by this tool",
}
_RANK = {status: rank for rank, status in enumerate(STATUSES)}


class RuleStatus(Record):
    """One rule's status for one provision."""

    __slots__ = ("id", "name", "severity", "status", "findings", "suppressed", "reason")

    def __init__(self, id: str, name: str, severity: str, status: str, findings: int = 0, suppressed: int = 0,
                 reason: str = "") -> None:
        self.id = id
        self.name = name
        self.severity = severity  # effective (after the configuration's overrides)
        self.status = status
        self.findings = findings  # active findings of this rule that relate to the provision
        self.suppressed = suppressed  # the rule's suppressed findings (all provisions)
        self.reason = reason

    def as_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "name": self.name, "severity": self.severity, "status": self.status,
                "findings": self.findings, "suppressed": self.suppressed, "reason": self.reason}


class Control(Record):
    """One provision of 45 CFR Part 164 and how this run assessed it."""

    __slots__ = ("citation", "title", "text", "section", "rule", "kind", "requirement", "status", "reason",
                 "findings", "worst", "rules")

    def __init__(self, citation: str, title: str, text: str, section: str, rule: str, kind: str,
                 requirement: Optional[str], status: str, reason: str, findings: int, worst: Optional[str],
                 rules: List[RuleStatus]) -> None:
        self.citation = citation
        self.title = title
        self.text = text
        self.section = section
        self.rule = rule  # Security Rule | Privacy Rule | Breach Notification Rule
        self.kind = kind
        self.requirement = requirement  # required | addressable | None
        self.status = status
        self.reason = reason
        self.findings = findings
        self.worst = worst
        self.rules = rules

    @property
    def label(self) -> str:
        """`required`, `addressable`, or the kind of paragraph (`standard`)."""
        return self.requirement or self.kind

    def as_dict(self) -> Dict[str, Any]:
        return {"citation": self.citation, "title": self.title, "text": self.text, "section": self.section,
                "rule": self.rule, "kind": self.kind, "requirement": self.requirement, "label": self.label,
                "status": self.status, "reason": self.reason, "findings": self.findings, "worst": self.worst,
                "rules": [r.as_dict() for r in self.rules]}


def _rule_status(meta: RuleMeta, cite: str, result: ScanResult, ran: Dict[str, RuleMeta],
                 record: Any) -> RuleStatus:
    tally = result.tally()
    severity = record.severity_of(meta) if record is not None else meta.severity
    if meta.id not in ran:
        reason = (record.excluded(meta) if record is not None else None) or "not run"
        return RuleStatus(meta.id, meta.name, severity, EXCLUDED, reason=reason)
    active = tally.by_safeguard_rule.get(cite, {}).get(meta.id, 0)
    suppressed = tally.suppressed_by_rule.get(meta.id, 0)
    if active:
        return RuleStatus(meta.id, meta.name, severity, FINDINGS, active, suppressed)
    if suppressed:
        return RuleStatus(meta.id, meta.name, severity, SUPPRESSED, 0, suppressed,
                          f"{suppressed} finding{'s' if suppressed != 1 else ''} suppressed")
    kinds = result.kinds_scanned
    if kinds is not None and not set(map(str, meta.sources)) & set(kinds):
        reads = ", ".join(sorted(map(str, meta.sources)))
        return RuleStatus(meta.id, meta.name, severity, NOT_APPLICABLE, reason=f"no {reads} source was scanned")
    return RuleStatus(meta.id, meta.name, severity, PASSED)


def _requirement(p: Provision) -> Optional[str]:
    """Required or addressable: an implementation specification's own; a Security Rule standard with no
    implementation specifications is itself required (as docs/hipaa-mapping.md labels it); None otherwise."""
    if p.requirement:
        return p.requirement
    if p.kind == hipaa.STANDARD and p.rule == hipaa.SECURITY and p.section in hipaa.SECTIONS \
            and not any(q.standard == p.cite != q.cite for q in hipaa.PROVISIONS):
        return hipaa.REQUIRED
    return None


def _reasons(rules: Sequence[RuleStatus], status: str) -> str:
    """The rules of one status grouped by reason: `HS501, HS502: ignored by configuration x (ignore: HS5)`."""
    grouped: Dict[str, List[str]] = {}
    for r in rules:
        if r.status == status and r.reason:
            grouped.setdefault(r.reason, []).append(r.id)
    return "; ".join(f"{', '.join(ids)}: {reason}" for reason, ids in grouped.items())


def view(result: ScanResult) -> List[Control]:
    """The control-by-control view of a result (see the module docstring)."""
    record = result.record
    ran = {m.id: m for m in result.rules}
    catalog: Sequence[RuleMeta] = record.catalog if record is not None and record.catalog else list(ran.values())
    # a rule that ran is judged by its own metadata (a pack's rules may not be in a catalog built before loading)
    metas = {m.id: m for m in catalog}
    metas.update(ran)
    by_cite = hipaa.assessed_by(sorted(metas.values(), key=lambda m: m.id))
    cites = [p.cite for p in hipaa.PROVISIONS if p.rule == hipaa.SECURITY or p.cite in by_cite]
    cites += sorted((c for c in by_cite if c not in hipaa.BY_CITE), key=hipaa.sort_key)
    tally = result.tally()
    out: List[Control] = []
    for cite in cites:
        p = hipaa.provision(cite)
        rules = [_rule_status(m, cite, result, ran, record) for m in by_cite.get(cite, ())]
        counts = tally.by_safeguard.get(cite, {})
        worst = max((s for s in SEVERITIES if counts.get(s)), key=SEVERITY_RANK.__getitem__, default=None)
        if rules:
            status = min((r.status for r in rules), key=_RANK.__getitem__)
            reason = _reasons(rules, status) if status in (EXCLUDED, NOT_APPLICABLE) else ""
        else:
            status = NOT_ASSESSABLE
            reason = (p.not_assessable if p is not None else "") or "no rule loaded assesses it"
        findings = sum(counts.values())
        if p is None:
            out.append(Control(cite, "", "", "", "45 CFR", "", None, status, reason, findings, worst, rules))
        else:
            out.append(Control(cite, p.title, p.text, p.section, p.rule, p.kind, _requirement(p), status, reason,
                               findings, worst, rules))
    return out


def counts(controls: Sequence[Control]) -> Dict[str, int]:
    """How many controls have each status, every status named."""
    out = {status: 0 for status in STATUSES}
    for c in controls:
        out[c.status] += 1
    return out


def summary_lines(controls: Sequence[Control]) -> List[str]:
    """The text reports' compact control summary (plain text: the caller shows control characters as escapes): the
    count per status, then one line per control that rules assessed without active findings (those are in the
    per-safeguard table), with its rules and, when excluded, why."""
    n = counts(controls)
    head = "HIPAA controls (45 CFR Part 164): " + ", ".join(
        f"{n[status]} {STATUS_TEXT[status].split(' (')[0]}" for status in STATUSES if n[status])
    lines = [head]
    for c in controls:
        if c.status in (FINDINGS, NOT_ASSESSABLE):
            continue
        if c.reason:  # excluded, not applicable: the reason names the rules
            lines.append(f"  {c.status:<14} {c.citation} ({c.label}) {c.title}: {c.reason}")
        else:
            rules = ", ".join(r.id for r in c.rules if r.status == c.status)
            lines.append(f"  {c.status:<14} {c.citation} ({c.label}) {c.title}: {rules}")
    return lines
