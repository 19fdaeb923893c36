"""The one redaction layer: everything bound for output passes through here.

Three kinds of text leave the scanner, each with its own function:

- a **source line** (a finding's snippet): `Redactor.snippet` masks the *written spans* of the sensitive values on
  that line, which the parsers recorded (`Regions`: a YAML scalar's start and end marks, an env-file value from
  after `=` to its closing quote, a Dockerfile ENV/ARG/LABEL value to the end of its instruction), so escapes,
  quoting, `$$`, continuation lines and `${VAR:-part}rest` make no difference. It then masks every credential
  context and secret shape on the line (`credentials.spans`), every known sensitive value of the document in any of
  its written encodings, and long high-entropy tokens. All spans are found on the original line and masked in one
  pass; the line is cut to length only afterwards.
- **evidence** (a finding's evidence, a live evidence file's strings): the same without regions.
- **messages, notes, errors, stderr** (`Redactor.message`, `text`): credential contexts and secret shapes, plus
  the document's non-default sensitive values; never vendor-default words such as `postgres`, which also name
  images, services and paths. Rules name variables and never quote values, so this rarely has anything to do.

The common case costs little: a line with no region, no credential context and no known value is returned as is.
"""

from __future__ import annotations

import functools
import math

from hipaa_scan import credentials, secrets
from hipaa_scan.lazyre import lazy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

    Regions = Dict[int, List[Tuple[int, int]]]

SNIPPET_LIMIT = 240
SNIPPET_SCAN = 4096  # how much of a source line is masked before a snippet is cut to SNIPPET_LIMIT
TO_END = 1 << 30  # a region's end column meaning "to the end of the line"

# -- lines, as the parsers count them ----------------------------------------------------------------------------

_YAML_BREAKS = lazy("\r\n|[\r\n\x85\u2028\u2029]")


def source_lines(text: str, kind: str) -> List[str]:
    """The lines of a source file, split where its parser counts a new line: Dockerfiles and env files at `\\n` (a
    CR before it dropped), YAML also at a lone CR, NEL, U+2028 and U+2029. `str.splitlines` also splits at form
    feeds, vertical tabs and U+001C-U+001E, which would make a snippet show a line other than the one a finding
    points at."""
    if kind in ("yaml", "compose"):
        if not any(c in text for c in "\r\x85\u2028\u2029"):
            lines = text.split("\n")
        else:
            lines = _YAML_BREAKS.split(text)
    else:
        lines = text.split("\n")
        if "\r" in text:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# -- which values are sensitive ------------------------------------------------------------------------------------

_REFERENCE = lazy(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:(:?[-?+])([^${}]*))?\}|\$[A-Za-z_][A-Za-z0-9_]*")


def sensitive(name: Optional[str], value: Optional[str]) -> bool:
    """Whether output must never show this value as written (`name` may be None: judged on the value alone)."""
    if not value:
        return False
    return bool(name and sensitive_by_name(name, value)) or sensitive_text(value)


def sensitive_by_name(name: str, value: Optional[str]) -> bool:
    """Sensitive because of what the variable is called: a secret name with literal text, or a vendor default."""
    if not value:
        return False
    return (secrets.secret_name(name) and written_literal(value)) or bool(secrets.default_credential(name, value))


def written_literal(value: str) -> bool:
    """Whether a written value holds literal text that is not a placeholder: `${VAR}` and `${VAR:-<placeholder>}`
    do not, `${PREFIX}-literal`, `${VAR:-part}rest` and `${VAR:-s3cret}` do."""
    v = value.strip().strip("'\"").strip()
    if not v:
        return False
    if "$" not in v:
        return not secrets.is_placeholder(v)
    rest = []
    at = 0
    for m in _REFERENCE.finditer(v):
        rest.append(v[at:m.start()])
        at = m.end()
        if m.group(1) in ("-", ":-", "+", ":+") and m.group(2) and not secrets.is_placeholder(m.group(2)):
            return True
    rest.append(v[at:])
    literal = "".join(rest).replace("$$", "$").strip()
    return bool(literal) and not secrets.is_placeholder(literal) and len(literal) >= 3


def without_references(value: str) -> str:
    """The literal text of a value: its `${VAR}` / `$VAR` references taken out."""
    return _REFERENCE.sub("", value) if "$" in value else value


