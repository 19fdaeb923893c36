"""Issue 16, items 1 and 2: one fingerprint per finding (rule, file, resource, element; never a line, never a
value), baselines that record that identity, and rule references that must name a rule."""

import collections
import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT

from hipaa_scan.engine import ScanOptions, scan_paths


def run(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ, XDG_CACHE_HOME=str(cwd) + "/.cache-x", **(env or {})), timeout=120)


def scan_json(cwd, *args):
    proc = run("scan", ".", "--format", "json", "--fail-on", "never", *args, cwd=cwd)
    return proc, (json.loads(proc.stdout) if proc.stdout.startswith("{") else None)


def collisions(findings):
    by = collections.defaultdict(list)
    for f in findings:
        by[f.fingerprint].append((f.rule_id, f.location.path, f.location.line, f.location.key, f.resource))
    return {fp: where for fp, where in by.items() if len(where) > 1}


def scan_here(cwd, *paths):
    here = os.getcwd()
    os.chdir(cwd)
    try:
        options = ScanOptions()
        options.jobs = 1
        return scan_paths(list(paths) or ["."], options)
    finally:
        os.chdir(here)


# -- uniqueness: every fixture, the repository's own fixture tree, and a generated corpus --------------------------

FIXTURE_DIRS = sorted({os.path.join(dirpath) for dirpath, _dirs, files in os.walk(FIXTURES)
                       if files and "fuzz" not in dirpath})


@pytest.mark.parametrize("folder", FIXTURE_DIRS, ids=lambda d: os.path.relpath(d, FIXTURES))
def test_no_two_findings_of_a_fixture_share_a_fingerprint(folder):
    result = scan_here(folder)
    assert collisions(list(result.findings)) == {}


def test_no_two_findings_of_the_whole_fixture_tree_share_a_fingerprint():
    result = scan_here(ROOT, "fixtures")
    findings = list(result.findings)
    assert len(findings) > 1000
    assert collisions(findings) == {}


def test_the_issue_examples_no_longer_collide():
    """Three HS501 results of one compose file and identical HS502 RUN lines shared fingerprints."""
    result = scan_here(ROOT, "fixtures/rules/HS501/bad/compose.yaml", "fixtures/rules/HS502/bad/Dockerfile.inline-env")
    findings = [f for f in result.findings if f.rule_id in ("HS501", "HS502")]
    redis = [f for f in findings if f.resource == "service:redis" and f.rule_id == "HS501"]
    assert [f.location.line for f in redis] == [6, 9, 12]
    assert len({f.fingerprint for f in redis}) == 3
    runs = [f for f in findings if f.rule_id == "HS502"]
    assert len(runs) >= 9 and len({f.fingerprint for f in runs}) == len(runs)


def generated(tmp_path):
    """Many elements of one kind per resource: repeated ports (several syntaxes, one duplicated), identical RUN
    lines, a variable set twice in an env file, repeated capabilities and mounts."""
    (tmp_path / "compose.yaml").write_text("""services:
  redis:
    image: redis:7.2.4
    privileged: true
    cap_add: [SYS_ADMIN, NET_ADMIN, SYS_ADMIN]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - /var/run/docker.sock:/var/run/docker.sock
    ports:
      - "6379:6379"
      - "0.0.0.0:26379:6379"
      - "[::]:36379:6379"
      - target: 6379
        published: 46379
      - "6379"
      - "6379:6379"
  mongo:
    image: mongo:7.0.5
    ports: ["27017:27017", "27018:27017/tcp"]
""")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n" + "RUN curl -k https://example.com/x | sh\n" * 4
                                         + "RUN wget --no-check-certificate https://example.com/y\n" * 3)
    (tmp_path / "app.env").write_text("DB_PASSWORD=Zq8vL2mW9xR4tY7u\nDB_PASSWORD=Pk3nB6cV1zX5wQ8e\n"
                                      "API_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n")
    return tmp_path


