"""Issue 17, items 3 and 4: the run record in every report, and the control-by-control view whose rows never
disappear (runrecord.py, controls.py; JSON `run` and `controls`, SARIF invocation and run properties, text header
and control summary, the evidence manifest)."""

import hashlib
import json
import os
import subprocess
import sys

import jsonschema
import pytest

from hipaa_scan import controls, hipaa
from hipaa_scan.runrecord import git_commit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "fixtures", "demo-stack")
INSPECT = os.path.join(ROOT, "fixtures", "live", "inspect.json")
INFO = os.path.join(ROOT, "fixtures", "live", "info.json")
SCHEMA = json.load(open(os.path.join(ROOT, "src", "hipaa_scan", "schemas", "report.schema.json"), encoding="utf-8"))
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def cli(*args, cwd, env=None):
    full = dict(os.environ, **(env or {}))
    full.pop("SOURCE_DATE_EPOCH", None) if not env or "SOURCE_DATE_EPOCH" not in env else None
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True, cwd=cwd,
                          env=full, timeout=120)


def json_report(*args, cwd, env=None):
    proc = cli(*args, "--format", "json", cwd=cwd, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    return report


def demo_copy(tmp_path):
    import shutil

    target = tmp_path / "stack"
    shutil.copytree(DEMO, target)
    return target


# --- git, read by hand ---------------------------------------------------------------------------------------------


def _repo(root, head, loose=None, packed=None):
    git = root / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text(head)
    for name, oid in (loose or {}).items():
        (git / "refs" / "heads" / name).write_text(oid + "\n")
    if packed is not None:
        (git / "packed-refs").write_text(packed)
    return root


def test_git_commit_of_a_branch_from_a_loose_ref(tmp_path):
    _repo(tmp_path, "ref: refs/heads/main\n", {"main": COMMIT})
    (tmp_path / "sub").mkdir()
    assert git_commit(str(tmp_path / "sub")) == {"root": str(tmp_path), "commit": COMMIT, "ref": "refs/heads/main"}


def test_git_commit_from_packed_refs_and_a_loose_ref_wins(tmp_path):
    packed = f"# pack-refs with: peeled fully-peeled sorted\n{OTHER} refs/heads/dev\n^{COMMIT}\n{COMMIT} refs/heads/main\n"
    _repo(tmp_path, "ref: refs/heads/main\n", packed=packed)
    assert git_commit(str(tmp_path))["commit"] == COMMIT
    (tmp_path / ".git" / "refs" / "heads" / "main").write_text(OTHER + "\n")  # newer than the packed one
    assert git_commit(str(tmp_path))["commit"] == OTHER


def test_git_commit_detached_unborn_and_none(tmp_path):
    _repo(tmp_path / "a", COMMIT + "\n")
    assert git_commit(str(tmp_path / "a")) == {"root": str(tmp_path / "a"), "commit": COMMIT, "ref": None}
    _repo(tmp_path / "b", "ref: refs/heads/main\n")
    assert git_commit(str(tmp_path / "b")) == {"root": str(tmp_path / "b"), "commit": None, "ref": "refs/heads/main"}
    _repo(tmp_path / "c", "ref: refs/heads/../../../../etc/passwd\n")
    assert git_commit(str(tmp_path / "c")) is None
    (tmp_path / "d").mkdir()
    _repo(tmp_path / "e", "garbage\n")
    assert git_commit(str(tmp_path / "e")) is None


def test_git_files_that_are_fifos_are_never_read(tmp_path):
    """A FIFO planted as .git/HEAD or packed-refs would block a reader forever: it is not opened for reading."""
    git = tmp_path / ".git"
    git.mkdir()
    os.mkfifo(git / "HEAD")
    assert git_commit(str(tmp_path)) is None
    (git / "HEAD").unlink()
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    os.mkfifo(git / "packed-refs")
    assert git_commit(str(tmp_path)) == {"root": str(tmp_path), "commit": None, "ref": "refs/heads/main"}
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    run = json_report("scan", ".", cwd=tmp_path)["run"]
    assert run["repositories"] == [{"root": str(tmp_path), "commit": None, "ref": "refs/heads/main"}]


def test_git_commit_of_a_worktree_reads_the_common_folder(tmp_path):
    main = _repo(tmp_path / "main", "ref: refs/heads/main\n", packed=f"{COMMIT} refs/heads/feature\n")
    gitdir = main / ".git" / "worktrees" / "wt"
    gitdir.mkdir(parents=True)
    (gitdir / "HEAD").write_text("ref: refs/heads/feature\n")
    (gitdir / "commondir").write_text("../..\n")
    work = tmp_path / "wt"
    work.mkdir()
    (work / ".git").write_text(f"gitdir: {gitdir}\n")
    assert git_commit(str(work)) == {"root": str(work), "commit": COMMIT, "ref": "refs/heads/feature"}


def test_the_json_run_record_holds_the_commit_the_configuration_and_the_baseline(tmp_path):
    stack = demo_copy(tmp_path)
    _repo(stack, "ref: refs/heads/main\n", {"main": COMMIT})
    config = stack / ".hipaa-scan.yaml"
    config.write_text("ignore: [HS5, HS404]\nseverity: {HS105: low}\nrules:\n  HS201: {min_days: 3000}\n")
    baseline = tmp_path / "baseline.json"
    proc = cli("baseline", "create", str(baseline), ".", cwd=stack)
    assert proc.returncode == 0, proc.stderr
    report = json_report("scan", ".", "--ignore", "HS303", "--baseline", str(baseline), cwd=stack)
    run = report["run"]
    assert run["command"] == "scan" and run["tool"]["name"] == "hipaa-scan"
    assert run["started"] <= run["ended"]
    assert run["repositories"] == [{"root": str(stack), "commit": COMMIT, "ref": "refs/heads/main"}]
    conf = run["configuration"]
    assert conf["path"].endswith(".hipaa-scan.yaml")
    assert conf["sha256"] == hashlib.sha256(config.read_bytes()).hexdigest()
    assert conf["ignore"] == [{"selector": "HS303", "from": "command line"},
                              {"selector": "HS5", "from": conf["path"]}, {"selector": "HS404", "from": conf["path"]}]
    assert conf["select"] == [] and conf["severity"] == {"HS105": "low"} and conf["fail_on"] == "high"
    assert conf["rule_options"]["HS201"] == {"min_days": 3000}  # configured
    assert conf["rule_options"]["HS401"] == {"placeholder_patterns": []}  # declared default
    assert run["baseline"] == {"path": str(baseline), "sha256": hashlib.sha256(baseline.read_bytes()).hexdigest()}
    assert run["scope"]["roots"] == ["."]
    # yaml: a YAML file of no Compose name (the configuration), read as Compose only if its content is
    assert run["scope"]["files_by_kind"] == {"compose": 1, "dockerfile": 2, "env": 1, "yaml": 1}
    assert len(run["catalog"]["sha256"]) == 64 and run["catalog"]["rules"] >= 27
    assert "@" in run["operator"] and run["working_directory"] == str(stack)


def test_the_catalog_digest_is_stable_and_ignores_the_configuration(tmp_path):
    stack = demo_copy(tmp_path)
    plain = json_report("scan", ".", cwd=stack)["run"]["catalog"]
    (stack / ".hipaa-scan.yaml").write_text("select: [HS1]\nseverity: {HS101: low}\n")
    configured = json_report("scan", ".", cwd=stack)["run"]["catalog"]
    assert plain == configured


def test_skipped_files_are_counted_by_reason(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 10001\nHEALTHCHECK CMD true\n")
    (tmp_path / "README.md").write_text("hello\n")
    (tmp_path / "notes.txt").write_text("x\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "old.Dockerfile").write_text("FROM x\n")
    os.symlink("/etc/hostname", tmp_path / "Containerfile")
    os.mkfifo(tmp_path / "compose.yaml")
    run = json_report("scan", ".", "--exclude", "legacy", "--exclude", "old.Dockerfile", cwd=tmp_path)["run"]
    assert run["scope"]["files_by_kind"] == {"dockerfile": 1}
    assert run["scope"]["skipped"] == {"unrecognised_file": 2, "skipped_dir": 1, "excluded_dir": 1,
                                       "excluded_file": 1, "link_outside_root": 1, "not_regular": 1}


# --- rows never disappear ------------------------------------------------------------------------------------------


def _controls(report):
    return {c["citation"]: c for c in report["controls"]}


def test_an_ignoring_configuration_keeps_every_row_and_says_why(tmp_path):
    stack = demo_copy(tmp_path)
    before = _controls(json_report("scan", ".", cwd=stack))
    config = stack / ".hipaa-scan.yaml"
    config.write_text("ignore: [HS5, HS404]\nseverity: {HS105: low}\n")
    after = _controls(json_report("scan", ".", cwd=stack))
    assert list(after) == list(before)  # the same rows, in the same order
    # every Security Rule standard and implementation specification, and every cited provision
    security = [p.cite for p in hipaa.PROVISIONS if p.rule == hipaa.SECURITY]
    assert set(security) <= set(after) and {"164.502(e)", "164.306(a)(1)"} <= set(after)
    where = str(config)
    transmission = after["164.312(e)(1)"]  # HS114 (network isolation) still reports there; the others are excluded
    assert transmission["status"] == "findings" and transmission["label"] == "standard"
    rules = {r["id"]: r for r in transmission["rules"]}
    assert rules["HS114"]["status"] == "findings"
    assert rules["HS404"]["status"] == "excluded"
    assert rules["HS404"]["reason"].startswith("ignored by configuration ")
    assert rules["HS404"]["reason"].endswith("(ignore: HS404)")
    assert rules["HS501"]["reason"].endswith("(ignore: HS5)") and where.endswith(".hipaa-scan.yaml")
    assert after["164.502(e)"]["status"] == "excluded" and after["164.502(e)"]["rule"] == "Privacy Rule"
    assert after["164.312(e)(2)(ii)"]["requirement"] == "addressable"
    # the rows that still ran are unchanged in status; severities are the effective ones
    access = {r["id"]: r for r in after["164.312(a)(1)"]["rules"]}
    assert access["HS105"]["severity"] == "low" and access["HS404"]["status"] == "excluded"
    assert after["164.312(a)(1)"]["status"] == before["164.312(a)(1)"]["status"] == "findings"
    assert after["164.310(a)(1)"]["status"] == "not-assessable" and after["164.310(a)(1)"]["reason"]


def test_not_selected_rules_are_excluded_on_the_command_line(tmp_path):
    stack = demo_copy(tmp_path)
    rows = _controls(json_report("scan", ".", "--select", "HS101", cwd=stack))
    access = {r["id"]: r for r in rows["164.312(a)(1)"]["rules"]}
    assert access["HS101"]["status"] == "findings"
    assert access["HS102"] == {"id": "HS102", "name": access["HS102"]["name"], "severity": "critical",
                               "status": "excluded", "findings": 0, "suppressed": 0,
                               "reason": "not selected (select: HS101 on the command line)"}
    assert rows["164.312(b)"]["status"] == "excluded"


def test_statuses_passed_not_applicable_and_suppressed(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20@sha256:" + "0" * 64 + "\nUSER 10001\n"
                                         "HEALTHCHECK CMD true\n")
    rows = _controls(json_report("scan", ".", cwd=tmp_path))
    access = {r["id"]: r for r in rows["164.312(a)(1)"]["rules"]}
    assert access["HS101"]["status"] == "passed"
    assert access["HS109"]["status"] == "not-applicable"  # an engine rule: no engine in a file scan
    assert access["HS109"]["reason"] == "no engine source was scanned"
    assert rows["164.312(a)(1)"]["status"] == "passed"
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20@sha256:" + "0" * 64 + "\n"
                                         "HEALTHCHECK CMD true\n# hipaa-scan: ignore[HS101] reviewed: runs as root\n")
    rows = _controls(json_report("scan", ".", cwd=tmp_path))
    hs101 = {r["id"]: r for r in rows["164.312(a)(1)"]["rules"]}["HS101"]
    assert hs101["status"] in ("findings", "suppressed")


def test_text_report_has_the_header_and_the_control_summary_before_the_last_line(tmp_path):
    stack = demo_copy(tmp_path)
    (stack / ".hipaa-scan.yaml").write_text("ignore: [HS5, HS404]\n")
    out = cli("scan", ".", cwd=stack, env={"SOURCE_DATE_EPOCH": "1767225600"}).stdout
    lines = out.splitlines()
    assert lines[0].startswith("hipaa-scan ") and " scan, 2026-01-01T00:00:00Z to 2026-01-01T00:00:00Z UTC, by " \
        in lines[0]
    assert lines[1].startswith("configuration ") and "; ignore HS5, HS404" in lines[1]
    summary = [i for i, line in enumerate(lines) if line.startswith("HIPAA controls (45 CFR Part 164): ")]
    assert len(summary) == 1
    final = [i for i, line in enumerate(lines) if " findings (" in line and " in 4 files" in line]
    assert final and summary[0] < final[0]
    assert any(line.startswith("  excluded       164.502(e) (standard) Disclosures to business associates: ")
               and "(ignore: HS5)" in line for line in lines)


def test_sarif_records_the_invocation_and_the_run(tmp_path):
    stack = demo_copy(tmp_path)
    proc = cli("scan", ".", "--format", "sarif", cwd=stack, env={"SOURCE_DATE_EPOCH": "1767225600"})
    log = json.loads(proc.stdout)
    run = log["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["startTimeUtc"] == invocation["endTimeUtc"] == "2026-01-01T00:00:00Z"
    assert invocation["executionSuccessful"] is True
    assert invocation["workingDirectory"]["uri"].startswith("file://")
    assert run["properties"]["hipaa-scan/run"]["scope"]["files_by_kind"] == {"compose": 1, "dockerfile": 2, "env": 1}
    statuses = {c["citation"]: c["status"] for c in run["properties"]["hipaa-scan/controls"]}
    assert statuses["164.312(a)(1)"] == "findings" and statuses["164.310(b)"] == "not-assessable"


def test_live_records_offline_inputs_and_evidence_keeps_effective_severities(tmp_path):
    config = tmp_path / "cfg.yaml"
    config.write_text("severity: {HS109: critical}\nignore: [HS3]\n")
    folder = tmp_path / "evidence"
    proc = cli("live", "--from-inspect", INSPECT, "--from-info", INFO, "--config", str(config), "--format", "json",
               "--evidence", str(folder), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    run = report["run"]
    assert run["command"] == "live"
    assert run["inputs"] == [
        {"path": INSPECT, "kind": "inspect", "sha256": hashlib.sha256(open(INSPECT, "rb").read()).hexdigest()},
        {"path": INFO, "kind": "info", "sha256": hashlib.sha256(open(INFO, "rb").read()).hexdigest()}]
    assert run["scope"]["containers"] == 15 and len(run["scope"]["engines"]) == 1
    assert run["scope"]["engines"][0]["containers"] == 15  # (was 0: counted after the capture was handed over)
    published = [d for d in folder.iterdir()] if not (folder / "manifest.json").exists() else [folder]
    manifest = json.load(open(published[0] / "manifest.json", encoding="utf-8"))
    catalog = {r["id"]: r for r in manifest["rule_catalog"]}
    assert catalog["HS109"]["severity"] == "critical" and catalog["HS109"]["default_severity"] == "low"
    assert manifest["run"]["configuration"]["sha256"] == hashlib.sha256(config.read_bytes()).hexdigest()
    rows = {c["citation"]: c for c in manifest["controls"]}
    availability = {r["id"]: r["status"] for r in rows["164.306(a)(1)"]["rules"]}
    assert availability["HS303"] == availability["HS304"] == "excluded"  # ignored: shown so, in a row that stays
    assert "report.md" in {f["path"] for f in manifest["files"]}


def test_a_library_result_without_a_record_still_has_every_row():
    from hipaa_scan.engine import ScanOptions, scan_paths

    result = scan_paths([DEMO], ScanOptions(ignore=["HS5"]))
    rows = controls.view(result)
    assert [c.citation for c in rows if c.rule == hipaa.SECURITY] == \
        [p.cite for p in hipaa.PROVISIONS if p.rule == hipaa.SECURITY]
    assert controls.counts(rows)["findings"] >= 5


@pytest.mark.parametrize("epoch", ["1767225600"])
def test_source_date_epoch_fixes_the_times(tmp_path, epoch):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    a = cli("scan", ".", "--format", "json", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": epoch}).stdout
    b = cli("scan", ".", "--format", "json", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": epoch}).stdout
    assert a == b and json.loads(a)["run"]["started"] == "2026-01-01T00:00:00Z"
