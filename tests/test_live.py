"""`hipaa-scan live` against a real, private Docker engine (tests/engine.py; never the system socket).

A fleet of containers with known misconfigurations plus one hardened control is started once per module; the
live scan must report exactly the expected rules on each. `--from-inspect` tests use inspect JSON this module
records from that engine. The unit tests at the end (error messages, redaction, the recorded fixtures) need no
engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import secrets as pyrandom
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from engine import build_busybox_image, docker_engine  # noqa: F401  (the shared private engine)

LIVE_FIXTURES = Path(FIXTURES) / "live"
LABEL_KEY = "hipaa-scan.test"
LABEL = f"{LABEL_KEY}=live"
# the busybox image: root, no no-new-privileges, writable root file system, default capabilities, no health check,
# no limits, and the engine's default json-file logging without max-size
BASE = {"HS101", "HS108", "HS110", "HS111", "HS204", "HS303", "HS304"}
STATIC_ONLY = {"HS302", "HS405"}  # rules that cannot apply to a container
SERVE = ["sh", "-c", "while true; do nc -l -p 6379 >/dev/null 2>&1; done"]
SLEEP = ["sleep", "3600"]
# A fake key, made at run time so that no token-shaped string is committed.
PLANTED = "sk-proj-" + pyrandom.token_hex(24)


def kernel_port() -> int:
    """A port number the kernel hands out (bound to port 0 on every interface, both families when it can, then
    released). Used where the engine cannot choose: a container that is created and never started (its binding is
    recorded, never bound), and hs-redis, which must publish the same host port on 0.0.0.0 and :: (given port 0,
    the engine picks one per family). Other started containers publish to port 0 (`published_port`)."""
    try:
        s = socket.socket(socket.AF_INET6)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", 0))
    except OSError:
        s = socket.socket()
        s.bind(("0.0.0.0", 0))
    with s:
        return s.getsockname()[1]


def published_port(container, port: str) -> str:
    """The host port the engine assigned to a started container's `port` (e.g. "6379/tcp")."""
    return container.attrs["NetworkSettings"]["Ports"][port][0]["HostPort"]


def fleet_specs(tmp: Path):
    sock = tmp / "docker.sock"
    sock.write_text("not a socket\n")
    return {
        # name: (image, run kwargs, expected rules, start it?)
        "hs-root": ("hs-busybox:1.0", {}, BASE, True),
        # privileged: every capability whatever it drops (HS102 owns it, not HS111)
        "hs-privileged": ("hs-busybox:1.0", {"privileged": True}, BASE - {"HS111"} | {"HS102"}, True),
        "hs-sysadmin": ("hs-busybox:1.0", {"cap_add": ["SYS_ADMIN"]}, BASE | {"HS104"}, True),
        "hs-seccomp": ("hs-busybox:1.0", {"security_opt": ["seccomp=unconfined"]}, BASE | {"HS105"}, True),
        "hs-pidhost": ("hs-busybox:1.0", {"pid_mode": "host"}, BASE | {"HS106"}, True),
        "hs-docker-sock": ("hs-busybox:1.0", {"volumes": {str(sock): {"bind": "/var/run/docker.sock", "mode": "rw"}}},
                           BASE | {"HS103"}, True),
        "hs-etc": ("hs-busybox:1.0", {"volumes": {"/etc": {"bind": "/host/etc", "mode": "ro"}}}, BASE | {"HS107"},
                   True),
        "hs-redis": ("redis:7.2", {"command": SERVE, "ports": {"6379/tcp": kernel_port()}},
                     BASE | {"HS301", "HS403", "HS501"}, True),  # 7.2 follows redis's patch releases: movable
        "hs-env": ("hs-busybox:1.0", {"environment": {
            "OPENAI_API_KEY": PLANTED, "xpack.security.enabled": "false", "LANGCHAIN_TRACING_V2": "true",
            "AUDIT_LOG_RETENTION_DAYS": "365", "REDIS_URL": "redis://cache:6379/0"}},
            BASE | {"HS401", "HS404", "HS503", "HS201", "HS505", "HS506"}, True),
        "hs-nolog": ("hs-busybox:1.0", {"log_config": {"type": "none"}}, BASE - {"HS204"} | {"HS202"}, True),
        # an audit trail on stdout kept by json-file on the host (HS202, low); CapDrop without ALL (HS111);
        # json-file rotated (no HS204)
        "hs-audit": ("hs-busybox:1.0", {"environment": {"AUDIT_LOG_ENABLED": "true"}, "cap_drop": ["NET_RAW"],
                                        "log_config": {"type": "json-file", "config": {"max-size": "1m"}}},
                     BASE - {"HS204"} | {"HS202"}, True),
        # sshd as the command (created, never started: the image has no sshd)
        "hs-sshd": ("hs-busybox:1.0", {"command": ["/usr/sbin/sshd", "-D"]}, BASE | {"HS112"}, False),
        "hs-latest": ("hs-busybox:latest", {}, BASE | {"HS301"}, True),
        "hs-created": ("hs-busybox:1.0", {"ports": {"5432/tcp": ("0.0.0.0", kernel_port())}}, BASE | {"HS501"}, False),
        "hs-control": ("hs-hardened:1.0", {
            "user": "10001", "read_only": True, "security_opt": ["no-new-privileges:true"], "mem_limit": "64m",
            "cap_drop": ["ALL"], "log_config": {"type": "json-file", "config": {"max-size": "10m", "max-file": "3"}},
            "nano_cpus": 500_000_000, "pids_limit": 64, "ports": {"6379/tcp": ("127.0.0.1",)},
            "healthcheck": {"test": ["CMD", "true"], "interval": 30_000_000_000}}, set(), True),
    }


class Fleet:
    def __init__(self, engine, specs, containers, tmp):
        self.engine = engine
        self.host = engine.host
        self.specs = specs
        self.containers = containers
        self.tmp = tmp

    def expected(self, running_only=False):
        return {name: spec[2] for name, spec in self.specs.items() if spec[3] or not running_only}


