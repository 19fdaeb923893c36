"""HS103 docker-socket-mount: the Docker engine's socket is mounted into a container."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, Optional

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS103", name="docker-socket-mount", severity="critical", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-269"], cis=["CIS Docker 1.6.0 5.32"],
    sources=["compose", "container"],
    summary="The Docker socket (/var/run/docker.sock, /run/docker.sock, /run/podman) is mounted into the container.",
    description=(
        "Whoever can talk to the Docker socket can start a privileged container with the host's root file system "
        "mounted: root on the host, and every ePHI store on it."),
    remediation=(
        "Do not mount the engine socket. If a tool must watch containers, put a filtering socket proxy that allows "
        "only the read-only endpoints it needs in between, and never on a host that holds ePHI."),
)

SOCKETS = ("/var/run/docker.sock", "/run/docker.sock", "/var/run/podman/podman.sock", "/run/podman/podman.sock",
           "/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock")


# Rootless engines keep their socket under $XDG_RUNTIME_DIR (/run/user/<uid>/...), so match by file name too.
SOCKET_NAMES = ("/docker.sock", "/podman.sock", "/containerd.sock")
WINDOWS_PIPE = "\\pipe\\docker_engine"  # \\.\pipe\docker_engine, also written //./pipe/docker_engine


def is_socket_path(path: Optional[str]) -> bool:
    clean = (path or "").rstrip("/")
    return (clean in SOCKETS or clean.endswith(SOCKET_NAMES) or clean in ("/var/run", "/run")
            or clean.replace("/", "\\").lower().endswith(WINDOWS_PIPE))


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    for mount in res.mounts:
        if mount.type in ("bind", "npipe") and is_socket_path(mount.source):
            yield Hit(mount.loc, f"{res.label} mounts the container engine socket {mount.source}",
                      key=f"mount:{mount.source}", evidence=f"{mount.source}:{mount.target}")
