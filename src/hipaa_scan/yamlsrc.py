"""Safe YAML loading that keeps the line and column of every key and value.

The document is composed into nodes with PyYAML's safe C loader when available (never a full loader), then
turned into plain dicts, lists and scalars. Mappings and sequences remember where their entries were written.
Merge keys (`<<`) are applied, aliases are shared rather than copied, and the size of the document as its
readers see it is bounded, so an alias or merge-key bomb is refused instead of expanded: every alias counts the
nodes of what it names, every merge key the entries it copies, and a scalar one node more per KiB of text, so that
aliases to one long text count its length each time (MAX_NODES in all). An alias inside what it names
(a recursive document) is refused, as Compose refuses it.
"""

from __future__ import annotations

# PyYAML compiles its regular expressions when it is imported, including the pure-Python reader's, which the C
# loader never uses. That cost is accepted: deferring them would mean replacing re.compile for the length of the
# import, for every thread and every importer of the process (docs/architecture.md "Start-up").
import yaml
from hipaa_scan import redact
from hipaa_scan.secrets import secret_name as _secret_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

_STD_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _STD_PREFIX + "str"

_Base: Any  # the C loader or, without libyaml, the pure-Python one: not one class to type-check against
try:
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc]  # (a base chosen at import)
    """The safe loader, with quicker answers from the resolver.

    The parser asks the (pure Python) resolver for the tag of every node. A quoted scalar, or a plain one whose
    first character starts none of the implicit types (bool, int, float, null, timestamp, merge, value), is a
    string: answered here without the resolver's table lookups and regular expressions. Mappings and sequences
    get the default tags, and other plain scalars the resolver's answer, remembered by text."""

    # The parser tells the resolver where it is in the document before and after each node, for path resolvers,
    # which the safe loader has none of: two Python calls per node for nothing. Built-in callables that take the
    # same arguments and do next to nothing answer instead (a slice of the two, an empty tuple).
    descend_resolver = slice
    ascend_resolver = tuple

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is not _ScalarNode:
            return _MAP_TAG if kind is _MappingNode else _SEQ_TAG
        if not implicit[0] or (value and value[0] not in _IMPLICIT_FIRST):
            return _STR_TAG
        # A plain scalar's tag depends on its text alone, and Compose files repeat their values (ports, versions,
        # true/false): the resolver's answer for short ones is remembered, up to a bound.
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = _Base.resolve(self, kind, value, implicit)
            if len(value) <= 40 and len(_PLAIN_TAGS) < 4096:
                _PLAIN_TAGS[value] = tag
        return tag


_MAP_TAG = _STD_PREFIX + "map"
_SEQ_TAG = _STD_PREFIX + "seq"
_PLAIN_TAGS: Dict[str, str] = {}


# First characters that may start an implicitly typed scalar; the shortcuts above are taken only when the resolver
# has no path resolvers and no catch-all implicit resolvers, as PyYAML's safe loader has none.
_IMPLICIT_FIRST = frozenset(k for k in _Base.yaml_implicit_resolvers if k)
if _Base.yaml_path_resolvers or None in _Base.yaml_implicit_resolvers:  # pragma: no cover - a changed PyYAML
    _Loader.resolve = _Base.resolve  # type: ignore[method-assign]
    _Loader.descend_resolver = _Base.descend_resolver
    _Loader.ascend_resolver = _Base.ascend_resolver

MAX_NODES = 200_000
MAX_DEPTH = 200

Pos = tuple[int, int]  # 1-based line, column


class YamlError(Exception):
    """A YAML problem, described without quoting the document (it may hold secrets). `budget`: the node budget
    was reached."""

    budget = False


class YMap(dict):  # type: ignore[type-arg]  # (typing is not imported at run time)
    """A mapping that knows where each key and value was written. The document's top mapping also carries the
    `regions` where sensitive values are written (redact.py), for snippets."""

    __slots__ = ("pos", "key_pos", "value_pos", "tag", "regions")
    regions: Dict[int, List[Tuple[int, int]]]  # set on the document's top node only

    def __init__(self) -> None:
        super().__init__()
        self.pos: Pos = (0, 0)
        self.key_pos: Dict[Any, Pos] = {}
        self.value_pos: Dict[Any, Pos] = {}
        self.tag: Optional[str] = None


