"""SARIF 2.1.0 report built with sarif-om, shaped for GitHub code scanning.

Every result has a physical location with a relative `artifactLocation.uri` and `uriBaseId` %SRCROOT%;
rules carry help text, `helpUri` and `properties.security-severity` (a string); HIPAA citations are tags;
`partialFingerprints` carry the line-independent fingerprint; scan errors become toolExecutionNotifications.
Findings on live containers and engines point at their evidence file (and the line of the inspect key) when one
was written, else at the relative URI `container/<name>` or `engine/<host>`: code scanning rejects any URI scheme
other than the checkout's `file`, so a `container://` URI would fail the whole upload (docs/live.md).
"""

from __future__ import annotations

import io
import os
from urllib.parse import quote

from hipaa_scan import __version__
from hipaa_scan import hipaa
from hipaa_scan.model import ScanResult
from hipaa_scan.report import jsonwrite
from hipaa_scan.scan.stream import Encoder, encoded
from hipaa_scan.rules.base import PROJECT_URL, RuleMeta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, Optional, TextIO

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
PRECISION = {"high": "high", "medium": "medium", "low": "low"}
FINGERPRINT_KEY = "hipaaScan/v1"
SRCROOT = "%SRCROOT%"


def _to_json(obj: Any) -> Any:
    """sarif-om objects are attrs classes; serialise them by their schema property names, omitting defaults."""
    import attr

    if attr.has(type(obj)):
        out: Dict[str, Any] = {}
        for field in attr.fields(type(obj)):
            value = getattr(obj, field.name)
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if value is None or (default is not attr.NOTHING and value == default and field.name != "level"):
                continue
            out[field.metadata["schema_property_name"]] = _to_json(value)
        return out
    if isinstance(obj, dict):
        return {k: _to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_json(v) for v in obj]
    return obj


def _uri(path: str) -> Dict[str, Optional[str]]:
    """An artifact location: relative to %SRCROOT% when the path is relative, an absolute file URI otherwise."""
    for scheme, folder in (("container://", "container/"), ("engine://", "engine/")):
        if path.startswith(scheme):  # a live resource without an evidence file: a relative, scheme-less URI
            return {"uri": folder + quote(path[len(scheme):].lstrip("/"), safe="/@", errors="surrogateescape"),
                    "uri_base_id": SRCROOT}
    # a byte of a file name that is not UTF-8 (a surrogate, from os.fsdecode) is percent-encoded as that byte
    if os.path.isabs(path):
        return {"uri": "file://" + quote(path.replace(os.sep, "/"), errors="surrogateescape"), "uri_base_id": None}
    return {"uri": quote(path.replace(os.sep, "/"), errors="surrogateescape"), "uri_base_id": SRCROOT}


def rule_descriptor(meta: RuleMeta):
    import sarif_om as om

    citations = "".join(f"**HIPAA {rule}**\n\n" + "".join(f"- 45 CFR {hipaa.label(c)}: {hipaa.title(c)}\n" for c in cites)
                        + "\n" for rule, cites in hipaa.by_rule(meta.hipaa))
    cis = "".join(f"- {hipaa.CIS_VERSION} {hipaa.cis_number(c) or c}: {hipaa.cis_title(c)}\n" for c in meta.cis)
    markdown = (f"**{meta.summary}**\n\n{meta.description}\n\n{citations}"
                + (f"**CIS Docker Benchmark**\n\n{cis}\n" if cis else "")
                + f"**Remediation**\n\n{meta.remediation}\n")
    tags = ["security", "hipaa"] + [f"HIPAA-{c}" for c in meta.hipaa] + \
        [f"external/cwe/{c.lower()}" for c in meta.cwe]
    return om.ReportingDescriptor(
        id=meta.id,
        name=meta.name,
        short_description=om.MultiformatMessageString(text=meta.summary),
        full_description=om.MultiformatMessageString(text=meta.description),
        help=om.MultiformatMessageString(text=f"{meta.description}\n\nHIPAA: {hipaa.cited(meta.hipaa)}\n\n"
                                              f"Remediation: {meta.remediation}",
                                         markdown=markdown),
        help_uri=meta.help_uri,
        default_configuration=om.ReportingConfiguration(level=LEVEL[meta.severity]),
        properties={
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "precision": PRECISION[meta.confidence],
            "problem.severity": {"error": "error", "warning": "warning", "note": "recommendation"}[LEVEL[meta.severity]],
            "hipaa": list(meta.hipaa),
            "hipaa-citations": [hipaa.properties(c) for c in meta.hipaa],
            **({"cis": list(meta.cis)} if meta.cis else {}),
        },
    )


