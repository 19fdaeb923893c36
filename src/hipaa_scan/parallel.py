"""Large trees scanned by several worker processes (fork), each taking whole parts of the tree.

A part never splits what must be judged together: every directory that holds a Compose project takes its whole
subtree (its Dockerfiles, env files and nested projects), and a directory's files stay together. A project may
still read a file of another part (`build: ../api`, `env_file: ../common.env`): the parent checks what every
project read and, if that happened, scans the whole tree in one process instead.

Each worker writes its part's findings, suppressed, ordered and counted, to a file in a private temporary
directory, and returns its errors, notes and counts. The parent merges those files as the report is written, so
it never holds all the findings: its memory stays flat as the tree grows, and the report is the same as a
one-process scan's.

Only where `fork` exists (Linux, macOS): the workers inherit the loaded rules and the files already read.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Sequence, Set

_WORK: Dict[str, Any] = {}  # set in the parent just before the workers fork; read by them


def scan(targets: Sequence[Any], paths: List[str], options, texts: Dict[str, str], runner, jobs: int,
         errors: List[Any]):
    """The ScanResult of the whole tree, or None to scan it in one process instead (a part boundary crossed, too
    few parts, or no workers could be started). `errors` are those found before the scan (discovery)."""
    from hipaa_scan.engine import ordered_errors
    from hipaa_scan.model import ScanResult, Tally

    parts = partition(targets, paths, options, texts, jobs * 4)
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
    findings = Spilled([outcome["file"] for outcome in outcomes], tally.total, spill)
    return ScanResult(findings, ordered_errors(errors), len(scanned), resources, [r.meta for r in runner.rules],
                      runner.result_notes(notes, matched, expired), _tally=tally)


def _work(index: int) -> Dict[str, Any]:
    """One part: scanned, suppressed, ordered and counted here; its findings go to a file, not back by pipe."""
    import pickle

    from hipaa_scan.engine import ordered, scan_targets
    from hipaa_scan.model import Tally

    runner = _WORK["runner"]
    runner.notes, runner.errors = [], []
    findings, errors, scanned, resources, read = scan_targets(list(_WORK["parts"][index]), _WORK["paths"],
                                                              _WORK["options"], _WORK["texts"], runner)
    matched, expired = runner.suppress(findings)
    findings = ordered(findings)
    tally = Tally()
    path = os.path.join(_WORK["spill"], f"part-{index}.pickle")
    with open(path, "wb") as handle:
        for start in range(0, len(findings), SPILL_CHUNK):
            chunk = findings[start:start + SPILL_CHUNK]
            for f in chunk:
                tally.add(f)
            pickle.dump(chunk, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {"file": path, "tally": tally, "errors": errors + runner.errors, "scanned": scanned,
            "resources": resources, "read": read, "notes": runner.notes, "matched": matched, "expired": expired}


SPILL_CHUNK = 1000


class Spilled:
    """The findings of a split scan: each part's, in order, in its own file; iterating merges them in report
    order, reading a chunk at a time. It can be iterated again (each pass reads the files anew) but not indexed."""

    def __init__(self, files: List[str], count: int, keep: Any) -> None:
        self.files = files
        self.count = count
        self._keep = keep  # the temporary directory: removed when this object goes

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Any]:
        import heapq

        from hipaa_scan.model import Finding

        return heapq.merge(*(self._read(path) for path in self.files), key=Finding.sort_key)

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
    """Targets in at most `count` parts of similar size, each a union of whole units (see the module notes)."""
    from hipaa_scan.projects import plan

    project_dirs = {spec.directory for spec in plan(targets, paths, options, texts)}
    units: Dict[str, list] = {}
    for target in targets:
        directory = os.path.dirname(os.path.abspath(target.path))
        units.setdefault(_unit(directory, project_dirs), []).append(target)
    if len(units) < 2:
        return []
    bins: List[list] = [[] for _ in range(min(count, len(units)))]
    for unit in sorted(units.values(), key=len, reverse=True):  # largest first, each to the emptiest part
        min(bins, key=len).extend(unit)
    return [b for b in bins if b]


def _unit(directory: str, project_dirs: Set[str]) -> str:
    """The outermost project directory containing `directory` (itself included), else the directory itself."""
    unit = directory
    current = directory
    while True:
        if current in project_dirs:
            unit = current
        parent = os.path.dirname(current)
        if parent == current:
            return unit
        current = parent
