"""A private, throw-away Docker engine for the live-mode tests.

``start_engine(tmpdir)`` runs ``dockerd`` as a child process with its own
socket, data root, exec root, pidfile, config file (so /etc/docker/daemon.json
is ignored), its own containerd and its own bridge: it never uses the system
engine (/var/run/docker.sock) and never touches the host firewall.
``.ci/install-docker.sh`` installs what it needs (dockerd, busybox-static, ip).

Use the session fixture from conftest.py::

    from engine import docker_engine  # noqa: F401

Importing it in a test module as well is harmless: the engine is shared.

What works (Debian 12 VM, dockerd 20.10 = API 1.41, cgroup v1, overlay2), by
experiment: containers run; ``-p`` publishes through docker-proxy and shows in
NetworkSettings.Ports; --cap-add/--cap-drop, --security-opt, --pid/--ipc/--uts
host, --network host, bind mounts (/etc, /, a docker.sock), --log-driver none,
--read-only, --user, --memory/--cpus/--pids-limit, --userns host, --device,
--tmpfs, --restart, healthchecks all create *and* start. The VM's capability
bounding set lacks CAP_SYS_RESOURCE, so runc cannot start --privileged or
--cap-add ALL/SYS_RESOURCE containers; where caps are missing the engine runs
runc through a small wrapper (default runtime "hs-runc") that drops them from
the OCI spec, so --privileged containers start too (without those caps).

Gotchas: a `sleep` as PID 1 ignores SIGTERM, so ``container.stop()`` takes its
10 s timeout: use ``remove(force=True)``/``kill()`` or ``init=True``.
``containers.list()`` shows running containers only (``all=True`` for created
ones). A port published without a host IP shows twice in
NetworkSettings.Ports (HostIp "0.0.0.0" and "::"). HostConfig.Runtime is
"hs-runc" when the wrapper is in use. No registry: build images with
``build_busybox_image`` (``extra`` adds Dockerfile lines), never pull.
"""

from __future__ import annotations

import atexit
import ctypes
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import pytest

REQUIRE_ENV = "HIPAA_SCAN_REQUIRE_DOCKER"
SYSTEM_SOCKET = "/var/run/docker.sock"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
_SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_OUR_COMMANDS = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2",
                 "docker-proxy", "runc", "hs-runc")

# Linux capability numbers 0..40 (include/uapi/linux/capability.h).
_CAPS = (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
    "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK "
    "IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN "
    "SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE "
    "AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND "
    "AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE"
).split()

_RUNC_WRAPPER = '''#!{python}
# Written by tests/engine.py: drop the capabilities this machine cannot grant
# from the OCI spec (else runc fails "unable to apply caps"), then run runc.
import json, os, sys
DROP = set({drop!r})
args = sys.argv[1:]
for i, arg in enumerate(args[:-1]):
    if arg in ("--bundle", "-b"):
        path = os.path.join(args[i + 1], "config.json")
    elif arg == "--process":
        path = args[i + 1]
    else:
        continue
    with open(path) as f:
        spec = json.load(f)
    caps = spec.get("process", spec).get("capabilities") or {{}}
    for kind, names in caps.items():
        caps[kind] = [c for c in names or [] if c not in DROP]
    with open(path, "w") as f:
        json.dump(spec, f)
os.execv({runc!r}, ["runc"] + args)
'''


def _which(name: str) -> str | None:
    return shutil.which(name, path=os.environ.get("PATH", "") + ":" + _SBIN_PATH)