def render(result: ScanResult, category: Optional[str] = None, artifact_paths: Optional[Dict[str, str]] = None,
           artifact_lines: Optional[Dict[str, Dict[str, int]]] = None, srcroot: Optional[str] = None,
           **_: Any) -> str:
    """SARIF text. `artifact_paths` maps a location path (container://name) to a file to point at instead;
    `artifact_lines` maps that location path to {key path: line in the file} ("" for the resource itself);
    `srcroot` is the directory relative paths start from (default: the working directory)."""
    return jsonwrite.dumps(sarif_dict(result, category, artifact_paths, artifact_lines, srcroot), depth=_DEPTH)


def write(result: ScanResult, handle: TextIO, category: Optional[str] = None,
          artifact_paths: Optional[Dict[str, str]] = None, artifact_lines: Optional[Dict[str, Dict[str, int]]] = None,
          srcroot: Optional[str] = None, **_: Any) -> None:
    """What render() returns, written to `handle` as it is produced."""
    jsonwrite.write(handle, sarif_dict(result, category, artifact_paths, artifact_lines, srcroot), depth=_DEPTH)
    handle.write("\n")


def sarif_dict(result: ScanResult, category: Optional[str] = None,
               artifact_paths: Optional[Dict[str, str]] = None,
               artifact_lines: Optional[Dict[str, Dict[str, int]]] = None,
               srcroot: Optional[str] = None) -> Dict[str, Any]:
    import sarif_om as om

    metas = sorted(result.rules, key=lambda m: m.id)
    index = rule_index(result.rules)

    notifications = []
    for err in result.errors:
        loc = _uri(err.path) if err.path else None
        locations = None
        if loc is not None:
            locations = [om.Location(physical_location=om.PhysicalLocation(
                artifact_location=om.ArtifactLocation(uri=loc["uri"], uri_base_id=loc["uri_base_id"])))]
        notifications.append(om.Notification(
            level="error", message=om.Message(text=f"{err.path}: {err.message}"), locations=locations,
            descriptor=om.ReportingDescriptorReference(id=f"hipaa-scan/{err.kind}"),
        ))
    run = om.Run(
        tool=om.Tool(driver=om.ToolComponent(
            name="hipaa-scan", version=__version__, semantic_version=__version__, information_uri=PROJECT_URL,
            rules=[rule_descriptor(m) for m in metas])),
        results=[],
        invocations=[om.Invocation(execution_successful=not result.errors,
                                   tool_execution_notifications=notifications or None)],
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=_cwd_uri(srcroot))},
        automation_details=om.RunAutomationDetails(id=_category_id(category)) if category else None,
        column_kind="unicodeCodePoints",
    )
    log = _to_json(om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run]))
    _recorded(log["runs"][0], result)
    # a split scan's workers may have written the results already
    texts = encoded(result.findings, finding_encoder) if not (artifact_paths or artifact_lines) else None
    if texts is not None:
        log["runs"][0]["results"] = map(jsonwrite.Raw, texts)
    else:  # converted as they are written
        log["runs"][0]["results"] = (result_dict(f, index, artifact_paths, artifact_lines) for f in result.findings)
    return log


def _recorded(run: Dict[str, Any], result: ScanResult) -> None:
    """The run record in the SARIF run: the invocation's times and working directory, and the record and the
    control-by-control view as run properties."""
    from hipaa_scan.controls import view
    from hipaa_scan.runrecord import record_of

    record = record_of(result)
    invocation = run["invocations"][0]
    if record.started:
        invocation["startTimeUtc"] = record.started
    if record.ended:
        invocation["endTimeUtc"] = record.ended
    invocation.setdefault("workingDirectory", {"uri": _cwd_uri(record.working_directory)})
    run.setdefault("properties", {})
    run["properties"]["hipaa-scan/run"] = record.as_dict()
    run["properties"]["hipaa-scan/controls"] = [c.as_dict() for c in view(result)]


