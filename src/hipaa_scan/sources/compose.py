"""Compose files: one Resource per service, every value located by its YAML node.

`${VAR}` references are kept as written here: a compose file scanned on its own is judged as written. A Compose
project (sources/project.py) interpolates and merges its files first, then builds each service here; positions that
carry their own file (merge.SrcPos) keep pointing at the file that wrote the value.
"""

from __future__ import annotations

import re

from hipaa_scan.budgets import check_words
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Document, EnvVar, Location, Mount, Port, Resource, Topology, Value, Written
from hipaa_scan.sources.dockerfile import split_words
from hipaa_scan.sources.interpolate import interpolate
from hipaa_scan.sources.kinds import MAYBE_COMPOSE, SourceError, SourceKind
from hipaa_scan.redact import source_lines
from hipaa_scan.yamlsrc import YamlError, YList, YMap, load, regions_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional

SERVICES_LINE = lazy(r"^services\s*:", re.MULTILINE)
ASCII_DIGITS = lazy(r"^[0-9]{1,5}$")
UNSET_REFERENCE = lazy(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}")  # `${VAR:?err}` left unresolved: no colons
NAMESPACE_KEYS = {"network_mode": "network", "pid": "pid", "ipc": "ipc", "uts": "uts", "userns_mode": "userns"}


class ComposeError(Exception):
    pass


def looks_like_compose(text: str) -> bool:
    """Cheap sniff before parsing: a top-level `services:` key."""
    return SERVICES_LINE.search(text) is not None


def is_compose_data(data: Any) -> bool:
    services = data.get("services") if isinstance(data, dict) else None
    return isinstance(services, dict) and bool(services) and all(
        isinstance(v, dict) or v is None for v in services.values())


class Locator:
    def __init__(self, path: str) -> None:
        self.path = path

    def at(self, pos, keypath: str) -> Location:
        """A position; one that carries its own `path` (a value merged in from another file) keeps it."""
        line, col = pos
        return Location(getattr(pos, "path", None) or self.path, line, col, keypath)

    def key(self, mapping: YMap, key: str, keypath: str) -> Location:
        return self.at(mapping.key_pos.get(key, mapping.pos), keypath)

    def value(self, mapping: YMap, key: str, keypath: str) -> Location:
        return self.at(mapping.value_pos.get(key, mapping.key_pos.get(key, mapping.pos)), keypath)

    def item(self, seq: YList, index: int, keypath: str) -> Location:
        return self.at(seq.item_pos[index] if index < len(seq.item_pos) else seq.pos, f"{keypath}[{index}]")


def scalar_text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return None
    return str(value)


def parse_source(text: str, display: str, kind: str) -> Optional[Document]:
    """The registry's parser (sources/registry.py). A file named like Compose must be Compose; any other YAML file
    (MAYBE_COMPOSE) is one only if it has a mapping of services, and is not scanned otherwise."""
    maybe = kind == MAYBE_COMPOSE
    if maybe and not looks_like_compose(text):
        return None
    try:
        data, _dups = load(text)
        if not is_compose_data(data):
            if maybe:
                return None
            raise SourceError("not a compose file: no `services` mapping of services")
        return parse_compose(text, display, data)
    except (ComposeError, YamlError) as exc:
        raise SourceError(str(exc)) from None


def parse_compose(text: str, path: str, data: Any = None) -> Document:
    if data is None:
        try:
            data, _dups = load(text)
        except YamlError as exc:
            raise ComposeError(str(exc)) from None
    if not is_compose_data(data):
        raise ComposeError("not a compose file: no `services` mapping of services")
    locate = Locator(path)
    resources = []
    for name, service in data["services"].items():
        res = service_resource(str(name), service if isinstance(service, YMap) else YMap(), data["services"], locate)
        if isinstance(service, YMap) and service.get("env_file") is not None:
            res.env_file = True  # a file scanned on its own: its env files' variables are unknown
        if isinstance(service, YMap):
            res.build_args = _build_args(service, f"services.{name}", locate)
        resources.append(res)
    attach_top_level(resources, top_level_written(data, locate))
    attach_topology(resources, data)
    if resources:
        resources[0].unused_secrets = unused_secrets(data, data["services"].values(), locate)
    regions = regions_of(data)
    return Document(path=path, kind=SourceKind.COMPOSE, resources=resources, lines=source_lines(text, "yaml"),
                    regions={path: regions} if regions else None)


