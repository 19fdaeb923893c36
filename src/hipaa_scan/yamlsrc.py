"""Safe YAML loading that keeps the line and column of every key and value.

The document is composed into nodes with PyYAML's safe C loader when available (never a full loader), then
turned into plain dicts, lists and scalars. Mappings and sequences remember where their entries were written.
Merge keys (`<<`) are applied, aliases are shared rather than copied, and the node count is bounded so an
alias bomb is refused instead of expanded.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_NODES = 200_000
MAX_DEPTH = 200

Pos = Tuple[int, int]  # 1-based line, column


class YamlError(Exception):
    """A YAML problem, described without quoting the document (it may hold secrets)."""


class YMap(dict):
    """A mapping that knows where each key and value was written."""

    __slots__ = ("pos", "key_pos", "value_pos", "tag")

    def __init__(self) -> None:
        super().__init__()
        self.pos: Pos = (0, 0)
        self.key_pos: Dict[Any, Pos] = {}
        self.value_pos: Dict[Any, Pos] = {}
        self.tag: Optional[str] = None


class YList(list):
    __slots__ = ("pos", "item_pos", "tag")

    def __init__(self) -> None:
        super().__init__()
        self.pos: Pos = (0, 0)
        self.item_pos: List[Pos] = []
        self.tag: Optional[str] = None


class TaggedScalar(str):
    """A scalar carrying a custom tag such as !reset or !override."""

    tag: str = ""


_SCALAR = yaml.constructor.SafeConstructor()
_STD_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _STD_PREFIX + "str"


def _pos(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self) -> None:
        self.count = 0
        self.memo: Dict[int, Any] = {}
        self.duplicates: List[Tuple[str, Pos]] = []

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlError(f"more than {MAX_NODES} nodes after alias expansion (alias bomb?)")
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels")
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        if isinstance(node, yaml.ScalarNode):
            tag = node.tag
            if tag == _STR_TAG:
                self.memo[key] = node.value
                return node.value
            if tag.startswith(_STD_PREFIX) or tag == "!":
                constructor = _SCALAR.yaml_constructors.get(tag)
                try:
                    value = constructor(_SCALAR, node) if constructor else node.value
                except (yaml.YAMLError, ValueError, OverflowError):
                    value = node.value
                if tag.endswith(":binary") or tag.endswith(":timestamp"):
                    value = node.value
            else:
                value = TaggedScalar(node.value)
                value.tag = tag
            self.memo[key] = value
            return value
        if isinstance(node, yaml.SequenceNode):
            seq = YList()
            seq.pos = _pos(node)
            seq.tag = None if node.tag.startswith(_STD_PREFIX) else node.tag
            self.memo[key] = seq
            for item in node.value:
                seq.append(self.build(item, depth + 1))
                seq.item_pos.append(_pos(item))
            return seq
        mapping = YMap()
        mapping.pos = _pos(node)
        mapping.tag = None if node.tag.startswith(_STD_PREFIX) else node.tag
        self.memo[key] = mapping
        merges: List[YMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _STD_PREFIX + "merge" or (
                    isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and key_node.tag.endswith("merge")):
                merged = self.build(value_node, depth + 1)
                merges.extend(m for m in (merged if isinstance(merged, list) else [merged]) if isinstance(m, YMap))
                continue
            k = self.build(key_node, depth + 1)
            if isinstance(k, (dict, list)):
                k = str(k)
            if k in mapping:
                self.duplicates.append((str(k), _pos(key_node)))
            mapping[k] = self.build(value_node, depth + 1)
            mapping.key_pos[k] = _pos(key_node)
            mapping.value_pos[k] = _pos(value_node)
        for source in merges:  # explicit keys win; earlier merge sources win over later ones
            for k, v in source.items():
                if k not in mapping:
                    mapping[k] = v
                    mapping.key_pos[k] = source.key_pos.get(k, source.pos)
                    mapping.value_pos[k] = source.value_pos.get(k, source.pos)
        return mapping


def _describe(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "invalid YAML"
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(problem)


def compose_documents(text: str) -> List[yaml.Node]:
    try:
        return [doc for doc in yaml.compose_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as exc:
        raise YamlError(_describe(exc)) from None
    except RecursionError:
        raise YamlError("nesting too deep to parse") from None


def load(text: str) -> Tuple[Any, List[Tuple[str, Pos]]]:
    """The first document of `text` as positioned data, plus duplicate keys seen (name, position)."""
    docs = compose_documents(text)
    if not docs:
        return None, []
    builder = _Builder()
    try:
        data = builder.build(docs[0])
    except RecursionError:
        raise YamlError("nesting too deep to parse") from None
    return data, builder.duplicates