def _is_static_elf(path: str) -> bool:
    """True if ``path`` is an ELF executable without a program interpreter."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            return False
        end = "<" if head[5] == 1 else ">"
        off_fmt, off_at, sizes_at = ("Q", 32, 54) if head[4] == 2 else ("I", 28, 42)  # 64/32-bit
        (phoff,) = struct.unpack_from(end + off_fmt, head, off_at)
        phentsize, phnum = struct.unpack_from(end + "HH", head, sizes_at)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    p_types = (struct.unpack_from(end + "I", table, i * phentsize)[0] for i in range(phnum))
    return 3 not in p_types  # PT_INTERP


def _static_busybox() -> str | None:
    for path in (_which("busybox"), "/bin/busybox", "/usr/bin/busybox"):
        if path and os.path.isfile(path) and _is_static_elf(path):
            return path
    return None


def engine_unavailable_reason() -> str | None:
    """Why a private engine cannot be started here, or None if it can."""
    if not sys.platform.startswith("linux"):
        return "a private Docker engine needs Linux"
    if os.geteuid() != 0:
        return "a private Docker engine needs root"
    for tool in ("dockerd", "containerd", "runc", "ip"):
        if not _which(tool):
            return f"{tool} not found (run .ci/install-docker.sh)"
    if not _static_busybox():
        return "no statically linked busybox (run .ci/install-docker.sh: busybox-static)"
    return None


def _missing_caps() -> list[str]:
    """Capabilities runc may be asked for that this process cannot hold."""
    mask = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            mask = int(line.split()[1], 16)
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    return ["CAP_" + name for bit, name in enumerate(_CAPS[: last + 1]) if not mask >> bit & 1]


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_which("ip") or "ip", *args], capture_output=True, text=True)


def _create_bridge() -> str:
    """Create a bridge ``hsdN`` with subnet 172.30.N.0/24 that nothing else uses."""
    routes = Path("/proc/net/route").read_text()
    for n in range(200, 255):
        name, net_hex = f"hsd{n}", f"{n:02X}1EAC"  # /proc/net/route: little-endian hex
        if Path("/sys/class/net", name).exists() or f"\t00{net_hex}\t" in routes:
            continue
        if _ip("link", "add", name, "type", "bridge").returncode != 0:
            continue  # taken meanwhile by a concurrent engine
        for args in (("addr", "add", f"172.30.{n}.1/24", "dev", name), ("link", "set", name, "up")):
            res = _ip(*args)
            if res.returncode != 0:
                _ip("link", "del", name)
                raise RuntimeError(f"ip {' '.join(args)}: {res.stderr.strip()}")
        return name
    raise RuntimeError("no free bridge name/subnet hsd200..hsd254 / 172.30.200-254.0/24")


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root).rstrip("/") + "/"
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")  # octal escapes like \040
        if point.startswith(prefix):
            points.append(point)
    return sorted(points, key=len, reverse=True)


def _processes_under(root: Path) -> list[int]:
    """Pids of dockerd/containerd/shim/... processes whose command line mentions ``root``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if os.path.basename(argv[0].decode(errors="replace")) in _OUR_COMMANDS and any(
                str(root).encode() in arg for arg in argv):
            pids.append(int(proc.name))
    return pids


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if _alive(p)]
        if pids:
            time.sleep(0.05)
    return pids


