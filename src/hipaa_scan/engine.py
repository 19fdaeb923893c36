"""The scan's entry points: `scan_paths` (files and directories) and `scan_documents` (documents already built,
as live mode builds them). They put the scan package together: the walk, the plan (one process or several), and
an executor running the pipeline (scan/__init__.py). Nothing in scan/ imports this module.

A file that cannot be read or parsed becomes a ScanError and the scan goes on; so does a rule that raises.
Every string a finding carries, and every note and error, passes through the redaction layer (redact.py), so no
secret value the scan has seen can leave.
"""

from __future__ import annotations

import os

from hipaa_scan.rules import load_rules
from hipaa_scan.scan.options import ScanOptions
from hipaa_scan.scan.pipeline import ParseFailure, Runner, document_redactor, parse_target, resource_secrets

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Iterator, List, Sequence, Set, Tuple

    from hipaa_scan.discover import Target
    from hipaa_scan.model import Document, Finding, ScanError, ScanResult
    from hipaa_scan.scan.plan import Named

__all__ = ["ParseFailure", "ScanOptions", "document_redactor", "resource_secrets", "scan_documents", "scan_paths",
           "scan_text"]


def scan_paths(paths: Iterable[str], options: ScanOptions) -> ScanResult:
    # The cyclic garbage collector finds next to nothing to free in a scan (a few hundred objects per thousand
    # files) but walks every live object again and again as findings accumulate, so its cost grows with the tree.
    # Reference counting frees everything else; the collector resumes afterwards.
    import gc

    from hipaa_scan.scan.plan import named

    enabled = gc.isenabled()
    gc.disable()
    try:
        given = list(paths)
        widened = named(given, options)
        if widened is None:
            return _scan_paths(given, options)
        return _only_named(_scan_paths(widened.paths, options), widened)
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


def _only_named(result: ScanResult, widened: Named) -> ScanResult:
    """The result of a scan widened to the named files' projects, cut to what is in the named files (and below the
    directories given): the verdict `scan .` gives them, and nothing about files not named."""
    from hipaa_scan.model import ScanResult

    findings = [f for f in result.findings if widened.reports(f.location.path)]
    errors = [e for e in result.errors if widened.reports(e.path) or _blocks_project(e)]
    notes = [n for n in result.notes if _note_reported(n, widened)]
    files = len(widened.files) + (result.files_scanned if widened.dirs else 0)
    return ScanResult(findings, errors, min(files, result.files_scanned) if files else result.files_scanned,
                      result.resources_scanned, result.rules, notes)


def _blocks_project(error: ScanError) -> bool:
    """A Compose file that could not be read or parsed: the project's verdict on the named files is not known."""
    from hipaa_scan.sources.kinds import SourceKind
    from hipaa_scan.sources.registry import kind_by_name

    return kind_by_name(error.path.rsplit("/", 1)[-1]) == SourceKind.COMPOSE


def _note_reported(note: str, widened: Named) -> bool:
    """A note placed in a file (`warning: PATH:LINE: ...`) is kept when that file is reported; others are kept."""
    head, sep, rest = note.partition(": ")
    if not sep or head not in ("warning", "note"):
        return True
    place = rest.split(": ", 1)[0].rsplit(":", 1)[0]
    return not os.path.exists(place) or widened.reports(place)


def scan_text(text: str, name: str, options: ScanOptions) -> ScanResult:
    """Scan `text` as the file `name` (stdin with --stdin-filename): of the kind its name says (else as its content
    shows), judged as written, reported under `name`. Nothing is read from disk or written."""
    from hipaa_scan.discover import display_path
    from hipaa_scan.model import ScanError
    from hipaa_scan.sources.registry import kind_by_name

    runner = Runner(load_rules(options.select, options.ignore, options.rules_dirs), options)
    display = display_path(name) if name != "-" else "-"
    findings: List[Finding] = []
    errors: List[ScanError] = []
    files = resources = 0
    try:
        doc = parse_target(name, display, kind_by_name(os.path.basename(name)), options.max_file_bytes, text)
    except ParseFailure as exc:
        doc = None
        errors.append(ScanError(display, str(exc), exc.kind))
    if doc is None and not errors:
        errors.append(ScanError(display, "not a Dockerfile, compose file or env file (name it with --stdin-filename)",
                                "parse"))
    if doc is not None:
        errors.extend(ScanError(display, message, "parse") for message in doc.errors)
        files, resources = 1, len(doc.resources)
        findings.extend(runner.run(doc))
    return runner.finish(findings, errors, files, resources)


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
