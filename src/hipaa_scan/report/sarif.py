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
import sys
from urllib.parse import quote

from hipaa_scan import __version__
from hipaa_scan import hipaa
from hipaa_scan.model import SEVERITIES, ScanError, ScanResult
from hipaa_scan.report import jsonwrite
from hipaa_scan.scan.stream import Encoder, encoded
from hipaa_scan.rules.base import PROJECT_URL, RuleMeta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Optional, Set, TextIO

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
PRECISION = {"high": "high", "medium": "medium", "low": "low"}
FINGERPRINT_KEY = "hipaaScan/v2"  # v2: one per element (key path and index), scan/pipeline.py
SRCROOT = "%SRCROOT%"
# GitHub code scanning's limits per run (docs.github.com, "SARIF results exceed limit", "SARIF file is too large"):
# 25,000 results per run, 10 MB per uploaded file. Results beyond them are left out, lowest priority first.
MAX_RESULTS = 25_000
MAX_BYTES = 10_000_000
CHECK_FROM = 1_000  # below this many findings neither limit can be reached: no sizing pass


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


def _uri(path: str, root: Optional[str] = None) -> Dict[str, Optional[str]]:
    """An artifact location: relative to %SRCROOT% when the path is relative, an absolute file URI otherwise.
    With `root` (a path scan's repository root), relative to it; {"uri": None} for a path outside it."""
    for scheme, folder in (("container://", "container/"), ("engine://", "engine/")):
        if path.startswith(scheme):  # a live resource without an evidence file: a relative, scheme-less URI
            return {"uri": folder + quote(path[len(scheme):].lstrip("/"), safe="/@", errors="surrogateescape"),
                    "uri_base_id": SRCROOT}
    if root is not None:
        rel = under(path, root)
        if rel is None:
            return {"uri": None, "uri_base_id": None}
        path = rel
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
           root: Optional[str] = None, **_: Any) -> str:
    """SARIF text. `artifact_paths` maps a location path (container://name) to a file to point at instead;
    `artifact_lines` maps that location path to {key path: line in the file} ("" for the resource itself);
    `srcroot` is the directory relative paths start from (default: the working directory); `root` (a path scan's
    repository root) makes every URI relative to it and %SRCROOT% that root."""
    return jsonwrite.dumps(sarif_dict(result, category, artifact_paths, artifact_lines, srcroot, root), depth=_DEPTH)


def write(result: ScanResult, handle: TextIO, category: Optional[str] = None,
          artifact_paths: Optional[Dict[str, str]] = None, artifact_lines: Optional[Dict[str, Dict[str, int]]] = None,
          srcroot: Optional[str] = None, root: Optional[str] = None, **_: Any) -> None:
    """What render() returns, written to `handle` as it is produced."""
    jsonwrite.write(handle, sarif_dict(result, category, artifact_paths, artifact_lines, srcroot, root),
                    depth=_DEPTH)
    handle.write("\n")


def sarif_dict(result: ScanResult, category: Optional[str] = None,
               artifact_paths: Optional[Dict[str, str]] = None,
               artifact_lines: Optional[Dict[str, Dict[str, int]]] = None,
               srcroot: Optional[str] = None, root: Optional[str] = None) -> Dict[str, Any]:
    import sarif_om as om

    metas = sorted(result.rules, key=lambda m: m.id)
    index = rule_index(result.rules)
    if root is not None:
        srcroot = root
    # which results fit GitHub's limits, and which files lie outside the root: known before the frame is built
    texts = encoded(result.findings, finding_encoder) if not (artifact_paths or artifact_lines) else None
    results: Callable[[], Iterable[Any]]
    if texts is not None:
        results = _from_texts(result, root)
    else:
        results = lambda: (result_dict(f, index, artifact_paths, artifact_lines, root)  # noqa: E731
                           for f in result.findings)
    outside = [err.path for err in _outside(result, root)]
    # the frame: rule descriptors and properties (FRAME_BYTES), and a notification per error
    frame = FRAME_BYTES + sum(len(e.path.encode()) * 2 + len(e.message.encode()) + 400 for e in result.errors)
    plan = None
    if len(result.findings) > CHECK_FROM and not _fits_as_text(result, texts is not None, MAX_BYTES - frame):
        plan = _fit(results, MAX_BYTES - frame)

    notifications = []
    for err in result.errors:
        loc = _uri(err.path, root) if err.path else None
        locations = None
        if loc is not None and loc["uri"] is not None:
            locations = [om.Location(physical_location=om.PhysicalLocation(
                artifact_location=om.ArtifactLocation(uri=loc["uri"], uri_base_id=loc["uri_base_id"])))]
        notifications.append(om.Notification(
            level="error", message=om.Message(text=f"{err.path}: {err.message}"), locations=locations,
            descriptor=om.ReportingDescriptorReference(id=f"hipaa-scan/{err.kind}"),
        ))
    if plan is not None and plan.dropped:
        notifications.append(om.Notification(level="warning", message=om.Message(text=plan.message()),
                                             descriptor=om.ReportingDescriptorReference(id="hipaa-scan/limits")))
        _warn(plan.message())
    for path in outside:
        _warn(f"{path}: outside the repository root {root}; left out of the SARIF report (run from inside the "
              "repository or pass --root)")
    run = om.Run(
        tool=om.Tool(driver=om.ToolComponent(
            name="hipaa-scan", version=__version__, semantic_version=__version__, information_uri=PROJECT_URL,
            rules=[rule_descriptor(m) for m in metas])),
        results=[],
        invocations=[om.Invocation(execution_successful=not (result.errors or outside),
                                   tool_execution_notifications=notifications or None,
                                   working_directory=om.ArtifactLocation(uri=_cwd_uri(None)))],
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=_cwd_uri(srcroot))},
        automation_details=om.RunAutomationDetails(id=_category_id(category)) if category else None,
        column_kind="unicodeCodePoints",
        properties=plan.properties() if plan is not None and plan.dropped else None,
    )
    log = _to_json(om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run]))
    _recorded(log["runs"][0], result)
    if plan is not None and plan.dropped:
        log["runs"][0]["results"] = plan.kept(results())
    elif texts is not None:  # (encoded by the workers only when the root is the working directory)
        log["runs"][0]["results"] = map(jsonwrite.Raw, texts)
    else:  # converted as they are written
        log["runs"][0]["results"] = (r for r in results() if r is not None)
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


