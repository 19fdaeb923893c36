"""Variable substitution: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`,
`${VAR:?err}`, `${VAR?err}`, nested defaults and `$$` escapes.

A reference to a variable that is not known is kept as written, so a rule sees `${DB_PASSWORD}` (a reference,
not a secret) rather than a guess.

The work is bounded by construction: the braces of a text are paired in one pass, every nested default is read
from that pairing (no rescanning), nesting deeper than MAX_NESTING levels is refused, and the output of one value
(MAX_VALUE_CHARS) and of one file (a Budget shared by its values) is capped. Going over a bound raises
InterpolationError, which names the bound; the caller turns it into one scan error for that file.
"""

from __future__ import annotations

from hipaa_scan.budgets import BudgetExceeded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Mapping, Optional, Tuple

NAME_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
NAME_CHARS = NAME_START | set("0123456789")

MAX_NESTING = 32  # `${A:-${B:-...}}` levels
MAX_VALUE_CHARS = 1024 * 1024  # one interpolated value
MAX_FILE_CHARS = 8 * 1024 * 1024  # every interpolated value of one file together


class InterpolationError(BudgetExceeded):
    """A bound of interpolation was reached; the message names the bound, never the text. `path`: the file, when
    the caller knows it."""


class Budget:
    """The interpolation output one file, or one Compose project (all its files), may produce in characters,
    shared by all its values."""

    __slots__ = ("left", "limit", "scope")

    def __init__(self, limit: int = MAX_FILE_CHARS, scope: str = "file") -> None:
        self.limit = limit
        self.left = limit
        self.scope = scope

    def spend(self, chars: int) -> None:
        self.left -= chars
        if self.left < 0:
            raise InterpolationError(f"interpolation budget exceeded: the {self.scope}'s substituted values would be "
                                     f"longer than {self.limit:,} characters in all")


def _pairs(text: str) -> Dict[int, int]:
    """Index of each `${` -> index of the `}` closing it, in one pass. An unclosed `${` has no entry. Every `${`
    counts, as a nested reference would (an escaped `$${` too: it is only an escape once its text is read)."""
    closes: Dict[int, int] = {}
    stack: List[int] = []
    find = text.find
    dollar = find("${")
    brace = find("}", dollar + 2) if dollar >= 0 else -1
    while brace >= 0:  # each search goes on from where it last stopped: one pass over the text
        if 0 <= dollar < brace:
            stack.append(dollar)
            dollar = find("${", dollar + 2)
        else:
            if stack:
                closes[stack.pop()] = brace
            brace = find("}", brace + 1)
    return closes


class _State:
    __slots__ = ("text", "closes", "lookup", "escape", "used", "missing", "budget")

    def __init__(self, text: str, lookup: Callable[[str], Optional[str]], escape: bool,
                 budget: Optional[Budget]) -> None:
        self.text = text
        self.closes = _pairs(text) if "${" in text else {}
        self.lookup = lookup
        self.escape = escape
        self.used: Dict[str, None] = {}
        self.missing: Dict[str, None] = {}
        self.budget = budget


def interpolate(text: str, lookup: Callable[[str], Optional[str]], escape_dollars: bool = True,
                budget: Optional[Budget] = None) -> Tuple[str, List[str], List[str]]:
    """Substitute references in `text`; returns (result, variables used, variables unset without default), each
    variable named once. Raises InterpolationError past a bound (see the module's docstring)."""
    if "$" not in text:
        return text, [], []
    state = _State(text, lookup, escape_dollars, budget)
    result = _substitute(state, 0, len(text), 0)
    if budget is not None:
        budget.spend(len(result))
    return result, list(state.used), list(state.missing)


def _substitute(state: _State, start: int, stop: int, depth: int) -> str:
    """The text between start and stop, substituted."""
    if depth > MAX_NESTING:
        raise InterpolationError(f"interpolation budget exceeded: variable references nested deeper than "
                                 f"{MAX_NESTING} levels")
    text = state.text
    out: List[str] = []
    size = 0
    i = start
    while i < stop:
        j = text.find("$", i, stop)
        if j < 0:
            out.append(text[i:stop])
            size += stop - i
            break
        if j > i:
            out.append(text[i:j])
            size += j - i
        i = j
        if i + 1 >= stop:
            out.append("$")
            size += 1
            break
        nxt = text[i + 1]
        piece: Optional[str]
        if nxt == "$" and state.escape:
            piece = "$"
            i += 2
        elif nxt == "{":
            end = state.closes.get(i, -1)
            if end < 0 or end >= stop:
                piece = text[i:stop]
                i = stop
            else:
                piece = _expand(state, i, end, depth)
                i = end + 1
        elif nxt in NAME_START:
            k = i + 1
            while k < stop and text[k] in NAME_CHARS:
                k += 1
            name = text[i + 1:k]
            value = state.lookup(name)
            state.used[name] = None
            if value is None:
                state.missing[name] = None
                piece = text[i:k]
            else:
                piece = value
            i = k
        else:
            piece = "$"
            i += 1
        out.append(piece)
        size += len(piece)
        if size > MAX_VALUE_CHARS:
            raise InterpolationError(f"interpolation budget exceeded: a substituted value would be longer than "
                                     f"{MAX_VALUE_CHARS:,} characters")
    return "".join(out)


def _expand(state: _State, open_at: int, close_at: int, depth: int) -> str:
    """`${...}` whose `$` is at open_at and `}` at close_at."""
    text = state.text
    j = open_at + 2
    while j < close_at and text[j] in NAME_CHARS:
        j += 1
    name = text[open_at + 2:j]
    original = text[open_at:close_at + 1]
    if not name:
        return original
    state.used[name] = None
    value = state.lookup(name)
    if j == close_at:
        if value is None:
            state.missing[name] = None
            return original
        return value
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if text.startswith(op, j, close_at):
            break
    else:
        return original
    arg = j + len(op)
    empty_counts = op.startswith(":")
    is_set = value is not None and (value != "" or not empty_counts)
    kind = op[-1]
    if kind == "-":
        if is_set:
            return value  # type: ignore[return-value]
        return _substitute(state, arg, close_at, depth + 1)
    if kind == "+":
        if not is_set:
            return ""
        return _substitute(state, arg, close_at, depth + 1)
    # "?": required
    if is_set:
        return value  # type: ignore[return-value]
    state.missing[name] = None
    return original


def substitute(text: Optional[str], variables: Mapping[str, str], budget: Optional[Budget] = None) -> str:
    """Dockerfile-style substitution from known variables (no `$$` escape); unknown references stay as written."""
    if text is None:
        return ""
    return interpolate(text, variables.get, escape_dollars=False, budget=budget)[0]