def service_resource(name: str, svc: YMap, services: YMap, locate: Locator, environment: bool = True) -> Resource:
    """The service as written in one file. `environment=False` leaves `env` empty: a Compose project's loader
    builds it itself, with env_file and interpolation (sources/services.py)."""
    base = f"services.{name}"
    res = Resource(kind=SourceKind.COMPOSE, name=f"service:{name}", label=f'service "{name}"', path=locate.path,
                   anchor=locate.key(services, name, base))

    def scalar(key: str) -> Optional[Value]:
        if key in svc and scalar_text(svc[key]) is not None:
            return Value(scalar_text(svc[key]), locate.value(svc, key, f"{base}.{key}"))
        return None

    res.user = scalar("user")
    res.privileged = scalar("privileged")
    res.read_only = scalar("read_only")
    res.image = scalar("image")
    res.builds = "build" in svc
    if res.builds:
        res.build = svc["build"]
    for key, ns in NAMESPACE_KEYS.items():
        val = scalar(key)
        if val is not None:
            res.namespaces[ns] = val
    res.cap_add = _scalars(svc, "cap_add", base, locate)
    res.cap_drop = _scalars(svc, "cap_drop", base, locate)
    res.networks = _networks(res, svc, base, locate)
    res.security_opt = _scalars(svc, "security_opt", base, locate)
    if environment:
        res.env = _environment(svc, base, locate)
    res.ports = _ports(svc, base, locate) + _expose(svc, base, locate)
    res.mounts = _volumes(svc, base, locate)
    res.command = _command(svc, "entrypoint", base, locate) + _command(svc, "command", base, locate)
    _healthcheck(res, svc, base, locate)
    _one_shot(res, name, svc, services, base, locate)
    _logging(res, svc, base, locate)
    _limits(res, svc, base, locate)
    res.written = service_written(svc, base, locate)
    return res


# -- text where credentials may be written (rules/inline.py reads it) ----------------------------------------------

KEY_NAME = lazy(r"^[A-Za-z_][A-Za-z0-9_.\-/]{0,120}$")  # a label's or variable's key, which messages may name
MAX_WALK = 2000  # scalars read from `x-` blocks per file: a bound, however large the block


def service_written(svc: YMap, base: str, locate: Locator) -> List[Written]:
    """Labels (the service's, its build's, its deploy's), the healthcheck test, logging options, an inline
    Dockerfile, an `extends` file given as a URL and the service's own `x-` keys."""
    out: List[Written] = []
    build = svc.get("build")
    deploy = svc.get("deploy")
    for owner, keypath in ((svc, base), (build, f"{base}.build"), (deploy, f"{base}.deploy")):
        if isinstance(owner, YMap):
            out.extend(_pairs_written(owner.get("labels"), "label", f"{keypath}.labels", locate, owner, "labels"))
    hc = svc.get("healthcheck")
    if isinstance(hc, YMap) and hc.get("test") is not None:
        test = hc["test"]
        keypath = f"{base}.healthcheck.test"
        if isinstance(test, YList):
            words = [scalar_text(t) for t in test]
            text = " ".join(w if " " not in w else f'"{w}"' for w in words if w is not None)
            lines = [(locate.item(test, i, keypath).line, w) for i, w in enumerate(words) if w is not None]
            out.append(Written("healthcheck test", None, text, locate.value(hc, "test", keypath), lines=lines))
        elif scalar_text(test) is not None:
            out.append(Written("healthcheck test", None, scalar_text(test) or "", locate.value(hc, "test", keypath)))
    logging = svc.get("logging")
    if isinstance(logging, YMap):
        out.extend(_pairs_written(logging.get("options"), "logging option", f"{base}.logging.options", locate,
                                  logging, "options"))
    if isinstance(build, YMap) and scalar_text(build.get("dockerfile_inline")) is not None:
        out.append(Written("build.dockerfile_inline", None, scalar_text(build["dockerfile_inline"]) or "",
                           locate.value(build, "dockerfile_inline", f"{base}.build.dockerfile_inline")))
    context = build.get("context") if isinstance(build, YMap) else build
    if "://" in (scalar_text(context) or "") or (scalar_text(context) or "").startswith("git@"):  # a remote build context
        loc = locate.value(build, "context", f"{base}.build.context") if isinstance(build, YMap) else \
            locate.value(svc, "build", f"{base}.build")
        out.append(Written("build context", None, scalar_text(context) or "", loc))
    extends = svc.get("extends")
    if isinstance(extends, YMap) and "://" in (scalar_text(extends.get("file")) or ""):
        out.append(Written("extends file", None, scalar_text(extends["file"]) or "",
                           locate.value(extends, "file", f"{base}.extends.file")))
    for key in svc:
        if str(key).startswith("x-"):
            out.extend(_walk(svc[key], str(key), f"{base}.{key}", locate, svc, key, [0]))
    return out


