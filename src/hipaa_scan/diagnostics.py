"""What a scan has to say besides its findings, for stderr: its errors (each named, one line each) and its notes,
grouped by kind and counted.

A note written at a place (`warning: compose.yaml:12: variable DB_HOST is not set ...`) is one of a kind with every
note saying the same thing elsewhere: 264 notes about three unset variables are three lines, each with its count
and its first places (`(88 places: compose.yaml:12, compose.yaml:30, ... and 85 more)`). No text is added that the
notes did not hold, so nothing redaction kept out comes back.
"""

from __future__ import annotations

from hipaa_scan.lazyre import lazy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterable, List, Sequence, Tuple

    from hipaa_scan.model import ScanError

_PLACED = lazy(r"^(warning|note|error): ((?:[^:\n]|:(?! ))+?:\d+): (.+)$", 0)
SHOWN_PLACES = 3  # places listed per kind of note


def group_notes(notes: Iterable[str]) -> List[Tuple[str, int, List[str]]]:
    """(the note without its place, how many times it was made, the places) per kind, in first-seen order."""
    kinds: Dict[str, Tuple[List[int], List[str]]] = {}
    for note in notes:
        match = _PLACED.match(note)
        if match:
            key, place = f"{match.group(1)}: {match.group(3)}", match.group(2)
        else:
            key, place = note, ""
        count, places = kinds.setdefault(key, ([0], []))
        count[0] += 1
        if place and place not in places:
            places.append(place)
    return [(key, count[0], sorted(places, key=_place_order)) for key, (count, places) in kinds.items()]


def _place_order(place: str) -> Tuple[str, int]:
    path, _, line = place.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def note_lines(notes: Iterable[str]) -> Tuple[int, List[str]]:
    """The number of notes, and one line per kind: the note itself when made once, else counted with its places."""
    total = 0
    lines = []
    for key, count, places in group_notes(notes):
        total += count
        if count == 1 and len(places) <= 1:
            kind, _, rest = key.partition(": ")
            lines.append(f"{kind}: {places[0]}: {rest}" if places and rest else key)
            continue
        where = ""
        if places:
            shown = ", ".join(places[:SHOWN_PLACES])
            more = len(places) - SHOWN_PLACES
            where = f" ({count} times: {shown}{f' and {more} more places' if more > 0 else ''})"
        else:
            where = f" ({count} times)"
        lines.append(key + where)
    return total, lines


def error_lines(errors: Sequence[ScanError]) -> List[str]:
    """One line per error, naming its file and what went wrong."""
    return [f"error: {err.path}: {err.message}" if err.path else f"error: {err.message}" for err in errors]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def report_lines(errors: Sequence[ScanError], notes: Iterable[str], quiet: bool = False) -> List[str]:
    """Everything for stderr, grouped and counted: the errors first (always, also with -q), then the notes (not
    with -q)."""
    out: List[str] = []
    if errors:
        out.append(f"hipaa-scan: {_count(len(errors), 'error')}:")
        out += ["  " + line for line in error_lines(errors)]
    if not quiet:
        total, lines = note_lines(notes)
        if total:
            kinds = f", {_count(len(lines), 'kind')}" if len(lines) != total else ""
            out.append(f"hipaa-scan: {_count(total, 'note')}{kinds}:")
            out += ["  " + line for line in lines]
    return out
