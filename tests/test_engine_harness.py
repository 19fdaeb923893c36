"""The private Docker engine harness (tests/engine.py) works.

What this sandbox allows (Debian 12 VM, dockerd 20.10): containers run, and a
published port of a running container is served by docker-proxy and shows in
NetworkSettings.Ports. --privileged containers start only thanks to the
engine's runc wrapper (the VM lacks CAP_SYS_RESOURCE); plain runc fails with
"unable to apply caps". See the module docstring of engine.py for the rest.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

import engine as harness
from engine import docker_engine  # noqa: F401  (shared with conftest's: one engine per session)

IMAGE = "hs-busybox:1.0"


def _remove(*containers):
    for container in containers:
        container.remove(force=True)


def _read_from(port: int, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
                data = conn.recv(64)
                if data:
                    return data
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing served on 127.0.0.1:{port}")
        time.sleep(0.1)


def test_engine_is_private(docker_engine):
    assert docker_engine.host == f"unix://{docker_engine.socket}"
    assert docker_engine.socket.is_socket()
    assert str(docker_engine.socket) != harness.SYSTEM_SOCKET
    assert docker_engine.client.ping()
    info = docker_engine.client.info()
    assert info["DockerRootDir"] == str(docker_engine.data_root)
    assert docker_engine.log_path.is_file()


def test_busybox_image_runs_commands(docker_engine):
    image = docker_engine.client.images.get(IMAGE)
    assert IMAGE in image.tags
    out = docker_engine.client.containers.run(IMAGE, ["sh", "-c", "echo $((6*7)); id -u"], remove=True)
    assert out.split() == [b"42", b"0"]


def test_published_port_on_running_container(docker_engine):
    container = docker_engine.client.containers.run(
        IMAGE, ["sh", "-c", "while true; do echo pong | nc -l -p 6379; done"],
        detach=True, ports={"6379/tcp": ("0.0.0.0",)})  # host port 0: the engine picks a free one
    try:
        container.reload()
        assert container.status == "running"
        assert container.attrs["HostConfig"]["PortBindings"] == {"6379/tcp": [{"HostIp": "0.0.0.0", "HostPort": ""}]}
        published = container.attrs["NetworkSettings"]["Ports"]["6379/tcp"]
        assert [b["HostIp"] for b in published] == ["0.0.0.0"] and published[0]["HostPort"].isdigit()
        assert _read_from(int(published[0]["HostPort"])).strip() == b"pong"
    finally:
        _remove(container)


def test_privileged_container_is_created_and_runs(docker_engine):
    created = docker_engine.client.containers.create(IMAGE, "sleep 3600", privileged=True)
    running = docker_engine.client.containers.run(IMAGE, "sleep 3600", privileged=True, detach=True)
    try:
        assert created.attrs["HostConfig"]["Privileged"] is True
        assert created.status == "created"
        running.reload()
        assert running.status == "running"
        assert running.attrs["HostConfig"]["Privileged"] is True
    finally:
        _remove(created, running)


def test_stop_cleans_up(docker_engine, tmp_path):
    """A second engine beside the session one; its stop leaves nothing behind."""
    engine = harness.start_engine(tmp_path / "second")
    try:
        assert engine.bridge != docker_engine.bridge
        harness.build_busybox_image(engine, tag="hs-busybox:cleanup")
        container = engine.client.containers.run("hs-busybox:cleanup", "sleep 3600", detach=True,
                                                 ports={"80/tcp": ("127.0.0.1",)})
        container.reload()
        port = int(container.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"])
        pid = engine.proc.pid
        assert harness._mounts_under(engine.root)
        assert harness._processes_under(engine.root)
    finally:
        started = time.monotonic()
        engine.stop()
    assert time.monotonic() - started < 10
    assert not harness._alive(pid)
    assert harness._processes_under(engine.root) == []
    assert harness._mounts_under(engine.root) == []
    assert not Path("/sys/class/net", engine.bridge).exists()
    assert not engine.data_root.exists() and not engine.exec_root.exists()
    assert not engine.socket.exists()
    assert engine.log_path.is_file()
    engine.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
