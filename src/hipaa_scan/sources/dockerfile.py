"""Dockerfile source: dockerfile-parse's instruction list, made multi-stage and heredoc aware.

The final stage is what ships, so one Resource stands for it: its USER, ENV, HEALTHCHECK and CMD come through
the chain of stages it is built FROM. Build-time facts (RUN, COPY/ADD, ARG, base images) are gathered from
every stage, since each of them reaches the build or the image.
"""

from __future__ import annotations

import functools
import io
import json

from hipaa_scan.budgets import BudgetExceeded, check_words
from hipaa_scan import redact
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Document, EnvVar, Location, Record, Resource, Value, Written
from hipaa_scan.sources.interpolate import Budget, substitute
from hipaa_scan.sources.kinds import SourceError, SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

HEREDOC = lazy(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
FLAG = lazy(r"^--([a-z\-]+)(?:=(.*))?$")


class Instruction(Record):
    __slots__ = ("name", "value", "line", "end", "heredocs")

    def __init__(self, name: str, value: str, line: int, end: int, heredocs: Optional[List[str]] = None) -> None:
        self.name = name
        self.value = value
        self.line = line  # 1-based first line
        self.end = end  # 1-based last line
        self.heredocs = [] if heredocs is None else heredocs


class Stage(Record):
    __slots__ = ("index", "image", "alias", "line", "column", "parent", "instructions")

    def __init__(self, index: int, image: str, alias: Optional[str], line: int, column: int,
                 parent: Optional["Stage"] = None, instructions: Optional[List[Instruction]] = None) -> None:
        self.index = index
        self.image = image  # as resolved
        self.alias = alias
        self.line = line
        self.column = column
        self.parent = parent
        self.instructions = [] if instructions is None else instructions


class DockerfileError(Exception):
    pass


# dockerfile-parse joins an instruction's continued lines by adding each line to the text so far, which copies that
# text once per line: an instruction continued over many long lines costs the square of its size. That copying is
# bounded (in characters) before the parser runs.
MAX_JOIN_CHARS = 256 * 1024 * 1024
# dockerfile-parse builds a dict per line; a Dockerfile of more lines than this is refused before it is parsed
MAX_LINES = 100_000


def _check_joins(text: str) -> None:
    if "\\" not in text and "`" not in text:
        return  # no line can continue
    cost = size = 0
    continued = False
    for line in text.split("\n"):
        if line.lstrip().startswith("#"):
            continue  # a comment line is kept apart, even inside a continued instruction
        if continued:
            size += len(line) + 1
            cost += 2 * size  # the instruction's text and its value, each copied once more
            if cost > MAX_JOIN_CHARS:
                raise DockerfileError("Dockerfile parse budget exceeded: continued lines too long to join (more "
                                      f"than {MAX_JOIN_CHARS:,} characters copied)")
        else:
            size = len(line) + 1
        tail = line.rstrip()
        continued = tail.endswith(("\\", "`"))


@functools.lru_cache(maxsize=256)
def _instructions(text: str) -> List[Instruction]:
    """The instructions of a Dockerfile (read only: the list is shared). Cached, since a Dockerfile behind a
    Compose `build:` is parsed again, with its build args and target, when it is scanned on its own."""
    from dockerfile_parse import DockerfileParser  # imported here: only Dockerfile scans pay for it

    if text.count("\n") > MAX_LINES:
        raise DockerfileError(f"Dockerfile budget exceeded: more than {MAX_LINES:,} lines")
    _check_joins(text)
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8", "surrogateescape")),  # type: ignore[arg-type]
                              env_replace=False)  # (it reads bytes as well as text; the stub names text only)
    raw = [entry for entry in parser.structure if entry["instruction"] != "COMMENT"]
    out: List[Instruction] = []
    i = 0
    while i < len(raw):
        entry = raw[i]
        ins = Instruction(entry["instruction"].upper(), entry["value"], entry["startline"] + 1,
                          entry["endline"] + 1)
        i += 1
        if ins.name in ("RUN", "COPY", "ADD"):
            for match in HEREDOC.finditer(ins.value):
                terminator = match.group(3)
                body: List[str] = []
                while i < len(raw) and raw[i]["content"].strip() != terminator:
                    body.append(raw[i]["content"])
                    i += 1
                if i >= len(raw):
                    raise DockerfileError(f"heredoc <<{terminator} opened at line {ins.line} is never closed")
                ins.end = raw[i]["endline"] + 1
                i += 1
                ins.heredocs.append("".join(body))
        out.append(ins)
    return out


