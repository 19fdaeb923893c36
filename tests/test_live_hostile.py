"""`hipaa-scan live` against a hostile or broken engine (tests/fake_engine.py), and the files it writes.

Each class of misbehaviour has its test: answers that drip, never end or are huge; answers of the wrong JSON types,
malformed or nested too deeply; redirect loops; control characters; many containers. Whatever the engine does, the
audit ends within its budgets with one clear error for the part that failed, and the rest is still audited. Every
test runs under a SIGALRM guard: a hang fails the test instead of holding the suite (no test asserts on time).

The second half covers what the scan writes: --output (links, inputs, atomic replacement) and the evidence folder
(its own folder per run, built aside and renamed in, no link followed, collision-free names).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from guard import hang_guard
from fake_engine import (
    FakeEngine,
    answer_bytes,
    answer_json,
    deep,
    drip,
    drip_headers,
    endless,
    huge,
    inspect_of,
    redirect,
)

GUARD_SECONDS = 90
# The process's own peak resident size in MiB (VmHWM: unlike ru_maxrss, not inherited from the parent at exec).
PRINT_PEAK = ("print(next(int(line.split()[1]) // 1024 for line in open('/proc/self/status') "
              "if line.startswith('VmHWM:')))\n")


@pytest.fixture(autouse=True)
def alarm_guard():
    """Fail (never hang) a test that runs past GUARD_SECONDS."""
    with hang_guard(GUARD_SECONDS):
        yield


@pytest.fixture
def engine(tmp_path):
    engines = []

    def make(**kwargs):
        eng = FakeEngine(tmp_path, **kwargs)
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.stop()  # asserts that only GET requests were made


def hipaa_scan(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=GUARD_SECONDS - 10)


def audit(url, timeout=30.0, audit_timeout=600.0, selection=None):
    from hipaa_scan import live

    extra = {"audit_timeout": audit_timeout} if audit_timeout != 600.0 else {}
    return live.audit([live.Target(url)], selection or live.Selection(), timeout, None, **extra)


def engine_error(url, **kwargs) -> str:
    from hipaa_scan import live

    with pytest.raises(live.LiveError) as caught:
        audit(url, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and url in message
    return message


def one_error_line(proc) -> str:
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("hipaa-scan: error: "), proc.stderr
    return lines[0]


# --- slow, endless and huge answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/version", "/info", "/containers/json", "/containers/" + "a" * 64 + "/json"])
@pytest.mark.parametrize("answer", [drip, drip_headers, lambda: endless(pause=0.05)], ids=["drip", "headers",
                                                                                          "endless"])
def test_a_slow_or_endless_answer_is_cut_by_the_request_deadline(engine, path, answer):
    eng = engine().route(path, answer())
    expected = (f"the Docker engine at {eng.url} did not answer within 1.5 s (GET {path.replace('a' * 64, 'a' * 64)}; "
                "--timeout bounds each whole request): check that it is running and reachable, or raise --timeout")
    if "/containers/a" in path:  # one container's inspect: an error for that container; the engine is reported
        run = audit(eng.url, timeout=1.5)
        assert [e.message for e in run.errors] == [f"container web ({'a' * 12}): {expected}"]
        assert [d.kind for d in run.documents] == ["engine"]
    else:
        assert engine_error(eng.url, timeout=1.5) == expected


def test_the_audit_deadline_bounds_all_requests_together(engine):
    """Each inspect answers within --timeout, but together they take longer than --audit-timeout."""
    eng = engine(containers=[inspect_of(f"{n:064x}", f"c{n}") for n in range(6)])
    for n in range(6):
        eng.route(f"/containers/{n:064x}/json", drip(json.dumps(inspect_of(f"{n:064x}", f"c{n}")).encode()[:1]
                                                     + b" " * 4 + json.dumps(inspect_of(f"{n:064x}", f"c{n}"))
                                                     .encode()[1:], interval=0.2))
    run = audit(eng.url, timeout=30, audit_timeout=2)
    messages = [e.message for e in run.errors]
    assert len(messages) == 1, messages
    assert messages[0] == (f"the audit did not finish within 2 s (--audit-timeout): 6 of 6 containers on {eng.url} "
                           "were not audited")


@pytest.mark.parametrize("path,cap", [("/info", "16 MiB"), ("/version", "16 MiB"), ("/containers/json", "128 MiB")])
def test_an_answer_larger_than_its_cap_is_refused(engine, path, cap):
    eng = engine().route(path, huge(300 * 1024 * 1024))
    assert engine_error(eng.url) == (f"the Docker engine at {eng.url} sent more than {cap} in answer to GET {path}; "
                                     "hipaa-scan stopped reading (a Docker engine's answer is far smaller)")


def test_an_endless_fast_answer_is_cut_at_the_cap(engine):
    eng = engine().route("/info", endless())
    assert "sent more than 16 MiB in answer to GET /info" in engine_error(eng.url)


def test_a_huge_answer_is_never_held_in_memory(engine):
    """A 300 MiB /info: the audit stops reading at the cap (16 MiB), so the process stays far below the answer."""
    eng = engine().route("/info", huge(300 * 1024 * 1024))
    code = ("import sys\nfrom hipaa_scan import live\n"
            "try:\n    live.audit([live.Target(sys.argv[1])], live.Selection())\n"
            "except live.LiveError as exc:\n    print(exc)\n" + PRINT_PEAK)
    proc = subprocess.run([sys.executable, "-c", code, eng.url], capture_output=True, text=True, timeout=60)
    message, peak_mib = proc.stdout.strip().splitlines()
    assert "sent more than 16 MiB" in message, proc.stderr
    assert int(peak_mib) < 150, f"peak {peak_mib} MiB for a 300 MiB answer"


def test_a_slow_engine_through_the_cli_is_one_line(engine):
    eng = engine().route("/info", drip())
    line = one_error_line(hipaa_scan("live", "--host", eng.url, "--timeout", "1", "--format", "json"))
    assert line.endswith("did not answer within 1 s (GET /info; --timeout bounds each whole request): check that "
                         "it is running and reachable, or raise --timeout")


# --- redirects ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/version", "/info", "/containers/json"])
@pytest.mark.parametrize("location", ["/v1.43/info", "http://elsewhere.invalid/", "/loop"])
def test_a_redirect_is_refused_and_never_followed(engine, path, location):
    eng = engine().route(path, redirect(location)).route("/loop", redirect("/loop"))
    message = engine_error(eng.url)
    assert message == (f"the Docker engine at {eng.url} answered GET {path} with a redirect (HTTP 301), which "
                       "hipaa-scan does not follow: a Docker engine never redirects, so --host, --context or "
                       "DOCKER_HOST probably names a web server or a proxy")
    assert "check the host name" not in message
    assert eng.paths().count(path) == 1 and "/loop" not in eng.paths()


# --- wrong types, malformed and deep JSON ---------------------------------------------------------------------


@pytest.mark.parametrize("version,problem", [
    ({"ApiVersion": "one.forty"}, "its ApiVersion is not a version number such as 1.43"),
    ({"ApiVersion": 1.43}, "ApiVersion is a number, not a string"),
    ({"ApiVersion": ["1.43"]}, "ApiVersion is a list, not a string"),
    ({"Version": "24"}, "no ApiVersion"),
    ([{"ApiVersion": "1.43"}], "the answer is a list, not an object"),
    ("1.43", "the answer is a string, not an object"),
    ({"ApiVersion": "1.43", "Os": {"x": 1}}, "Os is an object, not a string"),
    (deep(300, "1.43"), "nested more than 64 levels deep"),
])
def test_a_version_answer_of_the_wrong_shape_is_one_clear_error(engine, version, problem):
    eng = engine().route("/version", answer_json(version))
    assert engine_error(eng.url) == (f"{eng.url} answered, but not like a Docker engine (GET /version: {problem})")


@pytest.mark.parametrize("info,problem", [
    ([1, 2], "the answer is a list, not an object"),
    ("info", "the answer is a string, not an object"),
    ({"Name": {"x": 1}}, "Name is an object, not a string"),
    ({"SecurityOptions": "name=seccomp"}, "SecurityOptions is a string, not a list"),
    ({"SecurityOptions": [1]}, "SecurityOptions[0] is a number, not a string"),
    ({"RegistryConfig": {"InsecureRegistryCIDRs": [{"x": 1}]}},
     "RegistryConfig.InsecureRegistryCIDRs[0] is an object, not a string"),
    ({"Labels": deep(900)}, "nested more than 64 levels deep"),
])
def test_an_info_answer_of_the_wrong_shape_is_one_error_and_the_containers_are_still_audited(engine, info,
                                                                                              problem):
    from hipaa_scan import live
    from hipaa_scan.engine import ScanOptions

    eng = engine().route("/info", answer_json(info))
    run = audit(eng.url)
    assert [e.message for e in run.errors] == [(f"the engine's answer to GET /info is malformed ({problem}); the "
                                                "engine-level checks that read it were skipped")]
    result = live.scan(run, ScanOptions())
    assert "HS102" in {f.rule_id for f in result.findings if f.location.path == "container://web"}


def test_info_as_a_list_through_the_cli_is_reported_never_an_internal_error(engine):
    eng = engine().route("/info", answer_json([{"Name": "x"}]))
    proc = hipaa_scan("live", "--host", eng.url, "--format", "json")
    assert proc.returncode == 2 and "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert [e["message"] for e in report["errors"]] == [
        ("the engine's answer to GET /info is malformed (the answer is a list, not an object); the engine-level "
         "checks that read it were skipped")]
    assert "HS102" in {f["rule_id"] for f in report["findings"]}


BAD_INSPECTS = [
    ("image-object", {"Image": {"Id": "sha256:x"}}, "Image is an object, not a string"),
    ("config-image-object", {"Config": {"Image": {"x": 1}}}, "Config.Image is an object, not a string"),
    ("config-list", {"Config": ["x"]}, "Config is a list, not an object"),
    ("env-string", {"Config": {"Env": "A=1"}}, "Config.Env is a string, not a list"),
    ("env-number", {"Config": {"Env": ["A=1", 7]}}, "Config.Env[1] is a number, not a string"),
    ("privileged-string", {"HostConfig": {"Privileged": "true"}}, "HostConfig.Privileged is a string, not true/false"),
    ("memory-bool", {"HostConfig": {"Memory": True}}, "HostConfig.Memory is true/false, not a number"),
    ("ports", {"NetworkSettings": {"Ports": {"80/tcp": [{"HostPort": 80}]}}},
     "NetworkSettings.Ports.80/tcp[0].HostPort is a number, not a string"),
    ("mounts", {"Mounts": {"Source": "/"}}, "Mounts is an object, not a list"),
    ("labels", {"Config": {"Labels": {"a": ["b"]}}}, "Config.Labels.a is a list, not a string"),
    ("deep", {"Labels": deep(900)}, "nested more than 64 levels deep"),
]


def test_one_malformed_container_is_an_error_and_the_others_are_still_audited(engine, tmp_path):
    good = inspect_of("a" * 64, "good")
    bad = []
    for n, (name, fields, _problem) in enumerate(BAD_INSPECTS, 1):
        data = inspect_of(f"{n:02x}" + "0" * 62, name)
        for key, value in fields.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict) and key != "Labels":
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        bad.append(data)
    eng = engine(containers=[good] + bad)
    evidence = tmp_path / "evidence"
    proc = hipaa_scan("live", "--host", eng.url, "--format", "json", "--evidence", str(evidence))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    expected = sorted(f"container {name} ({n:02x}{'0' * 10}): the engine's inspect answer is malformed ({problem})"
                      for n, (name, _f, problem) in enumerate(BAD_INSPECTS, 1))
    assert sorted(e["message"] for e in report["errors"]) == expected
    assert {f["location"]["path"] for f in report["findings"] if f["rule_id"] == "HS102"} == {"container://good"}
    assert (evidence / "containers" / "good.json").is_file()
    assert subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=evidence).returncode == 0


def test_malformed_list_entries_are_errors_for_those_entries_only(engine):
    eng = engine()
    entries = [{"Id": "a" * 64, "Names": ["/web"], "Image": "nginx:1.25"}, {"Id": {"x": 1}}, {"Id": "b" * 64,
               "Names": "/str"}, 7, {"Names": ["/no-id"]}]
    eng.route("/containers/json", answer_json(entries))
    run = audit(eng.url)
    assert [e.message for e in run.errors] == [
        "container #2 of the list: the engine's list entry is malformed (Id is an object, not a string); not audited",
        f"container {'b' * 12}: the engine's list entry is malformed (Names is a string, not a list); not audited",
        ("container #4 of the list: the engine's list entry is malformed (the answer is a number, not an object); "
         "not audited"),
        "container #5 of the list: the engine's list entry is malformed (no Id); not audited"]
    assert [d.path for d in run.documents if d.kind == "container"] == ["container://web"]


@pytest.mark.parametrize("listing,problem", [({"message": "x"}, "the answer is an object, not a list"),
                                             ("[]", "the answer is a string, not a list")])
def test_a_container_list_that_is_not_a_list_is_one_engine_error(engine, listing, problem):
    eng = engine().route("/containers/json", answer_json(listing))
    assert engine_error(eng.url) == (f"the Docker engine at {eng.url} sent a container list (GET /containers/json) "
                                     f"that is malformed ({problem})")


@pytest.mark.parametrize("path", ["/version", "/info", "/containers/json"])
@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000])
def test_malformed_json_is_one_clear_error(engine, path, body):
    eng = engine().route(path, answer_bytes(body))
    message = engine_error(eng.url)
    assert "not valid JSON" in message or "nested too deeply" in message, message


def test_a_malformed_image_list_keeps_the_containers(engine):
    data = inspect_of("a" * 64, "web")
    data["Config"]["Image"] = "sha256:" + "c" * 64  # created from a bare image id: the image list is asked
    eng = engine(containers=[data]).route("/images/json", answer_json({"Id": "x"}))
    run = audit(eng.url)
    assert [e.message for e in run.errors] == [
        ("the engine's image list (GET /images/json) is not a JSON list; containers created from a bare image id are "
         "audited without their image's tag")]
    assert [d.path for d in run.documents if d.kind == "container"] == ["container://web"]


# --- control characters and many containers ------------------------------------------------------------------


def test_control_characters_in_names_and_fields(engine, tmp_path):
    names = ["web\x1b[31m", "a\rb", "x\u2028y", "tab\tname", "bell\x07"]
    containers = [inspect_of(f"{n:064x}", name) for n, name in enumerate(names, 1)]
    containers[0]["Config"]["Env"] = ["NOTE=\x1b]8;;http://evil.invalid\x07click\x1b]8;;\x07"]
    containers[1]["Config"]["Labels"] = {"k\x1b": "v\x9b"}
    eng = engine(containers=containers).route("/info", answer_json({"Name": "eng\x1b[2J", "ServerVersion": "\x00"}))
    evidence = tmp_path / "ev"
    proc = hipaa_scan("live", "--host", eng.url, "--format", "json", "--evidence", str(evidence))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    assert not report["errors"]
    files = sorted(p.name for p in (evidence / "containers").iterdir())
    assert len(files) == len(names)
    assert all(c.isprintable() and c not in "\\/" for f in files for c in f)
    assert subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=evidence).returncode == 0


def test_many_containers_in_the_list_with_one_selected(engine):
    eng = engine().many_containers(50_000)
    from hipaa_scan import live

    run = audit(eng.url, selection=live.Selection(containers=("c49999",)))
    assert not run.errors
    assert [d.path for d in run.documents if d.kind == "container"] == ["container://c49999"]
    assert eng.paths() == ["/version", "/info", "/containers/json", "/containers/" + f"{49_999:064x}" + "/json"]


def test_memory_grows_with_the_findings_not_with_the_inspect_json(engine):
    """Full-size inspects (5 KB of JSON, about 20 KB parsed): the audit keeps each container compressed and makes
    its document only when scanned, so each container beyond the first costs a few KB (its findings, its inventory
    line, its packed inspect), not its parsed JSON. Before: 33 KB per container (measured), 800 MiB for 50,000."""
    code = ("import sys\nfrom hipaa_scan.cli import run\n"
            "sys.argv = ['hipaa-scan', 'live', '--host', sys.argv[1], '--format', 'json', '-o', '/dev/null']\n"
            "try:\n    run()\nexcept SystemExit as exc:\n    print(exc.code)\n" + PRINT_PEAK)
    peaks = {}
    for n in (400, 2400):
        eng = engine().many_containers(n)
        proc = subprocess.run([sys.executable, "-c", code, eng.url], capture_output=True, text=True,
                              timeout=GUARD_SECONDS - 10)
        exit_code, peak = proc.stdout.split()
        assert exit_code == "1", proc.stderr  # findings, no error
        peaks[n] = int(peak)
    per_container_kib = (peaks[2400] - peaks[400]) * 1024 / 2000
    # (16 KiB before issue 18 added three findings per default container: HS110, HS111, HS204; 18.4 measured after)
    assert per_container_kib < 22, f"{per_container_kib:.1f} KiB per container ({peaks})"


# --- offline input: one malformed container of a file ---------------------------------------------------------


def test_one_malformed_container_in_a_saved_file_is_an_error_for_it_only(tmp_path):
    items = [inspect_of("a" * 64, "good"), inspect_of("b" * 64, "bad", Image={"x": 1}),
             inspect_of("c" * 64, "deep", Labels=deep(900))]
    path = tmp_path / "inspect.json"
    path.write_text(json.dumps(items))
    evidence = tmp_path / "ev"
    proc = hipaa_scan("live", "--from-inspect", str(path), "--format", "json", "--evidence", str(evidence))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    assert [e["message"] for e in report["errors"]] == [
        f"{path}: item 1: malformed `docker inspect` output (Image is an object, not a string); not audited",
        f"{path}: item 2: malformed `docker inspect` output (nested more than 64 levels deep); not audited"]
    assert {f["location"]["path"] for f in report["findings"]} == {"container://good"}
    assert sorted(p.name for p in (evidence / "containers").iterdir()) == ["good.json"]


def test_a_saved_info_file_of_the_wrong_shape_is_one_line(tmp_path):
    path = tmp_path / "info.json"
    path.write_text(json.dumps({"ServerVersion": "24", "SecurityOptions": "name=seccomp"}))
    line = one_error_line(hipaa_scan("live", "--from-info", str(path)))
    assert line == (f"hipaa-scan: error: {path}: malformed `docker info` output (SecurityOptions is a string, not a "
                    "list)")


# --- --output ------------------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "app").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM alpine:3.19\n")
    (root / "app" / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.25\n    privileged: true\n")
    (root / ".env").write_text("A=1\n")
    (tmp_path / "victim.txt").write_text("precious\n")
    return root


@pytest.mark.parametrize("link_target", ["../victim.txt", "missing.txt", "Dockerfile"])
def test_output_never_follows_a_symbolic_link(tree, link_target):
    (tree / "report.sarif").symlink_to(link_target)
    line = one_error_line(hipaa_scan("scan", str(tree), "--format", "sarif", "--output", str(tree / "report.sarif")))
    assert line == (f"hipaa-scan: error: refusing to write the report to {tree / 'report.sarif'}: it is a symbolic "
                    "link (hipaa-scan never writes through a link; name the real file)")
    assert (tree.parent / "victim.txt").read_text() == "precious\n"
    assert not (tree / "missing.txt").exists()


@pytest.mark.parametrize("args,output,why", [
    (["{tree}"], "{tree}/Dockerfile", "the scan reads that file"),
    (["{tree}"], "{tree}/app/compose.yaml", "the scan reads that file"),
    (["{tree}"], "{tree}/.env", "the scan reads that file"),
    (["{tree}/Dockerfile"], "{tree}/Dockerfile", "it is one of the scan's inputs"),
    (["-f", "{tree}/app/compose.yaml"], "{tree}/app/compose.yaml", "it is one of the scan's inputs"),
    (["{tree}", "--env-file", "{tree}/.env"], "{tree}/.env", "it is one of the scan's inputs"),
])
def test_output_never_replaces_a_file_the_scan_reads(tree, args, output, why):
    args = [a.format(tree=tree) for a in args]
    output = output.format(tree=tree)
    before = Path(output).read_bytes()
    line = one_error_line(hipaa_scan("scan", *args, "--output", output))
    assert line == f"hipaa-scan: error: refusing to write the report to {output}: {why}"
    assert Path(output).read_bytes() == before


def test_output_over_a_hard_link_to_an_input_is_refused(tree):
    os.link(tree / "Dockerfile", tree / "report.txt")
    line = one_error_line(hipaa_scan("scan", str(tree / "Dockerfile"), "--output", str(tree / "report.txt")))
    assert line.endswith("it is one of the scan's inputs")


def test_output_from_live_never_replaces_a_saved_input(tmp_path):
    path = tmp_path / "inspect.json"
    path.write_text(json.dumps([inspect_of("a" * 64, "web")]))
    line = one_error_line(hipaa_scan("live", "--from-inspect", str(path), "--format", "json", "-o", str(path)))
    assert line == f"hipaa-scan: error: refusing to write the report to {path}: it is one of the scan's inputs"
    assert json.loads(path.read_text())[0]["Name"] == "/web"


def test_output_is_replaced_atomically_and_keeps_its_mode(tree):
    report = tree.parent / "report.json"
    report.write_text("old report\n")
    report.chmod(0o640)
    proc = hipaa_scan("scan", str(tree), "--format", "json", "--output", str(report))
    assert proc.returncode == 1, proc.stderr
    assert json.loads(report.read_text())["findings"]
    assert oct(report.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in tree.parent.iterdir()) == ["report.json", "tree", "victim.txt"]  # no temp file left


def test_output_to_a_device_is_written_in_place(tree):
    proc = hipaa_scan("scan", str(tree), "--format", "json", "--output", "/dev/null")
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_output_in_place_of_a_report_written_by_a_crashed_writer_is_untouched_on_failure(tree, monkeypatch):
    """A report that cannot be finished leaves the old file as it was and no temporary file."""
    from hipaa_scan import safewrite

    report = tree.parent / "report.txt"
    report.write_text("old\n")

    def produce(handle):
        handle.write("half a report")
        raise OSError(28, "No space left on device")

    with pytest.raises(safewrite.OutputError, match="cannot write .*report.txt: No space left on device"):
        safewrite.write(str(report), produce)
    assert report.read_text() == "old\n"
    assert sorted(p.name for p in tree.parent.iterdir()) == ["report.txt", "tree", "victim.txt"]


# --- the evidence folder -------------------------------------------------------------------------------------


def test_evidence_names_never_collide(engine, tmp_path):
    """`abc` and `abc.` (and `ABC`, which a case-insensitive file system would mix up with `abc`) once made the
    second evidence file an error: exit 2 and a half-written folder."""
    names = ["abc", "abc.", "ABC", ".abc", "abc@bbbbbbbbbbbb", "a" * 130, "a" * 131]
    containers = [inspect_of(f"{n:x}" * 64, name) for n, name in enumerate(names, 1)]
    eng = engine(containers=containers)
    evidence = tmp_path / "ev"
    proc = hipaa_scan("live", "--host", eng.url, "--format", "json", "--evidence", str(evidence))
    assert proc.returncode == 1, proc.stderr
    files = sorted(p.name for p in (evidence / "containers").iterdir())
    assert len(files) == len(names) == len({f.casefold() for f in files})
    assert "abc.json" in files or "ABC.json" in files
    manifest = json.loads((evidence / "manifest.json").read_text())
    present = {p.relative_to(evidence).as_posix() for p in evidence.rglob("*") if p.is_file()}
    assert {f["path"] for f in manifest["files"]} == present - {"manifest.json", "MANIFEST.sha256"}
    assert {c["evidence"] for c in manifest["containers"]} == {f"containers/{f}" for f in files}
    assert subprocess.run(["sha256sum", "-c", "--strict", "--quiet", "MANIFEST.sha256"], cwd=evidence).returncode == 0


def _evidence_run(url, directory):
    from hipaa_scan import live
    from hipaa_scan.engine import ScanOptions

    run = live.audit([live.Target(url)], live.Selection())
    result = live.scan(run, ScanOptions())
    return live.write_evidence(str(directory), run, result)


def test_two_runs_into_one_folder_never_mix(engine, tmp_path, monkeypatch):
    """Runs started together into one folder: one gets it; each other one is refused while it is being written, or
    (once it is complete) gets a fresh subfolder. Every folder holds exactly the files its manifest lists. The runs
    are held at their first write until all have chosen a folder (or 3 s have passed), the worst interleaving:
    before, all four chose the same empty folder and wrote into it."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from hipaa_scan.live import evidence as ev
    from hipaa_scan import live

    barrier = threading.Barrier(4, timeout=3)
    real_write = ev.EvidenceWriter.write

    def write_together(self, rel, text, record=True):
        if not self.files:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return real_write(self, rel, text, record)

    monkeypatch.setattr(ev.EvidenceWriter, "write", write_together)
    eng = engine()
    target = tmp_path / "audit"

    def attempt(_):
        try:
            return _evidence_run(eng.url, target)
        except live.LiveError as exc:
            return str(exc)

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, range(4)))
    done = [o for o in outcomes if not isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, str)]
    assert all(r == (f"cannot write evidence to {target}: another hipaa-scan run is writing its evidence there (it "
                     "holds .hipaa-scan-claim); use another folder, or delete that file if no run is going on")
               for r in refused), refused
    folders = [r.folder for r in done]
    assert len(set(folders)) == len(folders) and str(target) in folders
    for folder in folders:
        root = Path(folder)
        present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        present = {p for p in present if not p.startswith("scan-")}  # another run's own subfolder
        listed = {line.split("  ", 1)[1] for line in (root / "MANIFEST.sha256").read_text().splitlines()}
        assert listed == present - {"MANIFEST.sha256"}, folder
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind
    assert not [p for p in target.iterdir() if p.name.startswith(".")]
    monkeypatch.setattr(ev.EvidenceWriter, "write", real_write)
    later = _evidence_run(eng.url, target)  # the folder is complete now: a new run gets a subfolder of its own
    assert later.redirected and Path(later.folder).parent == target


