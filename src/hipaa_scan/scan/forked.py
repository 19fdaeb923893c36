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

Only where `fork` exists (Linux, macOS): the workers are forked with a `Work` (the paths, options, loaded rules,
encoder and spill directory), which they inherit as an argument, never pickled; each then takes parts from a
queue and puts its outcome on another. This module imports the pipeline, the plan and the stream, never its
caller.
"""

from __future__ import annotations

import os
from itertools import chain, islice

from hipaa_scan.model import ScanResult, Tally
from hipaa_scan.scan.pipeline import keyed, ordered_errors, scan_targets
from hipaa_scan.scan import plan
from hipaa_scan.scan.stream import SPILL_CHUNK, Spilled, SpilledNotes, spill_notes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

    from hipaa_scan.discover import Target
    from hipaa_scan.model import ScanError
    from hipaa_scan.scan.options import ScanOptions
    from hipaa_scan.scan.pipeline import Runner
    from hipaa_scan.scan.plan import Part
    from hipaa_scan.scan.stream import Encoder
    from hipaa_scan.scan.walk import Place


class Work:
    """What every worker needs, fixed before they fork: the paths scanned, the options, the Runner with its loaded
    rules, the encoder of the report (None: the workers spill findings) and the private spill directory."""

    __slots__ = ("paths", "options", "runner", "encoder", "spill")

    def __init__(self, paths: List[str], options: ScanOptions, runner: Runner, encoder: Optional[Encoder],
                 spill: str) -> None:
        self.paths = paths
        self.options = options
        self.runner = runner
        self.encoder = encoder
        self.spill = spill


class Broken(Exception):
    """A worker died, or failed on a part: the tree is scanned in one process instead."""


def execute(head: List[Tuple[Target, Optional[Place]]], rest: Iterator[Tuple[Target, Optional[Place]]],
            paths: List[str], options: ScanOptions, runner: Runner, encoder: Optional[Encoder], jobs: int,
            errors: List[ScanError]) -> Optional[ScanResult]:
    """The ScanResult of the whole tree, or None to scan it in one process instead (a part boundary crossed, or
    no workers could be started or one died). A tree that is one unit (a Compose project at its root) is one part,
    scanned by one worker while the walk goes on. `head` is what the walk gave first, as (target, directory)
    pairs, and `rest` the walk itself, which this goes on with. `errors` is the walk's list of errors: it grows as
    the walk goes on."""
    import multiprocessing
    import tempfile

    try:
        spill = tempfile.TemporaryDirectory(prefix="hipaa-scan-")  # private (0700), removed with the result
    except OSError:
        return None  # no usable temporary directory: one process, findings in memory
    gathered = _Gathered(errors)
    pool: Optional[Pool] = None
    try:
        # the workers fork now, holding only what the walk gave so far, and start meanwhile
        pool = Pool(Work(paths, options, runner, encoder, spill.name), jobs, multiprocessing.get_context("fork"))
        limit = plan.head_size(jobs)
        head.extend(islice(rest, max(0, limit - len(head))))
        if len(head) < limit:  # the whole tree: PARTS_PER_JOB parts per worker at least
            count = max(jobs * plan.PARTS_PER_JOB, -(-len(head) // plan.PART_FILES))
            parts = plan.partition(head, paths, options, count)
        else:  # at most PART_FILES files per part: what a worker holds at once does not grow with the tree
            parts = plan.cut(chain(_drained(head), rest), plan.PART_FILES, paths, options)
        for index, part in enumerate(parts):
            if pool.waiting >= 2 * jobs:  # the walk waits for the workers: parts never pile up here
                gathered.add(*pool.next())
            pool.submit(index, part)
        while pool.waiting:
            gathered.add(*pool.next())
        pool.close()
    except (OSError, ValueError, ImportError, Broken):
        gathered.parts.clear()
    finally:
        if pool is not None:
            pool.kill()
    roots = [os.path.abspath(p).rstrip(os.sep) for p in paths]
    if not gathered.parts or any(path == root or path.startswith(root + os.sep) for path in gathered.foreign
                                 for root in roots):
        spill.cleanup()
        return None  # no workers, or a project read a file of another part: judge the tree as one
    return gathered.result(spill, encoder, runner)


class Pool:
    """`jobs` worker processes forked with the Work, a queue of parts to them and a queue of outcomes back. A
    worker that dies (killed, out of memory) or fails on a part breaks the pool (`Broken`) as soon as the parent
    waits: never a hang."""

    def __init__(self, work: Work, jobs: int, context: Any) -> None:
        self.tasks = context.Queue()
        self.outcomes = context.Queue()
        self.waiting = 0  # parts handed out and not yet answered
        self.workers = [context.Process(target=_serve, args=(work, self.tasks, self.outcomes), daemon=True)
                        for _ in range(jobs)]
        for worker in self.workers:
            worker.start()

    def submit(self, index: int, part: Part) -> None:
        self.tasks.put((index, part))
        self.waiting += 1

    def next(self) -> Tuple[int, Dict[str, Any]]:
        """The next part's outcome, as (index, outcome), whichever worker finishes first."""
        import queue

        while True:
            try:
                index, outcome = self.outcomes.get(timeout=0.1)
            except queue.Empty:
                if any(worker.exitcode is not None for worker in self.workers):
                    raise Broken("a worker process ended") from None
                continue
            self.waiting -= 1
            if outcome is None:
                raise Broken(f"a worker failed on part {index}")
            return index, outcome

    def close(self) -> None:
        """Every part answered: the workers are told to end, and waited for."""
        for _worker in self.workers:
            self.tasks.put(None)
        for worker in self.workers:
            worker.join(5)

    def kill(self) -> None:
        """Whatever state the workers are in, none outlives this (after close(), they have ended already)."""
        for worker in self.workers:
            if worker.exitcode is None:
                worker.terminate()
        for worker in self.workers:
            worker.join()
        for channel in (self.tasks, self.outcomes):
            channel.cancel_join_thread()  # what no worker will read any more must not hold this process at exit
            channel.close()