def split_words(value: str) -> List[str]:
    """Shell words, as shlex.split (POSIX) gives them, with str.split when that cannot parse the value. shlex is
    slow, and only needed for backslashes: plain words and quotes are split here to the same result, in linear
    time (no pattern here can backtrack: every character has one way to match)."""
    if "\\" not in value:
        if '"' not in value and "'" not in value:
            words = value.split()
            # shlex splits at space, tab, CR and LF only; str.split also at other blanks: use it when there are none
            if sum(map(len, words)) == len(value) - sum(value.count(c) for c in " \t\r\n"):
                return words
        elif not _QUOTES_LEFT.search(_QUOTED.sub("", value)):  # every quote closed
            return ["".join(a or b or c for a, b, c in _SEGMENTS.findall(word)) if ("'" in word or '"' in word)
                    else word for word in _WORD.findall(value)]
    import shlex  # here: most values never need it (a Dockerfile scan has it anyway: dockerfile_parse imports it)

    try:
        return shlex.split(value, posix=True)
    except ValueError:
        return value.split()


# Without backslashes a shell word is a run of plain characters and '...' or "..." segments; the quotes go, their
# text stays. Quotes pair from the left, a quote inside the other kind being plain text.
_QUOTED = lazy("'[^']*'|\"[^\"]*\"")
_QUOTES_LEFT = lazy("['\"]")
_WORD = lazy("(?:[^ \t\r\n'\"]|'[^']*'|\"[^\"]*\")+")
_SEGMENTS = lazy("([^'\"]+)|'([^']*)'|\"([^\"]*)\"")


def _pairs(value: str, legacy: bool = False) -> List[Tuple[str, Optional[str]]]:
    """KEY=value pairs of ENV/ARG/LABEL; with `legacy` (ENV only) also the `ENV KEY value with spaces` form. ARG has
    no such form: `ARG A B=1` declares A (no default) and B."""
    words = split_words(value)
    if not words:
        return []
    if legacy and "=" not in words[0]:
        if len(words) == 1:
            return [(words[0], None)]
        # legacy form: one key, the rest of the line is the value
        rest = value.strip()[len(value.strip().split(None, 1)[0]):].strip()
        return [(words[0], rest.strip("\"'") if rest else "")]
    pairs = []
    for word in words:
        key, sep, val = word.partition("=")
        pairs.append((key, val if sep else None))
    return pairs


def _split_flags(value: str) -> Tuple[Dict[str, str], List[str]]:
    words = split_words(value)
    flags: Dict[str, str] = {}
    while words and words[0].startswith("--"):
        match = FLAG.match(words.pop(0))
        if match:
            flags[match.group(1)] = match.group(2) or ""
    return flags, words


def _exec_form(value: str) -> List[str]:
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
                return parsed
        except ValueError:
            pass
    return split_words(text)


def parse_source(text: str, display: str, kind: str) -> Optional[Document]:
    """The registry's parser (sources/registry.py): a Dockerfile, as the default build (no build args, last stage)."""
    try:
        return parse_dockerfile(text, display)
    except DockerfileError as exc:
        raise SourceError(str(exc)) from None


def parse_dockerfile(text: str, path: str, build_args: Optional[Dict[str, str]] = None,
                     target: Optional[str] = None) -> Document:
    """The Dockerfile as built: `build_args` override ARG defaults (as `--build-arg` does) and `target` names the
    stage that ships instead of the last one (as `--target` does)."""
    try:
        return _parse(text, path, build_args or {}, target)
    except BudgetExceeded as exc:
        raise DockerfileError(str(exc)) from None


