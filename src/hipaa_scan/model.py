"""The common model: every source (Dockerfile, compose service, env file, container) becomes a Resource.

Rules ask a Resource the same questions whatever it came from; every answer carries the Location it was
read from. Nothing here imports a heavy library.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

try:  # CPython's built-in SHA-256: same digests as hashlib's, without loading OpenSSL (3 ms of start-up)
    from _sha256 import sha256  # Python <= 3.11
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha2 import sha256  # Python >= 3.12
    except ImportError:
        from hashlib import sha256

# Findings and locations are the objects a large scan holds by the hundred thousand: no per-instance __dict__.
_SLOTS: Dict[str, bool] = {"slots": True} if sys.version_info >= (3, 10) else {}

SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
CONFIDENCES = ("low", "medium", "high")
SOURCE_KINDS = ("dockerfile", "compose", "env", "container", "engine")


@dataclass(frozen=True, **_SLOTS)
class Location:
    """Where a value was written: a file position, or a container plus an inspect key path."""

    path: str
    line: Optional[int] = None
    column: Optional[int] = None
    key: Optional[str] = None  # logical key path, e.g. services.redis.ports[0] or HostConfig.Privileged

    def as_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"path": self.path}
        if self.line is not None:
            out["line"] = self.line
        if self.column is not None:
            out["column"] = self.column
        if self.key is not None:
            out["key"] = self.key
        return out


@dataclass
class Value:
    """A scalar (or small structure) and where it came from."""

    value: Any
    loc: Location


@dataclass
class EnvVar:
    name: str
    value: Optional[str]  # None: declared without a value (inherited from the environment)
    loc: Location
    origin: str = "environment"  # environment | ENV | ARG | env_file | container


@dataclass
class Port:
    container_port: Optional[int]
    host_ip: Optional[str]  # None or "" means every interface
    host_port: Optional[str]
    protocol: str
    loc: Location
    published: bool = True  # False for expose-only ports

    @property
    def on_all_interfaces(self) -> bool:
        return self.published and (self.host_ip or "").strip("[]") in ("", "0.0.0.0", "::")


@dataclass
class Mount:
    source: Optional[str]
    target: Optional[str]
    type: str  # bind | volume | tmpfs | npipe
    read_only: bool
    loc: Location


@dataclass
class Resource:
    """One thing that runs (or ships): a Dockerfile's final stage, a compose service, an env file, a container."""

    kind: str  # one of SOURCE_KINDS
    name: str  # stable identifier: stage:<name>, service:<name>, env:<file>, container:<name>, engine:<host>
    label: str  # for messages: 'service "redis"'
    path: str  # display path of the document, or container://<name>
    anchor: Location  # where findings about something missing point
    user: Optional[Value] = None  # None: not set anywhere
    privileged: Optional[Value] = None
    read_only: Optional[Value] = None
    cap_add: List[Value] = field(default_factory=list)
    security_opt: List[Value] = field(default_factory=list)
    namespaces: Dict[str, Value] = field(default_factory=dict)  # network/pid/ipc/uts/userns -> mode
    mounts: List[Mount] = field(default_factory=list)
    ports: List[Port] = field(default_factory=list)
    env: List[EnvVar] = field(default_factory=list)
    image: Optional[Value] = None  # the image this runs (compose image:, container image)
    base_images: List[Value] = field(default_factory=list)  # Dockerfile FROM references, ARGs resolved
    builds: bool = False  # compose service with build: (its image: names the build output)
    healthcheck: Optional[Value] = None  # value True: defined; False: explicitly disabled; None: absent
    logging_driver: Optional[Value] = None
    limits: Dict[str, Value] = field(default_factory=dict)  # memory, cpus, pids
    command: List[Value] = field(default_factory=list)  # entrypoint + command tokens
    run: List[Value] = field(default_factory=list)  # Dockerfile RUN command text (all stages)
    copies: List[Value] = field(default_factory=list)  # Dockerfile COPY/ADD: value (instruction, [sources], flags)
    build_args: List[EnvVar] = field(default_factory=list)  # Dockerfile ARG declarations (all stages)
    extra: Dict[str, Any] = field(default_factory=dict)  # source-specific facts

    def env_value(self, name: str) -> Optional[EnvVar]:
        """The last definition of an environment variable (case-sensitive, as Docker treats them)."""
        found = None
        for var in self.env:
            if var.name == name:
                found = var
        return found