def top_level_written(data: Any, locate: Locator, include: Any = None) -> List[Written]:
    """`x-` blocks, inline `configs.*.content`, and `include` entries given as URLs."""
    out: List[Written] = []
    if not isinstance(data, YMap):
        return out
    budget = [0]
    for key in data:
        if str(key).startswith("x-"):
            out.extend(_walk(data[key], str(key), str(key), locate, data, key, budget))
    volumes = data.get("volumes")  # driver options: a CIFS share's `o: addr=...,username=...,password=...`
    if isinstance(volumes, YMap):
        for name, spec in volumes.items():
            opts = spec.get("driver_opts") if isinstance(spec, YMap) else None
            out.extend(_pairs_written(opts, "volume driver option", f"volumes.{name}.driver_opts", locate, spec,
                                      "driver_opts"))
    configs = data.get("configs")
    if isinstance(configs, YMap):
        for name, spec in configs.items():
            if isinstance(spec, YMap) and scalar_text(spec.get("content")) is not None:
                out.append(Written(f"configs.{name}.content", None, scalar_text(spec["content"]) or "",
                                   locate.value(spec, "content", f"configs.{name}.content")))
    entries = data.get("include") if include is None else include
    listed = entries if isinstance(entries, YList) else YList()
    for i, entry in enumerate(listed):
        paths = entry.get("path") if isinstance(entry, YMap) else entry
        for j, path in enumerate(paths if isinstance(paths, YList) else [paths]):
            text = scalar_text(path)
            if text and "://" in text:
                loc = locate.item(listed, i, "include") if not isinstance(entry, YMap) else \
                    locate.value(entry, "path", f"include[{i}].path")
                out.append(Written("include", None, text, loc))
    return out


def unused_secrets(data: Any, services: Any, locate: Locator) -> List[Value]:
    """The top-level `secrets:` that no service lists (short `- name` or long `- source: name` syntax), each at its
    key: declared for nothing, or a sign that the service reads the secret another way (its environment)."""
    declared = data.get("secrets") if isinstance(data, YMap) else None
    if not isinstance(declared, YMap):
        return []
    used = set()
    for svc in services:
        entries = svc.get("secrets") if isinstance(svc, YMap) else None
        for entry in entries if isinstance(entries, YList) else ():
            used.add(str(entry.get("source")) if isinstance(entry, YMap) else str(entry))
    return [Value(str(name), locate.key(declared, name, f"secrets.{name}")) for name in declared
            if str(name) not in used]


def attach_top_level(resources: List[Resource], written: List[Written]) -> None:
    """Project-wide texts go with the first service, unless a variable at the same line already stands for them
    (an `x-` block merged into an `environment` is judged there)."""
    if not written or not resources:
        return
    taken = {(v.loc.path, v.loc.line) for res in resources for v in list(res.env) + list(res.build_args)}
    kept = [w for w in written if (w.loc.path, w.loc.line) not in taken]
    resources[0].written.extend(kept)


