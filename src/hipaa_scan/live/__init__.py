"""`hipaa-scan live`: audit the containers of running Docker engines, read-only, or saved inspect JSON offline.

Per engine the audit makes exactly: one GET /version, one GET /info, one GET /containers/json, one GET
/containers/<id>/json per selected container (concurrently, in a bounded thread pool) and, only when a container
was created from a bare image id, one GET /images/json. Every check then runs on the recorded JSON: no round trip
per check. Several engines are audited concurrently into one report.

Read-only is enforced at the transport: the docker APIClient (a requests Session) gets a `send` that raises
ReadOnlyViolation for any method but GET before anything is written to the socket, and every mounted adapter is
wrapped the same way. The docker SDK is imported only here, inside functions.

Every request is bounded (guard: a deadline per request and per audit, a size cap per answer, no redirects)
and every answer is type-checked before use; a malformed part is an error for that part only. Each container's
inspect is kept compressed (Packed) and its document made when it is reached (Documents), so memory grows with
the findings, not with the inspect JSON.

Errors are one line (LiveError); a container that disappears between the list and its inspect is a note.

The package, in the order a run goes through it (each module imports only modules above it):

    guard       what an engine may cost (deadlines, size caps, no redirects) and the shape checks of its answers
    errors      LiveError, ReadOnlyViolation, and `classify`: any failure to talk to an engine as one line
    targets     which engines: --host, --context, DOCKER_HOST and the TLS variables
    transport   the GET-only, bounded docker client (`connect`)
    capture     one engine's answers, checked and packed (`capture_engine`, `Selection`, `Packed`)
    offline     saved inspect/info JSON as one engine's capture (--from-inspect, --from-info)
    documents   captures as Resources, labels and the inventory (`build_run`, `LiveRun`)
    run         audit, scan, report (through the report registry)
    evidence    the whole --evidence bundle: folder, masked JSON, reports, manifests, `verify`

This module only names the public API of those modules.
"""

from hipaa_scan.live.capture import EngineCapture, Packed, Progress, Selection, capture_engine, connection_facts
from hipaa_scan.live.documents import Documents, LiveRun, build_run
from hipaa_scan.live.errors import LiveError, ReadOnlyViolation, classify
from hipaa_scan.live.evidence import Evidence, verify, write_evidence
from hipaa_scan.live.guard import DEFAULT_TIMEOUT
from hipaa_scan.live.offline import capture_files, load_info_file, load_inspect_file
from hipaa_scan.live.run import analyse_files, audit, record_run, render, report_options, scan
from hipaa_scan.live.targets import DEFAULT_HOST, Target, docker_config_dir, host_label, read_context, resolve_targets
from hipaa_scan.live.transport import MIN_API_VERSION, WORKERS, connect, make_read_only

__all__ = ["DEFAULT_HOST", "DEFAULT_TIMEOUT", "MIN_API_VERSION", "WORKERS", "Documents", "EngineCapture", "Evidence",
           "LiveError", "LiveRun", "Packed", "Progress", "ReadOnlyViolation", "Selection", "Target", "analyse_files",
           "audit", "build_run", "capture_engine", "capture_files", "classify", "connect", "connection_facts",
           "docker_config_dir", "host_label", "load_info_file", "load_inspect_file", "make_read_only", "read_context",
           "record_run", "render", "report_options", "resolve_targets", "scan", "verify", "write_evidence"]
