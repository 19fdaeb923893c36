"""The report registry (report.REPORTERS) is the one format list: the --format choices, the path scan, the live
command, live.render and the evidence writer all take their formats from it. And the evidence folder's own check
(live.evidence.verify), which write_evidence runs before it publishes a folder."""

import json
import os
import re
import subprocess
import sys

import pytest

from hipaa_scan import live, report
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.live import evidence as ev

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join("fixtures", "demo-stack")
INSPECT = os.path.join("fixtures", "live", "inspect.json")
INFO = os.path.join("fixtures", "live", "info.json")
EXPECTED_LIVE = json.load(open(os.path.join(ROOT, "fixtures", "live", "expected.json"), encoding="utf-8"))


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _choices(command):
    (option,) = [p for p in command.params if p.name == "fmt"]
    return list(option.type.choices)


def test_format_choices_are_the_registry():
    assert report.names() == ["text", "json", "sarif", "markdown", "html"]
    from hipaa_scan import commands, options

    assert options.FORMATS is report.FORMATS
    assert _choices(commands.scan) == report.names("scan")
    assert _choices(commands.live) == report.names("live")
    for name in report.names():
        assert options.parse_fast(["scan", "--format", name, "x"])["fmt"] == name
    assert options.parse_fast(["scan", "--format", "xml", "x"]) is None  # left to click, which refuses it
    for name in report.names():
        assert report.get(name).name == name
        assert report.get(name).renders == frozenset({"scan", "live"})


