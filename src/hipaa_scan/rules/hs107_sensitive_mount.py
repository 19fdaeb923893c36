"""HS107 sensitive-host-mount: a sensitive host path is mounted into the container."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta
from hipaa_scan.rules.hs103_docker_socket import is_socket_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, List, Optional

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS107", name="sensitive-host-mount", severity="high", confidence="high",
    hipaa=["164.312(a)(1)", "164.312(c)(1)"], cwe=["CWE-668"], cis=["CIS Docker 1.6.0 5.6"],
    sources=["compose", "container"],
    summary=("A sensitive host directory (/, /boot, /dev, /etc, /lib, /proc, /sys, /usr, /var/log...) is mounted "
             "read-write, or a path sensitive in itself (/etc/shadow, /root/.ssh, /var/lib/docker, or a folder "
             "holding one, such as /etc or /root) in any mode."),
    description=(
        "A container that can read or write the host's system directories can read credentials, other containers' "
        "volumes (where ePHI lives) and change the host itself. Following CIS Docker Benchmark v1.6.0 5.6, the host's "
        "system directories are reported when mounted read-write: a read-only `/etc/nginx` or `/proc` (a "
        "monitoring agent's) gives nothing to write. Paths that are sensitive to read are reported in any mode: "
        "password and sudo files, SSH keys and host keys, the engine's and kubelet's data (every container's "
        "volumes and logs), and any folder that holds one of them (`/`, `/etc`, `/root`, `/home`, `/var/lib`). A "
        "subfolder such as `/etc/<app>` read-only, `/root/<app>` or `/var/lib/<app>` is not reported. The Docker socket is HS103's."),
    remediation="Mount only the specific application directory the service needs, read-only where possible.",
)

# Host system directories (CIS Docker Benchmark v1.6.0 5.6 and their kin): reported when mounted read-write.
SYSTEM = ("/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sys", "/usr", "/bin", "/sbin",
          "/var/log", "/opt/containerd")
# ... and these folders themselves (not what is below them: `/var/lib/postgresql`, `/root/app` are app data).
SYSTEM_ONLY = ("/", "/var", "/var/lib", "/root", "/home", "/run")
# Paths sensitive to read: reported in any mode, and so is any folder that holds one.
SECRET = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d",
          "/etc/ssh", "/etc/kubernetes", "/etc/docker", "/etc/containerd", "/root/.ssh", "/root/.aws",
          "/root/.docker", "/root/.kube", "/root/.gnupg", "/home/*/.ssh", "/home/*/.aws", "/home/*/.docker",
          "/home/*/.kube", "/var/lib/docker", "/var/lib/kubelet", "/var/lib/containerd", "/var/lib/rancher")


def _under(path: str, root: str) -> bool:
    """Whether `path` is `root` or below it; a `*` in root matches one path segment."""
    parts, rparts = _parts(path), _parts(root)
    return len(parts) >= len(rparts) and all(r in ("*", p) for p, r in zip(parts, rparts))


def _holds(path: str, secret: str) -> bool:
    """Whether the folder `path` holds `secret` (a `*` in secret matches any one segment of path)."""
    parts, sparts = _parts(path), _parts(secret)
    return len(parts) < len(sparts) and all(s in ("*", p) for p, s in zip(parts, sparts))


def _parts(path: str) -> List[str]:
    return [p for p in path.split("/") if p]


def sensitive(path: str, read_only: bool = False) -> Optional[str]:
    """Why a host path is sensitive to mount (None: it is not)."""
    clean = "/" + "/".join(_parts(path))
    for secret in SECRET:
        if _under(clean, secret):
            return "sensitive in any mode"
        if _holds(clean, secret):
            return "holds " + secret.replace("/*/", "/<user>/")
    if not read_only and (clean in SYSTEM_ONLY or any(_under(clean, root) for root in SYSTEM)):
        return "read-write"
    return None


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    for mount in res.mounts:
        source = mount.source or ""
        if mount.type != "bind" or not source.startswith("/") or is_socket_path(source):
            continue
        why = sensitive(source, bool(mount.read_only))
        if why:
            mode = "read-only" if mount.read_only else "read-write"
            what = f"{mode}, {why}" if why.startswith("holds") else mode
            yield Hit(mount.loc, f"{res.label} mounts the host path {source} ({what})", key=f"mount:{source}",
                      evidence=f"{source}:{mount.target}")