def _parse(text: str, path: str, given: Dict[str, str], target: Optional[str]) -> Document:
    budget = Budget()  # what ARG and ENV substitution may produce in this file, all values together
    lines = redact.source_lines(text, "dockerfile")
    instructions = _instructions(text)
    if not instructions:
        raise DockerfileError("no instructions (empty Dockerfile)")

    global_args: Dict[str, str] = {}
    stages: List[Stage] = []
    by_alias: Dict[str, Stage] = {}
    pre_from: List[Instruction] = []
    for ins in instructions:
        if ins.name == "FROM":
            flags, words = _split_flags(ins.value)
            if not words:
                raise DockerfileError(f"FROM without an image at line {ins.line}")
            image = substitute(words[0], global_args, budget)
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            column = _column(lines, ins.line, words[0])
            stage = Stage(len(stages), image, alias, ins.line, column, by_alias.get(image.lower()))
            stages.append(stage)
            if alias:
                by_alias[alias.lower()] = stage
        elif not stages:
            if ins.name == "ARG":
                for key, val in _pairs(ins.value):
                    global_args[key] = given[key] if key in given else (
                        substitute(val, global_args, budget) if val is not None else "")
            pre_from.append(ins)
        else:
            stages[-1].instructions.append(ins)
    if not stages:
        raise DockerfileError("no FROM instruction")

    final = stages[-1]
    if target is not None:
        found = [s for s in stages if s.alias and s.alias.lower() == target.lower()]
        if not found:
            raise DockerfileError(f"no build stage named {target!r}")
        final = found[0]
        stages = stages[:final.index + 1]
    label = f'final stage "{final.alias}"' if final.alias else f"final stage (FROM {final.image})"
    res = Resource(kind=SourceKind.DOCKERFILE, name=f"stage:{final.alias or len(stages) - 1}", label=label, path=path,
                   anchor=Location(path, final.line, 1, "FROM"))
    res.stages = stages

    for ins in pre_from:  # global ARGs are build arguments too
        keys = _Keys(lines, path, ins)
        for key, val in _pairs(ins.value):
            res.build_args.append(EnvVar(key, val, keys.loc(key), "ARG"))

    lineage = {s.index for s in _lineage(final)}  # by index: comparing stages would compare their whole chains
    for stage in stages:
        shipped = stage.index in lineage
        variables: Dict[str, str] = {}
        if stage.image.lower() not in by_alias or by_alias[stage.image.lower()].index >= stage.index:
            if stage.image.lower() != "scratch":
                res.base_images.append(Value(stage.image, Location(path, stage.line, stage.column, "FROM")))
        for ins in stage.instructions:
            _apply(ins, stage, shipped, variables, global_args, res, lines, path, budget, given)
    if final.parent is None and final.image.lower() != "scratch":
        res.base_image = final.image
    return Document(path=path, kind=SourceKind.DOCKERFILE, resources=[res], lines=lines,
                    regions={path: LazyRegions(instructions, lines)})


class LazyRegions:
    """A Dockerfile's regions (redact.py), worked out only for the instructions that hold a finding's line: most
    instructions never show in a snippet."""

    def __init__(self, instructions: List[Instruction], lines: List[str]) -> None:
        self.instructions = instructions
        self.starts = [ins.line for ins in instructions]
        self.lines = lines
        self.done: Dict[int, Dict[int, List[Tuple[int, int]]]] = {}  # instruction index -> its regions

    def get(self, line: int, default: Optional[List[Tuple[int, int]]] = None) -> Optional[List[Tuple[int, int]]]:
        from bisect import bisect_right

        index = bisect_right(self.starts, line) - 1
        if index < 0 or line > self.instructions[index].end:
            return default
        regions = self.done.get(index)
        if regions is None:
            regions = self.done[index] = written_regions(self.instructions[index:index + 1], self.lines)
        return regions.get(line, default)

    def __bool__(self) -> bool:
        return bool(self.instructions)


