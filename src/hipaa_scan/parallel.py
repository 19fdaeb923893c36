"""Large trees scanned by several worker processes (fork), each taking whole parts of the tree.

A part never splits what must be judged together: every directory that holds a Compose project takes its whole
subtree (its Dockerfiles, env files and nested projects), and a directory's files stay together. Workers return
their findings, errors and notes; the parent merges them and finishes as a one-process scan would, so the result
is the same. A project may still read a file of another part (`build: ../api`, `env_file: ../common.env`): the
parent checks what every project read and, if that happened, scans the whole tree in one process instead.

Only where `fork` exists (Linux, macOS): the workers inherit the loaded rules and the files already read.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Sequence, Set

_WORK: Dict[str, Any] = {}  # set in the parent just before the workers fork; read by them


def scan(targets: Sequence[Any], paths: List[str], options, texts: Dict[str, str], runner, jobs: int):
    """(findings, errors, scanned, resources, read) as engine.scan_targets returns it, or None to scan in one
    process (a part boundary crossed, too few parts, or no workers could be started)."""
    parts = partition(targets, paths, options, texts, jobs * 4)
    if len(parts) < 2:
        return None
    import multiprocessing

    _WORK.update(parts=parts, paths=paths, options=options, texts=texts, runner=runner)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(jobs, len(parts))) as pool:
            outcomes = pool.map(_work, range(len(parts)), chunksize=1)
    except (OSError, ValueError, ImportError):
        return None
    finally:
        _WORK.clear()
    owner = {os.path.abspath(t.path): i for i, part in enumerate(parts) for t in part}
    for i, outcome in enumerate(outcomes):
        if any(owner.get(path, i) != i for path in outcome[4]):
            return None  # a project read a file of another part: judge the tree as one
    findings: List[Any] = []
    errors: List[Any] = []
    scanned: set = set()
    read: set = set()
    resources = 0
    for part_findings, part_errors, part_scanned, part_resources, part_read, notes, rule_errors in outcomes:
        findings.extend(part_findings)
        errors.extend(part_errors)
        scanned |= part_scanned
        read |= part_read
        resources += part_resources
        runner.notes.extend(notes)
        runner.errors.extend(rule_errors)
    return findings, errors, scanned, resources, read


def _work(index: int):
    from hipaa_scan.engine import scan_targets

    runner = _WORK["runner"]
    runner.notes, runner.errors = [], []
    outcome = scan_targets(list(_WORK["parts"][index]), _WORK["paths"], _WORK["options"], _WORK["texts"], runner)
    return (*outcome, runner.notes, runner.errors)


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
