"""The rule protocol: metadata in one place plus a generator `check(resource, ctx)` yielding Hits."""

from __future__ import annotations

from bisect import bisect_right

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit, Location, Record, Resource
from hipaa_scan.sources.kinds import SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

PROJECT_URL = "https://github.com/hipaa-scan/hipaa-scan"
RULE_ID = lazy(r"^[A-Z][A-Z0-9]*[0-9]{3}$")


class RuleMeta(Record):
    """A rule's metadata. Treated as immutable: `replace` gives a changed copy."""

    __slots__ = ("id", "name", "severity", "confidence", "hipaa", "sources", "summary", "description",
                 "remediation", "cwe", "cis", "options", "origin", "default_severity")

    def __init__(self, id: str, name: str, severity: str, confidence: str, hipaa: Tuple[str, ...],
                 sources: Tuple[str, ...], summary: str, description: str, remediation: str,
                 cwe: Tuple[str, ...] = (), cis: Tuple[str, ...] = (), options: Tuple[RuleOption, ...] = (),
                 origin: str = "builtin", default_severity: Optional[str] = None) -> None:
        self.id = id
        self.name = name  # kebab-case, names the problem
        self.severity = severity
        self.confidence = confidence
        self.hipaa = hipaa
        self.sources = sources
        self.summary = summary  # one line: what it finds
        self.description = description  # why it matters for ePHI
        self.remediation = remediation
        self.cwe = cwe
        self.cis = cis
        self.options = options  # what may be configured under rules.<id> (RuleOption), sorted by name
        self.origin = origin  # builtin | declarative | rules-dir | pack:<name>
        # the rule's own severity, kept when a configuration's override replaces `severity` (scan.pipeline.effective)
        self.default_severity = default_severity or severity

    def __hash__(self) -> int:
        return hash(self.id)

    def replace(self, **changes: Any) -> "RuleMeta":
        return RuleMeta(**{**{name: getattr(self, name) for name in self.__slots__}, **changes})

    @property
    def help_uri(self) -> str:
        return f"{PROJECT_URL}/blob/main/docs/rules/{self.id}.md"

    def option_defaults(self) -> Dict[str, Any]:
        return {option.name: option.default for option in self.options}


# The kinds of value a rule option may take, as JSON schema. `patterns` are regular expressions, compiled with RE2
# (userre) when the configuration is loaded.
OPTION_KINDS: Dict[str, Dict[str, Any]] = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "strings": {"type": "array", "items": {"type": "string"}},
    "patterns": {"type": "array", "items": {"type": "string"}},
}


def _of_kind(value: Any, kind: str) -> bool:
    if kind in ("strings", "patterns"):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    number = (int, float) if kind == "number" else (int,)
    return isinstance(value, number) and not isinstance(value, bool)


class RuleOption(Record):
    """An option a rule declares (as yamllint's CONF and DEFAULT): its name, kind (a key of OPTION_KINDS), default
    and description, and for numbers an optional minimum. The configuration schema's `rules` section is generated
    from these, for built-in, `--rules-dir` and pack rules alike."""

    __slots__ = ("name", "kind", "default", "description", "minimum", "pattern")

    def __init__(self, name: str, kind: str, default: Any, description: str = "",
                 minimum: Optional[float] = None, pattern: Optional[str] = None) -> None:
        if kind not in OPTION_KINDS:
            raise ValueError(f"option {name}: kind must be one of {', '.join(OPTION_KINDS)}, not {kind!r}")
        if not _of_kind(default, kind):
            raise ValueError(f"option {name}: the default is not of kind {kind}")
        self.name = name
        self.kind = kind
        self.default = default
        self.description = description
        self.minimum = minimum
        # the form a `string` value, or each item of `strings`, must have (a JSON schema pattern): a value of another
        # form is refused when the configuration is loaded, one line and exit 2
        self.pattern = pattern

    def schema(self) -> Dict[str, Any]:
        out = dict(OPTION_KINDS[self.kind])
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.pattern is not None and self.kind == "string":
            out["pattern"] = self.pattern
        elif self.pattern is not None and self.kind == "strings":
            out["items"] = {"type": "string", "pattern": self.pattern}
        if self.description:
            out["description"] = self.description
        return out


class RuleContext(Record):
    """What a rule's check is given besides the resource. `options` maps every option the rule declares to its
    effective value (the configuration's, else the declared default; the engine's Runner merges them): the one way
    a rule reads its options, `ctx.options[name]`."""

    __slots__ = ("options", "datastores", "note")

    def __init__(self, options: Optional[Dict[str, Any]] = None, datastores: Any = None,
                 note: Optional[Callable[[str], None]] = None) -> None:
        self.options = {} if options is None else options
        self.datastores = datastores  # hipaa_scan.catalog.Datastores
        # adds a line to the result's notes (the run record): what a rule could not decide, or what it judged
        # against (a data table's date). Notes are masked, sorted and given once each.
        self.note: Callable[[str], None] = note if note is not None else _no_note


def _no_note(_text: str) -> None:
    return None



if TYPE_CHECKING:
    CheckFn = Callable[[Resource, RuleContext], Iterator[Hit]]