class Engine:
    """A running private dockerd. ``stop()`` is idempotent and also runs at exit."""

    def __init__(self, root: Path, bridge: str):
        self.root = root
        self.bridge = bridge
        self.socket = root / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.data_root = root / "data"
        self.exec_root = root / "exec"
        self.pidfile = root / "docker.pid"
        self.config_file = root / "daemon.json"
        self.log_path = root / "dockerd.log"  # kept after stop() for diagnostics
        self.proc: subprocess.Popen | None = None
        self.client: docker.DockerClient | None = None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Remove all containers and networks, stop dockerd, its containerd and
        shims, unmount what is left under the engine's directory, delete the
        bridges and the data/exec roots. Keeps ``log_path``."""
        bridges = [self.bridge]
        if self.client is not None:
            api = self.client.api
            api.timeout = 10
            try:
                # Remove the containers first: dockerd's shutdown would give each
                # running one its stop timeout (10 s; a PID-1 `sleep` ignores
                # SIGTERM), and restart policies revive killed ones.
                ids = [container["Id"] for container in api.containers(all=True, quiet=True)]
                with ThreadPoolExecutor(8) as pool:
                    list(pool.map(lambda cid: api.remove_container(cid, v=True, force=True), ids))
                for net in api.networks():
                    if net["Driver"] == "bridge" and net["Name"] != "bridge":
                        bridges.append((net.get("Options") or {}).get("com.docker.network.bridge.name")
                                       or "br-" + net["Id"][:12])
                api.prune_networks()
            except (docker.errors.DockerException, OSError):
                pass
            self.client.close()
            self.client = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:  # hung: kill it with its docker-proxies
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
            self.proc = None
        for pid in _processes_under(self.root):  # a containerd or shim left behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _wait_gone(_processes_under(self.root), 5.0)
        libc = ctypes.CDLL(None, use_errno=True)
        for point in _mounts_under(self.root):
            libc.umount2(point.encode(), 2)  # MNT_DETACH; dockerd leaves exec/netns/default
        for bridge in bridges:  # ours, and those of networks dockerd failed to remove
            if Path("/sys/class/net", bridge).exists():
                _ip("link", "del", bridge)
        for path in (self.data_root, self.exec_root):
            shutil.rmtree(path, ignore_errors=True)
        atexit.unregister(self.stop)


def start_engine(tmpdir: str | os.PathLike, timeout: float = START_TIMEOUT,
                 daemon_config: dict | None = None) -> Engine:
    """Start a private dockerd under ``tmpdir`` and wait until it answers /_ping. ``daemon_config`` is added to
    its daemon.json (``{"log-opts": {...}}``)."""
    reason = engine_unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    root = Path(tmpdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    # Unix socket paths are limited to 107 bytes; the longest ones dockerd
    # makes are exec/containerd/containerd-debug.sock and its like.
    if len(str(root / "exec/containerd/containerd-debug.sock")) > 107:
        raise ValueError(f"{root} is too long for the engine's unix sockets")

    engine = Engine(root, _create_bridge())
    atexit.register(engine.stop)
    try:
        config: dict = dict(daemon_config or {})
        missing = _missing_caps()
        if missing:
            wrapper = root / "hs-runc"
            wrapper.write_text(_RUNC_WRAPPER.format(python=sys.executable, runc=_which("runc"),
                                                    drop=sorted(missing)))
            wrapper.chmod(0o755)
            config.update({"runtimes": {"hs-runc": {"path": str(wrapper)}}, "default-runtime": "hs-runc"})
        engine.config_file.write_text(json.dumps(config))
        cmd = [
            _which("dockerd"),
            "--host", engine.host,
            "--data-root", str(engine.data_root),
            "--exec-root", str(engine.exec_root),
            "--pidfile", str(engine.pidfile),
            "--config-file", str(engine.config_file),
            "--bridge", engine.bridge,
            # Leave the host firewall and sysctls alone; published ports are then
            # served by docker-proxy (userland proxy) alone, which is enough here.
            "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
            "--userland-proxy=true",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["PATH"] = env.get("PATH", "") + ":" + _SBIN_PATH
        with open(engine.log_path, "ab") as log:
            engine.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                           env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if engine.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited with {engine.proc.returncode}:\n{engine.log_tail()}")
            if engine.socket.exists():
                try:
                    client = docker.DockerClient(base_url=engine.host, version="auto", timeout=120)
                    client.ping()
                    engine.client = client
                    return engine
                except (docker.errors.DockerException, OSError):
                    pass  # socket not accepting yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"dockerd did not answer /_ping within {timeout:.0f} s:\n"
                                   + engine.log_tail())
            time.sleep(0.1)
    except BaseException:
        engine.stop()
        raise


def build_busybox_image(engine: Engine, tag: str = "hs-busybox:1.0", extra: str = ""):
    """Build ``tag`` FROM scratch with the static busybox and a symlink for each
    applet (so ``sh -c ...``, ``sleep 3600``, ``nc`` work as commands); ``extra``
    is appended to the Dockerfile (e.g. "USER 1000\\nENV A=b"). No container runs
    during the build. Returns the docker Image."""
    busybox = _static_busybox()
    if not busybox:
        raise RuntimeError("no statically linked busybox (run .ci/install-docker.sh)")
    applets = subprocess.run([busybox, "--list-full"], capture_output=True, text=True,
                             check=True).stdout.split()
    dockerfile = 'FROM scratch\nCOPY rootfs/ /\nCMD ["sh"]\n' + extra + "\n"
    files = {
        "Dockerfile": (dockerfile, 0o644),
        "rootfs/etc/passwd": ("root:x:0:0:root:/root:/bin/sh\n"
                              "nobody:x:65534:65534:nobody:/:/bin/false\n", 0o644),
        "rootfs/etc/group": ("root:x:0:\nnogroup:x:65534:\n", 0o644),
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
        for name in ("rootfs/tmp", "rootfs/root"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name.endswith("tmp") else 0o700
            tar.addfile(info)
        tar.add(busybox, arcname="rootfs/bin/busybox")
        for applet in applets:
            if applet != "bin/busybox":
                info = tarfile.TarInfo("rootfs/" + applet)
                info.type, info.linkname = tarfile.SYMTYPE, "/bin/busybox"
                tar.addfile(info)
    buf.seek(0)
    image, _ = engine.client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True, forcerm=True)
    return image


# One engine per session even when both conftest.py and a test module import
# the fixture (pytest then registers it twice, under two locations).
_session: dict = {"engine": None, "reason": None, "users": 0}


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory):
    """A private engine with the ``hs-busybox:1.0`` image, for the whole session.

    Skips when no engine can be started; fails instead when
    HIPAA_SCAN_REQUIRE_DOCKER=1 (CI), so live tests cannot silently vanish."""
    if _session["engine"] is None and _session["reason"] is None:
        reason = engine_unavailable_reason()
        if reason is None:
            engine = None
            try:
                engine = start_engine(tmp_path_factory.mktemp("dockerd"))
                build_busybox_image(engine)
                _session["engine"] = engine
            except Exception as exc:  # noqa: BLE001 - reported as the skip/fail reason
                reason = f"private Docker engine failed: {exc}"
                if engine is not None:
                    engine.stop()
        _session["reason"] = reason
    if _session["reason"]:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{_session['reason']} ({REQUIRE_ENV}=1)", pytrace=False)
        pytest.skip(_session["reason"])
    _session["users"] += 1
    try:
        yield _session["engine"]
    finally:
        _session["users"] -= 1
        if _session["users"] == 0:
            _session["engine"].stop()
            _session["engine"] = None
