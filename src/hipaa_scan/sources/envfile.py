"""Env files as Compose reads them: comments, `export `, single and double quotes (multi-line allowed),
` #` comments after unquoted values, empty values, and `VAR` alone (taken from the environment).

The parser runs in linear time: the closing quote of every quoted value is found from positions computed in one
pass over the file, never by reading the rest of the file again. A line that cannot be parsed is recorded (its
line number and what was expected, never its text: it may hold a secret) and the next line is read, so one bad
line hides no other variable.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from hipaa_scan import redact
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Document, EnvVar, Location, Resource
from hipaa_scan.sources.kinds import SourceError, SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

KEY = lazy(r"^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=)?")
COMMENT = lazy(r"\s#")
ESCAPE = lazy(r"\\(.)", 16)  # re.DOTALL
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$"}
MAX_PROBLEMS = 20  # problems recorded per file; the rest are counted in one last line


class EnvFileError(Exception):
    """A line that cannot be parsed: says which line and column and what was expected, never what was written."""

    def __init__(self, line: Optional[int], message: str, column: Optional[int] = None) -> None:
        where = f"line {line}, column {column}" if column is not None else f"line {line}"
        super().__init__(f"{where}: {message}" if line is not None else message)
        self.line = line


def _unescape(match: Any) -> str:
    ch: str = match.group(1)
    unescaped: str = ESCAPES.get(ch, "\\" + ch)
    return unescaped


def _closers(text: str) -> List[int]:
    """Offsets of the `"` that can close a double-quoted value: those after an even run of backslashes. A value
    starts just after a `"`, so whichever `"` opened it, escapes pair up the same way: one list serves them all."""
    out: List[int] = []
    at = text.find('"')
    while at >= 0:
        run = 0
        while at - run - 1 >= 0 and text[at - run - 1] == "\\":
            run += 1  # each backslash run is counted once, for the quote that ends it
        if run % 2 == 0:
            out.append(at)
        at = text.find('"', at + 1)
    return out


def _positions(text: str, ch: str) -> List[int]:
    out: List[int] = []
    at = text.find(ch)
    while at >= 0:
        out.append(at)
        at = text.find(ch, at + 1)
    return out


class _Quotes:
    """Closing quotes, found by bisection in lists built on first use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.double: Optional[List[int]] = None
        self.single: Optional[List[int]] = None

    def close(self, quote: str, start: int) -> int:
        if quote == '"':
            if self.double is None:
                self.double = _closers(self.text)
            found = self.double
        else:
            if self.single is None:
                self.single = _positions(self.text, "'")
            found = self.single
        k = bisect_left(found, start)
        return found[k] if k < len(found) else -1


def parse_env_text(text: str, path: str, problems: Optional[List[EnvFileError]] = None,
                   regions: Optional[Dict[int, List[Tuple[int, int]]]] = None) -> List[EnvVar]:
    """The variables of an env file. A line that cannot be parsed is appended to `problems` and the next line is
    read; without a `problems` list, the first such line raises its EnvFileError. With `regions`, also where each
    sensitive value is written: from where the value starts to the end of its last line (redact.py)."""
    variables: List[EnvVar] = []
    lines = redact.source_lines(text, "env")  # split where the snippets' lines are split
    joined = "\n".join(lines)  # line breaks as one character, as a multi-line value reads them
    starts: List[int] = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    quotes = _Quotes(joined)
    skipped = 0

    def problem(line: int, column: int, message: str) -> None:
        nonlocal skipped
        error = EnvFileError(line, message, column)
        if problems is None:
            raise error
        if len(problems) < MAX_PROBLEMS:
            problems.append(error)
        else:
            skipped += 1

    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = KEY.match(raw)
        if not match:
            problem(lineno, len(raw) - len(raw.lstrip()) + 1, "expected NAME=value")
            continue
        name = match.group(2)
        loc = Location(path, lineno, match.start(2) + 1, name)
        if not match.group(3):
            if raw[match.end():].strip():
                problem(lineno, match.end() + 1, "expected '=' after the variable name")
                continue
            variables.append(EnvVar(name, None, loc, "env_file"))
            continue
        rest = raw[match.end():]
        column = len(raw) - len(rest.lstrip())  # 0-based, where the value starts
        rest = rest.lstrip()
        if rest.startswith(("'", '"')):
            quote = rest[0]
            begin = starts[lineno - 1] + column + 1
            end = quotes.close(quote, begin)
            if end < 0:
                problem(lineno, column + 1, f"unterminated {quote}-quoted value")
                continue
            body = joined[begin:end]
            if quote == '"' and "\\" in body:
                body = ESCAPE.sub(_unescape, body)
            last = bisect_right(starts, end) - 1  # the line of the closing quote
            span = (lineno, column + 2, last + 1, end - starts[last] + 1)
            i = last + 1
            value = body
        else:
            value = COMMENT.split(rest, maxsplit=1)[0].rstrip()
            span = (lineno, column + 1, lineno, column + 1 + len(value))
        var = EnvVar(name, value, loc, "env_file")
        var.span = span
        variables.append(var)
        if regions is not None and redact.sensitive(name, value) and (
                rest[:1] in ("'", '"') or redact.sensitive_by_name(name, value)):  # unquoted: line contexts find it
            redact.add_region(regions, lineno, column, span[2], redact.TO_END)
    if skipped and problems is not None:
        problems.append(EnvFileError(None, f"{skipped} more lines could not be parsed"))
    return variables


def parse_source(text: str, display: str, kind: str) -> Optional[Document]:
    """The registry's parser (sources/registry.py): None for a file named like an env file that holds something else
    (`.env.patch`, `app.env.j2`: discover.env_content)."""
    from hipaa_scan.discover import env_content

    not_env, text = env_content(text)
    if not_env is not None:
        return None
    try:
        return parse_env_file(text, display)
    except EnvFileError as exc:
        raise SourceError(str(exc)) from None


def parse_env_file(text: str, path: str) -> Document:
    problems: List[EnvFileError] = []
    regions: Dict[int, List[Tuple[int, int]]] = {}
    variables = parse_env_text(text, path, problems, regions)
    res = Resource(kind=SourceKind.ENV, name=f"env:{path}", label=f"env file {path}", path=path,
                   anchor=Location(path, 1, 1), env=variables)
    doc = Document(path=path, kind=SourceKind.ENV, resources=[res], lines=redact.source_lines(text, "env"),
                   regions={path: regions} if regions else None)
    doc.errors = [str(p) for p in problems]
    return doc


def env_regions(text: str) -> Dict[int, List[Tuple[int, int]]]:
    """Where an env file's sensitive values are written (its unparsable lines have none)."""
    regions: Dict[int, List[Tuple[int, int]]] = {}
    parse_env_text(text, "", [], regions)
    return regions