def _serve(work: Work, tasks: Any, outcomes: Any) -> None:
    """A worker: parts from `tasks`, one at a time, until told to end; each one's outcome to `outcomes` (None if
    scanning it failed: the parent then scans the tree itself, and meets the failure there as one process would)."""
    while True:
        task = tasks.get()
        if task is None:
            return
        index, part = task
        try:
            outcome: Optional[Dict[str, Any]] = _work(work, index, part)
        except Exception:  # noqa: BLE001 - reported as a broken part, never lost (the parent would wait forever)
            outcome = None
        outcomes.put((index, outcome))


class _Gathered:
    """The workers' outcomes, summed as each comes in: the parent keeps only counts and, per part, its files."""

    def __init__(self, errors: List[ScanError]) -> None:
        self.walk_errors = errors  # the walk's: it may still add to them
        self.errors: List[ScanError] = []
        self.tally = Tally()
        self.matched: Set[str] = set()
        self.expired: Set[str] = set()
        self.extra: Set[str] = set()
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

    def result(self, spill: Any, encoder: Optional[Encoder], runner: Runner) -> ScanResult:
        """One ScanResult; its findings and notes are read back from the workers' files as they are written."""
        parts = [self.parts[index] for index in sorted(self.parts)]
        findings = Spilled([file for file, _bounds, _notes in parts], self.tally.total, spill, encoder,
                           [bounds for _file, bounds, _notes in parts])
        notes = SpilledNotes([notes for _file, _bounds, notes in parts if notes], spill,
                             runner.result_notes((), self.matched, self.expired))
        return ScanResult(findings, ordered_errors(self.walk_errors + self.errors), self.scanned + len(self.extra),
                          self.resources, runner.metas(), notes, _tally=self.tally)


def _work(work: Work, index: int, part: Part) -> Dict[str, Any]:
    """One part: scanned, suppressed, ordered and counted here; its findings go to a file, not back by pipe."""
    import pickle

    from hipaa_scan.model import Tally

    targets, units = part
    runner = work.runner
    runner.notes, runner.errors = [], []
    findings, errors, scanned, resources, read = scan_targets(targets, work.paths, work.options, {}, runner)
    matched, expired = runner.suppress(findings)
    pairs = keyed(findings)  # (sort key, finding), in report order
    tally = Tally()
    # set when the report's format is known: the findings are encoded here
    render = work.encoder.bind([r.meta for r in runner.rules]) if work.encoder is not None else None
    path = os.path.join(work.spill, f"part-{index}.pickle")
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
    notes = spill_notes(os.path.join(work.spill, f"part-{index}.notes"), runner.notes)
    own = {os.path.abspath(t.path) for t in targets}
    shown = {t.display for t in targets}
    # Read outside this part: a file of another part unless it lies in one of this part's projects (all of whose
    # files are here) or outside the paths scanned (the parent decides).
    foreign = [p for p in read if p not in own and not any(p.startswith(u + os.sep) for u in units)]
    return {"file": path, "tally": tally, "errors": errors + runner.errors, "scanned": len(scanned & shown),
            "extra": scanned - shown, "bounds": bounds, "resources": resources, "foreign": foreign,
            "notes": notes, "matched": matched, "expired": expired}


def _drained(items: List[Any]) -> Iterator[Any]:
    """The items, then the list emptied: what the walk gave first is not held while the rest is scanned."""
    yield from items
    items.clear()