@dataclass
class Document:
    """A parsed source file: the resources it defines, plus what suppression and snippets need."""

    path: str  # display path
    kind: str
    resources: List[Resource]
    lines: Optional[List[str]] = None  # source lines (for snippets); None for live containers
    # A Compose project is one document built from several files (sources/project.py):
    files: Dict[str, List[str]] = field(default_factory=dict)  # other files its values come from: path -> lines
    owned: Tuple[str, ...] = ()  # of those, the ones scanned only here (their suppression comments are checked here)
    provenance: Dict[Location, str] = field(default_factory=dict)  # where an interpolated value came from


@dataclass(**_SLOTS)
class Hit:
    """What a rule yields; the engine adds the rule's metadata and the fingerprint."""

    loc: Location
    message: str
    key: str = ""  # what distinguishes this hit within its resource (a variable name, a key path)
    evidence: Optional[str] = None  # already redacted
    severity: Optional[str] = None  # overrides the rule's default when set


@dataclass(**_SLOTS)
class Suppression:
    kind: str  # inline | config | baseline
    justification: str


@dataclass(**_SLOTS)
class Finding:
    rule_id: str
    rule_name: str
    severity: str
    confidence: str
    message: str
    location: Location
    resource: str
    hipaa: Tuple[str, ...]
    fingerprint: str
    evidence: Optional[str] = None
    snippet: Optional[str] = None
    suppression: Optional[Suppression] = None

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def sort_key(self) -> Tuple[Any, ...]:
        loc = self.location
        return (loc.path, loc.line or 0, loc.column or 0, loc.key or "", self.rule_id, self.message)


@dataclass(frozen=True)
class ScanError:
    path: str
    message: str
    kind: str = "parse"  # parse | io | rule | usage | engine
    rule_id: Optional[str] = None


@dataclass
class Tally:
    """Counts over a result's findings, kept apart from them so that a report can be summed up without another
    pass over findings that were never all in memory (see parallel.py)."""

    total: int = 0
    suppressed: int = 0
    by_severity: Dict[str, int] = field(default_factory=lambda: {s: 0 for s in SEVERITIES})  # active only
    by_rule: Dict[str, int] = field(default_factory=dict)  # active only
    by_safeguard: Dict[str, Dict[str, int]] = field(default_factory=dict)  # citation -> severity -> active count
    rules_by_safeguard: Dict[str, set] = field(default_factory=dict)

    def add(self, f: Finding) -> None:
        self.total += 1
        if f.suppression is not None:
            self.suppressed += 1
            return
        self.by_severity[f.severity] += 1
        self.by_rule[f.rule_id] = self.by_rule.get(f.rule_id, 0) + 1
        for cite in f.hipaa:
            counts = self.by_safeguard.setdefault(cite, {s: 0 for s in SEVERITIES})
            counts[f.severity] += 1
            self.rules_by_safeguard.setdefault(cite, set()).add(f.rule_id)

    def merge(self, other: "Tally") -> None:
        self.total += other.total
        self.suppressed += other.suppressed
        for severity, count in other.by_severity.items():
            self.by_severity[severity] += count
        for rule, count in other.by_rule.items():
            self.by_rule[rule] = self.by_rule.get(rule, 0) + count
        for cite, counts in other.by_safeguard.items():
            mine = self.by_safeguard.setdefault(cite, {s: 0 for s in SEVERITIES})
            for severity, count in counts.items():
                mine[severity] += count
            self.rules_by_safeguard.setdefault(cite, set()).update(other.rules_by_safeguard.get(cite, ()))

    @property
    def active(self) -> int:
        return self.total - self.suppressed


@dataclass
class ScanResult:
    # A list, or (a large scan split across processes) a sequence that reads its findings back in order from the
    # workers' files each time it is iterated: iterate it, do not index it.
    findings: Sequence[Finding]
    errors: List[ScanError]
    files_scanned: int
    resources_scanned: int
    rules: List[Any]  # RuleMeta of the rules that ran
    notes: List[str] = field(default_factory=list)
    _tally: Optional[Tally] = field(default=None, repr=False, compare=False)

    def active(self) -> Iterable[Finding]:
        if isinstance(self.findings, list):
            return [f for f in self.findings if not f.suppressed]
        return (f for f in self.findings if not f.suppressed)

    def tally(self) -> Tally:
        if self._tally is None:
            self._tally = Tally()
            for f in self.findings:
                self._tally.add(f)
        return self._tally

    def exit_code(self, fail_on: str) -> int:
        if self.errors:
            return 2
        if fail_on == "never":
            return 0
        threshold = SEVERITY_RANK[fail_on]
        return 1 if any(count and SEVERITY_RANK[severity] >= threshold
                        for severity, count in self.tally().by_severity.items()) else 0
