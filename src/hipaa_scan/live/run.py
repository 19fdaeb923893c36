"""A live run from start to report: audit the engines (or read saved files), run the rules over the documents,
render the report through the report registry."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from hipaa_scan.live import guard
from hipaa_scan.live.capture import HOST_WORKERS, Progress, capture_engine
from hipaa_scan.live.documents import build_run
from hipaa_scan.live.errors import LiveError
from hipaa_scan.live.guard import DEFAULT_TIMEOUT, Budget
from hipaa_scan.live.offline import capture_files
from hipaa_scan.live.transport import WORKERS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence

    from hipaa_scan.live.capture import Selection
    from hipaa_scan.live.documents import LiveRun
    from hipaa_scan.live.evidence import Evidence
    from hipaa_scan.live.targets import Target
    from hipaa_scan.engine import ScanOptions
    from hipaa_scan.model import ScanResult
    from hipaa_scan.runrecord import RunRecord


def audit(targets: List[Target], selection: Selection, timeout: float = DEFAULT_TIMEOUT,
          progress: Optional[Progress] = None, audit_timeout: float = guard.DEFAULT_AUDIT_SECONDS) -> LiveRun:
    """Audit every target concurrently. Raises LiveError when no engine could be audited at all (one line per
    engine); a partial failure is a scan error in the run and the other engines are still reported.

    `timeout` bounds each whole request (connection, headers and body), `audit_timeout` every request of the audit
    together (guard.Budget): a slow or endless engine cannot hold the audit past them."""
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    progress = progress or Progress(False)
    budget = Budget(timeout, audit_timeout)
    try:
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="inspect") as pool, \
                ThreadPoolExecutor(max_workers=min(HOST_WORKERS, max(len(targets), 1)),
                                   thread_name_prefix="engine") as hosts:
            futures = [hosts.submit(capture_engine, t, selection, timeout, pool, progress, budget) for t in targets]
            captures = [f.result() for f in futures]
    finally:
        progress.close()
    failed = [c for c in captures if c.error is not None]
    if failed and len(failed) == len(captures):
        raise LiveError("; ".join(c.error for c in failed))  # type: ignore[misc]
    run = build_run(captures)
    run.started = started
    run.seconds = time.monotonic() - clock
    return run


def analyse_files(inspect_paths: Sequence[str], info_path: Optional[str], selection: Selection) -> LiveRun:
    started = datetime.now(timezone.utc)
    run = build_run([capture_files(inspect_paths, info_path, selection)], offline=True)
    run.started = started
    return run


def scan(run: LiveRun, options: ScanOptions) -> ScanResult:
    """Run the rules over the run's documents (the same engine as file scans)."""
    from hipaa_scan.engine import scan_documents

    result = scan_documents(run.documents, options, run.errors)
    result.notes = list(run.notes) + list(result.notes)
    return result


def record_run(record: RunRecord, run: LiveRun, inspect_paths: Sequence[str] = (),
               info_path: Optional[str] = None) -> None:
    """What a live run adds to its run record: the engines (label, host, server version, containers, error), the
    container count, the SHA-256 of every offline input, and the end time."""
    record.roots = [] if run.offline else [cap.target.shown for cap in run.captures]
    record.engines = [{"label": cap.label, "host": None if run.offline else cap.target.shown,
                       "server_version": (cap.version or {}).get("Version") or (cap.info or {}).get("ServerVersion"),
                       # from the inventory: a capture hands its inspects over as its documents are made
                       "containers": sum(1 for item in run.inventory
                                         if item["kind"] == "container" and item.get("engine") == cap.label),
                       "error": cap.error} for cap in run.captures]
    record.containers = sum(1 for item in run.inventory if item["kind"] == "container")
    for path in inspect_paths:
        record.add_input(path, "inspect")
    if info_path:
        record.add_input(info_path, "info")
    record.end()


# --- rendering -----------------------------------------------------------------------------------------------


def report_options(run: LiveRun, evidence: Optional[Evidence] = None) -> Dict[str, Any]:
    """What a live run's report needs besides its result (the report registry's options): the run, and with an
    evidence folder, the evidence files SARIF results point at (relative to the working directory when inside it)."""
    from hipaa_scan.live.evidence import rel_for_sarif

    options: Dict[str, Any] = {"run": run}
    if evidence is not None:
        options["artifact_paths"] = {k: rel_for_sarif(v) for k, v in evidence.files.items()}
        options["artifact_lines"] = evidence.lines
    return options


def render(result: ScanResult, run: LiveRun, fmt: str, color: bool = False, quiet: bool = False,
           fail_on: str = "high", show_suppressed: bool = False, category: Optional[str] = None,
           evidence: Optional[Evidence] = None) -> str:
    """The report of a live run in any registered format, as one string."""
    from hipaa_scan.report import get

    return get(fmt).render(result, color=color, quiet=quiet, fail_on=fail_on, show_suppressed=show_suppressed,
                           category=category, **report_options(run, evidence))
