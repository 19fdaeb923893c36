"""HS112 ssh-server-in-container: an SSH daemon is installed in an image or started in a container."""

from __future__ import annotations

import re

from hipaa_scan.catalog import image_repository
from hipaa_scan.jobs import development_environment
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta, shorten, ships
from hipaa_scan.sources.kinds import SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, List, Optional, Tuple

    from hipaa_scan.model import Location, Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS112", name="ssh-server-in-container", severity="medium", confidence="high",
    hipaa=["164.312(a)(1)", "164.312(d)"], cwe=["CWE-284"], cis=["CIS Docker 1.6.0 5.7"],
    sources=["dockerfile", "compose", "container"],
    summary=("An SSH daemon installed in an image (openssh-server, dropbear, tinysshd) or started in a container "
             "(`sshd` in CMD, ENTRYPOINT or `command:`, an SSH server image)."),
    description=(
        "An SSH server inside a container is a second way in, beside the engine's own `docker exec`: its own "
        "accounts, keys and passwords, outside the access control and audit of the platform, and one more daemon "
        "to patch (CIS Docker Benchmark 5.7; NIST SP 800-190 4.1.2). Reported once per image or service: at the "
        "package manager line that installs the server in a stage that ships, else where it is started. Packages "
        "that bundle client and server (`apk add openssh`, `pacman -S openssh`, `apt-get install ssh`), which are "
        "mostly installed for the client, count only when the image also runs sshd, exposes port 22, generates "
        "host keys (`ssh-keygen -A`) or prepares `/run/sshd` or `sshd_config`. Development-environment images "
        "(`.devcontainer/`) are not reported."),
    remediation=(
        "Remove the SSH server from the image and use `docker exec` (audited by the engine) to reach a container. "
        "Transfer files with volumes or an object store rather than SFTP inside the workload."),
)

# a package manager's install command: the words after it, up to the next shell operator
INSTALL = lazy(r"\b(apt-get|apt|aptitude|yum|dnf|microdnf|tdnf|zypper|apk|pacman)\s+([^;&|\n]*)")
INSTALL_WORD = lazy(r"^(install|add|in|-S[a-z]*)$")
SERVER_PACKAGES = frozenset(("openssh-server", "dropbear", "dropbear-bin", "dropbear-run", "tinysshd", "tinyssh",
                             "openssh-server-pam", "mssh"))
BUNDLES = frozenset(("openssh", "ssh"))  # client and server in one: only with a sign that the server is used
PIN = lazy(r"([=<>~].*|-[0-9][^/]*)$")
RUN_SIGNS = lazy(r"ssh-keygen\s+(-\S+\s+)*-A\b|/(var/)?run/sshd\b|sshd_config|\bsshd\s+-D\b|"
                 r"(service|rc-service|/etc/init\.d/)\s*sshd?\s+start")
STARTS = lazy(r"(^|[\s/;&|'\"(])(sshd|dropbear|tinysshd)(\s|$|[;&|'\")])|"
              r"(^|[\s;&|'\"])(service|rc-service)\s+sshd?\s+start|/etc/init\.d/sshd?\s+start", re.IGNORECASE)
# images whose whole purpose is an SSH or SFTP server (repository, registry host and tag dropped)
SERVER_IMAGES = frozenset(("linuxserver/openssh-server", "atmoz/sftp", "panubo/sshd", "rastasheep/ubuntu-sshd",
                           "corbinu/ssh-server", "takeyamajp/ubuntu-sshd", "hermsi/alpine-sshd", "sickp/alpine-sshd",
                           "emberstack/sftp", "drakkan/sftpgo", "linuxserver/openssh"))


def _installs(text: str) -> Tuple[List[str], List[str]]:
    """The server packages and the client-and-server bundles a RUN text installs."""
    servers, bundles = [], []
    for match in INSTALL.finditer(text.replace("\\\n", " ")):
        words = match.group(2).split()
        if not any(INSTALL_WORD.match(w) for w in words[:4]):
            continue
        for word in words:
            name = PIN.sub("", word.strip("'\"")).lower()
            if name in SERVER_PACKAGES:
                servers.append(name)
            elif name in BUNDLES:
                bundles.append(name)
    return servers, bundles


def _started(res: Resource) -> Optional[Location]:
    """Where the container's command starts an SSH daemon."""
    for token in res.command:
        if STARTS.search(str(token.value)):
            return token.loc
    if res.command and STARTS.search(" ".join(str(t.value) for t in res.command)):
        return res.command[0].loc
    return None


def _exposes_22(res: Resource) -> bool:
    for stage in res.stages or ():
        for ins in stage.instructions:
            if ins.name == "EXPOSE" and re.search(r"(^|\s)22(/tcp)?(\s|$)", ins.value):
                return True
    return False


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    if res.kind == SourceKind.DOCKERFILE and development_environment(res.path, res.base_image or ""):
        return
    started = _started(res)
    if res.kind == SourceKind.DOCKERFILE:
        signs = started is not None or _exposes_22(res)
        for run in res.run:
            if not ships(res, run.loc):
                continue
            servers, bundles = _installs(run.value)
            if not servers and bundles and (signs or any(RUN_SIGNS.search(r.value) for r in res.run)):
                servers = bundles
            if servers:
                yield Hit(run.loc, f"{res.label} installs an SSH server ({', '.join(dict.fromkeys(servers))})"
                                   + (" and starts it" if started is not None else ""),
                          key="ssh-server", evidence=shorten(run.value))
                return
    for written in res.written:  # a Compose service's inline Dockerfile
        if written.place == "build.dockerfile_inline":
            servers, bundles = _installs(written.value)
            if servers or (bundles and (RUN_SIGNS.search(written.value) or STARTS.search(written.value))):
                yield Hit(written.loc, f"{res.label} builds an image that installs an SSH server "
                                       f"({', '.join(dict.fromkeys(servers or bundles))})", key="ssh-server",
                          evidence="SSH server in build.dockerfile_inline")
                return
    if started is not None:
        text = shorten(" ".join(str(t.value) for t in res.command))
        yield Hit(started, f"{res.label} starts an SSH daemon ({text})", key="ssh-server", evidence=text)
        return
    if res.kind in (SourceKind.COMPOSE, SourceKind.CONTAINER) and res.image is not None:
        repo = image_repository(str(res.image.value))
        if repo in SERVER_IMAGES:
            yield Hit(res.image.loc, f"{res.label} runs an SSH server image ({repo})", key="ssh-server",
                      evidence=f"image {repo}")