def test_an_existing_empty_folder_is_used_and_a_file_is_refused(engine, tmp_path):
    eng = engine()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _evidence_run(eng.url, empty).folder == str(empty)
    assert (empty / "MANIFEST.sha256").is_file() and not (empty / ".hipaa-scan-claim").exists()
    (tmp_path / "file").write_text("x")
    from hipaa_scan import live

    with pytest.raises(live.LiveError, match="it exists and is not a folder"):
        _evidence_run(eng.url, tmp_path / "file")
    (tmp_path / "link").symlink_to(empty)
    with pytest.raises(live.LiveError, match="it exists and is a symbolic link"):
        _evidence_run(eng.url, tmp_path / "link")


@pytest.mark.parametrize("planted", ["report.txt", "containers", "engines"])
def test_a_link_planted_during_the_run_is_never_written_through(engine, tmp_path, monkeypatch, planted):
    """Someone plants a link in the folder being written: the write fails (exit 2), the link's target is untouched,
    and neither the staging folder nor a half-written evidence folder is left."""
    from hipaa_scan.live import evidence as ev
    from hipaa_scan import live

    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious\n")
    real_write = ev.EvidenceWriter.write

    def plant_then_write(self, rel, text, record=True):
        link = Path(self.root) / planted
        if not os.path.lexists(link):
            link.symlink_to(victim / "keep.txt" if planted == "report.txt" else victim)
        return real_write(self, rel, text, record)

    monkeypatch.setattr(ev.EvidenceWriter, "write", plant_then_write)
    target = tmp_path / "audit"
    with pytest.raises(live.LiveError) as caught:
        _evidence_run(engine().url, target)
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"]
    assert (victim / "keep.txt").read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["engine.sock", "victim"]


