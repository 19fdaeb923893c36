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
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from fake_engine import (FakeEngine, answer_bytes, answer_json, deep, drip, drip_headers, endless, huge,
                         inspect_of, redirect)

GUARD_SECONDS = 90
# The process's own peak resident size in MiB (VmHWM: unlike ru_maxrss, not inherited from the parent at exec).
PRINT_PEAK = ("print(next(int(line.split()[1]) // 1024 for line in open('/proc/self/status') "
              "if line.startswith('VmHWM:')))\n")


@pytest.fixture(autouse=True)
def alarm_guard():
    """Fail (never hang) a test that runs past GUARD_SECONDS."""
    def expired(signum, frame):
        raise TimeoutError(f"the test ran past its {GUARD_SECONDS} s guard: something hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(GUARD_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


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
    from hipaa_scan.engine import ScanOptions
    from hipaa_scan import live

    eng = engine().route("/info", answer_json(info))
    run = audit(eng.url)
    assert [e.message for e in run.errors] == [f"the engine's answer to GET /info is malformed ({problem}); the "
                                               "engine-level checks that read it were skipped"]
    result = live.scan(run, ScanOptions())
    assert "HS102" in {f.rule_id for f in result.findings if f.location.path == "container://web"}


def test_info_as_a_list_through_the_cli_is_reported_never_an_internal_error(engine):
    eng = engine().route("/info", answer_json([{"Name": "x"}]))
    proc = hipaa_scan("live", "--host", eng.url, "--format", "json")
    assert proc.returncode == 2 and "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert [e["message"] for e in report["errors"]] == [
        "the engine's answer to GET /info is malformed (the answer is a list, not an object); the engine-level "
        "checks that read it were skipped"]
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
        "container #4 of the list: the engine's list entry is malformed (the answer is a number, not an object); "
        "not audited",
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
        "the engine's image list (GET /images/json) is not a JSON list; containers created from a bare image id are "
        "audited without their image's tag"]
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