def _pairs_written(value: Any, place: str, keypath: str, locate: Locator, owner: YMap, key: str) -> List[Written]:
    """`labels:` / `options:` as a mapping or a `KEY=value` list: one text per entry, under its key."""
    out: List[Written] = []
    if isinstance(value, YMap):
        for k, v in value.items():
            if scalar_text(v) is not None:
                out.append(Written(place, str(k), scalar_text(v) or "", locate.value(value, k, f"{keypath}.{k}")))
    elif isinstance(value, YList):
        for i, item in enumerate(value):
            k, sep, v = (scalar_text(item) or "").partition("=")
            if sep and KEY_NAME.match(k.strip()):
                out.append(Written(place, k.strip(), v, locate.item(value, i, keypath)))
            elif scalar_text(item):  # not `KEY=value`: the whole item is the text, under no name
                out.append(Written(place, None, scalar_text(item) or "", locate.item(value, i, keypath)))
    return out


def _walk(node: Any, place: str, keypath: str, locate: Locator, parent: Any, key: Any,
          budget: List[int]) -> List[Written]:
    """Every scalar of an `x-` block, under the key that holds it."""
    out: List[Written] = []
    stack = [(node, keypath, parent, key)]
    while stack and budget[0] < MAX_WALK:
        node, path, parent, key = stack.pop()
        if isinstance(node, YMap):
            stack.extend((v, f"{path}.{k}", node, k) for k, v in reversed(list(node.items())))
        elif isinstance(node, YList):
            stack.extend((v, f"{path}[{i}]", node, i) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, str):
            budget[0] += 1
            if isinstance(parent, YMap):
                loc = locate.value(parent, key, path)
                out.append(Written(place, str(key), node, loc))
            elif isinstance(parent, YList):
                name, sep, value = node.partition("=")
                loc = locate.item(parent, key, path.rsplit("[", 1)[0])
                named = bool(sep) and KEY_NAME.match(name.strip()) is not None  # messages name keys, never values
                out.append(Written(place, name.strip() if named else None, value if named else node, loc))
    return out


def _build_args(svc: YMap, base: str, locate: Locator) -> List[EnvVar]:
    """`build.args` as written (the project loader resolves them itself): the values passed as --build-arg."""
    build = svc.get("build")
    args = build.get("args") if isinstance(build, YMap) else None
    keypath = f"{base}.build.args"
    out: List[EnvVar] = []
    if isinstance(args, YMap):
        for k, v in args.items():
            if scalar_text(v) is not None:
                out.append(EnvVar(str(k), scalar_text(v), locate.key(args, k, f"{keypath}.{k}"), "build-arg"))
    elif isinstance(args, YList):
        for i, item in enumerate(args):
            k, sep, v = (scalar_text(item) or "").partition("=")
            if sep:
                out.append(EnvVar(k.strip(), v, locate.item(args, i, f"{keypath}.{k.strip()}"), "build-arg"))
    return out


def _scalars(svc: YMap, key: str, base: str, locate: Locator) -> List[Value]:
    seq = svc.get(key)
    if not isinstance(seq, YList):
        return []
    return [Value(scalar_text(v), locate.item(seq, i, f"{base}.{key}")) for i, v in enumerate(seq) if scalar_text(v) is not None]


def _environment(svc: YMap, base: str, locate: Locator) -> List[EnvVar]:
    env = svc.get("environment")
    out: List[EnvVar] = []
    keypath = f"{base}.environment"
    if isinstance(env, YMap):
        for k, v in env.items():
            out.append(EnvVar(str(k), scalar_text(v), locate.key(env, k, f"{keypath}.{k}")))
    elif isinstance(env, YList):
        for i, item in enumerate(env):
            text = scalar_text(item)
            if text is None:
                continue
            k, sep, v = text.partition("=")
            out.append(EnvVar(k.strip(), v if sep else None, locate.at(env.item_pos[i], f"{keypath}.{k.strip()}")))
    return out


def _defaults(text: Optional[str]) -> Optional[str]:
    """A port value of a file scanned as written: `${PORT:-6379}` read as its default, an unset reference kept
    without the colons of its `:?`/`:-` operator (so `${PORT:-6379}:6379` is not split inside the reference)."""
    if text is None or "$" not in text:
        return text
    return UNSET_REFERENCE.sub(r"${\1}", interpolate(text, lambda _name: None)[0])