def under(path: str, root: str) -> Optional[str]:
    """`path` (a display path: relative to the working directory, or absolute) relative to `root`, "/"-separated;
    None when it lies outside the root."""
    absolute = os.path.normpath(os.path.join(os.getcwd(), path))
    base = os.path.normpath(root)
    if absolute == base:
        return "."
    if not absolute.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return absolute[len(base.rstrip(os.sep)) + 1:].replace(os.sep, "/")


def _outside(result: ScanResult, root: Optional[str]) -> List[ScanError]:
    """One error per file outside the repository root whose findings SARIF cannot place (code scanning only takes
    URIs inside the checkout): counted as scan errors, so the scan exits 2. Remembered on the result."""
    if root is None:
        return []
    found = getattr(result, "_outside_root", None)
    if found is None:
        paths = sorted({f.location.path for f in _iter_findings(result)
                        if "://" not in f.location.path and under(f.location.path, root) is None})
        found = [ScanError(p, f"outside the repository root {root}: SARIF cannot place its findings (run from "
                              "inside the repository or pass --root)", "path") for p in paths]
        result._outside_root = found  # type: ignore[attr-defined]
        result.errors.extend(found)
    return found


def _iter_findings(result: ScanResult) -> Iterable[Any]:
    try:
        return iter(result.findings)
    except TypeError:  # a split scan's encoded texts: their paths are checked as they are read (_from_texts)
        return ()


def _from_texts(result: ScanResult, root: Optional[str]) -> Callable[[], Iterable[Any]]:
    """The workers' encoded results (chunks of results parted by the encoder's separator) as result dicts."""
    import json

    def gen() -> Iterable[Any]:
        for chunk in encoded(result.findings, finding_encoder) or ():
            for item in json.loads("[" + chunk + "]"):
                uri = item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                yield None if uri.startswith(("file://", "../")) else item
    return gen


def _fits_as_text(result: ScanResult, has_texts: bool, budget: int) -> bool:
    """Whether the workers' encoded results are within both limits as they are: their length is known without
    decoding them (a sizing pass over a large scan's results costs about a tenth of a second per thousand)."""
    if not has_texts or len(result.findings) > MAX_RESULTS:
        return False
    size = 0
    for chunk in encoded(result.findings, finding_encoder) or ():
        size += len(chunk.encode("utf-8", "surrogatepass")) + len(finding_encoder.separator)
        if size > budget:
            return False
    return True


def _priority(item: Dict[str, Any]) -> int:
    """Which results go first when a limit is reached: suppressed ones, then by severity, lowest first."""
    rank = SEVERITIES.index(item["properties"]["severity"])
    return rank + (0 if "suppressions" in item else len(SEVERITIES))


