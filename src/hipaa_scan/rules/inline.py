"""Credentials written inline in text (a RUN command, a label, a healthcheck test, a logging option, a command line,
a connection string), for HS401, HS402 and HS405: where each one is, grouped so that a line gives one finding.

`credentials.detect` says where a literal credential sits in a text; this module places it on its physical line,
names it (the header, flag, parameter or label that holds it, never the value) and renders its mask. A rule asks
for the groups of the texts it owns (`baked` for HS405, the others for HS401) and for vendor defaults (HS402).
Rules import this module only when some text passes `secrets.may_hold_credential`, a literal prefilter: a file with
nothing of the kind does not load it at start-up (`credentials` is loaded all the same: the redaction layer, which
every snippet passes through, reads credential contexts with it).
"""

from __future__ import annotations

import functools

from hipaa_scan import credentials
from hipaa_scan.model import Location, Written
from hipaa_scan.secrets import default_credential, is_placeholder, mask, may_hold_credential, secret_name, shape_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import AbstractSet, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple
    from hipaa_scan.model import Value


@functools.lru_cache(maxsize=1024)  # HS401, HS402 and HS405 read the same texts; a tree repeats the same RUN lines
def _detected(text: str) -> Tuple[Tuple[credentials.Span, Optional[str]], ...]:
    return tuple(credentials.detect(text))


def _detect(text: str, extra: Sequence["re.Pattern[str]"]) -> Iterable[Tuple[credentials.Span, Optional[str]]]:
    return _detected(text) if not extra else credentials.detect(text, extra)


NAMED = "the value"


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

    @property
    def credential(self) -> str:
        """`a plaintext credential`, or `plaintext credentials` for several on one line."""
        return "a plaintext credential" if len(set(self.names)) <= 1 else "plaintext credentials"

    def detail(self) -> str:
        """What a message adds in parentheses: the names and masks; only the mask for a value under a secret's
        name, which `where` names already (`label com.example.api-token`)."""
        if self.names == [NAMED]:
            return self.masked()
        return f"{self.what()}: {self.masked()}"

    def masked(self) -> str:
        return ", ".join(self.shown)


def _line_of(written: Written, text: str, span: credentials.Span) -> Location:
    """The physical line a credential is written on: the first of the text's lines holding its name and value
    together, else its name (a flag alone on its line), else its value; a block scalar's line by its offset; the
    text's own location when it has no lines (a one-line instruction, a live container's key path)."""
    loc = written.loc
    if written.lines is None and loc.line and "\n" in text.rstrip("\n"):
        # a YAML block scalar (`content: |`): its text starts on the line after the key
        return Location(loc.path, loc.line + 1 + text.count("\n", 0, span.start), 1, loc.key)
    if not written.lines or len(written.lines) == 1:
        return loc
    value = text[span.start:span.end]
    # the name and value together, then the name (a flag on its own line, its value on the next), then the value
    for needle in (text[span.at:span.end].strip(), text[span.at:span.start].strip(), value, value[:12]):
        if len(needle) < 3 or "\n" in needle:
            continue
        for number, line in written.lines:
            if needle in line:
                return loc if number == loc.line else Location(loc.path, number, 1, loc.key)
    return loc


def groups(texts: Iterable[Written], extra: Sequence["re.Pattern[str]"] = (), defaults: bool = False,
           elsewhere: AbstractSet[str] = frozenset()) -> Iterator[Group]:
    """One Group per line per text. `defaults`: only vendor default credentials (HS402); else only the others.
    `elsewhere`: values reported where they are written (a Compose project's secret `.env` variables), left out."""
    for written in texts:
        text = written.value
        if not text:
            continue
        if written.name is not None and secret_name(written.name) and text.strip() not in elsewhere:
            group = _named(written, text, extra, defaults)
            if group is not None:
                yield group
                continue
        if not may_hold_credential(text):
            continue
        found = _detect(text, extra)
        by_line: Dict[Tuple[Optional[int], Optional[str]], Group] = {}
        for span, product in found:
            if (product is not None) != defaults:
                continue
            if elsewhere and text[span.start:span.end] in elsewhere:
                continue
            loc = _line_of(written, text, span)
            group = by_line.get((loc.line, loc.key))
            if group is None:
                group = by_line[(loc.line, loc.key)] = Group(loc, written, product)
            group.names.append(_described(span))
            group.shown.append(mask(text[span.start:span.end], span.visible))
        yield from by_line.values()


def _named(written: Written, text: str, extra: Sequence["re.Pattern[str]"], defaults: bool) -> Optional[Group]:
    """A value under a secret's name (a label `com.example.api-token`, a logging option `splunk-token`, an `x-`
    block's `password:`): the whole value is the credential, unless it is a placeholder or a reference."""
    value = text.strip()
    product = default_credential(written.name, value) if value else None
    if product is None and (not value or is_placeholder(value, extra) or value.startswith(("$", "\\$"))
                            or "${" in value):
        return None
    if (product is not None) != defaults:
        return None
    group = Group(written.loc, written, product)
    group.names.append(NAMED)
    shape = shape_of(value)
    group.shown.append(mask(value, shape[1] if shape else 0))
    return group


def _described(span: credentials.Span) -> str:
    if span.label in (credentials.FLAG,):
        return f"the {span.name} flag"
    if span.label in (credentials.PARAMETER, credentials.ASSIGNMENT):
        return f"the {span.name} value"
    if span.label in (credentials.HEADER, credentials.USER_OPTION, credentials.CLIENT_PASSWORD, credentials.WRITTEN,
                      credentials.USERINFO):
        return f"the {span.name}"
    article = "an" if span.name[:1].lower() in "aeiou" else "a"
    return f"{article} {span.name}"  # a token shape: `a GitHub token`, `an AWS access key id`


def command_texts(command: List["Value"], place: str = "command") -> List[Written]:
    """A command's tokens as one written text, so that a flag and its value, a header and its option, a client and
    its password switch are read together whatever the form (a string, a list, a `sh -c "..."` script). Tokens
    written on lines of their own (a block list) keep them, so that a credential is placed on its line (its flag's
    line first). Live tokens (no lines) are one text per inspect key (`Config.Entrypoint`, `Config.Cmd`)."""
    out: List[Written] = []
    if not command:
        return out
    if command[0].loc.line is None:
        by_key: Dict[str, List[str]] = {}
        for token in command:
            key = (token.loc.key or "").split("[", 1)[0]
            by_key.setdefault(key, []).append(str(token.value))
        first = command[0].loc
        for key, words in by_key.items():
            out.append(Written(place, None, " ".join(_shell_quoted(w) for w in words),
                               Location(first.path, None, None, key or None)))
        return out
    words = [_shell_quoted(str(token.value)) for token in command]
    lines = [(token.loc.line, word) for token, word in zip(command, words)]
    out.append(Written(place, None, " ".join(words), command[0].loc, lines=lines))
    return out


def _shell_quoted(word: str) -> str:
    """A token with blanks in double quotes, as a shell would need it: `sh -c "redis-server --requirepass X"`."""
    return f'"{word}"' if (" " in word or "\t" in word) and '"' not in word else word