def test_importing_the_registry_imports_no_format_module():
    code = ("import sys\nimport hipaa_scan.report as r\nr.names()\nr.get('sarif').renders\n"
            "print(sorted(m for m in sys.modules if m.startswith('hipaa_scan.report.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_reporter_exposes_its_modules_finding_encoder():
    from hipaa_scan.report import jsonfmt, sarif

    assert report.get("json").finding_encoder is jsonfmt.finding_encoder
    assert report.get("sarif").finding_encoder is sarif.finding_encoder
    assert report.get("text").finding_encoder is None


def _run(argv, tmp_path, name):
    out = tmp_path / name
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", *argv, "--no-color", "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    return proc.returncode, out.read_text(encoding="utf-8"), proc.stderr


def _without_record(fmt, text):
    """A report without its run record (times, operator, configuration: what the command line records and a library
    caller's render does not), to compare the command line's report with the library's."""
    if fmt == "json":
        data = json.loads(text)
        del data["run"]
        return data
    if fmt == "sarif":
        data = json.loads(text)
        data["runs"][0].pop("properties", None)
        for key in ("startTimeUtc", "endTimeUtc", "workingDirectory"):
            data["runs"][0]["invocations"][0].pop(key, None)
        return data
    if fmt == "markdown":
        return re.sub(r"## Run record\n\n.*?\n\n", "", text, flags=re.S)
    if fmt == "html":  # the findings by safeguard, errors and notes (the run record also decides control statuses)
        return text[text.index('<section id="findings">'):]
    # the text reports' header (its lines up to a blank one) and the live text report's first line's time
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
    return re.sub(r"^hipaa-scan \S+ (scan|live), .*?\n\n", "", stamp.sub("TIME", text), count=1, flags=re.S | re.M)


def _rule_ids(fmt, text):
    if fmt == "json":
        return sorted({f["rule_id"] for f in json.loads(text)["findings"]})
    if fmt == "sarif":
        log = json.loads(text)
        assert log["version"] == "2.1.0"
        return sorted({r["ruleId"] for r in log["runs"][0]["results"]})
    if fmt == "markdown":  # the findings tables' rows: | SEVERITY | ID name | ...
        return sorted(set(re.findall(r"^\| (?:CRITICAL|HIGH|MEDIUM|LOW|INFO) \| (\S+) ", text, re.M)))
    if fmt == "html":  # each finding is one <article> in full
        return sorted(set(re.findall(r'<article class="[^"]*" id="finding-\d+" data-rule="([^"]+)"', text)))
    return None


@pytest.mark.parametrize("fmt", report.names("scan"))
def test_every_format_renders_the_demo_stack_scan(fmt, tmp_path):
    code, text, err = _run(["scan", DEMO, "--format", fmt], tmp_path, f"demo.{fmt}")
    assert code == 1 and err == ""
    result = scan_paths([DEMO], ScanOptions())
    assert _without_record(fmt, text) == _without_record(fmt, report.get(fmt).render(result, color=False,
                                                                                    fail_on="high"))
    expected = sorted({f.rule_id for f in result.findings if not f.suppressed})
    assert {"HS101", "HS401", "HS501"} <= set(expected)
    if fmt == "text":
        assert "fixtures/demo-stack/compose.yaml\n" in text and "HS501" in text
    else:
        assert sorted(set(_rule_ids(fmt, text)) - {f.rule_id for f in result.findings if f.suppressed}) == expected


@pytest.mark.parametrize("fmt", report.names("live"))
def test_every_format_renders_the_offline_live_input(fmt, tmp_path):
    code, text, err = _run(["live", "--from-inspect", INSPECT, "--from-info", INFO, "--format", fmt], tmp_path,
                           f"live.{fmt}")
    assert code == 1 and err == ""
    run = live.analyse_files([INSPECT], INFO, live.Selection())
    result = live.scan(run, ScanOptions())
    rendered = live.render(result, run, fmt)
    if fmt == "sarif":
        assert json.loads(text)["runs"][0]["results"] == json.loads(rendered)["runs"][0]["results"]
    else:  # the same but for the run record
        assert _without_record(fmt, text) == _without_record(fmt, rendered)
    containers = sorted(EXPECTED_LIVE)
    if fmt == "text":
        assert all(name in text for name in containers) and "Findings by HIPAA safeguard (45 CFR)" in text
    else:
        wanted = sorted({rule for rules in EXPECTED_LIVE.values() for rule in rules})
        assert set(wanted) <= set(_rule_ids(fmt, text))


def _offline_evidence(tmp_path, name="evidence"):
    run = live.analyse_files([INSPECT], INFO, live.Selection())
    result = live.scan(run, ScanOptions())
    return live.write_evidence(str(tmp_path / name), run, result), run, result


def test_the_evidence_folder_keeps_a_report_per_registered_format_and_verifies(tmp_path):
    evidence, run, result = _offline_evidence(tmp_path)
    files = sorted(os.listdir(evidence.folder))
    assert [f for f in files if f.startswith("report.")] == ["report.html", "report.json", "report.md",
                                                             "report.sarif", "report.txt"]
    manifest = json.load(open(os.path.join(evidence.folder, "manifest.json"), encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    assert {"report.html", "report.json", "report.md", "report.sarif", "report.txt"} <= listed
    assert ev.verify(evidence.folder) == []
    text = open(os.path.join(evidence.folder, "report.txt"), encoding="utf-8").read()
    assert text == report.get("text").render(result, run, color=False)


def test_a_format_added_to_the_registry_reaches_the_evidence_folder(tmp_path, monkeypatch):
    """Adding a format is one module and one registry line: the evidence writer then keeps its report too."""
    import types

    module = types.ModuleType("hipaa_scan.report.tally")
    module.write = lambda result, handle, **_: handle.write(f"{len(list(result.findings))} findings\n")
    monkeypatch.setitem(sys.modules, "hipaa_scan.report.tally", module)
    monkeypatch.setitem(report.REPORTERS, "tally", report.Format("tally", "tally", scan="tally", live="tally",
                                                                   evidence=True))
    evidence, _run, result = _offline_evidence(tmp_path)
    path = os.path.join(evidence.folder, "report.tally")
    assert open(path, encoding="utf-8").read() == f"{len(list(result.findings))} findings\n"
    assert "report.tally" in open(os.path.join(evidence.folder, "MANIFEST.sha256"), encoding="utf-8").read()
    assert ev.verify(evidence.folder) == []
    assert "tally" in report.names("live")


def test_a_format_that_renders_no_live_result_is_refused_by_name():
    fmt = report.Format("scanonly", "x", scan="text")
    assert fmt.renders == frozenset({"scan"})
    with pytest.raises(ValueError, match="does not render a live result"):
        fmt.module("live")


# --- verify ------------------------------------------------------------------------------------------------


@pytest.fixture
def bundle(tmp_path):
    return _offline_evidence(tmp_path)[0].folder


def _manifest(folder):
    return open(os.path.join(folder, "MANIFEST.sha256"), encoding="utf-8").read()


def test_verify_names_a_changed_a_missing_and_an_unlisted_file(bundle):
    with open(os.path.join(bundle, "report.txt"), "a", encoding="utf-8") as handle:
        handle.write("edited\n")
    os.unlink(os.path.join(bundle, "manifest.json"))
    with open(os.path.join(bundle, "containers", "planted.json"), "w", encoding="utf-8") as handle:
        handle.write("{}\n")
    assert sorted(ev.verify(bundle)) == ["containers/planted.json: not in MANIFEST.sha256", "manifest.json: missing",
                                         "report.txt: changed"]


@pytest.mark.parametrize("line", ["nothash  report.txt", "0" * 64 + " report.txt", "0" * 64 + "  ../outside",
                                  "0" * 64 + "  /etc/passwd", "0" * 64 + "  containers//x", "garbage"])
def test_verify_refuses_a_malformed_manifest_line_without_reading_outside(bundle, line):
    with open(os.path.join(bundle, "MANIFEST.sha256"), "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    number = len(_manifest(bundle).splitlines())
    assert ev.verify(bundle) == [f"MANIFEST.sha256 line {number}: not `<sha256>  <relative path>`"]


def test_verify_reports_a_link_in_place_of_a_listed_file(bundle):
    target = os.path.join(bundle, "report.txt")
    os.rename(target, target + ".moved")
    os.symlink("report.txt.moved", target)
    problems = ev.verify(bundle)
    assert "report.txt: missing" in problems and "report.txt: a symbolic link" in problems
    assert "report.txt.moved: not in MANIFEST.sha256" in problems


def test_verify_without_a_manifest_is_one_line(tmp_path):
    assert ev.verify(str(tmp_path)) == ["cannot read MANIFEST.sha256: No such file or directory"]
    (tmp_path / "MANIFEST.sha256").write_bytes(b"\xff\xfe")
    assert ev.verify(str(tmp_path)) == ["cannot read MANIFEST.sha256: not UTF-8 text"]


def test_a_file_changed_on_disk_before_publishing_is_an_error_and_leaves_nothing(tmp_path, monkeypatch):
    """write_evidence checks what it wrote against the manifest before the folder is published: a file altered
    between its write and the publish (a disk fault, another program) ends the run with one line."""
    real_write = ev.EvidenceWriter.write

    def write_then_alter(self, rel, text, record=True):
        path = real_write(self, rel, text, record)
        if rel == "report.json":
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(" ")
        return path

    monkeypatch.setattr(ev.EvidenceWriter, "write", write_then_alter)
    with pytest.raises(live.LiveError) as caught:
        _offline_evidence(tmp_path)
    message = str(caught.value)
    assert "does not match its manifest: report.json: changed; nothing was left in" in message
    assert "\n" not in message
    assert not (tmp_path / "evidence").exists()
    assert [p for p in os.listdir(tmp_path) if p.startswith(".evidence")] == []