class YList(list):  # type: ignore[type-arg]  # (typing is not imported at run time)
    __slots__ = ("pos", "item_pos", "tag", "regions")
    regions: Dict[int, List[Tuple[int, int]]]  # set on the document's top node only

    def __init__(self) -> None:
        super().__init__()
        self.pos: Pos = (0, 0)
        self.item_pos: List[Pos] = []
        self.tag: Optional[str] = None


class TaggedScalar(str):
    """A scalar carrying a custom tag such as !reset or !override."""

    tag: str = ""


_SCALAR = yaml.constructor.SafeConstructor()


_ScalarNode = yaml.ScalarNode
_SequenceNode = yaml.SequenceNode
_MappingNode = yaml.MappingNode
_MERGE_TAG = _STD_PREFIX + "merge"


class _Builder:
    def __init__(self, limit: int = MAX_NODES) -> None:
        self.limit = limit
        self.count = 0  # nodes of the document with every alias expanded and every merge key applied
        self.memo: Dict[int, Any] = {}  # collections by node id: an alias shares its anchor's object
        self.sizes: Dict[int, int] = {}  # by node id: the expanded size of each collection built
        self.duplicates: List[Tuple[str, Pos]] = []
        # Where sensitive scalars are written: line -> [(start, end)] columns (see _judge)
        self.regions: Dict[int, List[Tuple[int, int]]] = {}

    def _over(self) -> None:
        error = YamlError(f"YAML node budget exceeded: more than {self.limit:,} nodes once aliases and merge keys "
                          "are expanded (alias or merge-key bomb?)")
        error.budget = True
        raise error

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.count += 1
        if self.count > self.limit:
            self._over()
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels")
        if node.__class__ is _ScalarNode:  # scalars are immutable: an alias to one can be built again
            self.count += len(node.value) >> 10  # a long text weighs a node per KiB: each alias to it repeats it
            if self.count > self.limit:
                self._over()
            return node.value if node.tag == _STR_TAG else self._scalar(node)
        found = self.memo.get(id(node))
        if found is not None:  # an alias: shared, but counted at its full size, as a reader walks it
            size = self.sizes.get(id(node))
            if size is None:
                mark = node.start_mark
                raise YamlError(f"recursive alias: the node at line {mark.line + 1}, column {mark.column + 1} "
                                "contains an alias to itself")
            self.count += size - 1
            if self.count > self.limit:
                self._over()
            return found
        start = self.count
        built = self._collection(node, depth)
        self.sizes[id(node)] = self.count - start + 1
        return built

    def _collection(self, node: yaml.Node, depth: int) -> Any:
        mark = node.start_mark
        if node.__class__ is _SequenceNode:
            seq = YList()
            seq.pos = (mark.line + 1, mark.column + 1)
            seq.tag = None if node.tag.startswith(_STD_PREFIX) else node.tag
            self.memo[id(node)] = seq
            depth += 1
            for item in node.value:
                if item.tag == _STR_TAG and item.__class__ is _ScalarNode:  # the common case, inline
                    self.count += 1 + (len(item.value) >> 10)
                    if self.count > self.limit:
                        self._over()
                    seq.append(item.value)
                    if item.style or item.start_mark.line != item.end_mark.line or (
                            "$" in item.value and "=" in item.value):  # `- TOKEN=${X:-part}rest`
                        self._judge(None, item)
                else:
                    seq.append(self.build(item, depth))
                item_mark = item.start_mark
                seq.item_pos.append((item_mark.line + 1, item_mark.column + 1))
            return seq
        mapping = YMap()
        mapping.pos = (mark.line + 1, mark.column + 1)
        mapping.tag = None if node.tag.startswith(_STD_PREFIX) else node.tag
        self.memo[id(node)] = mapping
        key_pos, value_pos = mapping.key_pos, mapping.value_pos
        merges: List[YMap] = []
        depth += 1
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and key_node.__class__ is _ScalarNode:  # the common case, inline
                k = key_node.value
                self.count += 1 + (len(k) >> 10)
            elif key_node.tag == _MERGE_TAG or (
                    key_node.__class__ is _ScalarNode and key_node.value == "<<" and key_node.tag.endswith("merge")):
                merged = self.build(value_node, depth)
                merges.extend(m for m in (merged if isinstance(merged, list) else [merged]) if isinstance(m, YMap))
                continue
            else:
                k = self.build(key_node, depth)
                if isinstance(k, (dict, list)):
                    k = str(k)
            key_mark = key_node.start_mark
            if k in mapping:
                self.duplicates.append((str(k), (key_mark.line + 1, key_mark.column + 1)))
            if value_node.__class__ is _ScalarNode and (
                    value_node.style or value_node.start_mark.line != value_node.end_mark.line
                    or (k.__class__ is str and _secret_name(k))):
                self._judge(k, value_node)
            if value_node.tag == _STR_TAG and value_node.__class__ is _ScalarNode:  # the common case, inline
                self.count += 1 + (len(value_node.value) >> 10)
                if self.count > self.limit:
                    self._over()
                mapping[k] = value_node.value
            else:
                mapping[k] = self.build(value_node, depth)
            key_pos[k] = (key_mark.line + 1, key_mark.column + 1)
            value_mark = value_node.start_mark
            value_pos[k] = (value_mark.line + 1, value_mark.column + 1)
        for source in merges:  # explicit keys win; earlier merge sources win over later ones
            self.count += len(source)  # each entry copied is a node more
            if self.count > self.limit:
                self._over()
            for k, v in source.items():
                if k not in mapping:
                    mapping[k] = v
                    key_pos[k] = source.key_pos.get(k, source.pos)
                    value_pos[k] = source.value_pos.get(k, source.pos)
        return mapping

    def _judge(self, key: Any, node: yaml.ScalarNode) -> None:
        """Record where a scalar is written when output must not show it: the value of a secret-named key, or a
        value that holds a credential. Only quoted, block and multi-line scalars and secret-named keys come here:
        other scalars are written as they read, and the line-level redaction finds them."""
        value = node.value
        skip = 0  # a list item `NAME=value`: the name stays visible
        if key is None and "=" in value:
            name, _sep, rest = value.partition("=")
            if redact.sensitive_by_name(name.strip(), rest):
                skip = len(name) + 1 if not node.style and node.start_mark.line == node.end_mark.line else 0
            elif not redact.sensitive(None, value):
                return
        elif not redact.sensitive(str(key) if key is not None else None, value):
            return
        start, end = node.start_mark, node.end_mark
        if skip:
            redact.add_region(self.regions, start.line + 1, start.column + skip, end.line + 1, end.column)
            return
        if start.line == end.line and node.style in ("'", '"') and end.column - start.column >= 2:
            redact.add_region(self.regions, start.line + 1, start.column + 1, end.line + 1, end.column - 1)
        else:
            redact.add_region(self.regions, start.line + 1, start.column, end.line + 1, end.column)

    @staticmethod
    def _scalar(node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag.startswith(_STD_PREFIX) or tag == "!":
            constructor = _SCALAR.yaml_constructors.get(tag)
            try:
                value = constructor(_SCALAR, node) if constructor else node.value
            except (yaml.YAMLError, ValueError, OverflowError):
                value = node.value
            if tag.endswith(":binary") or tag.endswith(":timestamp"):
                value = node.value
            return value
        value = TaggedScalar(node.value)
        value.tag = tag
        return value


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
    data, duplicates, _count = load_counted(text)
    return data, duplicates


def load_counted(text: str, max_nodes: int = MAX_NODES) -> Tuple[Any, List[Tuple[str, Pos]], int]:
    """load(), with at most `max_nodes` nodes (as read: see the module's docstring), and how many there were."""
    docs = compose_documents(text)
    if not docs:
        return None, [], 0
    builder = _Builder(max_nodes)
    try:
        data = builder.build(docs[0])
    except RecursionError:
        raise YamlError("nesting too deep to parse") from None
    if isinstance(data, (YMap, YList)):
        data.regions = builder.regions
    return data, builder.duplicates, builder.count


def regions_of(data: Any) -> Dict[int, List[Tuple[int, int]]]:
    """Where the sensitive scalars of a loaded document are written (redact.py)."""
    return getattr(data, "regions", None) or {}

