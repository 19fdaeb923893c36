"""Issue 16, items 4 and 8: every exit 2 explains itself on stderr, in every format; text mode's errors and notes
on stderr, grouped and counted, the summary last; and the conventions users of other linters expect: stdin, `-o -`,
FORCE_COLOR / NO_COLOR, `baseline:` in the configuration, `--format github|gitlab|junit`."""

import json
import os
import subprocess
import sys
from xml.etree import ElementTree

import jsonschema
import pytest

from conftest import ROOT
from hipaa_scan import report
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.report.github import escape_data, escape_property

DEMO = os.path.join(ROOT, "fixtures", "demo-stack")
SCHEMA = os.path.join(ROOT, "src", "hipaa_scan", "schemas", "gitlab-codequality.schema.json")
ANSI = "\x1b["


def run(*args, cwd, stdin=None, env=None):
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=full, timeout=120)


@pytest.fixture
def broken(tmp_path):
    """A tree with two files that cannot be parsed and one finding."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "compose.yaml").write_text("services:\n  a: [\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text("RUN echo no FROM\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    return tmp_path


ERRORS = ["hipaa-scan: 2 errors:", "  error: a/compose.yaml: did not find expected node content at line 3, column 1",
          "  error: b/Dockerfile: no FROM instruction"]


# ---- never silent ----

@pytest.mark.parametrize("fmt", report.names("scan"))
@pytest.mark.parametrize("extra", [(), ("-q",), ("--output", "out.report"), ("-q", "--output", "out.report")])
def test_every_exit_2_names_each_error_on_stderr(broken, fmt, extra):
    """The documented CI step (`--format sarif --output ... --fail-on never`) among them: exit 2 is never silent."""
    proc = run("scan", ".", "--format", fmt, "--fail-on", "never", "--no-color", *extra, cwd=broken)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[:3] == ERRORS, proc.stderr
    if "--output" in extra:
        assert proc.stdout == "" and (broken / "out.report").stat().st_size > 0


def test_text_mode_errors_and_notes_go_to_stderr_grouped_and_counted_the_summary_last(tmp_path):
    refs = "\n".join(f"      V{i}: ${{{'ALPHA' if i % 3 else 'BETA'}}}" for i in range(264))
    # a user set (no "user not determined" note) and an image no end-of-life table dates: the notes are the variables'
    (tmp_path / "compose.yaml").write_text(f"services:\n  web:\n    image: example/web:1.0\n    user: \"101\"\n"
                                           f"    environment:\n{refs}\n")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "Dockerfile").write_text("RUN true\n")
    proc = run("scan", ".", "--no-color", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "hipaa-scan: 1 error:",
        "  error: bad/Dockerfile: no FROM instruction",
        "hipaa-scan: 264 notes, 2 kinds:",
        "  warning: variable ALPHA is not set and has no default; the reference is kept as written (176 times: "
        "compose.yaml:7, compose.yaml:8, compose.yaml:10 and 173 more places)",
        "  warning: variable BETA is not set and has no default; the reference is kept as written (88 times: "
        "compose.yaml:6, compose.yaml:9, compose.yaml:12 and 85 more places)"]
    assert "warning" not in proc.stdout and "error " not in proc.stdout
    assert proc.stdout.rstrip("\n").splitlines()[-1].endswith(", 1 error")  # the summary ends the report


def test_quiet_text_keeps_errors_on_stderr_and_drops_notes(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:${TAG}\n    user: \"101\"\n")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "compose.yaml").write_text("services: [\n")
    proc = run("scan", "-q", ".", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines()[0] == "hipaa-scan: 1 error:" and "warning" not in proc.stderr
    proc = run("scan", ".", "--no-color", cwd=tmp_path)
    assert "  warning: compose.yaml:3: variable TAG is not set and has no default; the reference is kept as written" \
        in proc.stderr.splitlines()


# ---- --format github ----

def test_github_escaping_follows_the_runner_rules():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotations_one_line_per_finding_whatever_the_text(tmp_path, monkeypatch):
    odd = "we,ird:name.env"
    (tmp_path / odd).write_text("DB_PASSWORD=Zx9!uQ2#rT7vW4pL\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\nLABEL note=\"a\\nb\"\n")
    monkeypatch.chdir(tmp_path)
    result = scan_paths(["."], ScanOptions())
    text = report.get("github").render(result)
    lines = text.splitlines()
    active = [f for f in result.findings if not f.suppressed]
    assert len(lines) == len(active)
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    assert any(line.startswith("::error file=we%2Cird%3Aname.env,line=1,title=HS401 plaintext-secret::")
               for line in lines), text
    assert "Zx9!uQ2#rT7vW4pL" not in text
    assert "::error file=Dockerfile,line=2,title=HS101 root-user::" in text


# ---- --format gitlab ----

def test_gitlab_code_quality_validates_against_the_spec_schema(in_root):
    with open(SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    result = scan_paths([DEMO], ScanOptions())
    issues = json.loads(report.get("gitlab").render(result))
    jsonschema.validate(issues, schema)
    active = [f for f in result.findings if not f.suppressed]
    assert len(issues) == len(active) > 10
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == \
        [(f.rule_id, f.location.path, f.location.line or 1) for f in active]
    severities = {f.severity: i["severity"] for f, i in zip(active, issues)}
    assert severities["high"] == "critical" and severities["low"] == "minor"
    assert json.loads(report.get("gitlab").render(scan_paths([], ScanOptions()))) == []
    jsonschema.validate([], schema)
    with pytest.raises(jsonschema.ValidationError):  # the schema can fail: GitLab's severity names only
        jsonschema.validate([dict(issues[0], severity="high")], schema)


# ---- --format junit ----

def test_junit_parses_back_one_testcase_per_finding(tmp_path, monkeypatch):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n"
                                         "# hipaa-scan: ignore[HS101] the entrypoint drops to uid 1000, SEC-1\n"
                                         "USER root\n")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "compose.yaml").write_text("services: [\n")
    (tmp_path / "y\x1bz.env").write_text("DB_PASSWORD=Zx9!uQ2#rT7vW4pL\n")
    monkeypatch.chdir(tmp_path)
    result = scan_paths(["."], ScanOptions())
    root = ElementTree.fromstring(report.get("junit").render(result))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    active = [f for f in result.findings if not f.suppressed]
    suppressed = [f for f in result.findings if f.suppressed]
    assert int(suite.get("tests")) == len(cases) == len(result.findings) + len(result.errors)
    assert int(suite.get("failures")) == len([c for c in cases if c.find("failure") is not None]) == len(active)
    assert int(suite.get("skipped")) == len(suppressed) >= 1
    assert int(suite.get("errors")) == 1
    [error] = [c for c in cases if c.find("error") is not None]
    assert error.get("classname") == "x/compose.yaml"
    root_case = next(c for c in cases if c.get("name") == "HS101 root-user (line 3)")
    assert root_case.get("classname") == "Dockerfile" and root_case.find("skipped") is not None
    assert root_case.find("skipped").get("message").startswith("suppressed: the entrypoint drops to uid 1000")
    failure = next(c for c in cases if c.find("failure") is not None).find("failure")
    assert failure.get("type") in ("critical", "high", "medium", "low", "info") and failure.get("message")
    assert any("y\\x1bz.env" in (c.get("classname") or "") for c in cases)  # a control character shown, XML valid
    clean = ElementTree.fromstring(report.get("junit").render(scan_paths([], ScanOptions())))
    assert [c.get("name") for c in clean.iter("testcase")] == ["hipaa-scan"]


# ---- stdin, -o -, colour ----

@pytest.mark.parametrize("name, text, rule, line", [
    ("Dockerfile", "FROM alpine:3.20\nUSER root\n", "HS101", 2),
    ("deploy/api.Dockerfile", "FROM alpine:3.20\nUSER root\n", "HS101", 2),
    ("compose.yaml", "services:\n  db:\n    image: postgres:16.3\n    privileged: true\n", "HS102", 4),
    (".env", "AWS_SECRET_ACCESS_KEY=Zk3pQ9rT2vW8xY1bN4mC6dF0gH5jK7lP2sA9eR3t\n", "HS401", 1),
])
def test_stdin_is_judged_as_the_named_file(tmp_path, name, text, rule, line):
    proc = run("scan", "-", "--stdin-filename", name, "--format", "json", cwd=tmp_path, stdin=text)
    found = [(f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in json.loads(proc.stdout)["findings"]]
    assert (rule, name, line) in found
    assert proc.returncode == 1 and not any(tmp_path.iterdir())  # nothing written


def test_stdin_misuse_is_one_line_and_exit_2(tmp_path):
    proc = run("scan", "-", cwd=tmp_path, stdin="just text\n")
    assert proc.returncode == 2
    assert "error: -: not a Dockerfile, compose file or env file (name it with --stdin-filename)" in proc.stderr
    proc = run("scan", "-", "--stdin-filename", "Dockerfile", cwd=tmp_path,
               stdin="FROM alpine:3.20\nUSER 1000\nHEALTHCHECK CMD true\n")
    assert proc.returncode == 0, proc.stdout  # (low findings only)
    assert run("scan", "-", ".", cwd=tmp_path, stdin="").stderr.startswith("hipaa-scan: error: `-` (stdin)")
    assert run("scan", "--stdin-filename", "Dockerfile", ".", cwd=tmp_path).returncode == 2
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "-", "--stdin-filename", "x.env"],
                          cwd=tmp_path, input=b"A=\xff\xfe\n", capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == b"hipaa-scan: error: `-`: standard input is not valid UTF-8; not scanned\n"


def test_output_dash_is_stdout(broken):
    fixed = {"SOURCE_DATE_EPOCH": "1767225600"}  # the run record's times, the same in both runs
    plain = run("scan", ".", "--format", "json", cwd=broken, env=fixed)
    dash = run("scan", ".", "--format", "json", "-o", "-", cwd=broken, env=fixed)
    assert dash.stdout == plain.stdout and json.loads(dash.stdout)["findings"]
    assert not (broken / "-").exists()


@pytest.mark.parametrize("env, args, coloured", [
    ({}, (), False),  # not a terminal
    ({"FORCE_COLOR": "1"}, (), True),
    ({"FORCE_COLOR": "1"}, ("-o", "-"), True),
    ({"FORCE_COLOR": "0"}, (), False),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, (), False),
    ({"FORCE_COLOR": "1"}, ("--no-color",), False),
])
def test_force_color_and_no_color(tmp_path, env, args, coloured):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    proc = run("scan", ".", *args, cwd=tmp_path, env=env)
    assert proc.returncode == 1 and (ANSI in proc.stdout) is coloured


def test_force_color_never_colours_a_report_file(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    run("scan", ".", "-o", str(tmp_path / "r.txt"), cwd=tmp_path, env={"FORCE_COLOR": "1"})
    assert ANSI not in (tmp_path / "r.txt").read_text()


# ---- baseline: in the configuration ----

def test_baseline_key_in_the_configuration(tmp_path):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    (tmp_path / "policy").mkdir()
    made = run("baseline", "create", "policy/accepted.json", ".", "--reason", "legacy image", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    (tmp_path / ".hipaa-scan.yaml").write_text("baseline: policy/accepted.json\n")
    proc = run("scan", ".", "--format", "json", cwd=tmp_path)
    out = json.loads(proc.stdout)
    assert proc.returncode == 0 and out["findings"] and all(f["suppressed"] for f in out["findings"])
    # from a subfolder the key still names the file beside the configuration (it is read, not "missing")
    proc = run("scan", ".", "--format", "json", cwd=tmp_path / "svc")
    assert proc.returncode != 2 and str(tmp_path / "policy" / "accepted.json") in proc.stdout
    (tmp_path / "empty").mkdir()
    assert run("baseline", "create", "other.json", "empty", cwd=tmp_path).returncode == 0
    proc = run("scan", ".", "--format", "json", "--baseline", "other.json", cwd=tmp_path)  # the command line wins
    assert proc.returncode == 1
    (tmp_path / ".hipaa-scan.yaml").write_text("baseline: missing.json\n")
    proc = run("scan", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "missing.json" in proc.stderr
    assert run("scan", ".", "--no-config", cwd=tmp_path).returncode == 1
