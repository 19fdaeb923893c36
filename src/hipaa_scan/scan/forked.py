"""Large trees scanned by several worker processes (fork), each taking whole parts of the tree.

A part never splits what must be judged together: every directory that holds a Compose project takes its whole
subtree (its Dockerfiles, env files and nested projects). A project may still read a file outside its part
(`build: ../api`, `env_file: ../common.env`): each worker reports what its projects read outside its own part and,
if any of it lies within the paths scanned, the parent scans the whole tree in one process instead.

The parent streams: the directory walk goes on while the workers scan, parts are handed out as the walk cuts
them, and at most a few parts wait at a time, so the parent never holds the whole list of files. Each worker
writes its part's findings, suppressed, ordered and counted, to a file in a private temporary directory, and
returns its errors, notes and counts. The parent reads those files back as the report is written, so it never
holds all the findings either: its memory stays flat as the tree grows, and the report is the same as a
one-process scan's. Parts follow the report order, so the files are normally read one after the other; when the
report's format is known (JSON, SARIF), the workers store each finding's report text and the parent only copies it.

Only where `fork` exists (Linux, macOS): the workers inherit the loaded rules.
"""

from __future__ import annotations

import os
from itertools import chain, islice
from operator import itemgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

_WORK: Dict[str, Any] = {}  # set in the parent just before the workers fork; read by them
PART_FILES = 100  # smaller parts hold less per worker at no measurable CPU cost (docs/performance.md)
PARTS_PER_JOB = 8  # eight parts per worker at least, so that a slow part does not hold up the end


def head_size(jobs: int) -> int:
    """How far the walk goes before the first part is cut: a tree no larger is cut as a whole into PARTS_PER_JOB
    parts per worker; a larger one into parts of PART_FILES as the walk goes on."""
    return PARTS_PER_JOB * PART_FILES * jobs


