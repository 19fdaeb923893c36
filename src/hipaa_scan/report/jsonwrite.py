"""Write a JSON document piece by piece, for reports with many findings.

The outer levels are indented (two spaces); below `depth` every value is one line written by the json module's C
encoder (the pure-Python encoder that `indent=` selects costs more than the whole scan on large trees). A value may
be an iterator, consumed as it is written, or a callable, called when its turn comes: a report's findings can
stream from the engine and its summary be computed after them, so the whole report is never held in memory. A
`Raw` value is JSON text encoded beforehand (by worker processes, for a large scan) and is written unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from hipaa_scan.lazyre import lazy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, TextIO, Tuple

_encode = json.JSONEncoder(ensure_ascii=False).encode


def encode(value: Any) -> str:
    """One value as one line of JSON text."""
    return escape_surrogates(_encode(value))


def escape_surrogates(text: str) -> str:
    """JSON text with each lone surrogate written as its escape (`\\udcff`). A file name that is not UTF-8 holds
    them (os.fsdecode stands one in for each undecodable byte); the json module leaves them raw with
    ensure_ascii=False, and raw they cannot be written as UTF-8. In JSON text they only occur inside strings, where
    the escape reads back as the same character."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    escaped: str = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return escaped


_SURROGATE = lazy("[\ud800-\udfff]")


class Raw(str):
    """A value already encoded as JSON text, laid out for its place in the document: written as it is."""


def write(handle: TextIO, value: Any, depth: int = 2, level: int = 0) -> None:
    if callable(value):
        value = value()
    if isinstance(value, Raw):
        handle.write(value)
    elif level < depth and isinstance(value, dict):
        if level == depth - 1 and value and not any(callable(v) or isinstance(v, (Iterator, Raw))
                                                    for v in value.values()):
            # the last indented level (a SARIF result, say): its values are plain, write it in one piece
            pad = "\n" + "  " * (level + 1)
            handle.write("{" + pad + ("," + pad).join(f"{encode(str(k))}: {encode(v)}" for k, v in value.items())
                         + "\n" + "  " * level + "}")
        else:
            _container(handle, "{", "}", ((f"{encode(str(k))}: ", v) for k, v in value.items()), depth, level)
    elif level < depth and isinstance(value, (list, tuple, Iterator)):
        _container(handle, "[", "]", (("", v) for v in value), depth, level)
    else:
        handle.write(encode(list(value) if isinstance(value, Iterator) else value))


def _container(handle: TextIO, start: str, end: str, items: Iterable[Tuple[str, Any]], depth: int,
               level: int) -> None:
    pad = "\n" + "  " * (level + 1)
    first = True
    for prefix, item in items:
        handle.write((start if first else ",") + pad + prefix)
        write(handle, item, depth, level + 1)
        first = False
    handle.write(start + end if first else "\n" + "  " * level + end)


def dumps(value: Any, depth: int = 2) -> str:
    import io

    buffer = io.StringIO()
    write(buffer, value, depth)
    return buffer.getvalue() + "\n"
