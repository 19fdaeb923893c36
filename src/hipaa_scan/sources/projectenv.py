"""The variables a Compose project is interpolated with, and the interpolation of its files, remembering who
supplied each value.

Precedence is Compose's: the process environment first, then the env files (the project directory's `.env`, or
the `--env-file`s given, a later file winning over an earlier one). Inside an env file, `${VAR}` in an unquoted or
double-quoted value is expanded from the variables defined before it, then the process environment; a
single-quoted value is taken literally.

Two deliberate departures, both so that a value is never guessed and a secret handed over at run time is not
mistaken for one written in the repository:
- an unset variable without a default keeps its reference as written (`${DB_PASSWORD}`), and is reported as a
  note naming the variable and the file and line that refer to it;
- a secret-named variable that only the process environment supplies stays a reference too; its value is never
  substituted (so it can never be shown).
"""

from __future__ import annotations

import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import EnvVar, Record, ScanError
from hipaa_scan.secrets import secret_name
from hipaa_scan.redact import sensitive, source_lines, without_references
from hipaa_scan.sources.envfile import EnvFileError, parse_env_text
from hipaa_scan.sources.interpolate import Budget, InterpolationError, interpolate
from hipaa_scan.yamlsrc import TaggedScalar, YList, YMap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

# `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR?error}`...: forms whose value, when VAR is set, is VAR's value
REQUIRED = lazy(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?")  # `${VAR:?error}`, `${VAR?error}`
SINGLE_REFERENCE = lazy(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(?::?[-?])[^${}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))$")
ENTRY_NAME = lazy(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
PosKey = tuple[str, int, int]  # (path, line, column) of a written value


class Supplied(Record):
    """A variable's value and who supplied it: an env-file line, or the process environment (var None)."""

    __slots__ = ("name", "value", "var", "kept")

    def __init__(self, name: str, value: str, var: Optional[EnvVar] = None, kept: bool = False) -> None:
        self.name = name
        self.value = value
        self.var = var
        self.kept = kept  # a runtime secret: the value stands as the reference `${NAME}`

    def source(self) -> str:
        if self.var is not None:
            return f"{self.var.loc.path}:{self.var.loc.line}"
        return "the process environment"


class Uses(Record):
    """How one written value was interpolated."""

    __slots__ = ("raw", "supplied")

    def __init__(self, raw: str, supplied: List[Tuple[str, Optional[Supplied]]]) -> None:
        self.raw = raw
        self.supplied = supplied  # (variable, who supplied it; None: unset)

    def single(self) -> Optional[Supplied]:
        """The env-file variable that alone makes up the value (`${PG_PASSWORD}`), if that is what was written."""
        raw = self.raw.strip()
        name, eq, rest = raw.partition("=")
        if eq and ENTRY_NAME.match(name):  # a list entry `- NAME=${VAR}`: the value is what follows `=`
            raw = rest.strip()
        match = SINGLE_REFERENCE.match(raw)
        if not match:
            return None
        name = match.group(1) or match.group(2)
        found = next((s for n, s in self.supplied if n == name), None)
        return found if found is not None and found.var is not None else None

    def describe(self) -> str:
        parts, seen = [], set()
        for name, supplied in self.supplied:
            if name in seen:
                continue
            seen.add(name)
            parts.append(f"{name} from {supplied.source()}" if supplied is not None else f"{name} is unset")
        return "value via " + ", ".join(parts)


class ProjectEnv(Record):
    """Interpolation variables: the process environment over env-file layers (earlier layers win)."""

    __slots__ = ("process", "layers")

    def __init__(self, process: Mapping[str, str], layers: Optional[List[Dict[str, EnvVar]]] = None) -> None:
        self.process = process
        self.layers = [] if layers is None else layers

    def get(self, name: str) -> Optional[Supplied]:
        if name in self.process:
            if secret_name(name):
                return Supplied(name, "${" + name + "}", None, kept=True)
            return Supplied(name, self.process[name])
        for layer in self.layers:
            var = layer.get(name)
            if var is not None and var.value is not None:
                return Supplied(name, var.value, var)
        return None

    def child(self, extra: Dict[str, EnvVar]) -> "ProjectEnv":
        """The environment of an included project: this one first, then the include's own env files."""
        return ProjectEnv(self.process, self.layers + [extra])


def _single_quoted(line: str, var: EnvVar) -> bool:
    rest = line[(var.loc.column or 1) - 1 + len(var.name):].lstrip()
    return rest.startswith("=") and rest[1:].lstrip().startswith("'")


def env_file_vars(text: str, display: str, lookup: Callable[[str], Optional[Supplied]],
                  notes: List[str], errors: Optional[List[ScanError]] = None,
                  budget: Optional[Budget] = None) -> List[EnvVar]:
    """An env file's variables with `${VAR}` expanded from the ones before it, then `lookup`. Unset references stay
    as written (with a note); `VAR` alone takes its value from `lookup` or stays unset. Lines that cannot be
    parsed become `errors` (file and line), and the other lines are read. Raises InterpolationError (its `path`
    set) when the file's substitutions go over their budget."""
    lines = source_lines(text, "env")
    known: Dict[str, str] = {}
    out: List[EnvVar] = []
    problems: List[EnvFileError] = []
    budget = Budget() if budget is None else budget

    def find(name: str) -> Optional[str]:
        if name in known:
            return known[name]
        supplied = lookup(name)
        return supplied.value if supplied is not None else None

    variables = parse_env_text(text, display, problems)
    if errors is not None:
        errors.extend(ScanError(display, str(problem), "parse") for problem in problems)
    for var in variables:
        value = var.value
        if value is None:
            supplied = lookup(var.name)
            value = supplied.value if supplied is not None and not supplied.kept else None
        # (the ignore: an env file's variables always have a line)
        elif "$" in value and not _single_quoted(lines[var.loc.line - 1], var):  # type: ignore[operator]
            raw = value
            try:
                value, _used, missing = interpolate(raw, find, budget=budget)
            except InterpolationError as exc:
                exc.path = display
                raise
            notes.extend(unset_notes(display, var.loc.line, missing, raw, var.name))
        var.value = value
        if value is not None:
            known[var.name] = value
        out.append(var)
    return out


def unset_notes(path: str, line: Optional[int], missing: List[str], raw: str,
                owner: Optional[str] = None) -> List[str]:
    """A note for each unset variable (named once) of a value written as `raw`: one pass over the value. `owner` is
    the variable or key that holds the value."""
    if not missing:
        return []
    if sensitive(owner, without_references(raw)):  # the "variable" is most likely part of a secret (`pa$sw0rd`)
        return [unset_note(path, line, missing[0], raw, owner=owner)]
    required = set(REQUIRED.findall(raw)) if "?" in raw else set()
    return [unset_note(path, line, name, raw, name in required) for name in missing]


def unset_note(path: str, line: Optional[int], name: str, raw: str, required: Optional[bool] = None,
               owner: Optional[str] = None) -> str:
    """The warning for an unset variable. When the value it is written in is sensitive (`owner` is the variable or
    key that holds it), the "variable" is most likely part of the secret (`pa$sw0rd`): the note does not name it."""
    if sensitive(owner, without_references(raw)):
        return (f"warning: {path}:{line}: a value that looks secret refers to an unset variable (a `$` in it; write "
                "`$$` for a literal one); the reference is kept as written")
    if required is None:
        required = bool(re.search(r"\$\{" + re.escape(name) + r":?\?", raw))
    if required:
        return (f"warning: {path}:{line}: required variable {name} is not set: Compose would refuse to run this "
                "project; the reference is kept as written")
    return f"warning: {path}:{line}: variable {name} is not set and has no default; the reference is kept as written"


def interpolate_tree(node: Any, env: ProjectEnv, notes: List[str], uses: Dict[PosKey, Uses], path: str,
                     budget: Optional[Budget] = None, _seen: Optional[Set[int]] = None) -> None:
    """Interpolate every scalar value of a loaded file (`path`) in place (keys are not), recording each value's
    `Uses` by the position it was written at. Aliased nodes are visited once. Raises InterpolationError past the
    file's `budget`."""
    budget = Budget() if budget is None else budget
    seen = set() if _seen is None else _seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, YMap):
        entries: Any = list(node.items())
    elif isinstance(node, YList):
        entries = list(enumerate(node))
    else:
        return
    for key, value in entries:
        if isinstance(value, (YMap, YList)):
            interpolate_tree(value, env, notes, uses, path, budget, seen)
        elif isinstance(value, str) and "$" in value:  # the position is looked up only for what is interpolated
            pos = node.value_pos.get(key, node.pos) if isinstance(node, YMap) else node.item_pos[key]
            node[key] = _interpolated(value, getattr(pos, "path", None) or path, pos, env, notes, uses, budget,
                                      key if isinstance(key, str) else None)


def _interpolated(text: str, path: str, pos: Any, env: ProjectEnv, notes: List[str],
                  uses: Dict[PosKey, Uses], budget: Budget, owner: Optional[str] = None) -> str:
    supplied: List[Tuple[str, Optional[Supplied]]] = []
    asked: Dict[str, Optional[Supplied]] = {}

    def lookup(name: str) -> Optional[str]:
        if name in asked:  # a value that names one variable many times records it once
            found = asked[name]
        else:
            found = asked[name] = env.get(name)
            supplied.append((name, found))
        return found.value if found is not None else None

    result, _used, missing = interpolate(text, lookup, budget=budget)
    notes.extend(unset_notes(path, pos[0], missing, text, owner))
    if supplied:
        uses[(path, pos[0], pos[1])] = Uses(str(text), supplied)
    if isinstance(text, TaggedScalar):
        tagged = TaggedScalar(result)
        tagged.tag = text.tag
        return tagged
    return result