def parse_port_spec(spec: str):
    """Short port syntax: [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTO]; returns (ip, host, container, proto)
    with ranges expanded to their first port, or None when unparseable."""
    spec = _defaults(spec.strip()) or ""  # (a text in, a text out)
    proto = "tcp"
    if "/" in spec:
        spec, proto = spec.rsplit("/", 1)
    host_ip = None
    if spec.startswith("["):  # [::1]:6379:6379
        end = spec.find("]")
        if end < 0:
            return None
        host_ip, spec = spec[1:end], spec[end + 1:].lstrip(":")
    parts = spec.split(":")
    if len(parts) > 3:  # an unbracketed IPv6 address
        host_ip = ":".join(parts[:-2])
        parts = parts[-2:]
    if len(parts) == 3:
        host_ip, host, container = parts
    elif len(parts) == 2:
        host, container = parts
    else:
        host, container = None, parts[0]
    first = container.split("-")[0]
    if not ASCII_DIGITS.match(first):
        return None
    return host_ip, host or None, int(first), proto.lower()


def _ports(svc: YMap, base: str, locate: Locator) -> List[Port]:
    seq = svc.get("ports")
    out: List[Port] = []
    if not isinstance(seq, YList):
        return out
    for i, item in enumerate(seq):
        loc = locate.item(seq, i, f"{base}.ports")
        if isinstance(item, YMap):
            target = _defaults(scalar_text(item.get("target")))
            if target is None or not ASCII_DIGITS.match(target.split("-")[0]):
                continue
            published = _defaults(scalar_text(item.get("published")))
            out.append(Port(int(target.split("-")[0]), _defaults(scalar_text(item.get("host_ip"))), published,
                            (scalar_text(item.get("protocol")) or "tcp").lower(), loc))
        elif scalar_text(item) is not None:
            parsed = parse_port_spec(scalar_text(item) or "")
            if parsed:
                host_ip, host, container, proto = parsed
                out.append(Port(container, host_ip, host, proto, loc))
    return out


def _expose(svc: YMap, base: str, locate: Locator) -> List[Port]:
    seq = svc.get("expose")
    if not isinstance(seq, YList):
        return []
    out = []
    for i, item in enumerate(seq):
        text = (scalar_text(item) or "").split("/")[0].split("-")[0]
        if ASCII_DIGITS.match(text):
            out.append(Port(int(text), None, None, "tcp", locate.item(seq, i, f"{base}.expose"), published=False))
    return out


def _volumes(svc: YMap, base: str, locate: Locator) -> List[Mount]:
    seq = svc.get("volumes")
    out: List[Mount] = []
    if not isinstance(seq, YList):
        return out
    for i, item in enumerate(seq):
        loc = locate.item(seq, i, f"{base}.volumes")
        if isinstance(item, YMap):
            kind = scalar_text(item.get("type")) or "volume"
            ro = item.get("read_only") in (True, "true")
            out.append(Mount(scalar_text(item.get("source")), scalar_text(item.get("target")), kind, ro, loc))
        elif scalar_text(item) is not None:
            parts = (scalar_text(item) or "").split(":")
            if len(parts) == 1:
                out.append(Mount(None, parts[0], "volume", False, loc))
                continue
            source, target = parts[0], parts[1]
            mode = parts[2] if len(parts) > 2 else ""
            is_path = source.startswith(("/", ".", "~", "$")) or "/" in source
            out.append(Mount(source, target, "bind" if is_path else "volume", "ro" in mode.split(","), loc))
    return out


def _command(svc: YMap, key: str, base: str, locate: Locator) -> List[Value]:
    value = svc.get(key)
    keypath = f"{base}.{key}"
    if isinstance(value, YList):
        check_words(len(value), keypath)
        return [Value(scalar_text(v), locate.item(value, i, keypath)) for i, v in enumerate(value) if scalar_text(v) is not None]
    text = scalar_text(value)
    if text is None:
        return []
    loc = locate.value(svc, key, keypath)
    words = split_words(text)
    check_words(len(words), keypath)
    return [Value(w, loc) for w in words]


