"""Large trees scanned by several worker processes (fork), each taking whole parts of the tree.

A part never splits what must be judged together: every directory that holds a Compose project takes its whole
subtree (its Dockerfiles, env files and nested projects). A project may still read a file of another part (`build:
../api`, `env_file: ../common.env`): the parent checks what every project read and, if that happened, scans the
whole tree in one process instead.

Each worker writes its part's findings, suppressed, ordered and counted, to a file in a private temporary
directory, and returns its errors, notes and counts. The parent reads those files back as the report is written,
so it never holds all the findings: its memory stays flat as the tree grows, and the report is the same as a
one-process scan's. Parts follow the report order, so the files are normally read one after the other; when the
report's format is known (JSON, SARIF), the workers store each finding's report text and the parent only copies it.

Only where `fork` exists (Linux, macOS): the workers inherit the loaded rules and the files already read.
"""

from __future__ import annotations

import os
from itertools import chain
from operator import itemgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

_WORK: Dict[str, Any] = {}  # set in the parent just before the workers fork; read by them
PART_FILES = 250


def scan(targets: Sequence[Any], paths: List[str], options, texts: Dict[str, str], runner, jobs: int,
         errors: List[Any]):
    """The ScanResult of the whole tree, or None to scan it in one process instead (a part boundary crossed, too
    few parts, or no workers could be started). `errors` are those found before the scan (discovery)."""
    from hipaa_scan.engine import ordered_errors
    from hipaa_scan.model import ScanResult, Tally

    # Eight parts per worker at least, so that a slow part does not hold up the end; and at most PART_FILES files
    # per part, so that what a worker holds at once does not grow with the tree.
    parts = partition(targets, paths, options, texts, max(jobs * 8, -(-len(targets) // PART_FILES)))
    if len(parts) < 2:
        return None
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        spill = tempfile.TemporaryDirectory(prefix="hipaa-scan-")  # private (0700), removed with the result
    except OSError:
        return None  # no usable temporary directory: one process, findings in memory
    _WORK.update(parts=parts, paths=paths, options=options, texts=texts, runner=runner, spill=spill.name)
    try:
        context = multiprocessing.get_context("fork")
        # A worker that dies (killed, out of memory) breaks the pool at once: never a hang, and the tree is then
        # scanned in this process instead.
        with ProcessPoolExecutor(min(jobs, len(parts)), mp_context=context) as pool:
            outcomes = list(pool.map(_work, range(len(parts))))
    except (OSError, ValueError, ImportError, BrokenProcessPool):
        spill.cleanup()
        return None
    finally:
        _WORK.clear()
    owner = {os.path.abspath(t.path): i for i, part in enumerate(parts) for t in part}
    if any(owner.get(path, i) != i for i, outcome in enumerate(outcomes) for path in outcome["read"]):
        spill.cleanup()
        return None  # a project read a file of another part: judge the tree as one
    tally = Tally()
    scanned: set = set()
    matched: set = set()
    expired: set = set()
    notes: List[str] = []
    errors = list(errors)
    resources = 0
    for outcome in outcomes:
        tally.merge(outcome["tally"])
        scanned |= outcome["scanned"]
        matched |= outcome["matched"]
        expired |= outcome["expired"]
        notes.extend(outcome["notes"])
        errors.extend(outcome["errors"])
        resources += outcome["resources"]
    findings = Spilled([outcome["file"] for outcome in outcomes], tally.total, spill, options.finding_encoder,
                       [outcome["bounds"] for outcome in outcomes])
    return ScanResult(findings, ordered_errors(errors), len(scanned), resources, [r.meta for r in runner.rules],
                      runner.result_notes(notes, matched, expired), _tally=tally)


def _work(index: int) -> Dict[str, Any]:
    """One part: scanned, suppressed, ordered and counted here; its findings go to a file, not back by pipe."""
    import pickle

    from hipaa_scan.engine import keyed, scan_targets
    from hipaa_scan.model import Tally

    runner = _WORK["runner"]
    runner.notes, runner.errors = [], []
    findings, errors, scanned, resources, read = scan_targets(list(_WORK["parts"][index]), _WORK["paths"],
                                                              _WORK["options"], _WORK["texts"], runner)
    matched, expired = runner.suppress(findings)
    pairs = keyed(findings)  # (sort key, finding), in report order
    tally = Tally()
    encoder = _WORK["options"].finding_encoder  # set when the report's format is known: encode findings here
    render = encoder([r.meta for r in runner.rules]) if encoder is not None else None
    path = os.path.join(_WORK["spill"], f"part-{index}.pickle")
    with open(path, "wb") as handle:
        for start in range(0, len(pairs), SPILL_CHUNK):
            chunk = pairs[start:start + SPILL_CHUNK]
            for _key, f in chunk:
                tally.add(f)
            pickle.dump([(key, render(f)) for key, f in chunk] if render is not None else [f for _key, f in chunk],
                        handle, protocol=pickle.HIGHEST_PROTOCOL)
    bounds = (pairs[0][0], pairs[-1][0]) if pairs else None
    return {"file": path, "tally": tally, "errors": errors + runner.errors, "scanned": scanned, "bounds": bounds,
            "resources": resources, "read": read, "notes": runner.notes, "matched": matched, "expired": expired}


SPILL_CHUNK = 1000


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
        """The findings as `encoder`'s function wrote them, in report order; None if the workers did not use it."""
        if encoder is not self.rendered_by:
            return None
        return (text for _key, text in self._merged(itemgetter(0)))

    def _merged(self, key: Callable[[Any], Any]) -> Iterator[Any]:
        parts = sorted((bounds, path) for bounds, path in zip(self.bounds, self.files) if bounds is not None)
        if all(first[0][1] <= second[0][0] for first, second in zip(parts, parts[1:])):
            # Parts are cut along the report order (see partition): one after the other, nothing to compare.
            return chain.from_iterable(self._read(path) for _bounds, path in parts)
        import heapq

        return heapq.merge(*(self._read(path) for path in self.files), key=key)

    @staticmethod
    def _read(path: str) -> Iterator[Any]:
        import pickle

        with open(path, "rb") as handle:  # written by our own workers, in our own private directory
            while True:
                try:
                    chunk = pickle.load(handle)
                except EOFError:
                    return
                yield from chunk


def partition(targets: Sequence[Any], paths: List[str], options, texts: Dict[str, str], count: int) -> List[list]:
    """Targets in at most `count` parts of similar size, each a union of whole units (see the module notes).

    Parts follow the report order (display paths, sorted): a project's subtree is one run of that order, every
    other file a unit of its own, and each part is a run of whole units. Each part's findings then come before
    the next part's, and the report is the parts one after the other (Spilled checks this, and merges if not)."""
    from hipaa_scan.projects import plan

    project_dirs = {spec.directory for spec in plan(targets, paths, options, texts)}
    units: List[list] = []
    of_project: Dict[str, list] = {}
    memo: Dict[str, Optional[str]] = {}
    for target in sorted(targets, key=lambda t: t.display):
        project = _project_of(os.path.dirname(os.path.abspath(target.path)), project_dirs, memo)
        if project is None:
            units.append([target])
        elif project in of_project:
            of_project[project].append(target)
        else:
            of_project[project] = [target]
            units.append(of_project[project])
    if len(units) < 2:
        return []
    size = -(-len(targets) // count)  # files per part, rounded up
    parts: List[list] = [[]]
    for unit in units:
        if len(parts[-1]) >= size:
            parts.append([])
        parts[-1].extend(unit)
    return parts


def _project_of(directory: str, project_dirs: Set[str], memo: Dict[str, Optional[str]]) -> Optional[str]:
    """The outermost project directory containing `directory` (itself included), else None. `memo` keeps the
    answer for every directory asked about, parents included: files share their directories."""
    if directory in memo:
        return memo[directory]
    parent = os.path.dirname(directory)
    outer = None if parent == directory else _project_of(parent, project_dirs, memo)
    found = outer if outer is not None else (directory if directory in project_dirs else None)
    memo[directory] = found
    return found
