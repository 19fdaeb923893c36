"""The serial executor: the pipeline over every target in this process, one file after the other."""

from __future__ import annotations

from hipaa_scan.scan.pipeline import scan_targets

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List

    from hipaa_scan.discover import Target
    from hipaa_scan.model import ScanError, ScanResult
    from hipaa_scan.scan.options import ScanOptions
    from hipaa_scan.scan.pipeline import Runner


def execute(targets: List[Target], errors: List[ScanError], paths: List[str], options: ScanOptions,
            runner: Runner) -> ScanResult:
    """The result of scanning `targets` (the walk's `errors` besides): its findings a list, in report order."""
    findings, more, scanned, resources, _read = scan_targets(targets, paths, options, {}, runner)
    return runner.finish(findings, errors + more, len(scanned), resources)
