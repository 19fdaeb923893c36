"""Text bound for a terminal, with every character that could act on the terminal shown as an escape instead.

Scanned files, file names, suppression reasons, configuration values and engine answers are written by others.
Printed raw, an ESC could recolour, clear or retitle the terminal or plant an OSC 8 hyperlink; a carriage return
or a newline could overwrite or forge whole report lines; a bidi override could make a line read other than it is.
`visible(text)` shows each of them as a Python-style escape (`\\x1b`, `\\r`, `\\n`, `\\u202e`), so the text stays
readable and nothing in it reaches the terminal as a control. It is applied where text is rendered for a person
(report/text.py, report/livetext.py, the rule catalog, and every line written to stderr), never in the model:
JSON and SARIF escape control characters themselves, and rules see the text as written.

What is shown as an escape: C0 controls (tab, newline and carriage return included), DEL, C1 controls, the
Unicode line and paragraph separators, the bidi embeddings, overrides, isolates and marks, and the lone surrogates
that stand for bytes of a file name that were not UTF-8 (shown as the byte, `\\xff`: printing them raw would fail).
"""

from __future__ import annotations

from hipaa_scan.lazyre import lazy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from re import Match

_CONTROL = lazy(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte (surrogateescape)
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control, line separator, bidi control and lone surrogate shown as an escape."""
    if text.isprintable():  # the common case, answered in C: none of those characters is printable
        return text
    shown: str = _CONTROL.sub(_escape, text)
    return shown


def markup(text: str) -> str:
    """visible(text), escaped for rich's console markup: what it prints is the text, never a style or a link."""
    from rich.markup import escape

    return escape(visible(text))
