"""A fake Docker Engine API for tests: HTTP/1.1 on a unix socket, served by threads, that can misbehave on demand.

    with FakeEngine(tmp_path) as engine:                # a well-behaved engine with one container, "web"
        engine.route("/info", drip(b"{}"))              # any path (without the /vX.Y prefix) can be replaced
        live.audit([live.Target(engine.url)], ...)

Every request is logged (`engine.requests`: method and path) and anything but GET is refused with 405 and recorded
in `engine.violations`; `stop()` (the context manager's exit, or the `fake_engine` fixture's teardown) asserts that
there were none. The server also stops by itself after `lifetime` seconds, so that a test that forgets it cannot
leave it running; every thread it starts is a daemon.

Answers are written as they are produced: `huge()` streams hundreds of MiB without building them, `endless()` never
ends, `drip()` sends one byte per interval. `many_containers(n)` serves a list of n containers whose inspects are
made on request from the id.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socketserver
import tempfile
import threading
import time

VERSION = {"Version": "24.0.7", "ApiVersion": "1.43", "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64"}
INFO = {"ID": "fake", "Name": "fake-engine", "ServerVersion": "24.0.7", "LoggingDriver": "json-file",
        "SecurityOptions": ["name=seccomp,profile=builtin"], "Containers": 1, "OperatingSystem": "Fake OS"}


def container_id(n: int) -> str:
    return f"{n:064x}"


def inspect_of(cid: str, name: str, image: str = "nginx:1.25", **extra) -> dict:
    """A small but complete `docker inspect` of a running, privileged container."""
    data = {"Id": cid, "Name": "/" + name, "Created": "2024-01-01T00:00:00Z", "Image": "sha256:" + "b" * 64,
            "State": {"Status": "running", "Running": True},
            "Config": {"Image": image, "User": "", "Env": ["PATH=/usr/bin"], "Cmd": ["nginx"], "Labels": {}},
            "HostConfig": {"Privileged": True, "NetworkMode": "bridge"},
            "NetworkSettings": {"Ports": {}}, "Mounts": []}
    data.update(extra)
    return data


_TEMPLATE = []


def generated_inspect(cid: str, name: str) -> dict:
    """A full-size inspect (about 5 KB of JSON, as a real engine sends): the recorded fixtures' hs-env container
    (environment values masked there), under another id and name."""
    if not _TEMPLATE:
        path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "live",
                            "inspect.json")
        with open(path, encoding="utf-8") as handle:
            _TEMPLATE.append(json.dumps(next(d for d in json.load(handle) if d["Name"] == "/hs-env")))
    data = json.loads(_TEMPLATE[0])
    data["Id"], data["Name"] = cid, "/" + name
    return data


def summary_of(inspect: dict) -> dict:
    """The /containers/json entry of a container."""
    config = inspect.get("Config")
    image = config.get("Image") if isinstance(config, dict) and isinstance(config.get("Image"), str) else "x:1"
    return {"Id": inspect.get("Id"), "Names": [inspect.get("Name")], "Image": image, "State": "running", "Labels": {}}


# --- answers: each is a callable(handler) that writes a whole HTTP answer --------------------------------------


def answer_json(obj, status: int = 200):
    body = json.dumps(obj).encode()
    return answer_bytes(body, status)


def answer_bytes(body: bytes, status: int = 200, content_type: str = "application/json"):
    def send(h):
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return send


def drip(body: bytes = b'{"ApiVersion": "1.43", "Version": "24.0.7"}' + b" " * 10_000, interval: float = 1.0):
    """A correct answer, one byte per `interval` seconds (Content-Length is honest: it is only slow)."""
    def send(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.flush()
        for i in range(len(body)):
            if h.server.stopping.is_set():
                return
            h.wfile.write(body[i:i + 1])
            h.wfile.flush()
            time.sleep(interval)

    return send


def drip_headers(interval: float = 1.0):
    """The status line at once, then header bytes one at a time: the answer never gets to its body."""
    def send(h):
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        h.wfile.flush()
        while not h.server.stopping.is_set():
            h.wfile.write(b"X")
            h.wfile.flush()
            time.sleep(interval)

    return send


def endless(piece: bytes = b"[" + b"1, " * 20_000, pause: float = 0.0):
    """A chunked answer that never ends (each chunk arrives at once; there is simply always another)."""
    def send(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        while not h.server.stopping.is_set():
            h.wfile.write(chunk)
            if pause:
                time.sleep(pause)

    return send


def huge(size: int = 300 * 1024 * 1024, opening: bytes = b'{"Name": "', closing: bytes = b'"}'):
    """A valid JSON object of `size` bytes (a long string), streamed in 1 MiB writes and never held in memory."""
    def send(h):
        filler = size - len(opening) - len(closing)
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.write(opening)
        block = b"a" * (1024 * 1024)
        while filler > 0 and not h.server.stopping.is_set():
            part = block[:filler]
            h.wfile.write(part)
            filler -= len(part)
        h.wfile.write(closing)

    return send


def redirect(location: str, status: int = 301):
    def send(h):
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return send


def deep(depth: int, leaf="x") -> object:
    """`{"a": {"a": ... leaf}}` nested `depth` levels, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