class _Fit:
    """Which results fit GitHub's limits: every result of the classes that fit whole (highest priority first), and
    the first ones, in report order, of the class where a limit is reached."""

    def __init__(self, counts: Dict[int, int], sizes: Dict[int, int], budget: int) -> None:
        self.whole: Set[int] = set()
        self.partial: Optional[int] = None
        self.room = (0, 0)  # (results, bytes) left for the partial class
        results, size = MAX_RESULTS, budget
        for cls in sorted(counts, reverse=True):
            if self.partial is None and counts[cls] <= results and sizes[cls] <= size:
                self.whole.add(cls)
                results -= counts[cls]
                size -= sizes[cls]
            elif self.partial is None:
                self.partial, self.room = cls, (results, size)
        self.total = sum(counts.values())
        self.dropped = self.total - sum(counts[c] for c in self.whole)  # at most: part of `partial` may fit
        self.classes = [_class_name(c) for c in sorted(counts, reverse=True) if c not in self.whole]

    def kept(self, items: Iterable[Any]) -> Iterable[Any]:
        results, size = self.room
        for item in items:
            if item is None:
                continue
            cls = _priority(item)
            if cls in self.whole:
                yield item
            elif cls == self.partial and results > 0:
                cost = _size(item)
                if cost <= size:
                    results -= 1
                    size -= cost
                    yield item

    def message(self) -> str:
        return (f"up to {self.dropped} of {self.total} results left out of this SARIF run to stay within GitHub "
                f"code scanning's limits ({MAX_RESULTS} results, {MAX_BYTES} bytes per run), lowest severities "
                f"first: {', '.join(self.classes)}; the JSON or text report has them all")

    def properties(self) -> Dict[str, Any]:
        return {"hipaa-scan/limits": {"maxResults": MAX_RESULTS, "maxBytes": MAX_BYTES, "results": self.total,
                                      "leftOutAtMost": self.dropped, "leftOutClasses": self.classes}}


def _class_name(cls: int) -> str:
    return ("" if cls >= len(SEVERITIES) else "suppressed ") + SEVERITIES[cls % len(SEVERITIES)]


def _size(item: Dict[str, Any]) -> int:
    buffer = io.StringIO()
    jsonwrite.write(buffer, item, _DEPTH, _RESULT_LEVEL)
    return len(buffer.getvalue().encode("utf-8")) + len(finding_encoder.separator)


def _fit(results: Callable[[], Iterable[Any]], budget: int) -> _Fit:
    """A sizing pass over the results: their count and encoded size per priority class."""
    counts: Dict[int, int] = {}
    sizes: Dict[int, int] = {}
    for item in results():
        if item is None:
            continue
        cls = _priority(item)
        counts[cls] = counts.get(cls, 0) + 1
        sizes[cls] = sizes.get(cls, 0) + _size(item)
    return _Fit(counts, sizes, budget)


FRAME_BYTES = 1_000_000  # room left for the run's frame: rule descriptors, notifications, properties


def _warn(line: str) -> None:
    """One line on stderr: the report goes to stdout or --output, and a CI log must show what was left out."""
    from hipaa_scan.visible import visible

    sys.stderr.write("hipaa-scan: warning: " + visible(line) + "\n")
    sys.stderr.flush()


def rule_index(rules: Iterable[RuleMeta]) -> Dict[str, int]:
    """Each rule's place in the run's rules array (sorted by id): a result's ruleIndex."""
    return {rule_id: i for i, rule_id in enumerate(sorted(m.id for m in rules))}


def result_dict(f, index: Dict[str, int], artifact_paths: Optional[Dict[str, str]] = None,
                artifact_lines: Optional[Dict[str, Dict[str, int]]] = None,
                root: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """One finding as a SARIF result object. Built directly, in the property order and with the omissions that
    sarif-om's Result would serialise to (tests/test_reports.py compares the two): going through sarif-om objects
    for every result cost more than the rest of a large scan."""
    target = artifact_paths.get(f.location.path, f.location.path) if artifact_paths else f.location.path
    loc = _uri(target, root)
    if loc["uri"] is None:
        return None  # outside the repository root: sarif_dict reports it
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
    props: Dict[str, Any] = {"severity": f.severity, "security-severity": SECURITY_SEVERITY[f.severity],
                             "confidence": f.confidence, "hipaa": list(f.hipaa), "resource": f.resource}
    if f.evidence:
        props["evidence"] = f.evidence
    out: Dict[str, Any] = {"message": {"text": f.message}, "level": LEVEL[f.severity], "locations": [location],
                           "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint}, "properties": props,
                           "ruleId": f.rule_id}
    rule = index.get(f.rule_id, -1)
    if rule != -1:
        out["ruleIndex"] = rule
    if f.suppression is not None:
        # status (SARIF 2.1.0; sarif-om still knows it by its draft name, state): a suppressed alert is closed
        out["suppressions"] = [{"kind": "inSource" if f.suppression.kind == "inline" else "external",
                                "justification": f.suppression.justification, "status": "accepted"}]
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