def create_fleet(engine, tmp: Path) -> Fleet:
    client = engine.client
    base = client.images.get("hs-busybox:1.0")
    base.tag("redis", "7.2")
    base.tag("hs-busybox", "latest")
    build_busybox_image(engine, "hs-hardened:1.0", extra="USER 10001")
    specs = fleet_specs(tmp)

    def make(item):
        name, (image, kwargs, _expected, start) = item
        command = kwargs.pop("command", SERVE if "ports" in kwargs else SLEEP)
        container = client.containers.create(image, command, name=name, labels={LABEL_KEY: "live"}, **kwargs)
        if start:
            container.start()
        return name, container

    with ThreadPoolExecutor(8) as pool:
        containers = dict(pool.map(make, [(n, (s[0], dict(s[1]), s[2], s[3])) for n, s in specs.items()]))
    for name, container in containers.items():
        container.reload()
        assert (container.status == "running") == specs[name][3], (name, container.status)
    return Fleet(engine, specs, containers, tmp)


@pytest.fixture(scope="module")
def fleet(docker_engine, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet")
    made = create_fleet(docker_engine, tmp)
    try:
        yield made
    finally:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda c: c.remove(force=True), made.containers.values()))


def hipaa_scan(*args, cwd=None, env=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=full_env, timeout=120)


def rules_by_resource(report):
    out = {}
    for f in report["findings"]:
        out.setdefault(f["resource"], set()).add(f["rule_id"])
    return out


def container_rules(report, names):
    got = rules_by_resource(report)
    return {name: got.get(f"container:{name}", set()) for name in names}


@pytest.fixture(scope="module")
def live_json(fleet):
    started = time.monotonic()
    proc = hipaa_scan("live", "--host", fleet.host, "--all", "--format", "json")
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout), elapsed


# --- the live scan ----------------------------------------------------------------------------------------------


def test_live_reports_exactly_the_expected_rules_per_container(fleet, live_json):
    report, _elapsed = live_json
    expected = fleet.expected()
    assert container_rules(report, expected) == expected
    assert not report["errors"]


def test_control_has_no_container_findings_and_no_static_only_rule_fires(fleet, live_json):
    report, _ = live_json
    got = rules_by_resource(report)
    assert got.get("container:hs-control", set()) == set()
    fired = {f["rule_id"] for f in report["findings"]}
    assert not fired & STATIC_ONLY


def test_engine_level_findings(fleet, live_json):
    report, _ = live_json
    engines = {r: ids for r, ids in rules_by_resource(report).items() if r.startswith("engine:")}
    assert list(engines.values()) == [{"HS109"}]  # unix socket (no HS504), json-file logging (no HS203)
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "HS109"]
    assert finding["location"]["path"].startswith("engine://") and finding["location"]["key"] == "SecurityOptions"


def test_findings_locate_the_inspect_key(fleet, live_json):
    report, _ = live_json
    keys = {(f["resource"], f["rule_id"]): f["location"] for f in report["findings"]}
    assert keys[("container:hs-privileged", "HS102")] == {"path": "container://hs-privileged",
                                                          "key": "HostConfig.Privileged"}
    assert keys[("container:hs-sysadmin", "HS104")]["key"] == "HostConfig.CapAdd[0]"
    assert keys[("container:hs-redis", "HS501")]["key"] == "NetworkSettings.Ports.6379/tcp"
    assert keys[("container:hs-created", "HS501")]["key"] == "HostConfig.PortBindings.5432/tcp"
    assert keys[("container:hs-env", "HS401")]["key"].startswith("Config.Env[")
    assert keys[("container:hs-nolog", "HS202")]["key"] == "HostConfig.LogConfig.Type"
    assert keys[("container:hs-root", "HS110")]["key"] == "HostConfig.ReadonlyRootfs"
    assert keys[("container:hs-audit", "HS111")]["key"] == "HostConfig.CapDrop[0]"
    assert keys[("container:hs-root", "HS204")]["key"] == "HostConfig.LogConfig.Type"
    assert keys[("container:hs-sshd", "HS112")]["key"] == "Config.Cmd[0]"
    severities = {(f["resource"], f["rule_id"]): f["severity"] for f in report["findings"]}
    assert severities[("container:hs-audit", "HS202")] == "low"
    assert severities[("container:hs-nolog", "HS202")] == "high"
    assert keys[("container:hs-docker-sock", "HS103")]["key"].startswith("Mounts[")


def test_port_published_on_both_wildcards_is_one_finding(fleet, live_json):
    report, _ = live_json
    redis = [f for f in report["findings"] if f["resource"] == "container:hs-redis" and f["rule_id"] == "HS501"]
    assert len(redis) == 1
    assert "Redis port 6379" in redis[0]["message"] and f"host port {published_port(fleet.containers['hs-redis'], '6379/tcp')}" in redis[0]["message"]
    raw = fleet.containers["hs-redis"].attrs  # the engine does list it twice
    fleet.containers["hs-redis"].reload()
    ips = {b["HostIp"] for b in fleet.containers["hs-redis"].attrs["NetworkSettings"]["Ports"]["6379/tcp"]}
    assert ips == {"0.0.0.0", "::"}, raw["Name"]


def test_default_selection_is_running_containers_only(fleet):
    proc = hipaa_scan("live", "--host", fleet.host, "--label", LABEL, "--format", "json")
    report = json.loads(proc.stdout)
    containers = {r for r in rules_by_resource(report) if r.startswith("container:")}
    assert containers == {f"container:{n}" for n in fleet.expected(running_only=True)} - {"container:hs-control"}
    assert "container:hs-created" not in containers


def test_container_and_label_selection(fleet):
    proc = hipaa_scan("live", "--host", fleet.host, "--container", "hs-created", "--container",
                      fleet.containers["hs-root"].id[:12], "--format", "json")
    report = json.loads(proc.stdout)
    assert container_rules(report, ["hs-created", "hs-root"]) == {n: fleet.specs[n][2] for n in ("hs-created",
                                                                                                   "hs-root")}
    assert {r for r in rules_by_resource(report) if r.startswith("container:")} == {"container:hs-created",
                                                                                     "container:hs-root"}
    proc = hipaa_scan("live", "--host", fleet.host, "--all", "--label", f"{LABEL_KEY}=other", "--format", "json")
    assert proc.returncode == 0, proc.stderr  # only the engine's own HS109 (low) is left
    assert not [r for r in rules_by_resource(json.loads(proc.stdout)) if r.startswith("container:")]