# --- the server ------------------------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, OSError):  # the client gave up: that is the point
            self.close_connection = True

    def _dispatch(self):
        engine = self.server.engine
        path = self.path.split("?", 1)[0]
        bare = path
        parts = path.split("/", 2)
        if len(parts) > 2 and parts[1].startswith("v") and parts[1][1:2].isdigit():
            bare = "/" + parts[2]
        with engine.lock:
            engine.requests.append((self.command, bare))
        if self.command != "GET":
            with engine.lock:
                engine.violations.append((self.command, self.path))
            return answer_json({"message": "read-only test engine"}, 405)(self)
        return engine.answer_for(bare, self.path)(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _dispatch


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the audit opens up to 16 connections at once

    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("fake-engine", 0)  # BaseHTTPRequestHandler wants a (host, port) pair


class FakeEngine:
    """A Docker Engine API on a unix socket. `containers` are inspect dicts; `route(path, answer)` overrides."""

    def __init__(self, tmp_path, containers=None, lifetime: float = 300.0) -> None:
        self.containers = list(containers) if containers is not None else [inspect_of("a" * 64, "web")]
        self.generated = 0  # many_containers: ids 0..n-1, inspects made on request
        self.routes = {}
        self.requests = []
        self.violations = []
        self.lock = threading.Lock()
        self._own_dir = None
        path = os.path.join(str(tmp_path), "engine.sock")
        n = 1
        while os.path.exists(path):  # several engines in one folder
            n += 1
            path = os.path.join(str(tmp_path), f"engine-{n}.sock")
        if len(path) > 100:  # AF_UNIX paths are limited to 108 bytes
            self._own_dir = tempfile.mkdtemp(prefix="hsfe")
            path = os.path.join(self._own_dir, "engine.sock")
        self.socket_path = path
        self.url = "unix://" + path
        self.server = _Server(path, _Handler)
        self.server.engine = self
        self.server.stopping = threading.Event()
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(lifetime, self._shutdown)
        self._timer.daemon = True
        self._timer.start()

    # configuration
    def route(self, path: str, answer) -> "FakeEngine":
        self.routes[path] = answer
        return self

    def many_containers(self, n: int) -> "FakeEngine":
        self.containers = []
        self.generated = n
        return self

    # answers
    def _inspect(self, ref: str):
        for data in self.containers:
            if ref in (data.get("Id"), str(data.get("Name", "")).lstrip("/")):
                return data
        if self.generated and len(ref) == 64:
            n = int(ref, 16)
            if n < self.generated:
                return generated_inspect(ref, f"c{n:05d}")
        return None

    def answer_for(self, bare: str, full: str):
        if bare in self.routes:
            return self.routes[bare]
        if bare == "/version":
            return answer_json(VERSION)
        if bare == "/info":
            return answer_json(INFO)
        if bare == "/containers/json":
            if self.generated:
                return self._stream_list()
            return answer_json([summary_of(c) for c in self.containers])
        if bare == "/images/json":
            return answer_json([])
        if bare.startswith("/containers/") and bare.endswith("/json"):
            ref = bare[len("/containers/"):-len("/json")]
            if ref in self.routes:
                return self.routes[ref]
            data = self._inspect(ref)
            if data is None:
                return answer_json({"message": f"No such container: {ref}"}, 404)
            return answer_json(data)
        return answer_json({"message": "page not found"}, 404)

    def _stream_list(self):
        n = self.generated

        def send(h):
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()

            def chunk(data: bytes):
                h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

            chunk(b"[")
            batch = []
            for i in range(n):
                entry = {"Id": container_id(i), "Names": [f"/c{i:05d}"], "Image": "nginx:1.25", "State": "running",
                         "Labels": {"team": "x" * 40}, "Command": "nginx -g 'daemon off;'", "Status": "Up 2 hours"}
                batch.append(json.dumps(entry).encode())
                if len(batch) == 500 or i == n - 1:
                    chunk((b"," if i >= len(batch) else b"") + b",".join(batch))
                    batch = []
            chunk(b"]")
            h.wfile.write(b"0\r\n\r\n")

        return send

    # life cycle
    def paths(self):
        with self.lock:
            return [p for _m, p in self.requests]

    def _shutdown(self) -> None:
        if self.server.stopping.is_set():
            return
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._timer.cancel()
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)
        elif os.path.exists(self.socket_path):
            os.unlink(self.socket_path)

    def stop(self) -> None:
        self._shutdown()
        assert not self.violations, f"the engine was sent requests other than GET: {self.violations}"
        assert all(m == "GET" for m, _p in self.requests)

    def __enter__(self) -> "FakeEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