def dockerfile_regions(text: str) -> Any:
    """The regions of a Dockerfile's text (LazyRegions; nothing when it cannot be parsed: then it has no
    snippets)."""
    try:
        return LazyRegions(_instructions(text), redact.source_lines(text, "dockerfile"))
    except Exception:  # a parser failure is reported where the file is parsed, not here
        return {}


def written_regions(instructions: List[Instruction], lines: List[str]) -> Dict[int, List[Tuple[int, int]]]:
    """Where sensitive values are written (redact.py): an ENV, ARG or LABEL value whose name or content is
    sensitive, from after its name to the end of the instruction (its written form may differ from its value:
    `\\ `, quotes, `${PREFIX}-literal`); and the credentials in an instruction that runs over several lines (RUN
    with continuation lines or heredocs), found in its text with the continuations joined."""
    regions: Dict[int, List[Tuple[int, int]]] = {}
    for ins in instructions:
        if ins.name in ("ENV", "ARG", "LABEL"):
            keys = _Keys(lines, "", ins)  # asked in the order the keys are written
            for key, val in _pairs(ins.value, legacy=ins.name == "ENV"):
                if val is not None and redact.sensitive(key, val):
                    loc = keys.loc(key)
                    line = loc.line or ins.line
                    start = (loc.column or 1) - 1 + len(key) if loc.line != ins.line or loc.column != 1 else 0
                    text = lines[line - 1] if 0 < line <= len(lines) else ""
                    if start and text[start:start + 1] == "=":  # the value starts after `KEY=` or `KEY `
                        start += 1
                    while start and text[start:start + 1] in (" ", "\t"):
                        start += 1
                    redact.add_region(regions, line, start, ins.end, redact.TO_END)
        if ins.end > ins.line and ins.end <= len(lines):
            _joined_regions(regions, lines, ins.line, ins.end)
    return regions


def _joined_regions(regions: Dict[int, List[Tuple[int, int]]], lines: List[str], first: int, last: int) -> None:
    """Credential spans of lines first..last read as one text, a trailing backslash joining a line to the next."""
    parts: List[str] = []
    starts: List[int] = []  # offset in the joined text where each line starts
    at = 0
    for number in range(first, last + 1):
        body = lines[number - 1].rstrip()
        if body.endswith("\\"):
            body = body[:-1] + " "
        else:
            body += "\n"
        starts.append(at)
        parts.append(body)
        at += len(body)
    found = redact.context_spans("".join(parts))
    if not found:
        return
    from bisect import bisect_right

    def position(offset: int) -> Tuple[int, int]:
        index = bisect_right(starts, offset) - 1
        return first + index, offset - starts[index]

    for start, end, visible in found:
        start += visible
        if end > start:
            (l1, c1), (l2, c2) = position(start), position(end - 1)
            redact.add_region(regions, l1, c1, l2, c2 + 1)


def _lineage(stage: Stage) -> List[Stage]:
    chain = []
    seen = set()
    current: Optional[Stage] = stage
    while current is not None and current.index not in seen:
        seen.add(current.index)
        chain.append(current)
        current = current.parent
    return chain


