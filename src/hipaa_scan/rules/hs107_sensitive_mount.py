"""HS107 sensitive-host-mount: a sensitive host path is mounted into the container."""

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta
from hipaa_scan.rules.hs103_docker_socket import is_socket_path

META = meta(
    id="HS107", name="sensitive-host-mount", severity="high", confidence="high",
    hipaa=["164.312(a)(1)", "164.312(c)(1)"], cwe=["CWE-668"], cis=["CIS Docker 5.5"],
    sources=["compose", "container"],
    summary="A host path such as /, /etc, /proc, /sys, /root, /boot, /dev, /usr/lib, /var/log or /var/lib/docker is mounted.",
    description=(
        "A container that can read or write the host's system directories can read credentials, other containers' "
        "volumes (where ePHI lives) and change the host itself."),
    remediation="Mount only the specific application directory the service needs, read-only where possible.",
)

SENSITIVE = ("/", "/etc", "/proc", "/sys", "/root", "/boot", "/dev", "/var/lib/docker", "/var/lib/kubelet",
             "/var/lib/containerd", "/lib/modules", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/local/bin",
             "/var/log", "/bin", "/sbin", "/lib")
# Read-only mounts of these files are routine and harmless.
BENIGN = ("/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo", "/etc/ssl/certs", "/etc/ca-certificates",
          "/etc/pki/ca-trust")


def sensitive(path):
    clean = path.rstrip("/") or "/"
    for root in SENSITIVE:
        if root == "/":
            if clean == "/":
                return True
            continue
        if clean == root or clean.startswith(root + "/"):
            return True
    return False


def check(res, ctx):
    for mount in res.mounts:
        source = mount.source or ""
        if mount.type != "bind" or not source.startswith("/") or is_socket_path(source):
            continue
        if mount.read_only and any(source.rstrip("/") == b or source.startswith(b + "/") for b in BENIGN):
            continue
        if sensitive(source):
            mode = "read-only" if mount.read_only else "read-write"
            yield Hit(mount.loc, f"{res.label} mounts the host path {source} ({mode})", key=f"mount:{source}",
                      evidence=f"{source}:{mount.target}")
