"""`hipaa-scan live` against an engine that misbehaves: it hangs, answers 500, sends malformed JSON or drops the
connection in the middle of the container list. A small HTTP server in the test plays that engine (a real engine
cannot be made to fail this way on demand); the acceptance tests against a real engine are in test_live.py.

Every case ends the same way: one line on stderr, exit code 2, no traceback, and a hang is cut by --timeout."""

import http.server
import json
import os
import socketserver
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT

VERSION = {"Version": "24.0.7", "ApiVersion": "1.43", "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64"}
INFO = {"ID": "fake", "Name": "fake-engine", "ServerVersion": "24.0.7", "LoggingDriver": "json-file",
        "SecurityOptions": ["name=seccomp,profile=builtin"], "Containers": 1}
SUMMARY = [{"Id": "a" * 64, "Names": ["/web"], "Image": "nginx:1.25", "State": "running", "Labels": {}}]
INSPECT = {"Id": "a" * 64, "Name": "/web", "State": {"Status": "running", "Running": True},
           "Config": {"Image": "nginx:1.25", "User": "", "Env": ["PATH=/usr/bin"]},
           "HostConfig": {"Privileged": True}, "NetworkSettings": {"Ports": {}}, "Mounts": []}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fault = ""  # set per server
    seen = []  # paths requested, shared

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0]
        self.seen.append((self.command, path))
        fault = self.server.fault
        if path.endswith("/version"):
            if fault == "hang-version":
                time.sleep(30)
            return self._send(200, json.dumps(VERSION).encode())
        if path.endswith("/info"):
            if fault == "500-info":
                return self._send(500, b'{"message": "internal server error"}')
            return self._send(200, json.dumps(INFO).encode())
        if path.endswith("/containers/json"):
            if fault == "500-list":
                return self._send(500, b'{"message": "boom"}')
            if fault == "malformed-list":
                return self._send(200, b'[{"Id": "abc", "Names": ["/web"')
            if fault == "drop-list":
                body = json.dumps(SUMMARY * 50).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 3])
                self.wfile.flush()
                self.connection.shutdown(2)  # the engine goes away in the middle of the listing
                self.close_connection = True
                return None
            if fault == "hang-list":
                time.sleep(30)
            return self._send(200, json.dumps(SUMMARY).encode())
        if "/containers/" in path and path.endswith("/json"):
            if fault == "malformed-inspect":
                return self._send(200, b"{this is not json")
            if fault == "500-inspect":
                return self._send(500, b'{"message": "inspect failed"}')
            return self._send(200, json.dumps(INSPECT).encode())
        return self._send(404, b'{"message": "page not found"}')


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def fake_engine():
    servers = []

    def start(fault):
        server = Server(("127.0.0.1", 0), Handler)
        server.fault = fault
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"tcp://127.0.0.1:{server.server_address[1]}"

    Handler.seen = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def live(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    return subprocess.run([sys.executable, "-m", "hipaa_scan", "live", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


def test_a_well_behaved_fake_engine_is_audited(fake_engine):
    """The control: the fake engine is good enough for a real audit, so the faults below are what fails."""
    proc = live("--host", fake_engine(""), "--format", "json", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert {"HS102", "HS504"} <= {f["rule_id"] for f in report["findings"]}
    assert {method for method, _path in Handler.seen} == {"GET"}


@pytest.mark.parametrize("fault,needle", [
    ("hang-version", "did not answer within 2"),
    ("hang-list", "did not answer within 2"),
    ("500-info", "500"),
    ("500-list", "500"),
    ("malformed-list", "JSON"),
    ("drop-list", ""),
])
def test_engine_fault_is_one_line_and_exit_2(fake_engine, fault, needle):
    host = fake_engine(fault)
    started = time.monotonic()
    proc = live("--host", host, "--timeout", "2", "--format", "json")
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, (fault, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hipaa-scan: error:"), proc.stderr
    assert host.split("//", 1)[1] in lines[0]  # names the engine
    assert needle in lines[0]
    assert elapsed < 30, "a hung engine must be cut by --timeout"


@pytest.mark.parametrize("fault", ["malformed-inspect", "500-inspect"])
def test_a_container_that_cannot_be_inspected_is_reported_and_the_rest_goes_on(fake_engine, fault):
    host = fake_engine(fault)
    proc = live("--host", host, "--timeout", "5", "--format", "json")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] and all("web" in e["message"] or "web" in e.get("path", "") for e in report["errors"])
    assert any(f["rule_id"] == "HS504" for f in report["findings"])  # the engine-level checks still ran