@functools.lru_cache(maxsize=1024)
def sensitive_text(value: str) -> bool:
    """Whether a value holds a credential whatever it is called: a secret shape, a URL password, a header,
    a secret-named parameter or flag."""
    if len(value) < 6:
        return False
    if secrets.shape_of(value):
        return True
    return bool(_context_spans(value))


# -- regions: where sensitive values are written -------------------------------------------------------------------


def add_region(regions: Regions, start_line: int, start_col: int, end_line: int, end_col: int) -> None:
    """Mark text from (start_line, start_col) to (end_line, end_col) (1-based lines, 0-based columns, end
    exclusive; TO_END for the rest of the line)."""
    if end_line < start_line:
        return
    if end_line == start_line:
        if end_col > start_col:
            regions.setdefault(start_line, []).append((start_col, end_col))
        return
    regions.setdefault(start_line, []).append((start_col, TO_END))
    for line in range(start_line + 1, end_line):
        regions.setdefault(line, []).append((0, TO_END))
    if end_col > 0:
        regions.setdefault(end_line, []).append((0, end_col))


def text_regions(regions: Regions, text: str, first_line: int, first_col: int = 0) -> None:
    """Mark the credential spans of a piece of text that starts at (first_line, first_col) and may run over
    several lines."""
    found = context_spans(text)
    if not found:
        return
    from bisect import bisect_right

    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def position(offset: int) -> Tuple[int, int]:
        lo = bisect_right(starts, offset) - 1
        return first_line + lo, offset - starts[lo] + (first_col if lo == 0 else 0)

    for start, end, visible in found:
        (l1, c1), (l2, c2) = position(start + visible), position(end)
        add_region(regions, l1, c1, l2, c2)


# -- masking ----------------------------------------------------------------------------------------------------

# Long runs of token characters that mix upper case, lower case and digits: random keys nobody named.
_TOKEN = lazy(r"[A-Za-z0-9+_\-]{24,}={0,2}")


def _entropy(token: str) -> float:
    counts: Dict[str, int] = {}
    for ch in token:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(token)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def high_entropy_spans(text: str) -> List[Tuple[int, int, int]]:
    out = []
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        if (any(c.isupper() for c in token) and any(c.islower() for c in token) and any(c.isdigit() for c in token)
                and _entropy(token) >= 4.0):
            out.append((m.start(), m.end(), 0))
    return out


def _merged(spans: List[Tuple[int, int, int]]) -> List[Tuple[int, int, int]]:
    spans.sort(key=lambda s: (s[0], -s[1]))
    out = [spans[0]]
    for start, end, visible in spans[1:]:
        last = out[-1]
        if start < last[1]:
            if end > last[1]:
                out[-1] = (last[0], end, last[2])
            continue
        out.append((start, end, visible))
    return out


def apply(text: str, spans: List[Tuple[int, int, int]]) -> str:
    """`text` with each (start, end, visible) span masked, in one pass."""
    if not spans:
        return text
    parts = []
    at = 0
    for start, end, visible in _merged(spans):
        start = max(start, at)
        end = min(end, len(text))
        if end <= start:
            continue
        parts.append(text[at:start])
        parts.append(secrets.mask(text[start:end], visible))
        at = end
    parts.append(text[at:])
    return "".join(parts)


def mask_credentials(text: str) -> str:
    """`text` with every credential value in it masked (`****(N chars)`, a shape's public prefix kept): the
    contexts alone, for text that holds no value the scan knows of (a command quoted in a message)."""
    return apply(text, context_spans(text))


def context_spans(text: str) -> List[Tuple[int, int, int]]:
    """The credential spans (start, end, visible) of a source text the layer masks: credentials.spans without
    placeholders (`ALLOW_EMPTY_PASSWORD=yes`) and values already masked."""
    return _context_spans(text)


def _context_spans(text: str, prose: bool = False) -> List[Tuple[int, int, int]]:
    """Credential spans of a text, except values already masked. In `prose` (messages, notes, errors) the contexts
    that read words as values (`password: the redis image ignores it`) are left out: there only secret shapes,
    URL userinfo and `name=value` parameters count."""
    return list(_remembered_spans(text, prose)) if len(text) <= 400 else _find_spans(text, prose)


@functools.lru_cache(maxsize=4096)  # a tree repeats its lines and messages again and again; memory stays bounded
def _remembered_spans(text: str, prose: bool) -> Tuple[Tuple[int, int, int], ...]:
    return tuple(_find_spans(text, prose))


