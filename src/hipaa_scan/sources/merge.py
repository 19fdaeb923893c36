"""Compose's merge rules, applied to positioned YAML (yamlsrc's YMap and YList) without losing positions.

Every position is first stamped with its file (`SrcPos`: a (line, column) tuple that knows its path), so a value
that an override file replaced still points at the override file's line after the merge.

The rules are the Compose specification's (merge section) as compose-go applies them:
- mappings merge key by key, and a later scalar replaces an earlier one; `x-` extensions are replaced whole;
- sequences are appended, except `command`, `entrypoint` and `healthcheck.test`, which are replaced;
- `environment`, `labels`, `annotations`, `sysctls`, `extra_hosts`, `build.args` and `build.labels` merge by
  variable or label name, whether written as a mapping or as a `KEY=value` list;
- `ports`, `volumes`, `expose`, `secrets`, `configs`, `env_file`, `dns*` and `tmpfs` are appended, an entry with
  the same unique key (port binding, mount target, path) replacing the earlier one;
- `build: dir` is `build: {context: dir}`; `depends_on` and `networks` lists are mappings; `logging` options merge
  only when the driver stays the same; `ulimits` entries merge or are replaced;
- a value tagged `!reset` removes the attribute; one tagged `!override` replaces it instead of merging.
Inputs are never modified: merged levels are new YMap/YList objects.
"""

from __future__ import annotations

from hipaa_scan.yamlsrc import TaggedScalar, YList, YMap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional, Set, Tuple

RESET, OVERRIDE = "!reset", "!override"
REPLACED = {"command", "entrypoint"}
BY_NAME = {"environment", "labels", "annotations", "sysctls", "extra_hosts"}
AS_MAPPING = {"depends_on", "networks"}


class SrcPos(tuple):  # type: ignore[type-arg]  # (typing is not imported at run time)
    """A (line, column) position that also knows the file it was written in."""

    path: str

    def __new__(cls, pos: Tuple[int, int], path: str) -> "SrcPos":
        obj = super().__new__(cls, (pos[0], pos[1]))
        obj.path = path
        return obj


def stamp(node: Any, path: str, _seen: Optional[Set[int]] = None) -> None:
    """Give every position in the tree its file (aliased nodes are visited once)."""
    seen = _seen if _seen is not None else set()
    if not isinstance(node, (YMap, YList)) or id(node) in seen:
        return
    seen.add(id(node))
    node.pos = SrcPos(node.pos, path)
    if isinstance(node, YMap):
        node.key_pos = {k: SrcPos(p, path) for k, p in node.key_pos.items()}
        node.value_pos = {k: SrcPos(p, path) for k, p in node.value_pos.items()}
        children = list(node.values())
    else:
        node.item_pos = [SrcPos(p, path) for p in node.item_pos]
        children = list(node)
    for child in children:
        stamp(child, path, seen)


def tag_of(value: Any) -> Optional[str]:
    return getattr(value, "tag", None) if isinstance(value, (TaggedScalar, YMap, YList)) else None


def new_map(pos: Any = (0, 0)) -> YMap:
    out = YMap()
    out.pos = pos
    return out


def put(target: YMap, key: Any, value: Any, source: YMap, source_key: Any = None) -> None:
    """Set target[key] to value, taking its positions from source[source_key]."""
    source_key = key if source_key is None else source_key
    target[key] = value
    target.key_pos[key] = source.key_pos.get(source_key, source.pos)
    target.value_pos[key] = source.value_pos.get(source_key, target.key_pos[key])


def clean(value: Any, _memo: Optional[Dict[int, Any]] = None) -> Any:
    """A value as it stands alone: entries tagged !reset dropped, !override tags removed. Aliased nodes are
    cleaned once and stay shared, so an alias bomb costs no more than it did to load."""
    if not isinstance(value, (YMap, YList)):
        return str(value) if isinstance(value, TaggedScalar) and value.tag in (RESET, OVERRIDE) else value
    memo = {} if _memo is None else _memo
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, YMap):
        out: Any = new_map(value.pos)
        memo[id(value)] = out
        for k, v in value.items():
            if tag_of(v) != RESET:
                put(out, k, clean(v, memo), value)
        return out
    out = YList()
    out.pos = value.pos
    memo[id(value)] = out
    for item, pos in zip(value, value.item_pos):
        if tag_of(item) != RESET:
            out.append(clean(item, memo))
            out.item_pos.append(pos)
    return out


def merge(base: Any, over: Any, path: Tuple[str, ...] = ()) -> Any:
    """`over` merged onto `base` (both top-level Compose documents, or two values at `path`)."""
    if isinstance(base, YMap) and isinstance(over, YMap):
        return _maps(base, over, path)
    return clean(over)


def _maps(base: YMap, over: YMap, path: Tuple[str, ...]) -> YMap:
    out = new_map(base.pos)
    for k, v in base.items():
        put(out, k, v, base)
    for k, v in over.items():
        tag = tag_of(v)
        if tag == RESET:
            out.pop(k, None)
            continue
        if k not in out or tag == OVERRIDE or str(k).startswith("x-") or out[k] is None:
            put(out, k, clean(v), over)
            continue
        if v is None:  # a null override keeps the earlier value
            continue
        merged, replaced = _value(out[k], v, path + (str(k),), out.value_pos[k], over.value_pos.get(k, over.pos))
        if replaced:
            put(out, k, merged, over)
        else:
            out[k] = merged
    return out


def _field(path: Tuple[str, ...]) -> Tuple[str, ...]:
    """The path inside a service (`("build", "args")`), or () when `path` is not inside a service."""
    return path[2:] if len(path) >= 3 and path[0] == "services" else ()


