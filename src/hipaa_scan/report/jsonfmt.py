"""JSON report, schema version 2 (src/hipaa_scan/schemas/report.schema.json): version 2 added the run record
(`run`, runrecord.py) and the control-by-control view (`controls`, controls.py)."""

from __future__ import annotations

import json.encoder

from hipaa_scan import __version__
from hipaa_scan.controls import view
from hipaa_scan.model import ScanResult
from hipaa_scan.report import jsonwrite
from hipaa_scan.runrecord import record_of
from hipaa_scan.scan.stream import Encoder, encoded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, TextIO, Tuple

SCHEMA_VERSION = "2"


def finding_dict(f) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "severity": f.severity,
        "confidence": f.confidence,
        "message": f.message,
        "location": f.location.as_dict(),
        "resource": f.resource,
        "hipaa": list(f.hipaa),
        "fingerprint": f.fingerprint,
        "suppressed": f.suppressed,
    }
    if f.evidence is not None:
        out["evidence"] = f.evidence
    if f.snippet is not None:
        out["snippet"] = f.snippet
    if f.suppression is not None:
        out["suppression"] = {"kind": f.suppression.kind, "justification": f.suppression.justification}
    return out


_string = json.encoder.encode_basestring  # a str as JSON text, as the encoder (ensure_ascii=False) writes it
_HEADS: Dict[Tuple[str, str, str, str], str] = {}  # per rule and severity: the first four members, encoded


def finding_text(f) -> str:
    """One finding as the report writes it: jsonwrite.encode(finding_dict(f)), the same text, put together from
    pieces (a large report has a hundred thousand findings and a few dozen rules: the rule's part is encoded once).
    tests/test_reports.py checks that the two agree."""
    loc = f.location
    if type(loc.line) not in _WHOLE or type(loc.column) not in _WHOLE:  # pragma: no cover - locations hold ints
        return jsonwrite.encode(finding_dict(f))
    head_key = (f.rule_id, f.rule_name, f.severity, f.confidence)
    head = _HEADS.get(head_key)
    if head is None:
        head = _HEADS[head_key] = (
            f'{{"rule_id": {_string(f.rule_id)}, "rule_name": {_string(f.rule_name)}, '
            f'"severity": {_string(f.severity)}, "confidence": {_string(f.confidence)}, "message": ')
    parts = [head, _string(f.message), ', "location": {"path": ', _string(loc.path)]
    if loc.line is not None:
        parts += [', "line": ', str(loc.line)]
    if loc.column is not None:
        parts += [', "column": ', str(loc.column)]
    if loc.key is not None:
        parts += [', "key": ', _string(loc.key)]
    parts += ['}, "resource": ', _string(f.resource), ', "hipaa": [', ", ".join(map(_string, f.hipaa)),
              '], "fingerprint": ', _string(f.fingerprint), ', "suppressed": ',
              "false" if f.suppression is None else "true"]
    if f.evidence is not None:
        parts += [', "evidence": ', _string(f.evidence)]
    if f.snippet is not None:
        parts += [', "snippet": ', _string(f.snippet)]
    if f.suppression is not None:
        parts += [', "suppression": {"kind": ', _string(f.suppression.kind), ', "justification": ',
                  _string(f.suppression.justification), "}"]
    parts.append("}")
    return jsonwrite.escape_surrogates("".join(parts))


_WHOLE = (int, type(None))


# For ScanOptions.finding_encoder: worker processes of a large scan write each finding with finding_text, and
# write() puts a comma and the indent of a finding between two (the findings array's items, at depth 2).
finding_encoder = Encoder("json", lambda _rules: finding_text, ",\n" + "  " * 2)


def summary(result: ScanResult) -> Dict[str, Any]:
    tally = result.tally()
    return {
        "files_scanned": result.files_scanned,
        "resources_scanned": result.resources_scanned,
        "rules_run": len(result.rules),
        "findings": tally.active,
        "suppressed": tally.suppressed,
        "errors": len(result.errors),
        "by_severity": dict(tally.by_severity),
        "by_rule": dict(sorted(tally.by_rule.items())),
        "by_safeguard": {cite: sum(counts.values()) for cite, counts in sorted(tally.by_safeguard.items())},
    }


def report_dict(result: ScanResult, show_suppressed: bool = True) -> Dict[str, Any]:
    """The report with its findings as an iterator and its summary as a callable (see report/jsonwrite.py)."""
    # a split scan's workers may have written the findings already
    texts = encoded(result.findings, finding_encoder) if show_suppressed else None
    if texts is None:  # iterated once, as it is written
        texts = map(finding_text, result.findings if show_suppressed else result.active())
    items = map(jsonwrite.Raw, texts)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "hipaa-scan", "version": __version__},
        "run": lambda: record_of(result).as_dict(),
        "findings": items,
        "errors": [
            {k: v for k, v in {"path": e.path, "kind": e.kind, "message": e.message, "rule_id": e.rule_id}.items()
             if v is not None}
            for e in result.errors
        ],
        "controls": lambda: [c.as_dict() for c in view(result)],
        "summary": lambda: summary(result),
        **({"notes": iter(result.notes)} if result.notes else {}),  # a split scan's are read back as written
    }


def write(result: ScanResult, handle: TextIO, **_: Any) -> None:
    jsonwrite.write(handle, report_dict(result))
    handle.write("\n")


def render(result: ScanResult, **_: Any) -> str:
    return jsonwrite.dumps(report_dict(result))