def scan(head: List[Tuple[Any, Any]], rest: Iterator[Tuple[Any, Any]], paths: List[str], options, runner,
         jobs: int, errors: List[Any]):
    """The ScanResult of the whole tree, or None to scan it in one process instead (a part boundary crossed, or
    no workers could be started). A tree that is one unit (a Compose project at its root) is one part, scanned by
    one worker while the walk goes on. `head` is what the walk gave first, as (target, directory)
    pairs, and `rest` the walk itself, which this goes on with. `errors` is the walk's list of errors: it grows as
    the walk goes on."""
    import multiprocessing
    import tempfile
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    try:
        spill = tempfile.TemporaryDirectory(prefix="hipaa-scan-")  # private (0700), removed with the result
    except OSError:
        return None  # no usable temporary directory: one process, findings in memory
    _WORK.update(paths=paths, options=options, runner=runner, spill=spill.name)
    gathered = _Gathered(errors)
    try:
        context = multiprocessing.get_context("fork")
        # A worker that dies (killed, out of memory) breaks the pool at once: never a hang, and the tree is then
        # scanned in this process instead.
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            pool.submit(int)  # the workers fork now, holding only what the walk gave so far, and start meanwhile
            limit = head_size(jobs)
            head.extend(islice(rest, max(0, limit - len(head))))
            if len(head) < limit:  # the whole tree: PARTS_PER_JOB parts per worker at least
                parts = partition(head, paths, options, max(jobs * PARTS_PER_JOB, -(-len(head) // PART_FILES)))
            else:  # at most PART_FILES files per part: what a worker holds at once does not grow with the tree
                parts = cut(chain(_drained(head), rest), PART_FILES, paths, options)
            waiting: Dict[Any, int] = {}
            for index, part in enumerate(parts):
                if len(waiting) >= 2 * jobs:  # the walk waits for the workers: parts never pile up here
                    done, _running = wait(waiting, return_when=FIRST_COMPLETED)
                    for future in done:
                        gathered.add(waiting.pop(future), future.result())
                waiting[pool.submit(_work, index, part)] = index
            for future, index in waiting.items():
                gathered.add(index, future.result())
    except (OSError, ValueError, ImportError, BrokenProcessPool):
        gathered.parts.clear()
    finally:
        _WORK.clear()
    roots = [os.path.abspath(p).rstrip(os.sep) for p in paths]
    if not gathered.parts or any(path == root or path.startswith(root + os.sep) for path in gathered.foreign
                                 for root in roots):
        spill.cleanup()
        return None  # no workers, or a project read a file of another part: judge the tree as one
    return gathered.result(spill, options, runner)


class _Gathered:
    """The workers' outcomes, summed as each comes in: the parent keeps only counts and, per part, its files."""

    def __init__(self, errors: List[Any]) -> None:
        from hipaa_scan.model import Tally

        self.walk_errors = errors  # the walk's: it may still add to them
        self.errors: List[Any] = []
        self.tally = Tally()
        self.matched: set = set()
        self.expired: set = set()
        self.extra: set = set()
        self.foreign: List[str] = []
        self.resources = self.scanned = 0
        self.parts: Dict[int, Tuple[str, Any, Optional[str]]] = {}  # index -> findings file, bounds, notes file

    def add(self, index: int, outcome: Dict[str, Any]) -> None:
        self.tally.merge(outcome["tally"])
        self.scanned += outcome["scanned"]
        self.extra |= outcome["extra"]
        self.matched |= outcome["matched"]
        self.expired |= outcome["expired"]
        self.errors.extend(outcome["errors"])
        self.foreign.extend(outcome["foreign"])
        self.resources += outcome["resources"]
        self.parts[index] = (outcome["file"], outcome["bounds"], outcome["notes"])

    def result(self, spill: Any, options, runner):
        """One ScanResult; its findings and notes are read back from the workers' files as they are written."""
        from hipaa_scan.engine import ordered_errors
        from hipaa_scan.model import ScanResult

        parts = [self.parts[index] for index in sorted(self.parts)]
        findings = Spilled([file for file, _bounds, _notes in parts], self.tally.total, spill,
                           options.finding_encoder, [bounds for _file, bounds, _notes in parts])
        notes = SpilledNotes([notes for _file, _bounds, notes in parts if notes], spill,
                             runner.result_notes((), self.matched, self.expired))
        return ScanResult(findings, ordered_errors(self.walk_errors + self.errors), self.scanned + len(self.extra),
                          self.resources, [r.meta for r in runner.rules], notes, _tally=self.tally)


def _work(index: int, part: Tuple[list, tuple]) -> Dict[str, Any]:
    """One part: scanned, suppressed, ordered and counted here; its findings go to a file, not back by pipe."""
    import pickle

    from hipaa_scan.engine import keyed, scan_targets
    from hipaa_scan.model import Tally

    targets, units = part
    runner = _WORK["runner"]
    runner.notes, runner.errors = [], []
    findings, errors, scanned, resources, read = scan_targets(targets, _WORK["paths"], _WORK["options"], {},
                                                              runner)
    matched, expired = runner.suppress(findings)
    pairs = keyed(findings)  # (sort key, finding), in report order
    tally = Tally()
    encoder = _WORK["options"].finding_encoder  # set when the report's format is known: encode findings here
    render = encoder([r.meta for r in runner.rules]) if encoder is not None else None
    path = os.path.join(_WORK["spill"], f"part-{index}.pickle")
    # Encoded findings: their texts in one file and their sort keys in another, which the parent reads only if it
    # has to merge parts.
    with open(path, "wb") as handle, open(path + ".keys" if render is not None else os.devnull, "wb") as keys:
        for start in range(0, len(pairs), SPILL_CHUNK):
            chunk = pairs[start:start + SPILL_CHUNK]
            tally.add_all(f for _key, f in chunk)
            if render is not None:
                pickle.dump([render(f) for _key, f in chunk], handle, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump([key for key, _f in chunk], keys, protocol=pickle.HIGHEST_PROTOCOL)
            else:
                pickle.dump([f for _key, f in chunk], handle, protocol=pickle.HIGHEST_PROTOCOL)
    bounds = (pairs[0][0], pairs[-1][0]) if pairs else None
    notes = _spill_notes(os.path.join(_WORK["spill"], f"part-{index}.notes"), runner.notes)
    own = {os.path.abspath(t.path) for t in targets}
    shown = {t.display for t in targets}
    # Read outside this part: a file of another part unless it lies in one of this part's projects (all of whose
    # files are here) or outside the paths scanned (the parent decides).
    foreign = [p for p in read if p not in own and not any(p.startswith(u + os.sep) for u in units)]
    return {"file": path, "tally": tally, "errors": errors + runner.errors, "scanned": len(scanned & shown),
            "extra": scanned - shown, "bounds": bounds, "resources": resources, "foreign": foreign,
            "notes": notes, "matched": matched, "expired": expired}


def _spill_notes(path: str, notes: List[str]) -> Optional[str]:
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


SPILL_CHUNK = 250  # findings per pickle: what the parent holds of a part at once as it writes
NOTES_CHUNK = 8  # the parent merges every part's notes at once: one chunk of each in memory


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
        for note in heapq.merge(*(_read(path) for path in self.files)):
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
    # (not hashable: a class that defines __eq__ without __hash__ gets __hash__ = None)


def _lists(path: str) -> Iterator[List[Any]]:
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


def _read(path: str) -> Iterator[Any]:
    """The items of those lists, in order."""
    return chain.from_iterable(_lists(path))


class Spilled:
    """The findings of a split scan: each part's, in order, in its own file; iterating merges them in report
    order, reading a chunk at a time. It can be iterated again (each pass reads the files anew) but not indexed.

    When the scan's options named a `finding_encoder`, the workers stored each finding's report text (with its
    sort key) instead of the finding: `texts(finding_encoder)` gives those texts in report order, and iterating
    the findings themselves is not possible."""

    def __init__(self, files: List[str], count: int, keep: Any, rendered_by: Optional[Callable[..., Any]] = None,
                 bounds: Sequence[Optional[Tuple[Any, Any]]] = ()) -> None:
        self.files = files
        self.count = count
        self._keep = keep  # the temporary directory: removed when this object goes
        self.rendered_by = rendered_by
        self.bounds = list(bounds) or [None] * len(files)  # each part's first and last sort key (None: empty)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Any]:
        from hipaa_scan.model import Finding

        if self.rendered_by is not None:
            raise TypeError("the workers stored these findings as report text: use texts()")
        return self._merged(Finding.sort_key)

    def texts(self, encoder: Callable[..., Any]) -> Optional[Iterator[str]]:
        """The findings as `encoder`'s function wrote them, in report order; None if the workers did not use it.
        Where the encoder names the `separator` of its findings in the report (an item's comma and indent), the
        texts come joined by it, a chunk at a time: the report is then written in a few large pieces."""
        if encoder is not self.rendered_by:
            return None
        ordered = self._ordered()
        if ordered is None:
            import heapq

            pairs = (zip(_read(path + ".keys"), _read(path)) for path in self.files)
            return (text for _key, text in heapq.merge(*pairs, key=itemgetter(0)))
        separator = getattr(encoder, "separator", None)
        if separator is None:
            return chain.from_iterable(_read(path) for path in ordered)
        return (separator.join(texts) for path in ordered for texts in _lists(path))

    def _merged(self, key: Callable[[Any], Any]) -> Iterator[Any]:
        ordered = self._ordered()
        if ordered is not None:
            return chain.from_iterable(_read(path) for path in ordered)
        import heapq

        return heapq.merge(*(_read(path) for path in self.files), key=key)

    def _ordered(self) -> Optional[List[str]]:
        """The parts' files in report order if their findings follow one another (as the parts are cut along the
        report order, see cut), else None: they must be merged."""
        parts = sorted((bounds, path) for bounds, path in zip(self.bounds, self.files) if bounds is not None)
        if all(first[0][1] <= second[0][0] for first, second in zip(parts, parts[1:])):
            return [path for _bounds, path in parts]
        return None


def _drained(items: list) -> Iterator[Any]:
    """The items, then the list emptied: what the walk gave first is not held while the rest is scanned."""
    yield from items
    items.clear()


def cut(pairs: Iterable[Tuple[Any, Any]], size: int, paths: List[str], options) -> Iterator[Tuple[list, tuple]]:
    """The walk's (target, directory) pairs cut into parts of about `size` files, each a run of whole units, as
    (targets, the project directories among its units). A unit is a Compose project's subtree (the outermost
    project, with all below it) or a single file; the walk gives a subtree as one run, so each part comes before
    the next in the report (Spilled checks this, and merges if not)."""
    part: list = []
    units: list = []
    last = None
    for target, place in pairs:
        unit = _project_of(place, paths, options)
        if unit is None or unit != last:  # a new unit starts here: the part may end before it
            if len(part) >= size:
                yield part, tuple(units)
                part, units = [], []
            if unit is not None:
                units.append(unit)
        last = unit
        part.append(target)
    if part:
        yield part, tuple(units)


def partition(pairs: Iterable[Tuple[Any, Any]], paths: List[str], options, count: int
              ) -> Iterator[Tuple[list, tuple]]:
    """The walk's (target, directory) pairs, all of them, in at most `count` parts of similar size (see cut)."""
    pairs = list(pairs)
    return cut(pairs, -(-len(pairs) // count), paths, options)


def _project_of(place: Any, paths: List[str], options) -> Optional[str]:
    """The absolute path of the outermost Compose project directory holding `place` (a discover.Place; itself
    included), else None. The answer is kept on each directory asked about, parents included."""
    if place is None:
        return None
    asked = []
    while place is not None and place.answer is type(place):  # not yet asked
        asked.append(place)
        place = place.parent
    outer = place.answer if place is not None else None
    for directory in reversed(asked):
        if outer is None and directory.names and _holds_project(directory, paths, options):
            outer = os.path.abspath(directory.path).rstrip(os.sep)
        directory.answer = outer
    return outer


def _holds_project(place: Any, paths: List[str], options) -> bool:
    """Whether the directory holds a Compose project, as the scan will judge it (projects.plan)."""
    from hipaa_scan.discover import Target
    from hipaa_scan.projects import DEFAULT_FILES, plan

    if any(name in place.names for name in DEFAULT_FILES):
        return True  # a project whatever its COMPOSE_FILE says
    if ".env" not in place.names and not options.env_files:
        return False  # no default file and no COMPOSE_FILE that could name one
    files = [Target(os.path.join(place.path, name), name, kind) for name, kind in place.names.items()]
    return bool(plan(files, paths, options, {}))