def test_unknown_container_is_an_error_not_a_traceback(fleet):
    proc = hipaa_scan("live", "--host", fleet.host, "--container", "no-such-container", "--format", "json")
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert [e["message"] for e in report["errors"]] == [f"no container named 'no-such-container' on {fleet.host}"]


def test_scan_time_and_request_count(fleet, live_json, monkeypatch):
    """Inspection is concurrent and there is no round trip per check: version + info + list + one inspect each."""
    import requests.adapters

    from hipaa_scan import live

    sent = []
    real_send = requests.adapters.HTTPAdapter.send

    def spy(self, request, *args, **kwargs):
        sent.append((request.method, request.path_url.split("?")[0]))
        return real_send(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", spy)
    run = live.audit([live.Target(fleet.host)], live.Selection(all=True, labels=(LABEL,)))
    assert len(run.inventory) == len(fleet.specs) + 1
    methods = {m for m, _ in sent}
    assert methods == {"GET"}
    paths = [p for _, p in sent]
    inspects = [p for p in paths if p.endswith("/json") and "/containers/" in p and not p.endswith("containers/json")]
    assert len(inspects) == len(fleet.specs)
    assert len(sent) == 3 + len(fleet.specs), paths  # /version, /info, /containers/json, N inspects
    _report, elapsed = live_json
    print(f"\nlive scan of {len(fleet.specs)} containers: {run.seconds:.2f} s in-process, {elapsed:.2f} s as a command")


# --- read-only -------------------------------------------------------------------------------------------------


def test_transport_refuses_anything_but_get(fleet):
    from hipaa_scan import live

    client, version = live.connect(live.Target(fleet.host))
    try:
        assert version["ApiVersion"]
        victim = fleet.containers["hs-root"]
        with pytest.raises(live.ReadOnlyViolation, match="refused to send POST /v[0-9.]+/containers/.*/kill"):
            client.kill(victim.id)
        with pytest.raises(live.ReadOnlyViolation, match="DELETE"):
            client.remove_container(victim.id, force=True)
        with pytest.raises(live.ReadOnlyViolation):
            client.create_container("hs-busybox:1.0", "true", name="hs-should-not-exist")
        for adapter in client.adapters.values():  # the transport itself refuses, below the session
            import requests

            req = requests.Request("POST", "http+docker://localhost/v1.41/containers/prune").prepare()
            with pytest.raises(live.ReadOnlyViolation):
                adapter.send(req)
        assert client.inspect_container(victim.id)["State"]["Running"] is True  # GET still works
    finally:
        client.close()
    victim.reload()
    assert victim.status == "running"
    assert not fleet.engine.client.containers.list(all=True, filters={"name": "hs-should-not-exist"})


# --- several engines, TCP -------------------------------------------------------------------------------------


class TcpToUnix:
    """A plain-TCP port on 127.0.0.1 forwarding to the engine's unix socket: an engine 'exposed without TLS'."""

    def __init__(self, path):
        self.path = path
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.path)
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.stopped = True
        self.server.close()


def test_several_hosts_in_one_report_and_plain_tcp_is_reported(fleet):
    proxy = TcpToUnix(str(fleet.engine.socket))
    try:
        proc = hipaa_scan("live", "--host", fleet.host, "--host", f"tcp://127.0.0.1:{proxy.port}", "--label", LABEL,
                          "--container", "hs-redis", "--format", "json")
    finally:
        proxy.close()
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    by = rules_by_resource(report)
    tcp_label = f"127.0.0.1:{proxy.port}"
    assert by[f"engine:{tcp_label}"] == {"HS504", "HS109"}
    unix_engines = [r for r in by if r.startswith("engine:") and r != f"engine:{tcp_label}"]
    assert len(unix_engines) == 1 and by[unix_engines[0]] == {"HS109"}
    assert by[f"container:{tcp_label}/hs-redis"] == fleet.specs["hs-redis"][2]
    assert by[f"container:{unix_engines[0][len('engine:'):]}/hs-redis"] == fleet.specs["hs-redis"][2]


def test_ssh_engine_through_the_system_ssh_client(fleet, tmp_path):
    """ssh://user@host:port runs `ssh -l user -p port -- host docker system dial-stdio`, as the docker CLI does. No
    sshd runs here, so a stand-in `ssh` on PATH records its arguments and runs that remote command's dialer against
    the private engine: everything but the encrypted hop is real (SDK transport, dial-stdio, engine, GET guard)."""
    pytest.importorskip("paramiko", reason="the docker SDK's ssh transport imports paramiko (test extra)")
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        pytest.skip("no docker CLI for `docker system dial-stdio` (Debian's docker.io ships it)")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "ssh-calls"
    fake = bindir / "ssh"
    fake.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$*\" >> {calls}\n"
                    f"exec {docker_cli} -H {fleet.host} system dial-stdio\n")
    fake.chmod(0o755)
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = hipaa_scan("live", "--host", "ssh://auditor@db1.example:2222", "--container", "hs-root",
                      "--format", "json", env=env)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert rules_by_resource(report)["container:hs-root"] == fleet.specs["hs-root"][2]
    assert calls.read_text().splitlines()[0] == "-l auditor -p 2222 -- db1.example docker system dial-stdio"


def test_one_engine_down_still_reports_the_others_and_exits_2(fleet, tmp_path):
    proc = hipaa_scan("live", "--host", fleet.host, "--host", f"unix://{tmp_path}/down.sock", "--container",
                      "hs-root", "--format", "json")
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    assert container_rules(report, ["hs-root"]) == {"hs-root": fleet.specs["hs-root"][2]}
    assert [(e["kind"], e["message"].split(":")[0]) for e in report["errors"]] == [
        ("engine", "cannot reach the Docker engine at unix")]


