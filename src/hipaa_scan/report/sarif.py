"""SARIF 2.1.0 report built with sarif-om, shaped for GitHub code scanning.

Every result has a physical location with a relative `artifactLocation.uri` and `uriBaseId` %SRCROOT%;
rules carry help text, `helpUri` and `properties.security-severity` (a string); HIPAA citations are tags;
`partialFingerprints` carry the line-independent fingerprint; scan errors become toolExecutionNotifications.
Findings on live containers and engines point at their evidence file (and the line of the inspect key) when one
was written, else at the relative URI `container/<name>` or `engine/<host>`: code scanning rejects any URI scheme
other than the checkout's `file`, so a `container://` URI would fail the whole upload (docs/live.md).
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, TextIO
from urllib.parse import quote

from hipaa_scan import __version__
from hipaa_scan.hipaa import title
from hipaa_scan.model import ScanResult
from hipaa_scan.report import jsonwrite
from hipaa_scan.rules.base import PROJECT_URL, RuleMeta

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
            return {"uri": folder + quote(path[len(scheme):].lstrip("/"), safe="/@"), "uri_base_id": SRCROOT}
    if os.path.isabs(path):
        return {"uri": "file://" + quote(path.replace(os.sep, "/")), "uri_base_id": None}
    return {"uri": quote(path.replace(os.sep, "/")), "uri_base_id": SRCROOT}


def rule_descriptor(meta: RuleMeta):
    import sarif_om as om

    citations = "\n".join(f"- 45 CFR {c}: {title(c)}" for c in meta.hipaa)
    markdown = (f"**{meta.summary}**\n\n{meta.description}\n\n**HIPAA Security Rule**\n\n{citations}\n\n"
                f"**Remediation**\n\n{meta.remediation}\n")
    tags = ["security", "hipaa"] + [f"HIPAA-{c}" for c in meta.hipaa] + \
        [f"external/cwe/{c.lower()}" for c in meta.cwe]
    return om.ReportingDescriptor(
        id=meta.id,
        name=meta.name,
        short_description=om.MultiformatMessageString(text=meta.summary),
        full_description=om.MultiformatMessageString(text=meta.description),
        help=om.MultiformatMessageString(text=f"{meta.description}\n\nRemediation: {meta.remediation}",
                                         markdown=markdown),
        help_uri=meta.help_uri,
        default_configuration=om.ReportingConfiguration(level=LEVEL[meta.severity]),
        properties={
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "precision": PRECISION[meta.confidence],
            "problem.severity": {"error": "error", "warning": "warning", "note": "recommendation"}[LEVEL[meta.severity]],
            "hipaa": list(meta.hipaa),
        },
    )


def render(result: ScanResult, category: Optional[str] = None, artifact_paths: Optional[Dict[str, str]] = None,
           artifact_lines: Optional[Dict[str, Dict[str, int]]] = None, srcroot: Optional[str] = None,
           **_: Any) -> str:
    """SARIF text. `artifact_paths` maps a location path (container://name) to a file to point at instead;
    `artifact_lines` maps that location path to {key path: line in the file} ("" for the resource itself);
    `srcroot` is the directory relative paths start from (default: the working directory)."""
    return jsonwrite.dumps(sarif_dict(result, category, artifact_paths, artifact_lines, srcroot), depth=5)


def write(result: ScanResult, handle: TextIO, category: Optional[str] = None, **_: Any) -> None:
    jsonwrite.write(handle, sarif_dict(result, category), depth=5)
    handle.write("\n")


def sarif_dict(result: ScanResult, category: Optional[str] = None,
               artifact_paths: Optional[Dict[str, str]] = None,
               artifact_lines: Optional[Dict[str, Dict[str, int]]] = None,
               srcroot: Optional[str] = None) -> Dict[str, Any]:
    import sarif_om as om

    artifact_paths = artifact_paths or {}
    artifact_lines = artifact_lines or {}
    metas = sorted(result.rules, key=lambda m: m.id)
    index = {m.id: i for i, m in enumerate(metas)}

    def result_json(f) -> Dict[str, Any]:
        target = artifact_paths.get(f.location.path, f.location.path)
        loc = _uri(target)
        region = None
        if f.location.line and target == f.location.path:
            region = om.Region(start_line=f.location.line, start_column=f.location.column or 1)
        elif f.location.path in artifact_lines:
            lines = artifact_lines[f.location.path]
            line = lines.get(f.location.key or "") or lines.get("")
            if line:
                region = om.Region(start_line=line)
        if region is None and target.startswith(("container://", "engine://")):
            region = om.Region(start_line=1)  # no file behind the URI: line 1, as code scanning expects a region
        physical = om.PhysicalLocation(
            artifact_location=om.ArtifactLocation(uri=loc["uri"], uri_base_id=loc["uri_base_id"]), region=region)
        logical = None
        if f.location.key:
            logical = [om.LogicalLocation(fully_qualified_name=f"{f.resource}/{f.location.key}", kind="member")]
        props: Dict[str, Any] = {"severity": f.severity, "confidence": f.confidence, "hipaa": list(f.hipaa),
                                 "resource": f.resource}
        if f.evidence:
            props["evidence"] = f.evidence
        suppressions = None
        if f.suppression is not None:
            suppressions = [om.Suppression(kind="inSource" if f.suppression.kind == "inline" else "external",
                                           justification=f.suppression.justification)]
        return _to_json(om.Result(
            rule_id=f.rule_id,
            rule_index=index.get(f.rule_id, -1),
            level=LEVEL[f.severity],
            message=om.Message(text=f.message),
            locations=[om.Location(physical_location=physical, logical_locations=logical)],
            partial_fingerprints={FINGERPRINT_KEY: f.fingerprint},
            suppressions=suppressions,
            properties=props,
        ))

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
    log["runs"][0]["results"] = map(result_json, result.findings)  # converted as they are written
    return log


def _category_id(category: str) -> str:
    # runAutomationDetails.id: "category/" groups runs; GitHub takes everything up to the last slash as category
    return category if category.endswith("/") else category + "/"


def _cwd_uri(directory: Optional[str] = None) -> str:
    cwd = os.path.abspath(directory or os.getcwd()).replace(os.sep, "/")
    return "file://" + quote(cwd if cwd.endswith("/") else cwd + "/")
