"""Live containers: the JSON `docker inspect` prints for one container becomes a Document with one Resource.

Every value is located as `container://<name>` plus the inspect key path it was read from (`HostConfig.Privileged`,
`Config.Env[3]`, `NetworkSettings.Ports.6379/tcp`), so findings name the exact field an auditor can check.
Inspect JSON comes from an engine or from a file; neither is trusted: a missing key or a value of the wrong type is
skipped, never a traceback. Nothing here talks to an engine or imports the docker SDK.
"""

from __future__ import annotations

import re

from hipaa_scan.model import Document, EnvVar, Location, Mount, Port, Resource, Value, Written
from hipaa_scan.sources.kinds import SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Sequence

SCHEME = "container://"
NAMESPACES = (("NetworkMode", "network"), ("PidMode", "pid"), ("IpcMode", "ipc"), ("UTSMode", "uts"),
              ("UsernsMode", "userns"))
WILDCARDS = ("", "0.0.0.0", "::", "[::]")
IMAGE_ID = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")
UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0
    return 0


def container_name(inspect: Dict[str, Any]) -> str:
    """The container's name without the leading slash; its short id, or `unnamed`, when it has none."""
    name = _str(inspect.get("Name")) if isinstance(inspect, dict) else None
    name = (name or "").strip().lstrip("/")
    if name:  # docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]*; a saved file may hold anything: keep it path-safe
        name = UNSAFE.sub("_", name)[:128]
        return name if name[0].isalnum() else "_" + name
    cid = _str(inspect.get("Id")) if isinstance(inspect, dict) else None
    return (cid or "")[:12] or "unnamed"


def is_image_id(ref: Optional[str]) -> bool:
    return bool(ref) and bool(IMAGE_ID.match(ref or ""))


def image_reference(inspect: Dict[str, Any], repo_tags: Sequence[str] = ()) -> Optional[str]:
    """The image reference the container was created with (Config.Image); when that is a bare image id, the first
    repository tag known for the image; else the id itself."""
    config = _dict(inspect.get("Config"))
    ref = _str(config.get("Image")) or _str(inspect.get("Image"))
    if ref and not is_image_id(ref):
        return ref
    for tag in repo_tags:
        if isinstance(tag, str) and tag and not tag.startswith("<none>"):
            return tag
    return ref


def container_state(inspect: Dict[str, Any]) -> str:
    """`running`, `exited`, `created`... from State.Status (older engines: State.Running), else `unknown`."""
    state = _dict(inspect.get("State")) if isinstance(inspect, dict) else {}
    return _str(state.get("Status")) or ("running" if state.get("Running") is True else "unknown")