# --- evidence -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evidence(fleet, tmp_path_factory):
    out = tmp_path_factory.mktemp("evidence") / "audit"
    proc = hipaa_scan("live", "--host", fleet.host, "--all", "--label", LABEL, "--evidence", str(out),
                      "--format", "sarif", "--output", str(out.parent / "stdout.sarif"), cwd=out.parent)
    assert proc.returncode == 1, proc.stderr
    return out, proc


def test_evidence_folder_layout_and_manifest_verifies(fleet, evidence):
    out, proc = evidence
    assert f"evidence written to {out}" in proc.stderr
    digest = hashlib.sha256((out / "MANIFEST.sha256").read_bytes()).hexdigest()  # printed last, to record elsewhere
    assert proc.stderr.splitlines()[-1] == f"hipaa-scan: evidence manifest SHA-256 {digest} ({out}/MANIFEST.sha256)"
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for name in fleet.specs:
        assert f"containers/{name}.json" in names
    engine_files = {n for n in names if n.startswith("engines/")}
    assert {n.rsplit("/", 1)[1] for n in engine_files} == {"info.json", "version.json", "connection.json"}
    assert {"report.json", "report.sarif", "report.txt", "manifest.json", "MANIFEST.sha256"} <= names
    check = subprocess.run(["sha256sum", "-c", "--strict", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = {line.split("  ", 1)[1] for line in (out / "MANIFEST.sha256").read_text().splitlines()}
    assert listed == names - {"MANIFEST.sha256"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scan_time_utc"].endswith("Z") and manifest["tool"]["name"] == "hipaa-scan"
    assert manifest["hosts"][0]["host"] == fleet.host
    assert {"HS101", "HS504", "HS109"} <= {r["id"] for r in manifest["rule_catalog"]}
    assert {f["path"] for f in manifest["files"]} == names - {"MANIFEST.sha256", "manifest.json"}
    inspect = json.loads((out / "containers" / "hs-env.json").read_text())
    env = dict(item.split("=", 1) for item in inspect["Config"]["Env"])
    assert env["LANGCHAIN_TRACING_V2"] == "****(4 chars)"  # every value masked, names kept
    assert env["OPENAI_API_KEY"].startswith("****(")
    tampered = out / "containers" / "hs-root.json"
    original = tampered.read_bytes()
    try:
        tampered.write_bytes(original.replace(b'"Privileged": false', b'"Privileged": true '))
        assert subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=out,
                              capture_output=True).returncode != 0
    finally:
        tampered.write_bytes(original)


def test_evidence_never_overwrites(fleet, evidence):
    out, _ = evidence
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = hipaa_scan("live", "--host", fleet.host, "--label", LABEL, "--evidence", str(out), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    subs = [p for p in out.iterdir() if p.is_dir() and p.name.startswith("scan-")]
    assert len(subs) == 1 and "a new subfolder" in proc.stderr
    assert (subs[0] / "MANIFEST.sha256").is_file()
    assert {p: p.read_bytes() for p in before} == before
    assert subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=subs[0]).returncode == 0


def test_sarif_points_at_evidence_files(fleet, evidence):
    import jsonschema
    from test_reports import sarif_schema

    out, _ = evidence
    for path, base in ((out / "report.sarif", "containers/"), (out.parent / "stdout.sarif", "audit/containers/")):
        log = json.loads(path.read_text())
        jsonschema.Draft4Validator(sarif_schema()).validate(log)
        results = log["runs"][0]["results"]
        assert results
        for result in results:
            loc = result["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
            uri = loc["artifactLocation"]["uri"]
            assert ":" not in uri.split("/", 1)[0] and not uri.startswith("/")
            if result["properties"]["resource"].startswith("container:"):
                assert uri.startswith(base) and uri.endswith(".json")
                assert loc["region"]["startLine"] >= 1
        priv = next(r for r in results if r["ruleId"] == "HS102")["locations"][0]["physicalLocation"]
        assert priv["artifactLocation"]["uri"] == base + "hs-privileged.json"
        line = (out / "containers" / "hs-privileged.json").read_text().splitlines()[priv["region"]["startLine"] - 1]
        assert line.strip() == '"Privileged": true,'


def test_sarif_without_evidence_uses_relative_container_uris(fleet):
    proc = hipaa_scan("live", "--host", fleet.host, "--label", LABEL, "--container", "hs-privileged",
                      "--format", "sarif")
    log = json.loads(proc.stdout)
    import jsonschema
    from test_reports import sarif_schema

    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    physical = [r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"]]
    assert all(p["region"]["startLine"] == 1 and p["artifactLocation"]["uriBaseId"] == "%SRCROOT%" for p in physical)
    uris = {p["artifactLocation"]["uri"] for p in physical}
    assert "container/hs-privileged" in uris
    assert all(u.startswith(("container/", "engine/")) for u in uris)


def test_planted_secret_never_leaves(fleet, evidence, recorded, tmp_path):
    out, _ = evidence
    raw, _ = recorded
    assert PLANTED in (raw / "all.json").read_text()  # the input does hold it
    outputs = []
    for source in (("--host", fleet.host, "--all", "--label", LABEL), ("--from-inspect", str(raw / "all.json"))):
        for fmt in ("text", "json", "sarif"):
            proc = hipaa_scan("live", *source, "--format", fmt)
            assert "OPENAI_API_KEY" in proc.stdout  # the finding is there, by name
            outputs += [proc.stdout, proc.stderr]
        proc = hipaa_scan("live", *source, "-q", "--fail-on", "info")
        outputs += [proc.stdout, proc.stderr]
    offline = tmp_path / "offline-evidence"
    assert hipaa_scan("live", "--from-inspect", str(raw / "all.json"), "--evidence", str(offline)).returncode == 1
    for text in outputs:
        assert PLANTED not in text and PLANTED[8:24] not in text
    files = [p for p in out.rglob("*") if p.is_file()] + [out.parent / "stdout.sarif"]
    files += [p for p in offline.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        assert PLANTED[8:24] not in path.read_text(), path


def test_text_report_has_container_sections_and_safeguard_summary(fleet):
    proc = hipaa_scan("live", "--host", fleet.host, "--all", "--label", LABEL)
    assert proc.returncode == 1
    out = proc.stdout
    assert 'container "hs-control"' in out and "no findings" in out
    assert 'container "hs-privileged"' in out and "HostConfig.Privileged" in out
    assert "Findings by HIPAA safeguard" in out and "hs-privileged" in out.split("Findings by HIPAA safeguard")[1]
    assert f"on {len(fleet.specs) - 1} of {len(fleet.specs)} containers and 1 engine" in out
    assert "\x1b[" not in out  # no colour when not a terminal


def test_engine_default_log_options_reach_its_containers(fleet, tmp_path_factory):
    """HS204 judges an engine's default logging through its containers: an engine merges its `log-opts` into a
    container of its default driver when the container is created. A second private engine with `max-size` set
    has no HS204 finding; the fleet's engine (no log-opts) has one on a busybox container."""
    from engine import start_engine

    engine = start_engine(tmp_path_factory.mktemp("logopts"),
                          daemon_config={"log-opts": {"max-size": "10m", "max-file": "3"}})
    try:
        build_busybox_image(engine)
        engine.client.containers.create("hs-busybox:1.0", SLEEP, name="hs-logopts")
        config = engine.client.api.inspect_container("hs-logopts")["HostConfig"]["LogConfig"]
        assert config == {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}
        proc = hipaa_scan("live", "--host", engine.host, "--all", "--select", "HS204", "--format", "json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["findings"] == []
    finally:
        engine.stop()
    proc = hipaa_scan("live", "--host", fleet.host, "--container", "hs-root", "--select", "HS204", "--format", "json")
    assert [f["location"]["key"] for f in json.loads(proc.stdout)["findings"]] == ["HostConfig.LogConfig.Type"]


# --- offline: recorded inspect JSON ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(fleet, tmp_path_factory):
    """Inspect and info JSON exactly as `docker inspect` / `docker info` print them, recorded from the engine."""
    tmp = tmp_path_factory.mktemp("recorded")
    api = fleet.engine.client.api
    inspects = [api.inspect_container(c.id) for c in fleet.containers.values()]
    (tmp / "all.json").write_text(json.dumps(inspects, indent=4))
    (tmp / "one.json").write_text(json.dumps(inspects[0], indent=4))
    (tmp / "info.json").write_text(json.dumps(api.info()))
    return tmp, inspects


def test_from_inspect_gives_the_same_container_findings(fleet, live_json, recorded):
    tmp, _ = recorded
    proc = hipaa_scan("live", "--from-inspect", str(tmp / "all.json"), "--from-info", str(tmp / "info.json"),
                      "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert container_rules(report, fleet.specs) == fleet.expected()
    engines = {r: ids for r, ids in rules_by_resource(report).items() if r.startswith("engine:")}
    assert list(engines.values()) == [{"HS109"}]  # no connection offline, so never HS504


def test_from_inspect_single_object_and_no_daemon(fleet, recorded):
    tmp, inspects = recorded
    name = inspects[0]["Name"].lstrip("/")
    proc = hipaa_scan("live", "--from-inspect", str(tmp / "one.json"), "--format", "json",
                      env={"DOCKER_HOST": "tcp://127.0.0.1:1"})
    report = json.loads(proc.stdout)
    assert set(rules_by_resource(report)) == {f"container:{name}"}


def test_from_info_logging_none_is_reported(recorded, tmp_path):
    tmp, _ = recorded
    info = json.loads((tmp / "info.json").read_text())
    info["LoggingDriver"] = "none"
    info["SecurityOptions"] = list(info.get("SecurityOptions") or []) + ["name=userns"]
    info["RegistryConfig"]["InsecureRegistryCIDRs"] = ["127.0.0.0/8", "10.20.0.0/16"]
    (tmp_path / "info.json").write_text(json.dumps(info))
    proc = hipaa_scan("live", "--from-info", str(tmp_path / "info.json"), "--format", "json")
    report = json.loads(proc.stdout)
    assert {f["rule_id"] for f in report["findings"]} == {"HS203", "HS306"}
    hs203 = next(f for f in report["findings"] if f["rule_id"] == "HS203")
    assert hs203["location"]["key"] == "LoggingDriver"


def test_record_fixtures_for_unit_tests(fleet, recorded):
    """fixtures/live/ holds inspect and info JSON recorded from this engine, with secret values masked. Regenerate
    with HIPAA_SCAN_RECORD_LIVE=1; otherwise only written when missing."""
    from hipaa_scan.live.evidence import dumps_with_lines
    from hipaa_scan.secrets import mask, sensitive_values

    _tmp, inspects = recorded
    target = LIVE_FIXTURES
    expected = {name: sorted(spec[2]) for name, spec in fleet.specs.items()}
    if (target / "inspect.json").exists() and os.environ.get("HIPAA_SCAN_RECORD_LIVE") != "1":
        # Already recorded: it must still describe this fleet.
        assert json.loads((target / "expected.json").read_text()) == expected
        names = {d["Name"].lstrip("/") for d in json.loads((target / "inspect.json").read_text())}
        assert names == set(fleet.specs)
        return
    keep = []
    for data in sorted(inspects, key=lambda d: d["Name"]):
        env = data["Config"].get("Env") or []
        secret = set(sensitive_values(tuple(e.split("=", 1)) for e in env if "=" in e))
        data["Config"]["Env"] = [e if e.split("=", 1)[-1] not in secret else f"{e.split('=', 1)[0]}="
                                 f"{mask(e.split('=', 1)[1])}" for e in env]
        keep.append(data)
    info = fleet.engine.client.api.info()
    target.mkdir(parents=True, exist_ok=True)
    (target / "inspect.json").write_text(dumps_with_lines(keep)[0])
    (target / "info.json").write_text(dumps_with_lines(info)[0])
    (target / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


# --- errors ------------------------------------------------------------------------------------------------------


def test_unreachable_engine_is_one_line_and_exit_2(tmp_path):
    missing = tmp_path / "nothing.sock"
    proc = hipaa_scan("live", "--host", f"unix://{missing}")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"hipaa-scan: error: cannot reach the Docker engine at unix://{missing}")
    assert "dockerd is running" in proc.stderr


def test_refused_tcp_is_one_line_and_exit_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = hipaa_scan("live", "--host", f"tcp://127.0.0.1:{port}", "--timeout", "5", "--format", "json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "connection refused" in proc.stderr


@pytest.mark.parametrize("content,needle", [
    ("{not json", "not valid JSON"),
    ("[]", "an empty list"),
    ('{"RepoTags": ["x:1"], "RootFS": {}}', "of an image"),
    ('[{"Config": {}}, 3]', "item 1: not a JSON object"),
    ("\xff\xfe", "not UTF-8"),
])
def test_malformed_inspect_file_is_one_line_and_exit_2(tmp_path, content, needle):
    path = tmp_path / "inspect.json"
    path.write_bytes(content.encode("latin-1"))
    proc = hipaa_scan("live", "--from-inspect", str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_from_inspect_with_host_is_a_usage_error(tmp_path):
    proc = hipaa_scan("live", "--from-inspect", str(tmp_path / "x.json"), "--host", "unix:///nope")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_importing_the_cli_does_not_import_docker():
    code = "import sys, hipaa_scan.cli, hipaa_scan.sources.container; print('docker' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_real_permission_denied_on_the_socket(tmp_path):
    """Root without CAP_DAC_OVERRIDE meets a socket nobody may open: the real EACCES path."""
    import shutil

    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) not installed")
    path = tmp_path / "locked.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)
    os.chmod(path, 0)
    try:
        proc = subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps",
                               "-dac_override,-dac_read_search", sys.executable, "-m", "hipaa_scan", "live",
                               "--host", f"unix://{path}"], capture_output=True, text=True, timeout=60)
    finally:
        server.close()
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"hipaa-scan: error: permission denied on the Docker socket {path}: add your user to the "
                           "`docker` group (and log in again) or run hipaa-scan with sudo\n")


def test_real_tls_failure(fleet, tmp_path):
    """TLS asked for (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), but the engine's port speaks plain HTTP."""
    import shutil

    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out",
                    "cert.pem", "-days", "1", "-subj", "/CN=localhost"], cwd=tmp_path, capture_output=True, check=True)
    (tmp_path / "ca.pem").write_bytes((tmp_path / "cert.pem").read_bytes())
    proxy = TcpToUnix(str(fleet.engine.socket))
    try:
        proc = hipaa_scan("live", "--host", f"tcp://127.0.0.1:{proxy.port}",
                          env={"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tmp_path)})
    finally:
        proxy.close()
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"hipaa-scan: error: TLS failure talking to the Docker engine at "
                                  f"tcp://127.0.0.1:{proxy.port}: ")
    assert "DOCKER_CERT_PATH" in proc.stderr


def test_api_version_too_old(fleet, monkeypatch):
    from click.testing import CliRunner
    from docker.api.client import APIClient

    from hipaa_scan import commands

    monkeypatch.setattr(APIClient, "version", lambda self, api_version=True: {"ApiVersion": "1.19",
                                                                              "Version": "1.7.1"})
    result = CliRunner().invoke(commands.main, ["live", "--host", fleet.host])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"hipaa-scan: error: the Docker engine at {fleet.host} speaks API 1.19, older than 1.24 "
                             "(Docker 1.12), the oldest hipaa-scan supports: upgrade the engine, or save `docker "
                             "inspect` and `docker info` output there and use --from-inspect / --from-info\n")


def test_docker_host_and_context(fleet, tmp_path):
    proc = hipaa_scan("live", "--container", "hs-sysadmin", "--format", "json", env={"DOCKER_HOST": fleet.host})
    assert container_rules(json.loads(proc.stdout), ["hs-sysadmin"]) == {"hs-sysadmin": fleet.specs["hs-sysadmin"][2]}
    import hashlib

    meta = tmp_path / "contexts" / "meta" / hashlib.sha256(b"audit-target").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({"Name": "audit-target", "Metadata": {},
                                                "Endpoints": {"docker": {"Host": fleet.host, "SkipTLSVerify": False}}}))
    proc = hipaa_scan("live", "--context", "audit-target", "--container", "hs-pidhost", "--format", "json",
                      env={"DOCKER_CONFIG": str(tmp_path), "DOCKER_HOST": "unix:///nonexistent"})
    assert container_rules(json.loads(proc.stdout), ["hs-pidhost"]) == {"hs-pidhost": fleet.specs["hs-pidhost"][2]}
    proc = hipaa_scan("live", "--context", "nope", env={"DOCKER_CONFIG": str(tmp_path)})
    assert proc.returncode == 2 and proc.stderr.startswith("hipaa-scan: error: no Docker context named 'nope'")


def test_container_removed_mid_scan_is_a_note(fleet, monkeypatch):
    from docker.api.client import APIClient

    from hipaa_scan import live
    from hipaa_scan.engine import ScanOptions
    from hipaa_scan.report import livetext

    victim = fleet.engine.client.containers.run("hs-busybox:1.0", SLEEP, name="hs-vanishing", detach=True,
                                                labels={LABEL_KEY: "vanishing"})
    real = APIClient.inspect_container

    def racing(self, ref):
        if ref == victim.id:  # removed by someone else between the list and the inspect
            fleet.engine.client.api.remove_container(victim.id, force=True)
        return real(self, ref)

    monkeypatch.setattr(APIClient, "inspect_container", racing)
    run = live.audit([live.Target(fleet.host)], live.Selection(labels=(f"{LABEL_KEY}=vanishing",)))
    assert run.notes == [f"container hs-vanishing ({victim.id[:12]}) was removed during the scan; not audited"]
    result = live.scan(run, ScanOptions())
    assert not result.errors and result.exit_code("high") == 0
    assert f"note: container hs-vanishing ({victim.id[:12]}) was removed" in livetext.render(result, inventory=run.inventory, run=run)


# --- unit tests: no engine ---------------------------------------------------------------------------------------


def _conn_error(inner):
    import requests
    import urllib3

    return requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.", inner))


@pytest.mark.parametrize("exc,url,expected", [
    (lambda: _conn_error(PermissionError(13, "Permission denied")), "unix:///var/run/docker.sock",
     "permission denied on the Docker socket /var/run/docker.sock: add your user to the `docker` group (and log in "
     "again) or run hipaa-scan with sudo"),
    (lambda: _conn_error(FileNotFoundError(2, "No such file or directory")), "unix:///run/x.sock",
     "cannot reach the Docker engine at unix:///run/x.sock: no socket at /run/x.sock; check that dockerd is running "
     "and that --host, --context or DOCKER_HOST names the right engine"),
    (lambda: _conn_error(ConnectionRefusedError(111, "Connection refused")), "tcp://db1:2376",
     "cannot reach the Docker engine at tcp://db1:2376: connection refused; check that dockerd is running and "
     "listening there, and that --host, --context or DOCKER_HOST is right"),
    (lambda: __import__("requests").exceptions.SSLError(__import__("ssl").SSLError(1, "[SSL: "
     "CERTIFICATE_VERIFY_FAILED] certificate verify failed")), "tcp://db1:2376",
     "TLS failure talking to the Docker engine at tcp://db1:2376: certificate verification failed; check "
     "DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), DOCKER_TLS_VERIFY, or the context's TLS files"),
    (lambda: __import__("requests").exceptions.ReadTimeout("read timed out"), "tcp://db1:2376",
     "the Docker engine at tcp://db1:2376 did not answer within 30 s: check that it is running and reachable, "
     "or raise --timeout"),
    (lambda: __import__("docker").errors.DockerException("Install paramiko package to enable ssh:// support"),
     "ssh://ops@db1", "cannot reach ssh://ops@db1: ssh:// engines need the paramiko package (pip install "
     "'hipaa-scan[ssh]'), or forward the socket with `ssh -L` and use --host unix://... instead"),
    (lambda: _conn_error(ConnectionRefusedError(111, "Connection refused")), "tcp://ops:s3cr3tpw@db1:2376",
     "cannot reach the Docker engine at tcp://ops:****(8 chars)@db1:2376: connection refused; check that dockerd is running "
     "and listening there, and that --host, --context or DOCKER_HOST is right"),
])
def test_error_messages(exc, url, expected):
    from hipaa_scan import live

    message = str(live.classify(exc(), live.Target(url)))
    assert message == expected
    assert "\n" not in message and "s3cr3tpw" not in message


def test_error_through_the_cli_is_one_line(monkeypatch):
    from click.testing import CliRunner
    from docker.api.client import APIClient

    from hipaa_scan import commands

    def refuse(self, api_version=True):
        raise _conn_error(PermissionError(13, "Permission denied"))

    monkeypatch.setattr(APIClient, "version", refuse)
    result = CliRunner().invoke(commands.main, ["live", "--host", "unix:///nonexistent/docker.sock", "--format", "sarif"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "`docker` group" in result.stderr and "sudo" in result.stderr


def test_read_only_guard_on_a_plain_session():
    import requests
    from requests.adapters import HTTPAdapter

    from hipaa_scan import live

    sent = []

    class Recorder(HTTPAdapter):
        def send(self, request, *args, **kwargs):
            sent.append(request.method)
            raise requests.exceptions.ConnectionError("not really sent")

    session = requests.Session()
    session.mount("http://", Recorder())
    live.make_read_only(session)
    for method in ("POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
        with pytest.raises(live.ReadOnlyViolation, match=f"refused to send {method} /x"):
            session.request(method, "http://engine.invalid/x")
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("http://engine.invalid/x")
    assert sent == ["GET"]


def _fixture_docs():
    from hipaa_scan.sources.container import container_document

    data = json.loads((LIVE_FIXTURES / "inspect.json").read_text())
    return {d["Name"].lstrip("/"): container_document(d) for d in data}, data


def test_container_mapping_from_recorded_inspect():
    docs, _ = _fixture_docs()
    redis = docs["hs-redis"].resources[0]
    assert docs["hs-redis"].path == "container://hs-redis" and docs["hs-redis"].lines is None
    assert redis.kind == "container" and redis.name == "container:hs-redis" and redis.label == 'container "hs-redis"'
    assert [(p.container_port, p.host_ip, p.host_port.isdigit(), p.protocol, p.loc.key) for p in redis.ports] == [
        (6379, "", True, "tcp", "NetworkSettings.Ports.6379/tcp")]
    assert redis.image.value == "redis:7.2" and redis.image.loc.key == "Config.Image"
    assert [t.value for t in redis.command][:2] == ["sh", "-c"] and redis.command[0].loc.key == "Config.Cmd[0]"
    assert redis.user is None and redis.healthcheck is None and redis.limits == {}
    created = docs["hs-created"].resources[0]
    assert created.state == "created"
    assert [(p.host_ip, p.host_port.isdigit(), p.loc.key) for p in created.ports] == [
        ("0.0.0.0", True, "HostConfig.PortBindings.5432/tcp")]
    control = docs["hs-control"].resources[0]
    assert control.user.value == "10001" and control.read_only.value is True
    assert {k: v.value for k, v in control.limits.items()} == {"memory": str(64 * 1024 * 1024), "cpus": "0.5",
                                                               "pids": "64"}
    assert control.healthcheck.value is True and control.healthcheck.loc.key == "Config.Healthcheck"
    assert [o.value for o in control.security_opt] == ["no-new-privileges:true"]
    assert [(p.host_ip, p.on_all_interfaces) for p in control.ports] == [("127.0.0.1", False)]
    privileged = docs["hs-privileged"].resources[0]
    assert privileged.privileged.value is True and privileged.privileged.loc.key == "HostConfig.Privileged"
    assert privileged.security_opt == []  # the engine's automatic label=disable is not the user's setting
    assert docs["hs-pidhost"].resources[0].namespaces["pid"].value == "host"
    assert docs["hs-sysadmin"].resources[0].cap_add[0].value == "SYS_ADMIN"
    sock = docs["hs-docker-sock"].resources[0].mounts[0]
    assert (sock.type, sock.target, sock.source.endswith("/docker.sock"), sock.loc.key) == (
        "bind", "/var/run/docker.sock", True, "Mounts[0]")
    etc = docs["hs-etc"].resources[0].mounts[0]
    assert (etc.source, etc.read_only) == ("/etc", True)
    env = docs["hs-env"].resources[0]
    assert {v.name for v in env.env} >= {"OPENAI_API_KEY", "xpack.security.enabled", "LANGCHAIN_TRACING_V2"}
    assert all(v.origin == "container" and v.loc.key.startswith("Config.Env[") for v in env.env)
    assert docs["hs-nolog"].resources[0].logging_driver.value == "none"
    assert [c.value for c in control.cap_drop] == ["ALL"] and control.cap_drop[0].loc.key == "HostConfig.CapDrop[0]"
    assert control.logging_options == {"max-size": "10m", "max-file": "3"}
    assert docs["hs-root"].resources[0].logging_options == {}  # the engine's default: json-file, no options
    assert docs["hs-latest"].resources[0].image.value == "hs-busybox:latest"


def test_offline_analysis_of_recorded_fixtures_matches_expected():
    proc = hipaa_scan("live", "--from-inspect", str(LIVE_FIXTURES / "inspect.json"), "--from-info",
                      str(LIVE_FIXTURES / "info.json"), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    expected = {k: set(v) for k, v in json.loads((LIVE_FIXTURES / "expected.json").read_text()).items()}
    assert container_rules(report, expected) == expected


def test_inspect_json_of_any_shape_never_raises():
    """Every value of a recorded inspect replaced by each JSON type: a document, no rule errors, no traceback."""
    from hipaa_scan.engine import ScanOptions, scan_documents
    from hipaa_scan.sources.container import container_document

    _, data = _fixture_docs()
    sample = next(d for d in data if d["Name"] == "/hs-redis")
    paths = []

    def walk(value, path):
        paths.append(path)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value[:2]):
                walk(v, path + (i,))

    walk(sample, ())
    docs = []
    for path in paths:
        for replacement in (None, 7, "x", [], {}, True, [None], {"a": None}):
            copy = json.loads(json.dumps(sample))
            if not path:
                copy = replacement
            else:
                parent = copy
                for part in path[:-1]:
                    parent = parent[part]
                parent[path[-1]] = replacement
            docs.append(container_document(copy))
    result = scan_documents(docs, ScanOptions())
    assert not result.errors, result.errors[:3]


def test_evidence_redaction_and_json_lines():
    from hipaa_scan.live.evidence import dumps_with_lines, redact_inspect
    from hipaa_scan.engine import resource_secrets
    from hipaa_scan.sources.container import container_document

    inspect = {"Name": "/db", "Args": ["--requirepass", "hunter2hunter2"], "Config": {
        "Env": ["PGPASSWORD=correct-horse-battery", "PLAIN=visible", "NOVALUE"],
        "Cmd": ["redis-server", "--requirepass", "hunter2hunter2"], "Labels": {"url": "https://u:pa55word@h/"}}}
    doc = container_document(inspect)
    out = redact_inspect(inspect, resource_secrets(doc.resources[0]))
    text = json.dumps(out)
    for secret in ("correct-horse-battery", "hunter2hunter2", "pa55word", "visible"):
        assert secret not in text
    assert out["Config"]["Env"] == ["PGPASSWORD=****(21 chars)", "PLAIN=****(7 chars)", "NOVALUE"]
    assert inspect["Config"]["Env"][1] == "PLAIN=visible"  # the input is not changed
    text, index = dumps_with_lines(out)
    assert text == json.dumps(out, indent=2) + "\n"
    assert text.splitlines()[index["Config.Env[1]"] - 1].strip() == '"PLAIN=****(7 chars)",'
    assert text.splitlines()[index["Config.Cmd"] - 1].strip() == '"Cmd": ['


def test_sarif_uri_of_live_resources_is_relative():
    from hipaa_scan.report import sarif

    assert sarif._uri("container://web") == {"uri": "container/web", "uri_base_id": "%SRCROOT%"}
    assert sarif._uri("container://db1:2376/web") == {"uri": "container/db1%3A2376/web", "uri_base_id": "%SRCROOT%"}
    assert sarif._uri("engine://vm") == {"uri": "engine/vm", "uri_base_id": "%SRCROOT%"}


@pytest.mark.parametrize("info", [
    {}, {"LoggingDriver": 3, "SecurityOptions": "name=userns", "RegistryConfig": []},
    {"SecurityOptions": [None, 1, "name=rootless"], "RegistryConfig": {"InsecureRegistryCIDRs": [None, "bad/x", 7],
                                                                       "IndexConfigs": {"x": None, "y": {"Secure": 0}}}},
    {"Name": None, "RegistryConfig": {"InsecureRegistryCIDRs": "10.0.0.0/8", "IndexConfigs": []}},
])
def test_engine_info_of_any_shape_never_raises(info):
    from hipaa_scan.engine import ScanOptions, scan_documents
    from hipaa_scan.sources.engine import engine_document

    result = scan_documents([engine_document("e", info, None, {"scheme": "tcp", "tls": False, "host": "tcp://e"})],
                            ScanOptions(select=["HS109", "HS203", "HS306", "HS504"]))
    assert not result.errors
    assert "HS504" in {f.rule_id for f in result.findings}


def test_untrusted_container_names_stay_path_safe():
    from hipaa_scan.sources.container import container_name

    assert container_name({"Name": "/web-1"}) == "web-1"
    assert container_name({"Name": "/../../etc/passwd"}) == "_.._.._etc_passwd"
    assert container_name({"Name": "..", "Id": "abc"}) == "_.."
    assert container_name({"Name": "", "Id": "0123456789abcdef"}) == "0123456789ab"
    assert container_name({"Name": None, "Id": ["x"]}) == "unnamed"
