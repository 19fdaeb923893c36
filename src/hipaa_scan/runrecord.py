"""The run record: how a report was made, written into every report (text header, JSON `run`, SARIF invocation
and run properties, Markdown, the evidence manifest).

A `RunRecord` is plain data, filled in by the command that runs the scan (`actions.do_scan`, the `live` command)
and attached to the result (`ScanResult.record`), so that every reporter and the evidence writer read the same
record. Its JSON form (`as_dict`, the report schema's `run` object):

```
{"command": "scan" | "live",
 "started": "2026-12-03T14:55:54Z", "ended": "...",  # UTC, to the second; null when not recorded (library)
 "tool": {"name": "hipaa-scan", "version": "..."},
 "catalog": {"sha256": "<hex>", "rules": 31},                         # every rule available, selected or not
 "configuration": {"path": str | null, "sha256": str | null,
                   "select": [{"selector": "HS1", "from": "command line" | "<config path>"}],
                   "ignore": [{"selector": "HS5", "from": ...}],
                   "severity": {"HS105": "low"},                       # effective overrides, by rule id
                   "rule_options": {"HS201": {"min_days": 2555}},      # every declared option, effective value
                   "fail_on": "high"},
 "baseline": {"path": str, "sha256": str} | null,
 "scope": {"roots": [...], "files_by_kind": {"dockerfile": 2, ...},  # files the walk chose to scan
           "skipped": {"unrecognised_file": 10, ...},                 # files/folders not scanned, by reason
           "engines": [{"label", "host", "server_version", "containers", "error"}], "containers": int},
 "repositories": [{"root": str, "commit": "<hex>", "ref": "refs/heads/main" | null}],
 "operator": "user@host", "working_directory": str,
 "inputs": [{"path": str, "kind": "inspect" | "info", "sha256": str}]}    # offline inputs (live)
```

The catalog digest is the SHA-256 of the catalog's canonical JSON (`catalog_json`): each rule's id, name, default
severity, confidence, citations, sources, CIS and CWE references, options (name, kind, default), summary,
remediation and origin, sorted by id, keys sorted, no blanks. It changes when any rule does, never with the
configuration. `excluded(meta)` says why a rule did not run ("ignored by configuration X (ignore: HS5)", "not
selected (select: HS1 on the command line)"); `severity_of(meta)` gives a rule's effective severity.

The git commit of a scanned repository is read from its files (`git_commit`: `.git/HEAD`, the loose ref or
`packed-refs`, a worktree's `commondir`); git is never run. Nothing here writes anywhere.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO, Dict, Iterable, List, Optional, Sequence, Tuple

    from hipaa_scan.rules.base import RuleMeta

COMMAND_LINE = "command line"
MAX_GIT_FILE = 8 * 1024 * 1024  # packed-refs larger than this is not read
MAX_INPUT_HASH = 1024 * 1024 * 1024  # an offline input is hashed up to this size (the scan refuses far less)
_HEX = frozenset("0123456789abcdef")

# Why the walk did not scan a file or folder: the keys of `scope.skipped`, with how a report words them
SKIP_REASONS: Dict[str, str] = {
    "unrecognised_file": "files of no kind the scanner reads (by name)",
    "excluded_file": "files matching an exclude pattern",
    "excluded_dir": "folders matching an exclude pattern",
    "skipped_dir": "VCS, dependency, cache and virtualenv folders",
    "link_outside_root": "symbolic links leading out of the scanned root",
    "not_regular": "FIFOs, sockets and devices (never opened)",
    "duplicate": "files already reached by another path",
}
# The same, as the text header's few words
SKIP_SHORT: Dict[str, str] = {
    "unrecognised_file": "other files", "excluded_file": "excluded files", "excluded_dir": "excluded folders",
    "skipped_dir": "tool folders", "link_outside_root": "links out of the root", "not_regular": "special files",
    "duplicate": "duplicates",
}


def utc_now() -> str:
    """The time now in UTC, to the second; SOURCE_DATE_EPOCH (seconds since 1970, the reproducible-builds
    convention) stands for it when set, so that two runs over the same input can give the same report."""
    import time

    fixed = os.environ.get("SOURCE_DATE_EPOCH", "")
    when = int(fixed) if fixed.isdigit() else None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _open_regular(path: str) -> Optional[BinaryIO]:
    """`path` opened for reading if it is a regular file (a FIFO or device is never read: it could block forever),
    else None."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")
    except OSError:
        os.close(fd)
        return None