def _value(base: Any, over: Any, path: Tuple[str, ...], pb: Any, po: Any) -> Tuple[Any, bool]:
    """(merged value, whether it was replaced by `over` rather than merged); pb and po: where each was written."""
    field = _field(path)
    name = field[0] if len(field) == 1 else ".".join(field)
    if name in REPLACED or name == "healthcheck.test":
        return clean(over), True
    if name in BY_NAME or name in ("build.args", "build.labels"):
        separators = "=:" if name == "extra_hosts" else "="
        return _by_name(by_name(base, separators, pb), by_name(over, separators, po)), False
    if name in UNIQUE:
        return _unique(_seq(base, pb), _seq(over, po), UNIQUE[name]), False
    if name == "build":
        return _maps(_as_build(base, pb), _as_build(over, po), path), False
    if name in AS_MAPPING:
        return _maps(_as_mapping(base, pb), _as_mapping(over, po), path), False
    if name == "logging" and isinstance(base, YMap) and isinstance(over, YMap):
        if "driver" in base and "driver" in over and str(base["driver"]) != str(over["driver"]):
            return clean(over), True
    if len(field) == 2 and field[0] == "ulimits" and not (isinstance(base, YMap) and isinstance(over, YMap)):
        return clean(over), True
    if isinstance(base, YMap) and isinstance(over, YMap):
        return _maps(base, over, path), False
    if isinstance(base, YList) and isinstance(over, YList):
        return _appended(base, over), False
    return clean(over), True


def _seq(value: Any, pos: Any) -> YList:
    """A sequence; a lone scalar (`env_file: .env`) becomes a one-item sequence written at `pos`."""
    if isinstance(value, YList):
        return value
    seq = YList()
    seq.pos = pos
    if value is not None:
        seq.append(value)
        seq.item_pos.append(pos)
    return seq


def _appended(base: YList, over: YList) -> YList:
    out = YList()
    out.pos = base.pos
    for seq in (base, clean(over)):
        out.extend(seq)
        out.item_pos.extend(seq.item_pos)
    return out


def _unique(base: YList, over: YList, key: Callable[[Any], Any]) -> YList:
    """Appended, an entry with the same unique key replacing the earlier one in its place."""
    out = YList()
    out.pos = base.pos
    index: Dict[Any, int] = {}
    for seq in (base, clean(over)):
        for item, pos in zip(seq, seq.item_pos):
            k = key(item)
            if k in index:
                out[index[k]] = item
                out.item_pos[index[k]] = pos
            else:
                index[k] = len(out)
                out.append(item)
                out.item_pos.append(pos)
    return out


def by_name(value: Any, separators: str = "=", pos: Any = (0, 0)) -> YMap:
    """`KEY=value` lists (and mappings) as a mapping of name to value; `KEY` alone maps to None."""
    if isinstance(value, YMap):
        return value
    out = new_map(getattr(value, "pos", pos))
    if not isinstance(value, YList):
        return out
    for item, pos in zip(value, value.item_pos):
        text = str(item)
        cut = min((i for i in (text.find(s) for s in separators) if i >= 0), default=-1)
        k, v = (text[:cut], text[cut + 1:]) if cut >= 0 else (text, None)
        out[k.strip()] = v
        out.key_pos[k.strip()] = out.value_pos[k.strip()] = pos
    return out


def _by_name(b: YMap, o: YMap) -> YMap:
    out = new_map(b.pos)
    for source in (b, o):
        for k, v in source.items():
            if tag_of(v) == RESET:
                out.pop(k, None)
            else:
                put(out, k, clean(v), source)
    return out


def _as_build(value: Any, pos: Any) -> YMap:
    if isinstance(value, YMap):
        return value
    out = new_map(pos)
    if value is not None:
        out["context"] = value
        out.key_pos["context"] = out.value_pos["context"] = out.pos
    return out


def _as_mapping(value: Any, at: Any) -> YMap:
    if isinstance(value, YMap):
        return value
    out = new_map(at)
    seq = _seq(value, at)
    for item, pos in zip(seq, seq.item_pos):
        out[str(item)] = None
        out.key_pos[str(item)] = out.value_pos[str(item)] = pos
    return out


def _port_key(item: Any) -> Any:
    from hipaa_scan.sources.compose import parse_port_spec

    if isinstance(item, YMap):
        return (str(item.get("host_ip") or ""), str(item.get("published") or ""), str(item.get("target")),
                str(item.get("protocol") or "tcp"))
    parsed = parse_port_spec(str(item))
    if parsed is None:
        return str(item)
    ip, host, container, proto = parsed
    return (ip or "", host or "", str(container), proto)


def _target_key(default_dir: str) -> Callable[[Any], Any]:
    def key(item: Any) -> Any:
        if isinstance(item, YMap):
            return str(item.get("target") or f"{default_dir}/{item.get('source')}")
        return f"{default_dir}/{item}"
    return key


def _volume_key(item: Any) -> Any:
    if isinstance(item, YMap):
        return str(item.get("target"))
    parts = str(item).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _plain(item: Any) -> Any:
    return str(item.get("path")) if isinstance(item, YMap) else str(item)


UNIQUE: Dict[str, Callable[[Any], Any]] = {
    "ports": _port_key, "volumes": _volume_key, "expose": _plain, "secrets": _target_key("/run/secrets"),
    "configs": _target_key(""), "env_file": _plain, "dns": _plain, "dns_opt": _plain, "dns_search": _plain,
    "tmpfs": _plain,
}