def rule_index(rules: Iterable[RuleMeta]) -> Dict[str, int]:
    """Each rule's place in the run's rules array (sorted by id): a result's ruleIndex."""
    return {rule_id: i for i, rule_id in enumerate(sorted(m.id for m in rules))}


def result_dict(f, index: Dict[str, int], artifact_paths: Optional[Dict[str, str]] = None,
                artifact_lines: Optional[Dict[str, Dict[str, int]]] = None) -> Dict[str, Any]:
    """One finding as a SARIF result object. Built directly, in the property order and with the omissions that
    sarif-om's Result would serialise to (tests/test_reports.py compares the two): going through sarif-om objects
    for every result cost more than the rest of a large scan."""
    target = artifact_paths.get(f.location.path, f.location.path) if artifact_paths else f.location.path
    loc = _uri(target)
    region: Optional[Dict[str, int]] = None
    if f.location.line and target == f.location.path:
        region = {"startColumn": f.location.column or 1, "startLine": f.location.line}
    elif artifact_lines and f.location.path in artifact_lines:
        lines = artifact_lines[f.location.path]
        line = lines.get(f.location.key or "") or lines.get("")
        if line:
            region = {"startLine": line}
    if region is None and target.startswith(("container://", "engine://")):
        region = {"startLine": 1}  # no file behind the URI: line 1, as code scanning expects a region
    artifact = {"uri": loc["uri"]}
    if loc["uri_base_id"] is not None:
        artifact["uriBaseId"] = loc["uri_base_id"]
    physical: Dict[str, Any] = {"artifactLocation": artifact}
    if region is not None:
        physical["region"] = region
    location: Dict[str, Any] = {}
    if f.location.key:
        location["logicalLocations"] = [{"fullyQualifiedName": f"{f.resource}/{f.location.key}", "kind": "member"}]
    location["physicalLocation"] = physical
    props: Dict[str, Any] = {"severity": f.severity, "confidence": f.confidence, "hipaa": list(f.hipaa),
                             "resource": f.resource}
    if f.evidence:
        props["evidence"] = f.evidence
    out: Dict[str, Any] = {"message": {"text": f.message}, "level": LEVEL[f.severity], "locations": [location],
                           "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint}, "properties": props,
                           "ruleId": f.rule_id}
    rule = index.get(f.rule_id, -1)
    if rule != -1:
        out["ruleIndex"] = rule
    if f.suppression is not None:
        out["suppressions"] = [{"kind": "inSource" if f.suppression.kind == "inline" else "external",
                                "justification": f.suppression.justification}]
    return out


def _result_writer(rules: Iterable[RuleMeta]) -> Callable[[Any], str]:
    """A function giving one finding's result as write() lays it out (an item of the results array, indented to
    its depth), so that worker processes can encode the results of a large scan."""
    index = rule_index(rules)

    def encode(f) -> str:
        buffer = io.StringIO()
        jsonwrite.write(buffer, result_dict(f, index), _DEPTH, _RESULT_LEVEL)
        return buffer.getvalue()

    return encode


_DEPTH = 5  # levels of the log written indented: sarifLog, runs, run, results, result
_RESULT_LEVEL = 4  # a result's level in that layout
# For ScanOptions.finding_encoder: two results are parted by a comma and a result's indent
finding_encoder = Encoder("sarif", _result_writer, ",\n" + "  " * _RESULT_LEVEL)


def _category_id(category: str) -> str:
    # runAutomationDetails.id: "category/" groups runs; GitHub takes everything up to the last slash as category
    return category if category.endswith("/") else category + "/"


def _cwd_uri(directory: Optional[str] = None) -> str:
    cwd = os.path.abspath(directory or os.getcwd()).replace(os.sep, "/")
    return "file://" + quote(cwd if cwd.endswith("/") else cwd + "/", errors="surrogateescape")
