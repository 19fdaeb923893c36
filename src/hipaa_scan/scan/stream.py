"""What a scan's findings and notes are: a list, or the workers' spill files read back in report order.

Both are a `model.FindingStream`: sized and iterable, any number of times, never indexed. A reporter that knows
how it writes one finding says so with an `Encoder` (its format's name, the function that writes a finding, and
the text between two findings); a forked scan given that encoder stores each finding's text instead of the
finding, and `encoded(findings, encoder)` gives those texts back, in report order, to the same reporter.
"""

from __future__ import annotations

from itertools import chain
from operator import itemgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

    from hipaa_scan.model import Finding, FindingStream
    from hipaa_scan.rules.base import RuleMeta


class Encoder:
    """How one report format writes a finding, so that worker processes can write it: `bind(rules)` gives the
    function from a finding to its text, and `separator` is what the report puts between two findings' texts.
    Encoders are told apart by `name` (the format): a stream encoded by one is never read as another's."""

    __slots__ = ("name", "_bind", "separator")

    def __init__(self, name: str, bind: Callable[[List[RuleMeta]], Callable[[Finding], str]],
                 separator: str) -> None:
        self.name = name
        self._bind = bind
        self.separator = separator

    def bind(self, rules: List[RuleMeta]) -> Callable[[Finding], str]:
        """The function that writes one finding, given the rules that ran (a SARIF result names its rule's index)."""
        return self._bind(rules)

    def __repr__(self) -> str:
        return f"Encoder({self.name!r})"


def encoded(findings: FindingStream, encoder: Encoder) -> Optional[Iterator[str]]:
    """The findings as `encoder` wrote them in the workers, in report order, if they were; else None (the reporter
    then writes each finding itself)."""
    return findings.texts(encoder) if isinstance(findings, Spilled) else None


SPILL_CHUNK = 250  # findings per pickle: what the parent holds of a part at once as it writes
NOTES_CHUNK = 8  # the parent merges every part's notes at once: one chunk of each in memory


def lists(path: str) -> Iterator[List[Any]]:
    """The lists pickled one after the other to `path` (by a worker), the file opened for one list at a time:
    merging many parts' files never holds many of them open."""
    import pickle

    offset = 0
    while True:
        with open(path, "rb") as handle:  # written by our own workers, in our own private directory
            handle.seek(offset)
            try:
                chunk = pickle.load(handle)
            except EOFError:
                return
            offset = handle.tell()
        yield chunk


def items(path: str) -> Iterator[Any]:
    """The items of those lists, in order."""
    return chain.from_iterable(lists(path))


def spill_notes(path: str, notes: List[str]) -> Optional[str]:
    """A part's notes, sorted and each once, to `path` in small chunks; the path, or None if there are none."""
    import pickle

    if not notes:
        return None
    from hipaa_scan.redact import text

    notes = sorted({text(note) for note in notes})  # masked before they reach the disk
    with open(path, "wb") as handle:
        for start in range(0, len(notes), NOTES_CHUNK):
            pickle.dump(notes[start:start + NOTES_CHUNK], handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


class SpilledNotes:
    """The notes of a split scan, as a one-process scan gives them (sorted, each once, then what the baseline
    says), read back from the workers' files each time they are iterated: a large tree's warnings grow with it."""

    def __init__(self, files: List[str], keep: Any, tail: List[str]) -> None:
        self.files = files  # each sorted, each note once
        self._keep = keep  # the temporary directory: removed when the last user of the files goes
        self.tail = tail

    def __iter__(self) -> Iterator[str]:
        import heapq

        last = None
        for note in heapq.merge(*(items(path) for path in self.files)):
            if note != last:
                yield note
                last = note
        yield from self.tail

    def __bool__(self) -> bool:
        return bool(self.files or self.tail)

    def __len__(self) -> int:
        return sum(1 for _note in self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, SpilledNotes)) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # compared by content, like the list it stands for


class Spilled:
    """The findings of a split scan: each part's, in order, in its own file; iterating merges them in report
    order, reading a chunk at a time. It can be iterated again (each pass reads the files anew) but not indexed.

    When the scan was given an `Encoder`, the workers stored each finding's text (and, apart, its sort key)
    instead of the finding: `texts(encoder)` gives those texts in report order, and iterating the findings
    themselves is not possible."""

    def __init__(self, files: List[str], count: int, keep: Any, encoder: Optional[Encoder] = None,
                 bounds: Sequence[Optional[Tuple[Any, Any]]] = ()) -> None:
        self.files = files
        self.count = count
        self._keep = keep  # the temporary directory: removed when this object goes
        self.encoder = encoder
        self.bounds = list(bounds) or [None] * len(files)  # each part's first and last sort key (None: empty)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Finding]:
        from hipaa_scan.model import Finding

        if self.encoder is not None:
            raise TypeError(f"the workers stored these findings as {self.encoder.name} text: use texts()")
        return self._merged(Finding.sort_key)

    def texts(self, encoder: Encoder) -> Optional[Iterator[str]]:
        """The findings as `encoder` wrote them, in report order; None if the workers did not use it. Parts in
        order come a chunk at a time, their texts joined by the encoder's separator: the report is then written in
        a few large pieces; parts that overlap are merged by sort key, text by text."""
        if self.encoder is None or self.encoder.name != encoder.name:
            return None
        ordered = self._ordered()
        if ordered is None:
            import heapq

            pairs = (zip(items(path + ".keys"), items(path)) for path in self.files)
            return (text for _key, text in heapq.merge(*pairs, key=itemgetter(0)))
        separator = encoder.separator
        return (separator.join(texts) for path in ordered for texts in lists(path))

    def _merged(self, key: Callable[[Any], Any]) -> Iterator[Any]:
        ordered = self._ordered()
        if ordered is not None:
            return chain.from_iterable(items(path) for path in ordered)
        import heapq

        return heapq.merge(*(items(path) for path in self.files), key=key)

    def _ordered(self) -> Optional[List[str]]:
        """The parts' files in report order if their findings follow one another (as the parts are cut along the
        report order, see plan.cut), else None: they must be merged."""
        parts = sorted((bounds, path) for bounds, path in zip(self.bounds, self.files) if bounds is not None)
        if all(first[0][1] <= second[0][0] for first, second in zip(parts, parts[1:])):
            return [path for _bounds, path in parts]
        return None

