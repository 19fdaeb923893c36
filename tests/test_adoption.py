"""Adoption in real repositories: configuration, justified suppressions, baselines, the pre-commit hook."""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

REDIS = """services:
  cache:
    image: redis:7.2.4
    command: redis-server --requirepass ${REDIS_PASSWORD}
    ports:
      - "6379:6379"
"""


def run(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ, XDG_CACHE_HOME=str(cwd) + "/.cache-x", **(env or {})), timeout=120)


def scan_json(cwd, *args):
    proc = run("scan", ".", "--format", "json", *args, cwd=cwd)
    return proc, json.loads(proc.stdout) if proc.stdout.startswith("{") else None


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "compose.yaml").write_text(REDIS)
    return tmp_path


# configuration ---------------------------------------------------------------------------------------------

def test_config_is_found_upward_and_applies(repo):
    (repo / ".hipaa-scan.yaml").write_text(
        "ignore: [HS108, HS110, capabilities-not-dropped, missing-resource-limits]\nseverity: {HS501: critical}\n"
        "fail-on: critical\n")
    sub = repo / "sub"
    sub.mkdir()
    (sub / "compose.yaml").write_text(REDIS)
    proc, report = scan_json(sub)
    assert proc.returncode == 1  # fail-on critical from the config, HS501 raised to critical
    assert {(f["rule_id"], f["severity"]) for f in report["findings"]} == {("HS501", "critical")}


def test_pyproject_section(repo):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.hipaa-scan]\nselect = ["HS5"]\n')
    _, report = scan_json(repo)
    assert {f["rule_id"] for f in report["findings"]} == {"HS501"}


@pytest.mark.parametrize("text,message", [
    ("selct: [HS101]\n", "unknown key 'selct'"),
    ("ignore: [HS999]\n", "no rule 'HS999'"),
    ("severity: {HS101: urgent}\n", "severity.HS101"),
    ("rules: {HS201: {min_dayz: 10}}\n", "unknown key 'min_dayz'"),
    ("per-path-ignores: [{path: legacy, rules: [HS101]}]\n", "'reason' is a required property"),
])
def test_bad_config_is_one_line_naming_the_key(repo, text, message):
    (repo / ".hipaa-scan.yaml").write_text(text)
    proc = run("scan", ".", cwd=repo)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_rule_options_from_config(repo):
    (repo / ".env").write_text("AUDIT_LOG_RETENTION_DAYS=2600\n")
    (repo / ".hipaa-scan.yaml").write_text("select: [HS201]\nrules: {HS201: {min_days: 3000}}\n")
    _, report = scan_json(repo)
    assert [(f["rule_id"], f["location"]["path"]) for f in report["findings"]] == [("HS201", ".env")]


def test_extra_datastore_from_config(repo):
    (repo / "compose.yaml").write_text("services:\n  vec:\n    image: acme/vectordb:2.1\n    ports: ['7700:7700']\n")
    (repo / ".hipaa-scan.yaml").write_text(
        "select: [HS501]\ndatastores: [{name: AcmeVector, images: [vectordb], ports: [7700]}]\n")
    _, report = scan_json(repo)
    assert [f["message"] for f in report["findings"]] == [
        'service "vec" publishes AcmeVector port 7700 on all interfaces (host port 7700)']


def test_per_path_ignore_keeps_the_reason(repo):
    (repo / ".hipaa-scan.yaml").write_text(
        "select: [HS501]\nper-path-ignores:\n  - {path: 'compose.yaml', rules: [HS501], reason: 'lab only, PHI-42'}\n")
    proc, report = scan_json(repo)
    assert proc.returncode == 0
    (finding,) = report["findings"]
    assert finding["suppressed"] and finding["suppression"] == {"kind": "config", "justification": "lab only, PHI-42"}


# inline suppressions ---------------------------------------------------------------------------------------

def test_inline_suppression_with_reason(repo):
    (repo / "compose.yaml").write_text(REDIS.replace(
        '      - "6379:6379"', '      # hipaa-scan: ignore[HS501] bound by the host firewall, ticket SEC-9\n'
                              '      - "6379:6379"'))
    proc, report = scan_json(repo, "--select", "HS501")
    assert proc.returncode == 0
    (finding,) = report["findings"]
    assert finding["suppression"] == {"kind": "inline", "justification": "bound by the host firewall, ticket SEC-9"}
    sarif = json.loads(run("scan", ".", "--format", "sarif", "--select", "HS501", cwd=repo).stdout)
    assert sarif["runs"][0]["results"][0]["suppressions"] == [
        {"kind": "inSource", "justification": "bound by the host firewall, ticket SEC-9", "status": "accepted"}]
    text = run("scan", ".", "--select", "HS501", cwd=repo).stdout
    findings = text.split("\n\n", 1)[1].split("HIPAA controls (45 CFR Part 164)")[0]  # after the run record
    assert "HS501" not in findings and "1 suppressed" in text
    shown = run("scan", ".", "--select", "HS501", "--show-suppressed", cwd=repo).stdout
    assert "suppressed: bound by the host firewall" in shown


def test_inline_suppression_on_the_same_line_and_by_name(repo):
    (repo / ".env").write_text("API_TOKEN=abcd1234efgh5678 # hipaa-scan: ignore[plaintext-secret] test token\n")
    _, report = scan_json(repo, "--select", "HS401")
    assert [f["suppressed"] for f in report["findings"]] == [True]