def _find_spans(text: str, prose: bool) -> List[Tuple[int, int, int]]:
    if prose and not _PROSE_TRIGGER.search(text) and not secrets.may_hold_secret_shape(text):
        return []  # prose holds a credential only as a parameter, a flag, a URL or a shape
    out = []
    for s in credentials.spans(text):
        if text.startswith("****", s.start + s.visible):
            continue
        if prose and s.label in _PROSE_SKIPS:
            continue
        if s.label in _WORD_CONTEXTS and secrets.is_placeholder(text[s.start:s.end]):
            continue  # `ALLOW_EMPTY_PASSWORD=yes`, `--password $PASS`, `token=<token>`: no secret there
        out.append((s.start, s.end, s.visible))
    out.extend(_folded_url_spans(text))
    if not prose and _LIST_SEPARATOR.search(text):
        out.extend(_list_spans(text))
    return out


# An exec-form list written on one line (`test: ["CMD", "curl", "-u", "admin:pw", ...]`, a JSON array in a Dockerfile,
# a YAML flow sequence): its quotes and commas stand between a flag and its value, which the contexts read as words.
_LIST_SEPARATOR = lazy(r"""["'],\s*["']""")
_ACROSS_WORDS = frozenset((credentials.FLAG, credentials.USER_OPTION, credentials.CLIENT_PASSWORD,
                           credentials.WRITTEN))
_AS_WORDS = str.maketrans({'"': " ", "'": " ", ",": " ", "[": " ", "]": " "})


def _list_spans(text: str) -> List[Tuple[int, int, int]]:
    """The credential spans of a one-line list read as shell words: the separators blanked, positions kept. Only
    the contexts that span two words (a flag or switch and its value) are taken: the others lie within one element
    and are found in the text as written, where a blanked quote cannot make a header or a pair run on."""
    words = text.translate(_AS_WORDS)
    return [(s.start, s.end, s.visible) for s in credentials.spans(words)
            if s.label in _ACROSS_WORDS and not secrets.is_placeholder(words[s.start:s.end])]


# A URL whose `//` a path normalisation made `/` (`include: https://u:p@host/x.yaml` joined to a directory), with
# userinfo that a host name follows: the password is masked wherever such a URL turns up.
_FOLDED_USERINFO = lazy(r"""\b[a-zA-Z][a-zA-Z0-9+.\-]*:/(?!/)[^:/?#@\s"'<>]*:([^\s"'<>]*)@(?=[A-Za-z0-9\[])""")


def _folded_url_spans(text: str) -> List[Tuple[int, int, int]]:
    if ":/" not in text or "@" not in text:
        return []
    return [(m.start(1), m.end(1), 0) for m in _FOLDED_USERINFO.finditer(text) if m.group(1)]


_WORD_CONTEXTS = frozenset((credentials.ASSIGNMENT, credentials.PARAMETER, credentials.FLAG,
                            credentials.CLIENT_PASSWORD, credentials.HEADER, credentials.USER_OPTION,
                            credentials.USERINFO))
_PROSE_TRIGGER = lazy(r"=|:/|(?:^|\s)-|hooks|PRIVATE KEY")
_PROSE_SKIPS = frozenset((credentials.ASSIGNMENT, credentials.HEADER, credentials.CLIENT_PASSWORD))


def encodings(value: str) -> List[str]:
    """The ways a value may be written in a source file: as is, escaped (JSON, YAML and env double quotes),
    `$` doubled (Compose), `'` doubled (YAML single quotes), and each line of a multi-line value."""
    out = [value]
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") \
        .replace("\r", "\\r")
    for variant in (escaped, value.replace("$", "$$"), value.replace("'", "''"), value.replace("$", "\\$")):
        if variant != value:
            out.append(variant)
    if "\n" in value:
        out.extend(piece.strip() for piece in value.split("\n") if len(piece.strip()) >= 6)
    return out