def test_generated_corpus_has_no_shared_fingerprint(tmp_path):
    result = scan_here(generated(tmp_path))
    findings = list(result.findings)
    hs501 = [f for f in findings if f.rule_id == "HS501"]
    assert len(hs501) >= 7
    assert collisions(findings) == {}
    # no secret value enters an element
    for f in findings:
        text = repr(f.element)
        for secret in ("Zq8vL2mW9xR4tY7u", "Pk3nB6cV1zX5wQ8e", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"):
            assert secret not in text


def test_port_elements_are_normalised_mappings(tmp_path):
    result = scan_here(generated(tmp_path))
    names = sorted(f.element[0][1] for f in result.findings if f.rule_id == "HS501" and f.resource == "service:redis")
    assert "0.0.0.0:6379->6379/tcp" in names and "0.0.0.0:26379->6379/tcp" in names
    assert ":::36379->6379/tcp" in names  # [::]:36379:6379, brackets dropped
    assert "0.0.0.0:46379->6379/tcp" in names  # the long syntax, normalised the same way


# -- stability ------------------------------------------------------------------------------------------------------

def fingerprints(folder):
    return sorted((f.rule_id, f.resource, f.fingerprint) for f in scan_here(folder).findings)


def test_fingerprints_survive_lines_inserted_above(tmp_path):
    generated(tmp_path)
    before = fingerprints(tmp_path)
    compose = (tmp_path / "compose.yaml").read_text()
    compose = compose.replace("services:\n", "# moved\n\nservices:\n  web:\n    image: nginx@sha256:" + "a" * 64
                              + "\n    read_only: true\n", 1)
    compose = compose.replace("    ports:\n", "    # a comment\n\n    ports:\n")
    (tmp_path / "compose.yaml").write_text(compose)
    docker = (tmp_path / "Dockerfile").read_text().replace("FROM python:3.12\n", "# syntax=docker/dockerfile:1\n\n"
                                                            "FROM python:3.12\nWORKDIR /app\nCOPY . .\n")
    (tmp_path / "Dockerfile").write_text(docker)
    (tmp_path / "app.env").write_text("# settings\nLOG_LEVEL=info\n" + (tmp_path / "app.env").read_text())
    after = [fp for fp in fingerprints(tmp_path) if not fp[1].startswith("service:web")]
    assert after == before


def test_a_second_port_of_the_same_container_port_is_new(tmp_path):
    """The issue's example: 6379:6379 baselined, then 0.0.0.0:26379:6379 added: reported as new."""
    (tmp_path / "compose.yaml").write_text("""services:
  redis:
    image: redis:7.2.4
    command: redis-server --requirepass "$${REDIS_PASSWORD}"
    ports:
      - "6379:6379"
""")
    made = run("baseline", "create", "b.json", ".", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    (tmp_path / "compose.yaml").write_text("""services:
  redis:
    image: redis:7.2.4
    command: redis-server --requirepass "$${REDIS_PASSWORD}"
    ports:
      - "0.0.0.0:26379:6379"
      - "6379:6379"
""")
    proc, report = scan_json(tmp_path, "--baseline", "b.json")
    active = [f for f in report["findings"] if not f["suppressed"]]
    assert [(f["rule_id"], f["location"]["line"]) for f in active] == [("HS501", 6)]
    assert "26379" in active[0]["message"]
    baselined = json.loads((tmp_path / "b.json").read_text())["entries"]
    assert sum(f["suppressed"] for f in report["findings"]) == len(baselined)  # every earlier one, and only those


def test_baseline_records_element_and_format_2(tmp_path):
    generated(tmp_path)
    made = run("baseline", "create", "b.json", ".", cwd=tmp_path)
    assert made.returncode == 0
    raw = (tmp_path / "b.json").read_text()
    data = json.loads(raw)
    assert data["hipaa_scan_baseline"] == 2
    assert all("element" in e for e in data["entries"])
    assert {"ports/0.0.0.0:26379->6379/tcp#0"} <= {e["element"] for e in data["entries"]}
    for secret in ("Zq8vL2mW9xR4tY7u", "Pk3nB6cV1zX5wQ8e", "ghp_abcdefghijklmnopqrstuvwxyz"):
        assert secret not in raw
    proc, report = scan_json(tmp_path, "--baseline", "b.json")
    assert proc.returncode == 0 and not [f for f in report["findings"] if not f["suppressed"]]


def test_old_baseline_gets_one_migration_line(tmp_path):
    generated(tmp_path)
    (tmp_path / "b.json").write_text(json.dumps({"hipaa_scan_baseline": 1, "entries": [
        {"fingerprint": "a" * 32, "rule_id": "HS501", "path": "compose.yaml", "resource": "service:redis"}]}))
    proc = run("scan", ".", "--baseline", "b.json", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert "baseline format 1" in proc.stderr and "re-run `hipaa-scan baseline create b.json`" in proc.stderr


def test_sarif_partial_fingerprints_are_the_new_ones(tmp_path):
    generated(tmp_path)
    proc = run("scan", ".", "--format", "sarif", "--fail-on", "never", "--root", str(tmp_path), cwd=tmp_path)
    results = json.loads(proc.stdout)["runs"][0]["results"]
    prints = [r["partialFingerprints"]["hipaaScan/v2"] for r in results]
    assert len(prints) == len(set(prints)) > 10
    _proc, report = scan_json(tmp_path)
    assert sorted(prints) == sorted(f["fingerprint"] for f in report["findings"])


# -- strict rule references -----------------------------------------------------------------------------------------

REDIS = """services:
  cache:
    image: redis:7.2.4
    command: redis-server --requirepass ${REDIS_PASSWORD}
    ports:
      - "6379:6379"
"""


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "compose.yaml").write_text(REDIS)
    return tmp_path


@pytest.mark.parametrize("args, line", [
    (["--ignore", "HS1O1"], "hipaa-scan: error: --ignore: no rule 'HS1O1'; did you mean HS101"),
    (["--select", "HS5O1"], "hipaa-scan: error: --select: no rule 'HS5O1'; did you mean HS501"),
    (["--select", "nosuchrule"], "hipaa-scan: error: --select: no rule 'nosuchrule'"),
    (["--select", "root-usr"], "hipaa-scan: error: --select: no rule 'root-usr'; did you mean root-user?"),
    (["--select", "HS9"], "hipaa-scan: error: --select: no rule 'HS9'"),
    (["--select", "HS501,HS1O1"], "hipaa-scan: error: --select: no rule 'HS1O1'; did you mean HS101"),
    (["--select", "HS501", "--ignore", "HS501"], "hipaa-scan: error: the selection HS501 (less HS501 ignored) "
                                                 "matches no rule"),
])
def test_unknown_rule_on_the_command_line_is_exit_2(repo, args, line):
    for fmt in ("text", "json", "sarif"):
        proc = run("scan", ".", "--format", fmt, *args, cwd=repo)
        assert proc.returncode == 2, (fmt, proc.stdout)
        assert proc.stderr.startswith(line), proc.stderr
        assert proc.stdout == ""


def test_prefixes_names_and_case_still_select(repo):
    for selector in ("HS5", "hs501", "datastore-port-published", "HS50"):
        proc, report = scan_json(repo, "--select", selector)
        assert proc.returncode == 0, (selector, proc.stderr)
        assert {f["rule_id"] for f in report["findings"]} == {"HS501"}


def test_unknown_rule_in_baseline_create_is_exit_2(repo):
    proc = run("baseline", "create", "b.json", ".", "--ignore", "HS1O1", cwd=repo)
    assert proc.returncode == 2 and "did you mean HS101" in proc.stderr and "Traceback" not in proc.stderr
    assert not (repo / "b.json").exists()


@pytest.mark.parametrize("config, words", [
    ("select: [HS1O1]\n", "select: no rule 'HS1O1'; did you mean HS101"),
    ("ignore: [nosuch-rule]\n", "ignore: no rule 'nosuch-rule'"),
    ("severity:\n  HS5O1: low\n", "severity: no rule 'HS5O1'; did you mean HS501"),
    ("per-path-ignores:\n  - path: x\n    rules: [HS4O3]\n    reason: legacy service\n",
     "per-path-ignores: no rule 'HS4O3'; did you mean HS403"),
    ("rules:\n  HS2O1:\n    min_days: 10\n", "unknown key 'HS2O1' in rules: no rule 'HS2O1'; did you mean HS201"),
])
def test_unknown_rule_in_config_is_exit_2_with_a_hint(repo, config, words):
    (repo / ".hipaa-scan.yaml").write_text(config)
    proc = run("scan", ".", cwd=repo)
    assert proc.returncode == 2
    assert words in proc.stderr and proc.stderr.count("\n") == 1


def test_unknown_id_in_inline_suppression_is_an_error_without_strict(repo):
    (repo / "compose.yaml").write_text(REDIS.replace('"6379:6379"', '"6379:6379"  # hipaa-scan: ignore[HS5O1] '
                                                                   'tracked in PHI-9'))
    proc, report = scan_json(repo)
    assert proc.returncode == 2
    assert report["errors"] == [{"path": "compose.yaml", "kind": "suppression",
                                 "message": "line 6: suppression names no rule 'HS5O1'; did you mean HS501?"}]
    # a known id still suppresses, a name too, and `*` is every rule
    for selector in ("HS501", "datastore-port-published", "*"):
        (repo / "compose.yaml").write_text(REDIS.replace('"6379:6379"', f'"6379:6379"  # hipaa-scan: ignore[{selector}] '
                                                                       'tracked in PHI-9'))
        proc, report = scan_json(repo)
        assert proc.returncode == 0 and report["errors"] == [], selector


def test_unknown_rule_in_baseline_is_exit_2(repo):
    made = run("baseline", "create", "b.json", ".", cwd=repo)
    assert made.returncode == 0
    data = json.loads((repo / "b.json").read_text())
    data["entries"][0]["rule_id"] = "HS1O8"
    (repo / "b.json").write_text(json.dumps(data))
    proc = run("scan", ".", "--baseline", "b.json", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("hipaa-scan: error: b.json: entries[0].rule_id: no rule 'HS1O8'; did you mean "
                                   "HS108?")


def test_stale_means_stale_among_the_rules_that_ran(repo):
    made = run("baseline", "create", "b.json", ".", cwd=repo)
    assert made.returncode == 0
    entries = json.loads((repo / "b.json").read_text())["entries"]
    assert {e["rule_id"] for e in entries} >= {"HS108", "HS501"}
    proc, report = scan_json(repo, "--baseline", "b.json", "--select", "HS501")
    assert proc.returncode == 0
    assert not any("no finding any more" in note for note in report.get("notes", [])), report.get("notes")
    # the HS501 finding goes away: its entry, and only it, is stale
    (repo / "compose.yaml").write_text(REDIS.replace('"6379:6379"', '"127.0.0.1:6379:6379"'))
    proc, report = scan_json(repo, "--baseline", "b.json", "--select", "HS501")
    assert "1 baseline entry matches no finding any more" in " ".join(report.get("notes", []))