def _healthcheck(res: Resource, svc: YMap, base: str, locate: Locator) -> None:
    hc = svc.get("healthcheck")
    if not isinstance(hc, YMap):
        return
    key = f"{base}.healthcheck"
    if hc.get("disable") in (True, "true"):  # located at the line that decides, as the project loader does
        res.healthcheck = Value(False, locate.value(hc, "disable", f"{key}.disable"))
        return
    test = hc.get("test")
    if "test" in hc and test is not None:
        none = (isinstance(test, list) and [str(t) for t in test[:1]] == ["NONE"]) or str(test).strip() == "NONE"
        res.healthcheck = Value(not none, locate.value(hc, "test", f"{key}.test"))
        return
    res.healthcheck = Value(True, locate.key(svc, "healthcheck", key))


def _one_shot(res: Resource, name: str, svc: YMap, services: YMap, base: str, locate: Locator) -> None:
    """Mark a service that is a one-shot job (hipaa_scan/jobs.py): (why, where) in `Resource.one_shot`."""
    from hipaa_scan.jobs import service_signal

    signal = service_signal(name, svc, services, locate.path)
    if signal is not None:
        why, key = signal
        res.one_shot = (why, locate.value(svc, key, f"{base}.{key}") if key else res.anchor)


def _logging(res: Resource, svc: YMap, base: str, locate: Locator) -> None:
    logging = svc.get("logging")
    if isinstance(logging, YMap) and scalar_text(logging.get("driver")) is not None:
        res.logging_driver = Value(scalar_text(logging["driver"]), locate.value(logging, "driver", f"{base}.logging.driver"))
        res.logging_options = logging.get("options")


def _limits(res: Resource, svc: YMap, base: str, locate: Locator) -> None:
    for key, limit in (("mem_limit", "memory"), ("cpus", "cpus"), ("cpu_quota", "cpus"), ("pids_limit", "pids")):
        if key in svc and scalar_text(svc[key]) not in (None, "0", "-1"):
            res.limits[limit] = Value(scalar_text(svc[key]), locate.value(svc, key, f"{base}.{key}"))
    deploy = svc.get("deploy")
    resources = deploy.get("resources") if isinstance(deploy, YMap) else None
    limits = resources.get("limits") if isinstance(resources, YMap) else None
    if isinstance(limits, YMap):
        for key in ("memory", "cpus", "pids"):
            if key in limits and scalar_text(limits[key]) not in (None, "0"):
                res.limits[key] = Value(scalar_text(limits[key]), locate.value(limits, key, f"{base}.deploy.resources.limits.{key}"))


def _networks(res: Resource, svc: YMap, base: str, locate: Locator) -> List[Value]:
    """The networks a service joins: its `networks:` list or mapping, else `default`; none when `network_mode`
    (host, none, another service's or container's stack) decides instead."""
    if svc.get("network_mode") is not None:
        return []
    nets = svc.get("networks")
    keypath = f"{base}.networks"
    if isinstance(nets, YMap):
        return [Value(str(name), locate.key(nets, name, f"{keypath}.{name}")) for name in nets]
    if isinstance(nets, YList):
        return [Value(scalar_text(n), locate.item(nets, i, keypath)) for i, n in enumerate(nets)
                if scalar_text(n) is not None]
    return [Value("default", res.anchor)]


def attach_topology(resources: List[Resource], data: Any) -> None:
    """One Topology for the services of a file or project: the networks each is on, which publish a port beyond
    loopback, and the top-level networks declared `internal: true`."""
    topology = Topology()
    networks = data.get("networks") if isinstance(data, YMap) else None
    if isinstance(networks, YMap):
        for name, spec in networks.items():
            if isinstance(spec, YMap) and scalar_text(spec.get("internal")) == "true":
                topology.internal.add(str(name))
            if isinstance(spec, YMap) and (scalar_text(spec.get("external")) == "true"
                                           or isinstance(spec.get("external"), YMap)):
                topology.external.add(str(name))
    for res in resources:
        if res.kind != SourceKind.COMPOSE:
            continue
        service = res.name.partition(":")[2]
        res.topology = topology
        for net in res.networks:
            topology.members.setdefault(str(net.value), []).append(service)
        for port in res.ports:
            if port.published and not _loopback(port.host_ip):
                topology.publishing.setdefault(service, f"{port.host_port or ''}:{port.container_port}".lstrip(":"))


def _loopback(host_ip: Optional[str]) -> bool:
    ip = (host_ip or "").strip("[]")
    return ip.startswith("127.") or ip in ("::1", "localhost")
