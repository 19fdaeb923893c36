"""Credentials written inline in text (a RUN command, a label, a healthcheck test, a logging option, a command line,
a connection string), for HS401, HS402 and HS405: where each one is, grouped so that a line gives one finding.

`credentials.detect` says where a literal credential sits in a text; this module places it on its physical line,
names it (the header, flag, parameter or label that holds it, never the value) and renders its mask. A rule asks
for the groups of the texts it owns (`baked` for HS405, the others for HS401) and for vendor defaults (HS402).
"""

from __future__ import annotations

from hipaa_scan import credentials
from hipaa_scan.model import Location, Written
from hipaa_scan.secrets import mask, may_hold_secret_shape

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterable, Iterator, List, Optional, Tuple
    from hipaa_scan.model import Value

# Words one of which a text holding a credential almost always contains (lower-cased), besides a token shape: texts
# with none are ruled out before any regular expression runs.
_HINTS = ("pass", "pwd", "token", "secret", "key", "auth", "cookie", "@", "-u", "-a", "-p", "sig=", "credential",
          "login", "private", "session", "chpasswd", "mc ", "config")


def may_hold_credential(text: str) -> bool:
    if may_hold_secret_shape(text):
        return True
    lowered = text.lower()
    return any(hint in lowered for hint in _HINTS)


class Group:
    """The credentials found on one line of one written text: what holds them and their masked renderings."""

    __slots__ = ("loc", "written", "names", "shown", "product")

    def __init__(self, loc: Location, written: Written, product: Optional[str]) -> None:
        self.loc = loc
        self.written = written
        self.names: List[str] = []
        self.shown: List[str] = []
        self.product = product

    @property
    def where(self) -> str:
        w = self.written
        return f"{w.place} {w.name}" if w.name else w.place

    def what(self) -> str:
        """`the Authorization header`, `--token and the URL password`: names, never values."""
        names = list(dict.fromkeys(self.names))
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def masked(self) -> str:
        return ", ".join(dict.fromkeys(self.shown))


def _line_of(written: Written, text: str, span: credentials.Span) -> Location:
    """The physical line a credential is written on: the first of the text's lines holding its value (or, failing
    that, its name); the text's own location when it has no lines (a live container's key path)."""
    loc = written.loc
    if not written.lines or len(written.lines) == 1:
        return loc
    value = text[span.start:span.end]
    for needle in (value, text[span.at:span.start].strip(), value[:12]):
        if len(needle) < 3:
            continue
        for number, line in written.lines:
            if needle in line:
                return loc if number == loc.line else Location(loc.path, number, 1, loc.key)
    return loc


def groups(texts: Iterable[Written], extra=(), defaults: bool = False) -> Iterator[Group]:
    """One Group per line per text. `defaults`: only vendor default credentials (HS402); else only the others."""
    for written in texts:
        text = written.value
        if not text or not may_hold_credential(text):
            continue
        found = credentials.detect(text, extra)
        by_line: Dict[Tuple[Optional[int], Optional[str]], Group] = {}
        for span, product in found:
            if (product is not None) != defaults:
                continue
            loc = _line_of(written, text, span)
            group = by_line.get((loc.line, loc.key))
            if group is None:
                group = by_line[(loc.line, loc.key)] = Group(loc, written, product)
            group.names.append(_described(span))
            group.shown.append(mask(text[span.start:span.end], span.visible))
        yield from by_line.values()


def _described(span: credentials.Span) -> str:
    if span.label in (credentials.FLAG,):
        return f"the {span.name} flag"
    if span.label in (credentials.PARAMETER, credentials.ASSIGNMENT):
        return f"the {span.name} value"
    if span.label in (credentials.HEADER, credentials.USER_OPTION, credentials.CLIENT_PASSWORD, credentials.WRITTEN,
                      credentials.USERINFO):
        return f"the {span.name}"
    return f"a {span.name}"  # a token shape: `a GitHub token`


def command_texts(command: List["Value"], place: str = "command") -> List[Written]:
    """A command's tokens as written texts: each run of tokens written at one location joined into one text (a
    string command, a `sh -c "..."` script), so that a flag and its value, or a header and its option, are read
    together. A list command whose items have their own lines is one text per item, plus the pairs of a flag and
    the value in the next item (`- --masterauth` / `- pw`), located at the flag."""
    out: List[Written] = []
    runs: List[Tuple[Location, List[str]]] = []
    for token in command:
        if runs and runs[-1][0] == token.loc:
            runs[-1][1].append(str(token.value))
        else:
            runs.append((token.loc, [str(token.value)]))
    paired = False
    for i, (loc, words) in enumerate(runs):
        if paired:  # read with the flag before it
            paired = False
            continue
        text = " ".join(words)
        if len(words) == 1 and i + 1 < len(runs) and words[0].startswith("-") and " " not in words[0] \
                and "=" not in words[0] and len(runs[i + 1][1]) == 1:
            value = runs[i + 1][1][0]
            if value and not value.startswith("-") and not any(c.isspace() for c in value):
                text = words[0] + " " + value  # `--flag` then its value in the next item
                paired = True
        out.append(Written(place, None, text, loc))
    return out
