"""The command line as users run it: exit codes, formats, selection, errors as one line."""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

BAD_COMPOSE = """services:
  cache:
    image: redis:7.2
    ports: ["6379:6379"]
"""
LOW_ONLY = """services:
  web:
    image: nginx:1.27
    user: "101"
"""


def run(*args, cwd=None, env=None):
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("NO_COLOR", None) if env is None else None
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=full_env, timeout=60)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "compose.yaml").write_text(BAD_COMPOSE)
    return tmp_path


def test_exit_1_on_findings_at_fail_on(project):
    proc = run("scan", ".", cwd=project)
    assert proc.returncode == 1
    assert "HS501" in proc.stdout and "compose.yaml:4" in proc.stdout


def test_fail_on_never_and_critical(project):
    assert run("scan", ".", "--fail-on", "never", cwd=project).returncode == 0
    assert run("scan", ".", "--fail-on", "critical", cwd=project).returncode == 0


def test_exit_0_when_only_low_findings(tmp_path):
    (tmp_path / "compose.yaml").write_text(LOW_ONLY)
    proc = run("scan", str(tmp_path))
    assert proc.returncode == 0
    assert "HS304" in proc.stdout


def test_quiet_prints_nothing_when_clean(tmp_path):
    (tmp_path / "compose.yaml").write_text(LOW_ONLY)
    proc = run("scan", "-q", str(tmp_path))
    assert proc.returncode == 0
    assert proc.stdout == ""


def test_quiet_prints_only_blocking_findings(project):
    proc = run("scan", "-q", ".", cwd=project)
    assert proc.returncode == 1
    assert "HS501" in proc.stdout and "HS304" not in proc.stdout and "safeguard" not in proc.stdout


def test_select_and_ignore(project):
    out = json.loads(run("scan", ".", "--format", "json", "--select", "HS5", cwd=project).stdout)
    assert {f["rule_id"] for f in out["findings"]} == {"HS501"}
    out = json.loads(run("scan", ".", "--format", "json", "--ignore", "HS501,missing-resource-limits",
                         cwd=project).stdout)
    ids = {f["rule_id"] for f in out["findings"]}
    assert "HS501" not in ids and "HS304" not in ids and "HS403" in ids


def test_exclude(project):
    sub = project / "vendor-copy"
    sub.mkdir()
    (sub / "compose.yaml").write_text(BAD_COMPOSE)
    out = json.loads(run("scan", ".", "--format", "json", "--exclude", "vendor-copy", cwd=project).stdout)
    assert {f["location"]["path"] for f in out["findings"]} == {"compose.yaml"}


def test_missing_path_is_exit_2_and_the_rest_is_scanned(project):
    proc = run("scan", "compose.yaml", "nope.yaml", "--format", "json", cwd=project)
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert out["errors"] == [{"path": "nope.yaml", "kind": "io", "message": "no such file or directory"}]
    assert any(f["rule_id"] == "HS501" for f in out["findings"])


def test_unparseable_file_is_one_error_line(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  a: [\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nUSER root\n")  # (no release for HS307 to date)
    proc = run("scan", str(tmp_path), "--no-color")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    # the report on stdout; the error on stderr (counted), before the summary line that ends stdout
    assert "HS101" in proc.stdout and "compose.yaml" not in proc.stdout.replace("Dockerfile", "")
    assert proc.stdout.rstrip().splitlines()[-1].endswith(", 1 error")
    assert proc.stderr.splitlines() == [
        "hipaa-scan: 1 error:",
        f"  error: {tmp_path}/compose.yaml: did not find expected node content at line 3, column 1"]


def test_usage_error_exit_2():
    proc = run("scan", "--format", "xml")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_output_file_and_deterministic(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("reports")  # not in the scanned tree, whose skipped files the record counts
    out1, out2 = outside / "a.json", outside / "b.json"
    # the run record's times are the only difference between two runs; SOURCE_DATE_EPOCH fixes them
    epoch = {"SOURCE_DATE_EPOCH": "1767225600"}
    run("scan", ".", "--format", "json", "-o", str(out1), cwd=project, env=epoch)
    run("scan", ".", "--format", "json", "-o", str(out2), cwd=project, env=epoch)
    assert out1.read_text() == out2.read_text()
    recorded = json.loads(out1.read_text())["run"]
    assert recorded["started"] == recorded["ended"] == "2026-01-01T00:00:00Z"
    assert json.loads(out1.read_text())["findings"]


def test_no_color_when_not_a_terminal(project):
    proc = run("scan", ".", cwd=project)
    assert "\x1b[" not in proc.stdout


def test_rules_and_explain():
    proc = run("rules")
    assert proc.returncode == 0
    assert "HS101" in proc.stdout and "root-user" in proc.stdout
    catalog = json.loads(run("rules", "--format", "json").stdout)
    assert len(catalog) == len({r["id"] for r in catalog}) >= 23
    assert all(r["hipaa"] and r["remediation"] for r in catalog)
    page = run("explain", "HS501").stdout
    assert page.startswith("# HS501 datastore-port-published") and "164.312(e)(1)" in page
    assert run("explain", "datastore-port-published").stdout == page
    bad = run("explain", "HS999")
    assert bad.returncode == 2 and "no rule" in bad.stderr


def test_version_and_help():
    from hipaa_scan import __version__

    assert __version__ in run("--version").stdout
    help_text = run("scan", "--help").stdout
    for option in ("--format", "--output", "--fail-on", "--select", "--ignore", "--exclude", "--rules-dir",
                   "--no-color", "--quiet"):
        assert option in help_text


def test_rules_dir_adds_a_declarative_rule(tmp_path, project):
    rules = tmp_path / "myrules"
    rules.mkdir()
    (rules / "ACME001.yaml").write_text(
        "id: ACME001\nname: redis-image\nseverity: info\nconfidence: high\nhipaa: ['164.312(a)(1)']\n"
        "sources: [compose]\nsummary: s\ndescription: d\nremediation: r\nmessage: '{resource} has {name}'\n"
        "match:\n  - env: {name: '^NEVER$'}\n  - command: 'redis-server'\n")
    (project / "compose.yaml").write_text(BAD_COMPOSE.replace("ports:", "command: redis-server\n    ports:"))
    out = json.loads(run("scan", ".", "--format", "json", "--rules-dir", str(rules), "--select", "ACME",
                         cwd=project).stdout)
    assert [(f["rule_id"], f["location"]["line"]) for f in out["findings"]] == [("ACME001", 4)]


def test_rules_dir_rejects_unknown_keys(tmp_path, project):
    rules = tmp_path / "myrules"
    rules.mkdir()
    (rules / "ACME002.yaml").write_text(
        "id: ACME002\nname: x\nseverity: info\nconfidence: high\nhipaa: ['164.312(a)(1)']\nsources: [compose]\n"
        "summary: s\ndescription: d\nremediation: r\nmessage: m\nmatch: [{command: x}]\nsevirity: high\n")
    proc = run("scan", ".", "--rules-dir", str(rules), cwd=project)
    assert proc.returncode == 2
    assert "sevirity" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