class Rule(Record):
    __slots__ = ("meta", "check")

    def __init__(self, meta: RuleMeta, check: CheckFn) -> None:
        self.meta = meta
        self.check = check


def quoted(text: str) -> str:
    """Source text fit to quote in a message: whitespace collapsed, every credential value masked (headers, `-u`,
    URL userinfo, secret parameters and flags, secret shapes)."""
    from hipaa_scan import redact

    return redact.mask_credentials(" ".join(text.split()))


def shorten(text: str, limit: int = 80) -> str:
    """quoted(), and cut with an ellipsis beyond `limit` characters: masked first, so that a credential cut in two
    is still recognised."""
    text = quoted(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def label_at(res: Resource, loc: Optional[Location]) -> str:
    """How a message names what a located fact belongs to. A Dockerfile Resource stands for the stage that ships,
    but gathers build-time facts (RUN, COPY/ADD, ARG, FROM) from every stage: a fact written in another stage is
    named after that stage (`stage "builder"`), one written before the first FROM after the global ARGs."""
    stages = res.stages if res.kind == SourceKind.DOCKERFILE else None
    if not stages or loc is None or not loc.line or loc.path != res.path:
        return res.label
    final = stages[-1]
    lines, ancestors = _stage_lookup(res, stages)
    at = bisect_right(lines, loc.line)  # the last stage starting at or before the line
    stage = stages[at - 1] if at else None
    if stage is final:
        return res.label
    if stage is None:
        what = "global ARG (before the first FROM)"
    elif stage.alias:
        what = f'stage "{stage.alias}"'
    else:
        what = f"stage {stage.index} (FROM {stage.image})"
    service = res.service
    if service is not None:  # the image behind a compose service's `build:`
        return f'{what} of the image of service "{service}" (built from {res.built})'
    if stage is not None and stage.index in ancestors:
        return f"{what} (base of the final stage)"
    return what


def _stage_lookup(res: Resource, stages: Any) -> Tuple[List[int], Set[int]]:
    """The stages' first lines, and the indexes of the stages the final one is built on: computed once per
    Resource (a Dockerfile of many stages has many findings to label)."""
    found = res.stage_lookup
    if found is None or found[0] is not stages:
        lines = [stage.line for stage in stages]
        ancestors, current = set(), stages[-1].parent
        while current is not None and current.index not in ancestors:
            ancestors.add(current.index)
            current = current.parent
        found = res.stage_lookup = (stages, lines, ancestors)
    return found[1], found[2]


def meta(**kwargs: Any) -> RuleMeta:
    """Build RuleMeta from plain lists (as rule modules and YAML files write them)."""
    for key in ("hipaa", "sources", "cwe", "cis"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    if "options" in kwargs:
        kwargs["options"] = rule_options(kwargs["options"])
    return RuleMeta(**kwargs)


def rule_options(declared: Any) -> Tuple[RuleOption, ...]:
    """RuleOptions sorted by name, from RuleOption objects or from a YAML rule's mapping of name to
    {kind, default, description, minimum}."""
    if isinstance(declared, dict):
        declared = [RuleOption(name, **spec) for name, spec in declared.items()]
    return tuple(sorted(declared, key=lambda option: option.name))


def shipped_lines(res: Resource) -> Optional[Set[int]]:
    """Lines of the FROM instructions of the stages a Dockerfile's final stage is built from: the images that ship
    (None: not a Dockerfile). A builder stage's base is not among them."""
    from hipaa_scan.sources.kinds import SourceKind

    stages = res.stages if res.kind == SourceKind.DOCKERFILE else None
    if not stages:
        return None
    final = res.anchor.line
    by_line = {s.line: s for s in stages}
    current, lines = by_line.get(final), set()
    while current is not None and current.line not in lines:
        lines.add(current.line)
        current = current.parent
    return lines


def user_placeholders(ctx: Any) -> List[Any]:
    """A rule's configured `placeholder_patterns`, compiled with RE2 (linear time; checked when the configuration
    is loaded, and compiled once per run)."""
    patterns = ctx.options.get("placeholder_patterns") or ()
    if not patterns:
        return []
    from hipaa_scan.userre import compile_all

    return list(compile_all(tuple(patterns)))


def ships(res: Resource, loc: Location) -> bool:
    """Whether a Dockerfile line is in a stage that ships: the final stage or one it is built FROM (a package a
    builder stage installs stays out of the image). Any other kind of resource ships what it has."""
    stages = res.stages if res.kind == SourceKind.DOCKERFILE else None
    if not stages or not loc.line or loc.path != res.path:
        return True
    lines, ancestors = _stage_lookup(res, stages)
    at = bisect_right(lines, loc.line)
    stage = stages[at - 1] if at else None
    return stage is None or stage is stages[-1] or stage.index in ancestors


def fragment(res: Resource) -> bool:
    """A Compose service with neither `image` nor `build`: an overlay fragment (ports or environment for a service
    a base file defines), not something that runs as written."""
    return res.kind == SourceKind.COMPOSE and res.image is None and not res.builds