def file_sha256(path: str, limit: int = MAX_INPUT_HASH) -> Optional[str]:
    """The SHA-256 of a file's bytes, read in chunks; None when it cannot be read (or is larger than `limit`)."""
    from hipaa_scan.model import sha256

    digest = sha256()
    size = 0
    handle = _open_regular(path)
    if handle is None:
        return None
    try:
        with handle:
            while True:
                chunk = handle.read(1024 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    return None
                digest.update(chunk)
    except OSError:
        return None
    return str(digest.hexdigest())


def rule_entry(meta: RuleMeta) -> Dict[str, Any]:
    """One rule as the catalog's canonical JSON holds it (default severity)."""
    return {"id": meta.id, "name": meta.name, "severity": meta.severity, "confidence": meta.confidence,
            "hipaa": list(meta.hipaa), "sources": [str(s) for s in meta.sources], "cis": list(meta.cis),
            "cwe": list(meta.cwe), "summary": meta.summary, "remediation": meta.remediation, "origin": meta.origin,
            "options": [{"name": o.name, "kind": o.kind, "default": o.default} for o in meta.options]}


def catalog_json(catalog: Iterable[RuleMeta]) -> str:
    import json

    entries = [rule_entry(m) for m in sorted(catalog, key=lambda m: m.id)]
    return json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def catalog_digest(catalog: Iterable[RuleMeta]) -> str:
    from hipaa_scan.model import sha256

    return str(sha256(catalog_json(catalog).encode("utf-8", "surrogateescape")).hexdigest())


def operator() -> str:
    """`user@host` of the process running the scan (from the password database, else the environment)."""
    user = ""
    try:
        import pwd

        user = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        user = os.environ.get("USER") or os.environ.get("USERNAME") or ""
    try:
        host = os.uname().nodename  # what socket.gethostname() answers, without importing socket
    except (AttributeError, OSError):  # (no os.uname on Windows)
        host = os.environ.get("COMPUTERNAME", "")
    return f"{user or 'unknown'}@{host or 'unknown'}"


# --- git, read from its files ------------------------------------------------------------------------------------


def _read_small(path: str, limit: int = 4096) -> Optional[str]:
    handle = _open_regular(path)
    if handle is None:
        return None
    try:
        with handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _HEX


def git_dir_of(start: str) -> Optional[Tuple[str, str]]:
    """(the repository's top folder, its git folder) for the folder `start` or the nearest above it holding `.git`:
    a folder, or a file `gitdir: <path>` (a worktree or submodule)."""
    directory = os.path.abspath(start)
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    while True:
        dotgit = os.path.join(directory, ".git")
        if os.path.isdir(dotgit):
            return directory, dotgit
        if os.path.isfile(dotgit):
            text = _read_small(dotgit)
            if text and text.startswith("gitdir:"):
                target = text[len("gitdir:"):].strip()
                gitdir = target if os.path.isabs(target) else os.path.normpath(os.path.join(directory, target))
                if os.path.isdir(gitdir):
                    return directory, gitdir
            return None
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _packed_ref(common: str, ref: str) -> Optional[str]:
    path = os.path.join(common, "packed-refs")
    handle = _open_regular(path)
    if handle is None:
        return None
    try:
        if os.fstat(handle.fileno()).st_size > MAX_GIT_FILE:
            handle.close()
            return None
        with handle:
            for raw in handle:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith(("#", "^")) or " " not in line:
                    continue
                oid, name = line.split(" ", 1)
                if name == ref and _is_object_id(oid):
                    return oid
    except OSError:
        return None
    return None


def git_commit(start: str) -> Optional[Dict[str, Any]]:
    """The commit checked out in the repository holding `start`: {"root", "commit", "ref"} (ref None when HEAD is
    detached), or None when there is no repository or its files cannot be read. Only reads files below `.git`."""
    found = git_dir_of(start)
    if found is None:
        return None
    root, gitdir = found
    head = _read_small(os.path.join(gitdir, "HEAD"))
    if head is None:
        return None
    head = head.strip()
    common = gitdir
    pointer = _read_small(os.path.join(gitdir, "commondir"))
    if pointer and pointer.strip():
        target = pointer.strip()
        common = target if os.path.isabs(target) else os.path.normpath(os.path.join(gitdir, target))
    if _is_object_id(head):
        return {"root": root, "commit": head, "ref": None}
    if not head.startswith("ref:"):
        return None
    ref = head[len("ref:"):].strip()
    if not ref.startswith("refs/") or ".." in ref.split("/"):
        return None
    for where in (gitdir, common):
        loose = _read_small(os.path.join(where, *ref.split("/")))
        if loose is not None and _is_object_id(loose.strip()):
            return {"root": root, "commit": loose.strip(), "ref": ref}
    oid = _packed_ref(common, ref)
    if oid is not None:
        return {"root": root, "commit": oid, "ref": ref}
    return {"root": root, "commit": None, "ref": ref}  # a branch with no commit yet


# --- the record --------------------------------------------------------------------------------------------------


class RunRecord:
    """How one run was made (see the module docstring for its JSON form)."""

    __slots__ = ("command", "started", "ended", "version", "_catalog", "_digest", "rules_dirs", "config_path",
                 "config_sha256", "select", "ignore", "severity", "configured_options", "fail_on", "baseline_path",
                 "baseline_sha256", "roots", "files_by_kind", "skipped", "engines", "containers", "repositories",
                 "_operator", "working_directory", "inputs")

    def __init__(self, command: str = "scan") -> None:
        from hipaa_scan import __version__

        self.command = command
        self.started: Optional[str] = utc_now()
        self.ended: Optional[str] = None
        self.version = __version__
        # every rule available, selected or not, default metadata: loaded when first asked for (a quiet scan with
        # nothing to report never asks), unless set_catalog gave it
        self._catalog: Optional[List[RuleMeta]] = None
        self._digest: Optional[str] = None
        self.rules_dirs: List[str] = []
        self.config_path: Optional[str] = None
        self.config_sha256: Optional[str] = None
        self.select: List[Tuple[str, str]] = []  # (selector, where from: COMMAND_LINE or the configuration path)
        self.ignore: List[Tuple[str, str]] = []
        self.severity: Dict[str, str] = {}  # rule id -> effective severity override
        self.configured_options: Dict[str, Dict[str, Any]] = {}  # rule id -> option -> configured value
        self.fail_on = "high"
        self.baseline_path: Optional[str] = None
        self.baseline_sha256: Optional[str] = None
        self.roots: List[str] = []
        self.files_by_kind: Dict[str, int] = {}
        self.skipped: Dict[str, int] = {}
        self.engines: List[Dict[str, Any]] = []
        self.containers = 0
        self.repositories: List[Dict[str, Any]] = []
        self._operator: Optional[str] = None
        self.working_directory = os.getcwd()
        self.inputs: List[Dict[str, Any]] = []

    # -- filling in

    def set_catalog(self, catalog: Sequence[RuleMeta]) -> None:
        self._catalog = sorted(catalog, key=lambda m: m.id)
        self._digest = None

    @property
    def catalog(self) -> List[RuleMeta]:
        if self._catalog is None:
            from hipaa_scan.rules import load_rules

            self._catalog = [r.meta for r in load_rules(rules_dirs=self.rules_dirs)]
        return self._catalog

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = catalog_digest(self.catalog)
        return self._digest

    @property
    def operator(self) -> str:
        if self._operator is None:
            self._operator = operator()
        return self._operator

    @property
    def rule_options(self) -> Dict[str, Dict[str, Any]]:
        """Every option the catalog's rules declare, at its effective value (configured, else default)."""
        return {m.id: {**m.option_defaults(), **self.configured_options.get(m.id, {})}
                for m in self.catalog if m.options}

    def set_configuration(self, path: Optional[str], select_cli: Sequence[str], select_cfg: Sequence[str],
                          ignore_cli: Sequence[str], ignore_cfg: Sequence[str], severity: Dict[str, str],
                          rule_options: Dict[str, Dict[str, Any]], fail_on: Optional[str],
                          rules_dirs: Sequence[str] = ()) -> None:
        """The effective configuration: the command line's select replaces the configuration's, ignores add up."""
        self.config_path = path
        self.config_sha256 = file_sha256(path) if path else None
        where = path or "configuration"
        self.select = [(s, COMMAND_LINE) for s in select_cli] if select_cli else [(s, where) for s in select_cfg]
        self.ignore = [(s, COMMAND_LINE) for s in ignore_cli] + [(s, where) for s in ignore_cfg]
        self.severity = dict(severity)
        self.configured_options = {k: dict(v) for k, v in rule_options.items()}
        self.fail_on = fail_on or "high"
        self.rules_dirs = list(rules_dirs)

    def set_baseline(self, path: Optional[str]) -> None:
        self.baseline_path = path or None
        self.baseline_sha256 = file_sha256(path) if path else None

    def set_roots(self, roots: Sequence[str]) -> None:
        """The paths scanned, and the git commit of each repository holding one."""
        self.roots = list(roots)
        seen = set()
        for root in roots:
            repo = git_commit(root)
            if repo is not None and repo["root"] not in seen:
                seen.add(repo["root"])
                self.repositories.append(repo)

    def add_input(self, path: str, kind: str) -> None:
        self.inputs.append({"path": path, "kind": kind, "sha256": file_sha256(path)})

    def end(self) -> None:
        self.ended = utc_now()

    # -- reading

    def excluded(self, meta: RuleMeta) -> Optional[str]:
        """Why the configuration kept `meta` from running, or None if it did not."""
        from hipaa_scan.rules import wanted

        if self.select and not wanted(meta.id, meta.name, [s for s, _ in self.select], ()):
            sources = sorted({src for _s, src in self.select})
            listed = ", ".join(s for s, _ in self.select)
            return f"not selected (select: {listed} {_from(sources)})"
        for selector, source in self.ignore:
            if not wanted(meta.id, meta.name, (), [selector]):
                return f"ignored {_from([source])} (ignore: {selector})"
        return None

    def severity_of(self, meta: RuleMeta) -> str:
        return self.severity.get(meta.id) or meta.severity

    def as_dict(self) -> Dict[str, Any]:
        return {
            "command": self.command,
            "started": self.started,
            "ended": self.ended,
            "tool": {"name": "hipaa-scan", "version": self.version},
            "catalog": {"sha256": self.digest, "rules": len(self.catalog)},
            "configuration": {
                "path": self.config_path, "sha256": self.config_sha256,
                "select": [{"selector": s, "from": src} for s, src in self.select],
                "ignore": [{"selector": s, "from": src} for s, src in self.ignore],
                "severity": dict(sorted(self.severity.items())),
                "rule_options": {k: dict(sorted(v.items())) for k, v in sorted(self.rule_options.items())},
                "fail_on": self.fail_on,
            },
            "baseline": ({"path": self.baseline_path, "sha256": self.baseline_sha256}
                         if self.baseline_path else None),
            "scope": {"roots": list(self.roots), "files_by_kind": dict(sorted(self.files_by_kind.items())),
                      "skipped": dict(sorted(self.skipped.items())), "engines": list(self.engines),
                      "containers": self.containers},
            "repositories": list(self.repositories),
            "operator": self.operator,
            "working_directory": self.working_directory,
            "inputs": list(self.inputs),
        }


def record_of(result: Any) -> RunRecord:
    """The result's run record; for a result made without one (a library caller), a record of the rules that ran,
    with no times (null in JSON): a report of the same result is then the same whenever it is rendered."""
    record: Optional[RunRecord] = result.record
    if record is None:
        record = RunRecord()
        record.set_catalog(result.rules)
        record.started = None  # no command recorded the run: its times are not known
    return record


def _from(sources: Sequence[str]) -> str:
    return " and ".join("on the command line" if s == COMMAND_LINE else
                        "by the configuration" if s == "configuration" else f"by configuration {s}" for s in sources)


def _short(digest: Optional[str]) -> str:
    return f"sha256 {digest[:12]}" if digest else "unreadable"


def header_lines(record: RunRecord) -> List[str]:
    """The run record as the text reports' short header (plain text: the caller shows control characters as
    escapes): when, tool and catalog, configuration, baseline, scope, repository, operator."""
    when = f"{record.started} to {record.ended or '(running)'} UTC" if record.started else "time not recorded"
    lines = [f"hipaa-scan {record.version} {record.command}, {when}, "
             f"by {record.operator}; rule catalog sha256 {record.digest[:12]} ({len(record.catalog)} rules)"]
    config = (f"configuration {record.config_path} ({_short(record.config_sha256)})" if record.config_path
              else "no configuration file")
    parts = [config]
    if record.select:
        parts.append("select " + ", ".join(s for s, _ in record.select))
    if record.ignore:
        parts.append("ignore " + ", ".join(s for s, _ in record.ignore))
    if record.severity:
        parts.append("severity " + ", ".join(f"{k}={v}" for k, v in sorted(record.severity.items())))
    changed = {rule: {k: v for k, v in opts.items()} for rule, opts in record.configured_options.items() if opts}
    if changed:
        parts.append("options " + ", ".join(f"{rule}.{k}={v!r}" for rule, opts in sorted(changed.items())
                                            for k, v in sorted(opts.items())))
    if record.baseline_path:
        parts.append(f"baseline {record.baseline_path} ({_short(record.baseline_sha256)})")
    lines.append("; ".join(parts))
    scope = []
    if record.roots:
        scope.append("scanned " + ", ".join(record.roots))
    if record.files_by_kind:
        scope.append(", ".join(f"{n} {k}" for k, n in sorted(record.files_by_kind.items())))
    if record.skipped:
        scope.append("skipped " + ", ".join(f"{n} {SKIP_SHORT.get(k, k)}" for k, n in sorted(record.skipped.items())))
    if record.engines:
        scope.append(f"{len(record.engines)} engine{'s' if len(record.engines) != 1 else ''}, "
                     f"{record.containers} container{'s' if record.containers != 1 else ''}")
    for item in record.inputs:
        scope.append(f"{item['kind']} {item['path']} ({_short(item['sha256'])})")
    for repo in record.repositories:
        commit = repo["commit"][:12] if repo["commit"] else "no commit"
        scope.append(f"git {commit}" + (f" ({repo['ref']})" if repo["ref"] else " (detached)"))
    if scope:
        lines.append("; ".join(scope))
    return lines
