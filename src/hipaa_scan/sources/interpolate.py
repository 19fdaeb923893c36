"""Variable substitution: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`,
`${VAR:?err}`, `${VAR?err}`, nested defaults and `$$` escapes.

A reference to a variable that is not known is kept as written, so a rule sees `${DB_PASSWORD}` (a reference,
not a secret) rather than a guess.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, List, Mapping, Optional, Tuple

NAME_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
NAME_CHARS = NAME_START | set("0123456789")


def _braced_end(text: str, start: int) -> int:
    """Index of the `}` closing the `${` whose body starts at `start`, or -1."""
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def interpolate(text: str, lookup: Callable[[str], Optional[str]],
                escape_dollars: bool = True) -> Tuple[str, List[str], List[str]]:
    """Substitute references in `text`; returns (result, variables used, variables unset without default)."""
    if "$" not in text:
        return text, [], []
    used: List[str] = []
    missing: List[str] = []
    out: List[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$" and escape_dollars:
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            end = _braced_end(text, i + 2)
            if end < 0:
                out.append(text[i:])
                break
            body = text[i + 2:end]
            out.append(_expand(body, text[i:end + 1], lookup, used, missing, escape_dollars))
            i = end + 1
            continue
        if nxt in NAME_START:
            j = i + 1
            while j < n and text[j] in NAME_CHARS:
                j += 1
            name = text[i + 1:j]
            value = lookup(name)
            used.append(name)
            if value is None:
                missing.append(name)
                out.append(text[i:j])
            else:
                out.append(value)
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out), used, missing


def _expand(body: str, original: str, lookup: Callable[[str], Optional[str]], used: List[str],
            missing: List[str], escape_dollars: bool) -> str:
    j = 0
    while j < len(body) and body[j] in NAME_CHARS:
        j += 1
    name, rest = body[:j], body[j:]
    if not name:
        return original
    used.append(name)
    value = lookup(name)
    if not rest:
        if value is None:
            missing.append(name)
            return original
        return value
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op):]
            break
    else:
        return original
    empty_counts = op.startswith(":")
    is_set = value is not None and (value != "" or not empty_counts)
    kind = op[-1]
    if kind == "-":
        if is_set:
            return value  # type: ignore[return-value]
        result, u, m = interpolate(arg, lookup, escape_dollars)
        used.extend(u)
        missing.extend(m)
        return result
    if kind == "+":
        if not is_set:
            return ""
        result, u, m = interpolate(arg, lookup, escape_dollars)
        used.extend(u)
        missing.extend(m)
        return result
    # "?": required
    if is_set:
        return value  # type: ignore[return-value]
    missing.append(name)
    return original


def substitute(text: Optional[str], variables: Mapping[str, str]) -> str:
    """Dockerfile-style substitution from known variables (no `$$` escape); unknown references stay as written."""
    if text is None:
        return ""
    return interpolate(text, variables.get, escape_dollars=False)[0]