def container_document(inspect: Dict[str, Any], name: Optional[str] = None, repo_tags: Sequence[str] = (),
                       engine: Optional[str] = None) -> Document:
    """One container's inspect JSON -> Document(container://<name>) holding one Resource(container:<name>).

    `name` overrides the display name (several engines: `<engine>/<name>`); `repo_tags` are the image's tags, used
    when the container was created from a bare image id; `engine` names the engine it runs on (unused here: the
    display name carries it)."""
    if not isinstance(inspect, dict):
        inspect = {}
    name = name or container_name(inspect)
    path = SCHEME + name
    config = _dict(inspect.get("Config"))
    host = _dict(inspect.get("HostConfig"))
    state = _dict(inspect.get("State"))

    def loc(key: str) -> Location:
        return Location(path, None, None, key)

    res = Resource(kind=SourceKind.CONTAINER, name=f"container:{name}", label=f'container "{name}"', path=path,
                   anchor=Location(path, None, None, None))
    res.container_id = _str(inspect.get("Id")) or ""
    res.state = container_state(inspect)
    res.running = state.get("Running") is True

    user = _str(config.get("User"))
    if user is not None and user.strip():
        res.user = Value(user.strip(), loc("Config.User"))
    if "Privileged" in host and isinstance(host.get("Privileged"), bool):
        res.privileged = Value(host["Privileged"], loc("HostConfig.Privileged"))
    if isinstance(host.get("ReadonlyRootfs"), bool):
        res.read_only = Value(host["ReadonlyRootfs"], loc("HostConfig.ReadonlyRootfs"))
    for i, cap in enumerate(_list(host.get("CapAdd"))):
        if isinstance(cap, str) and cap.strip():
            res.cap_add.append(Value(cap.strip(), loc(f"HostConfig.CapAdd[{i}]")))
    for i, cap in enumerate(_list(host.get("CapDrop"))):
        if isinstance(cap, str) and cap.strip():
            res.cap_drop.append(Value(cap.strip(), loc(f"HostConfig.CapDrop[{i}]")))
    # The engine itself adds `label=disable` to privileged containers and to those sharing the host's PID or IPC
    # namespace (moby generateSecurityOpt); HS102/HS106 report the cause, so that one is not the user's setting.
    implied = host.get("Privileged") is True or any(_str(host.get(k)) == "host" for k in ("PidMode", "IpcMode"))
    for i, opt in enumerate(_list(host.get("SecurityOpt"))):
        if isinstance(opt, str) and opt.strip():
            if implied and opt.strip().replace(":", "=") == "label=disable":
                res.engine_label_disable = True
                continue
            res.security_opt.append(Value(opt.strip(), loc(f"HostConfig.SecurityOpt[{i}]")))
    for key, ns in NAMESPACES:
        mode = _str(host.get(key))
        if mode:
            res.namespaces[ns] = Value(mode, loc(f"HostConfig.{key}"))

    res.mounts = _mounts(inspect, host, loc)
    res.ports = _ports(inspect, host, res.running, loc)

    for i, item in enumerate(_list(config.get("Env"))):
        if not isinstance(item, str) or not item:
            continue
        var, sep, value = item.partition("=")
        if var:
            res.env.append(EnvVar(var, value if sep else None, loc(f"Config.Env[{i}]"), origin="container"))

    image = image_reference(inspect, repo_tags)
    if image:
        res.image = Value(image, loc("Config.Image"))
        res.image_id = _str(inspect.get("Image")) or ""

    if "Healthcheck" in config and isinstance(config.get("Healthcheck"), dict):
        test = _list(config["Healthcheck"].get("Test"))
        if test:
            res.healthcheck = Value(not (len(test) >= 1 and test[0] == "NONE"), loc("Config.Healthcheck"))

    log_type = _str(_dict(host.get("LogConfig")).get("Type"))
    if log_type:
        res.logging_driver = Value(log_type, loc("HostConfig.LogConfig.Type"))
        # the engine merges its default log options into a container of its default driver when it is created
        res.logging_options = {k: v for k, v in _dict(_dict(host.get("LogConfig")).get("Config")).items()
                               if isinstance(k, str) and isinstance(v, str)}

    if _number(host.get("Memory")) > 0:
        res.limits["memory"] = Value(str(int(_number(host["Memory"]))), loc("HostConfig.Memory"))
    if _number(host.get("NanoCpus")) > 0:
        res.limits["cpus"] = Value(f"{_number(host['NanoCpus']) / 1e9:g}", loc("HostConfig.NanoCpus"))
    elif _number(host.get("CpuQuota")) > 0:
        period = _number(host.get("CpuPeriod")) or 100000
        res.limits["cpus"] = Value(f"{_number(host['CpuQuota']) / period:g}", loc("HostConfig.CpuQuota"))
    if _number(host.get("PidsLimit")) > 0:
        res.limits["pids"] = Value(str(int(_number(host["PidsLimit"]))), loc("HostConfig.PidsLimit"))

    for key in ("Entrypoint", "Cmd"):
        tokens = config.get(key)
        if isinstance(tokens, str):  # very old engines
            tokens = [tokens]
        for i, token in enumerate(_list(tokens)):
            if isinstance(token, str):
                res.command.append(Value(token, loc(f"Config.{key}[{i}]")))

    res.written = _written(config, host, loc)
    return Document(path=path, kind=SourceKind.CONTAINER, resources=[res], lines=None)


def _written(config: Dict[str, Any], host: Dict[str, Any], loc) -> List[Written]:
    """Where a container's configuration may hold credentials as text: labels, the healthcheck test, volume driver
    options, logging options (`splunk-token`, a Loki URL with a password). Cmd and Entrypoint are `Resource.command`."""
    out: List[Written] = []
    for key, value in sorted(_dict(config.get("Labels")).items()):
        if isinstance(key, str) and isinstance(value, str) and value:
            out.append(Written("label", key, value, loc(f"Config.Labels.{key}")))
    test = _list(_dict(config.get("Healthcheck")).get("Test"))
    words = [t for t in test if isinstance(t, str)]
    if words and words[0] != "NONE":
        text = " ".join(w if " " not in w else f'"{w}"' for w in words)
        out.append(Written("healthcheck test", None, text, loc("Config.Healthcheck.Test")))
    for i, mount in enumerate(_list(host.get("Mounts"))):  # volume driver options (a CIFS share's password)
        driver = _dict(_dict(_dict(mount).get("VolumeOptions")).get("DriverConfig"))
        for key, value in sorted(_dict(driver.get("Options")).items()):
            if isinstance(key, str) and isinstance(value, str) and value:
                out.append(Written("volume driver option", key, value,
                                   loc(f"HostConfig.Mounts[{i}].VolumeOptions.DriverConfig.Options.{key}")))
    options = _dict(_dict(host.get("LogConfig")).get("Config"))
    for key, value in sorted(options.items()):
        if isinstance(key, str) and isinstance(value, str) and value:
            out.append(Written("logging option", key, value, loc(f"HostConfig.LogConfig.Config.{key}")))
    return out