def test_a_folder_filled_by_someone_else_during_the_run_is_not_mixed(engine, tmp_path, monkeypatch):
    from hipaa_scan.live import evidence as ev
    from hipaa_scan import live

    real_publish = ev.Staging.publish

    def intrude_then_publish(self):
        (Path(self.target) / "intruder.txt").write_text("not ours\n")
        return real_publish(self)

    monkeypatch.setattr(ev.Staging, "publish", intrude_then_publish)
    target = tmp_path / "audit"
    with pytest.raises(live.LiveError, match="cannot move the evidence into .*audit.*nothing was left there"):
        _evidence_run(engine().url, target)
    assert sorted(p.name for p in target.iterdir()) == ["intruder.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# --- any JSON at all ---------------------------------------------------------------------------------------------


def _json_values():
    from hypothesis import strategies as st

    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    keys = st.sampled_from(["Id", "Name", "Image", "Config", "HostConfig", "Env", "Labels", "Mounts", "Ports",
                            "NetworkSettings", "State", "Privileged", "Cmd", "User", "SecurityOptions",
                            "RegistryConfig", "ApiVersion", "x"])
    def nested(inner):
        return st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5)

    return st.recursive(leaves, nested, max_leaves=30)


def test_any_json_answer_is_either_refused_in_one_line_or_audited_and_written_as_evidence(tmp_path):
    """Every engine answer, whatever its JSON: the checks return None or one line, and what they accept becomes a
    document, a redacted evidence file and line index without raising."""
    from hypothesis import HealthCheck, given, settings

    from hipaa_scan.live import guard as liveguard
    from hipaa_scan.live.evidence import dumps_with_lines, redact_inspect
    from hipaa_scan.sources.container import container_document
    from hipaa_scan.sources.engine import engine_document

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_json_values())
    def check(value):
        for checker in (liveguard.check_version, liveguard.check_info, liveguard.check_list_entry,
                        liveguard.check_inspect):
            problem = checker(value)
            assert problem is None or (isinstance(problem, str) and "\n" not in problem)
        if liveguard.check_inspect(value) is None:
            container_document(value)
            dumps_with_lines(redact_inspect(value))
        if liveguard.check_info(value) is None:
            engine_document("e", value, None, None)

    check()