class Redactor:
    """What one document's output must not show: its sensitive values (`values`; `message_values` for messages,
    without vendor defaults and resource names) and where they are written (`regions`, by file then line)."""

    def __init__(self, values: Iterable[str] = (), message_values: Iterable[str] = (),
                 regions: Optional[Dict[str, Regions]] = None) -> None:
        known: Set[str] = set()
        for value in values:
            if not secrets.is_placeholder(value):  # a URL's `${PG_PASSWORD}` is no secret
                known.update(v for v in encodings(value) if len(v) >= 3)
        self.values = sorted(known, key=len, reverse=True)
        self.message_values = sorted({v for v in message_values if len(v) >= 3 and not secrets.is_placeholder(v)},
                                     key=len, reverse=True)
        self.regions = regions or {}

    def _value_spans(self, text: str, values: List[str]) -> List[Tuple[int, int, int]]:
        out = []
        for value in values:
            at = text.find(value)
            while at >= 0:
                out.append((at, at + len(value), 0))
                at = text.find(value, at + len(value))
        return out

    def snippet(self, path: str, line: Optional[int], text: str, limit: int = SNIPPET_LIMIT) -> str:
        """A source line fit for output: written spans, credential contexts, known values and random tokens masked;
        then surrounding blanks dropped and the line cut to `limit`."""
        if len(text) > SNIPPET_SCAN:  # only the first `limit` characters are shown: mask a bounded prefix, then cut
            text = text[:SNIPPET_SCAN]
        spans: List[Tuple[int, int, int]] = []
        by_line = self.regions.get(path)
        marked = by_line.get(line) if by_line and line else None
        if marked:
            spans.extend((start, end, 0) for start, end in marked)
        spans.extend(self._spans(text))
        return apply(text, spans).strip()[:limit] if spans else text.strip()[:limit]

    def _spans(self, text: str) -> List[Tuple[int, int, int]]:
        spans = _context_spans(text)
        spans.extend(self._value_spans(text, self.values))
        spans.extend(high_entropy_spans(text))
        return spans

    def evidence(self, text: Optional[str]) -> Optional[str]:
        if not text:
            return text
        text, rest = _bounded(text)
        return apply(text, self._spans(text)) + rest

    def message(self, text: str) -> str:
        if not text:
            return text
        text, rest = _bounded(text)
        spans = _context_spans(text, prose=True)
        spans.extend(self._value_spans(text, self.message_values))
        return apply(text, spans) + rest


def _bounded(text: str) -> Tuple[str, str]:
    """A text cut where credentials are no longer looked for (credentials.MAX_TEXT), and what stands for the rest:
    the rest is masked as a whole, never shown unread."""
    if len(text) <= credentials.MAX_TEXT:
        return text, ""
    return text[:credentials.MAX_TEXT], secrets.mask(text[credentials.MAX_TEXT:])


def as_text(value: Any) -> str:
    """A scalar where a path or a name belongs, as text; a mapping or a list given there is named, never printed
    (its values may be anything, secrets included)."""
    if isinstance(value, dict):
        return "(a mapping)"
    if isinstance(value, (list, tuple)):
        return "(a list)"
    return str(value)


def text(value: Any) -> str:
    """Free text bound for output that holds no value the scan knows of (a note, an error, a host URL, a path):
    credential contexts and secret shapes masked."""
    value, rest = _bounded(str(value))
    spans = _context_spans(value, prose=True)
    return (apply(value, spans) if spans else value) + rest


def json_value(obj: Any, values: Iterable[str] = ()) -> Any:
    """A JSON value (live inspect or info data) with its structure kept and every sensitive string masked: the
    value of a secret-named key (a label `db.password`, a log option `splunk-token`), credential contexts and
    secret shapes in any string (`sh -c "... --requirepass X"`, a proxy URL's password), known values, and
    long random tokens."""
    redactor = Redactor(values)

    def walk(value: Any, key: Optional[str]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            if len(value) > 1 and all(isinstance(v, str) for v in value):
                return _words(value, redactor)  # a command: `["redis-server", "--requirepass", "X"]`
            return [walk(v, key) for v in value]
        if isinstance(value, str):
            if key is not None and value and secrets.secret_name(_last_segment(key)) and \
                    not secrets.is_placeholder(value):
                return secrets.mask(value)
            return redactor.evidence(value)
        return value

    return walk(obj, None)


def _words(words: List[str], redactor: Redactor) -> List[str]:
    """A command's words, redacted as the one line they make (a flag and its value are two words)."""
    line = " ".join(words)
    spans = redactor._spans(line)
    if not spans:
        return list(words)
    out = []
    at = 0
    for word in words:
        start, end = at, at + len(word)
        inside = [(max(s, start) - start, min(e, end) - start, v if s >= start else 0)
                  for s, e, v in spans if s < end and e > start]
        out.append(apply(word, inside) if inside else word)
        at = end + 1
    return out


def _last_segment(key: str) -> str:
    return key.replace("/", ".").replace(":", ".")
