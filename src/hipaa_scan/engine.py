"""The scan's entry points: `scan_paths` (files and directories) and `scan_documents` (documents already built,
as live mode builds them). They put the scan package together: the walk, the plan (one process or several), and
an executor running the pipeline (scan/__init__.py). Nothing in scan/ imports this module.

A file that cannot be read or parsed becomes a ScanError and the scan goes on; so does a rule that raises.
Every string a finding carries, and every note and error, passes through the redaction layer (redact.py), so no
secret value the scan has seen can leave.
"""

from __future__ import annotations

from hipaa_scan.rules import load_rules
from hipaa_scan.scan.options import ScanOptions
from hipaa_scan.scan.pipeline import ParseFailure, Runner, document_redactor, resource_secrets

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Iterator, List, Sequence, Set, Tuple

    from hipaa_scan.discover import Target
    from hipaa_scan.model import Document, Finding, ScanError, ScanResult

__all__ = ["ParseFailure", "ScanOptions", "document_redactor", "resource_secrets", "scan_documents", "scan_paths"]


def scan_paths(paths: Iterable[str], options: ScanOptions) -> ScanResult:
    # The cyclic garbage collector finds next to nothing to free in a scan (a few hundred objects per thousand
    # files) but walks every live object again and again as findings accumulate, so its cost grows with the tree.
    # Reference counting frees everything else; the collector resumes afterwards.
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _scan_paths(list(paths), options)
    finally:
        if enabled:
            gc.enable()


def _scan_paths(paths: List[str], options: ScanOptions) -> ScanResult:
    from hipaa_scan.scan import serial
    from hipaa_scan.scan.plan import PARALLEL_MIN_FILES, jobs
    from hipaa_scan.scan.walk import discover, walk

    rules = load_rules(options.select, options.ignore, options.rules_dirs)
    runner = Runner(rules, options)
    skipped: Dict[str, int] = {}  # what the walk leaves out, by reason (the run record's scope)
    if options.compose_files or jobs(options.jobs, PARALLEL_MIN_FILES) <= 1:
        targets, errors = discover(paths, options.excludes, skipped)
        return _scoped(serial.execute(targets, errors, paths, options, runner), targets, skipped, options)
    # Walk only as far as needed to decide: a large tree is split across workers while the walk goes on.
    from itertools import islice

    walk_errors: List[ScanError] = []  # the walk adds to them as it goes on
    by_kind: Dict[str, int] = {}
    pairs = _counted(walk(paths, options.excludes, walk_errors, skipped), by_kind)
    head = list(islice(pairs, PARALLEL_MIN_FILES))
    workers = jobs(options.jobs, len(head))
    if workers <= 1:  # fewer files than PARALLEL_MIN_FILES: the whole tree
        targets = [target for target, _place in head]
        return _scoped(serial.execute(targets, walk_errors, paths, options, runner), targets, skipped, options)
    from hipaa_scan.scan import forked

    result = forked.execute(head, pairs, paths, options, runner, options.finding_encoder, workers,
                            walk_errors)
    if result is not None:
        result.files_by_kind, result.skipped, result.kinds_scanned = by_kind, skipped, _kinds(by_kind)
        return result
    skipped.clear()
    targets, errors = discover(paths, options.excludes, skipped)  # walked again, for one process
    return _scoped(serial.execute(targets, errors, paths, options, runner), targets, skipped, options)


def _counted(pairs: Iterator[Tuple[Target, Any]], by_kind: Dict[str, int]) -> Iterator[Tuple[Target, Any]]:
    """The walk's files, counted by kind as they pass."""
    for pair in pairs:
        kind = str(pair[0].kind)
        by_kind[kind] = by_kind.get(kind, 0) + 1
        yield pair


def _scoped(result: ScanResult, targets: List[Target], skipped: Dict[str, int], options: ScanOptions) -> ScanResult:
    """The result with the walk's files by kind and what it left out (the run record's scope)."""
    by_kind: Dict[str, int] = {}
    for target in targets:
        kind = str(target.kind)
        by_kind[kind] = by_kind.get(kind, 0) + 1
    result.files_by_kind, result.skipped = by_kind, skipped
    result.kinds_scanned = None if options.compose_files else _kinds(by_kind)
    return result


def _kinds(by_kind: Dict[str, int]) -> List[str]:
    """The kinds of resource a walk's files give (a YAML file of no Compose name is read as Compose)."""
    return sorted({"compose" if kind == "yaml" else kind for kind in by_kind})


def scan_documents(docs: Iterable[Document], options: ScanOptions, errors: Sequence[ScanError] = ()) -> ScanResult:
    """Run the rules over already-built documents (live containers, recorded inspect JSON)."""
    rules = load_rules(options.select, options.ignore, options.rules_dirs)
    runner = Runner(rules, options)
    findings: List[Finding] = []
    count = resources = 0
    kinds: Set[str] = set()
    for doc in docs:
        count += 1
        resources += len(doc.resources)
        kinds.update(str(res.kind) for res in doc.resources)
        findings.extend(runner.run(doc))
    result = runner.finish(findings, list(errors), count, resources)
    result.kinds_scanned = sorted(kinds)
    return result