def test_missing_thing_suppressed_on_from_line(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "# hipaa-scan: ignore[HS101,HS303] lab image for the training sandbox, never deployed\n"
        "FROM python:3.12.4-slim\n")
    proc, report = scan_json(tmp_path)
    assert proc.returncode == 0
    assert all(f["suppressed"] for f in report["findings"]) and len(report["findings"]) == 2


def test_suppression_without_reason_does_not_suppress(repo):
    (repo / "compose.yaml").write_text(REDIS.replace('      - "6379:6379"', '      - "6379:6379" # hipaa-scan: ignore[HS501]'))
    proc, report = scan_json(repo, "--select", "HS501")
    assert proc.returncode == 2
    assert report["findings"][0]["suppressed"] is False
    assert report["errors"][0]["kind"] == "suppression" and "no reason" in report["errors"][0]["message"]


def test_strict_reports_unused_suppressions(repo):
    (repo / "compose.yaml").write_text("# hipaa-scan: ignore[HS102] nothing privileged here\n" + REDIS)
    assert run("scan", ".", "--select", "HS102", cwd=repo).returncode == 0
    proc, report = scan_json(repo, "--select", "HS102", "--strict")
    assert proc.returncode == 2 and "unused suppression of HS102" in report["errors"][0]["message"]


# baselines -------------------------------------------------------------------------------------------------

def test_baseline_hides_known_findings_and_shows_new_ones(repo):
    (repo / ".env").write_text("DB_PASSWORD=Sup3rS3cretPassw0rd\n")
    proc = run("baseline", "create", "baseline.json", ".", "--reason", "legacy, tracked in PHI-7", "--owner",
               "platform", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    raw = (repo / "baseline.json").read_text()
    assert "Sup3rS3cretPassw0rd" not in raw
    entries = json.loads(raw)["entries"]
    assert {e["rule_id"] for e in entries} >= {"HS401", "HS501"}
    assert set(entries[0]) == {"fingerprint", "rule_id", "path", "resource", "element", "reason", "owner"}

    # edits above the findings do not break the baseline; a new finding shows
    (repo / "compose.yaml").write_text("# header\n# more\n" + REDIS + "  web:\n    image: nginx\n")
    proc, report = scan_json(repo, "--baseline", "baseline.json")
    active = [f for f in report["findings"] if not f["suppressed"]]
    assert {f["rule_id"] for f in active} <= {"HS301", "HS108", "HS110", "HS111", "HS304", "HS101"}  # HS101: nginx runs as root
    assert any(f["rule_id"] == "HS301" and f["resource"] == "service:web" for f in active)
    hidden = [f for f in report["findings"] if f["suppressed"]]
    assert hidden and hidden[0]["suppression"]["justification"] == "legacy, tracked in PHI-7; owner platform"


def test_baseline_expiry_and_stale_entries(repo):
    run("baseline", "create", "old.json", ".", "--expires", "2000-01-01", cwd=repo)
    proc, report = scan_json(repo, "--baseline", "old.json")
    assert not any(f["suppressed"] for f in report["findings"])
    (repo / "compose.yaml").write_text("services:\n  cache:\n    image: redis:7.2\n")
    run("baseline", "create", "b.json", ".", cwd=repo)
    (repo / "compose.yaml").write_text("services: {}\n")
    text = run("scan", ".", "--baseline", "b.json", cwd=repo).stderr  # notes go to stderr in text mode (issue 16)
    assert "match no finding any more" in text


def test_bad_baseline_is_one_line(repo):
    (repo / "b.json").write_text("{not json")
    proc = run("scan", ".", "--baseline", "b.json", cwd=repo)
    assert proc.returncode == 2 and "not a readable baseline" in proc.stderr


# pre-commit ------------------------------------------------------------------------------------------------

def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
                            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org"))


def test_pre_commit_hook_blocks_bad_and_passes_good(tmp_path):
    """Real pre-commit from PyPI (a test dependency) installs this checkout as a hook repository."""
    repo = tmp_path / "app"
    repo.mkdir()
    _git(repo, "init", "-q")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pc-home"))

    def try_repo(*files):
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", ROOT, "hipaa-scan", "--files", *files],
                              cwd=repo, capture_output=True, text=True, env=env, timeout=600)

    (repo / "compose.yaml").write_text(REDIS)
    (repo / "README.md").write_text("not scanned\n")
    _git(repo, "add", ".")
    bad = try_repo("compose.yaml", "README.md")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "HS501" in bad.stdout and "Failed" in bad.stdout

    (repo / "compose.yaml").write_text(REDIS.replace('"6379:6379"', '"127.0.0.1:6379:6379"'))
    _git(repo, "add", ".")
    good = try_repo("compose.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


def test_hook_files_pattern_matches_what_the_scanner_reads():
    import re

    import yaml

    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml")) as handle:
        (hook,) = yaml.safe_load(handle)
    pattern = re.compile(hook["files"])
    for path in ("Dockerfile", "svc/Dockerfile.prod", "api.Dockerfile", "Containerfile", "compose.yaml",
                 "deploy/docker-compose.prod.yml", ".env", "cfg/.env.local", "secrets.env"):
        assert pattern.search(path), path
    for path in ("README.md", "src/app.py", ".github/workflows/ci.yml", "environment.yaml"):
        assert not pattern.search(path), path