def _mounts(inspect: Dict[str, Any], host: Dict[str, Any], loc) -> List[Mount]:
    out: List[Mount] = []
    mounts = inspect.get("Mounts")
    if isinstance(mounts, list):
        for i, m in enumerate(mounts):
            if not isinstance(m, dict):
                continue
            kind = _str(m.get("Type")) or ("bind" if (_str(m.get("Source")) or "").startswith("/") and not m.get("Name")
                                           else "volume")
            source = _str(m.get("Name")) if kind == "volume" and m.get("Name") else _str(m.get("Source"))
            rw = m.get("RW")
            out.append(Mount(source, _str(m.get("Destination")), kind, rw is False, loc(f"Mounts[{i}]")))
        return out
    # An inspect without Mounts (trimmed by hand, very old engine): fall back to what was asked for.
    for i, bind in enumerate(_list(host.get("Binds"))):
        if not isinstance(bind, str):
            continue
        parts = bind.split(":")
        source = parts[0]
        target = parts[1] if len(parts) > 1 else None
        mode = parts[2] if len(parts) > 2 else ""
        kind = "bind" if source.startswith("/") else "volume"
        out.append(Mount(source, target, kind, "ro" in mode.split(","), loc(f"HostConfig.Binds[{i}]")))
    for i, m in enumerate(_list(host.get("Mounts"))):
        if isinstance(m, dict):
            out.append(Mount(_str(m.get("Source")), _str(m.get("Target")), _str(m.get("Type")) or "volume",
                             m.get("ReadOnly") is True, loc(f"HostConfig.Mounts[{i}]")))
    return out


def _ports(inspect: Dict[str, Any], host: Dict[str, Any], running: bool, loc) -> List[Port]:
    """Published ports: what the engine actually bound (NetworkSettings.Ports) for a running container, what it
    was asked to bind (HostConfig.PortBindings) for a created or stopped one. A port published without a host
    address is listed twice by the engine (0.0.0.0 and ::): that is one Port with host_ip ""."""
    live = _dict(_dict(inspect.get("NetworkSettings")).get("Ports"))
    if running and live:
        table, base = live, "NetworkSettings.Ports"
    else:
        table, base = _dict(host.get("PortBindings")), "HostConfig.PortBindings"
        if not table and live:
            table, base = live, "NetworkSettings.Ports"
    out: List[Port] = []
    for spec in sorted(table):
        number, _, proto = str(spec).partition("/")
        try:
            container_port: Optional[int] = int(number)
        except ValueError:
            container_port = None
        proto = proto or "tcp"
        bindings = table[spec]
        where = loc(f"{base}.{spec}")
        if not isinstance(bindings, list) or not bindings:
            out.append(Port(container_port, None, None, proto, where, published=False))
            continue
        by_host_port: Dict[str, List[str]] = {}
        for binding in bindings:
            if not isinstance(binding, dict):
                continue
            host_port = _str(binding.get("HostPort")) or ""
            by_host_port.setdefault(host_port, []).append((_str(binding.get("HostIp")) or "").strip())
        for host_port, ips in by_host_port.items():
            for ip in _collapse(ips):
                out.append(Port(container_port, ip, host_port or None, proto, where))
    return out


def _collapse(ips: Iterable[str]) -> List[str]:
    """0.0.0.0 and :: for the same host port are one binding on every interface ("")."""
    unique = list(dict.fromkeys(ips))
    wild = [ip for ip in unique if ip in WILDCARDS]
    if "" in wild or ("0.0.0.0" in wild and ("::" in wild or "[::]" in wild)):
        return [""] + [ip for ip in unique if ip not in WILDCARDS]
    return unique