def _apply(ins: Instruction, stage: Stage, shipped: bool, variables: Dict[str, str],
           global_args: Dict[str, str], res: Resource, lines: List[str], path: str, budget: Budget,
           given: Optional[Dict[str, str]] = None) -> None:
    loc = Location(path, ins.line, 1, ins.name)
    name = ins.name
    if name == "ARG":
        keys = _Keys(lines, path, ins)
        for key, val in _pairs(ins.value):
            if given and key in given:
                resolved: Optional[str] = given[key]
            else:
                resolved = substitute(val, variables, budget) if val is not None else global_args.get(key)
            if resolved is not None:
                variables[key] = resolved
            res.build_args.append(EnvVar(key, val, keys.loc(key), "ARG"))
    elif name == "ENV":
        keys = _Keys(lines, path, ins)
        for key, val in _pairs(ins.value, legacy=True):
            resolved = substitute(val or "", variables, budget)
            variables[key] = resolved
            var = EnvVar(key, resolved, keys.loc(key), "ENV")
            res.env_written[var.loc] = val  # as written, before substitution
            if shipped:
                res.env.append(var)
            else:  # a stage that does not ship: not the image's environment, but still written in the file
                res.stage_env.append(var)
    elif name == "RUN":
        text = ins.value if not ins.heredocs else ins.value + "\n" + "\n".join(ins.heredocs)
        res.run.append(Value(text, loc))
        _written(res, "RUN", text, loc, shipped, lines, ins)
    elif name in ("COPY", "ADD"):
        flags, words = _split_flags(ins.value)
        if ins.value.strip().startswith("["):
            words = _exec_form(ins.value)
        sources = [substitute(w, variables, budget) for w in words[:-1]] if len(words) > 1 else []
        dest = substitute(words[-1], variables, budget) if len(words) > 1 else ""
        res.copies.append(Value((name, sources, flags, dest), loc))
    elif name in ("LABEL", "HEALTHCHECK", "ONBUILD"):
        # kept in the image's configuration (and ONBUILD in every image built FROM it) when the stage ships
        _written(res, name, ins.value, loc, shipped, lines, ins)
        if name == "HEALTHCHECK" and shipped:
            res.healthcheck = Value(ins.value.strip().upper() != "NONE", loc)
    elif not shipped:
        return
    elif name == "USER":
        res.user = Value(substitute(ins.value.strip(), variables, budget), Location(path, ins.line, 6, "USER"))
    elif name in ("CMD", "ENTRYPOINT"):
        words = _exec_form(ins.value)
        check_words(len(words), f"{name} at line {ins.line}")
        tokens = [Value(t, loc) for t in words]
        if name == "ENTRYPOINT":
            res.entrypoint = tokens
        else:
            res.cmd = tokens
        res.command = list(res.entrypoint) + list(res.cmd)


def _written(res: Resource, place: str, text: str, loc: Location, baked: bool, lines: List[str],
             ins: Instruction) -> None:
    """Text where credentials may be written, with its physical lines (continuations, heredoc bodies)."""
    if not text.strip():
        return
    # a one-line instruction needs no lines: its credentials are on its own line
    physical = [(n, lines[n - 1]) for n in range(ins.line, min(ins.end, len(lines)) + 1)] if ins.end > ins.line \
        else None
    res.written.append(Written(place, None, text, loc, baked, physical))


def _column(lines: List[str], line: int, needle: str) -> int:
    if 0 < line <= len(lines):
        idx = lines[line - 1].find(needle)
        if idx >= 0:
            return idx + 1
    return 1


class _Keys:
    """Where each KEY of an ENV or ARG instruction is written (physical line and column), the keys asked for in the
    order they are written: each search starts where the last key was found, and all of them together read the
    instruction's text a bounded number of times (a key not found is placed on the instruction's first line)."""

    def __init__(self, lines: List[str], path: str, ins: Instruction) -> None:
        self.lines = lines
        self.path = path
        self.ins = ins
        self.line = ins.line  # where the search for the next key starts
        self.column = 0
        self.last = min(ins.end, len(lines))
        self.budget = 4 * sum(len(lines[n - 1]) + 1 for n in range(ins.line, self.last + 1)) + 256

    def loc(self, key: str) -> Location:
        lines = self.lines
        line, start = self.line, self.column
        while key and line <= self.last and self.budget > 0:
            text = lines[line - 1]
            at = text.find(key, start)
            while at >= 0:  # KEY standing alone: after the start, a blank or a quote; before =, a blank or the end
                self.budget -= at - start + 1
                end = at + len(key)
                if ((at == 0 or text[at - 1].isspace() or text[at - 1] in "\"'")
                        and (end == len(text) or text[end].isspace() or text[end] == "=")):
                    self.line, self.column = line, end
                    return Location(self.path, line, at + 1, f"{self.ins.name}.{key}")
                if self.budget <= 0:
                    break
                start = at + 1
                at = text.find(key, start)
            self.budget -= len(text) - start + 1
            line, start = line + 1, 0
        return Location(self.path, self.ins.line, 1, f"{self.ins.name}.{key}")
