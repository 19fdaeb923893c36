"""The common model: every source (Dockerfile, compose service, env file, container) becomes a Resource.

Rules ask a Resource the same questions whatever it came from; every answer carries the Location it was
read from. Nothing here imports a heavy library.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Protocol, Sequence, Set, Tuple

    class FindingStream(Protocol):
        """A result's findings: a list (one process), or `scan.stream.Spilled` (the workers' files, read back in
        report order). Sized and iterable as often as needed; never indexed."""

        def __len__(self) -> int: ...

        def __iter__(self) -> Iterator[Finding]: ...

try:  # CPython's built-in SHA-256: same digests as hashlib's, without loading OpenSSL at every start
    from _sha256 import sha256 as sha256  # Python <= 3.11 (`as`: re-exported)
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha2 import sha256 as sha256  # Python >= 3.12
    except ImportError:
        from hashlib import sha256 as sha256  # noqa: F401  (re-exported)

# A finding's element: the names of its path inside its resource (a key path, a variable name, an instruction, a
# port's normalised mapping), and its index among the findings of one rule and resource at that path.
Element = tuple[tuple[str, ...], int]

SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
CONFIDENCES = ("low", "medium", "high")


class Record:
    """Base of the model's plain records: fields are __slots__ (no per-instance dict: a large scan holds findings and
    locations by the hundred thousand), equality and repr go by those fields.

    The records are written out by hand rather than with @dataclass, which generates and compiles several methods
    per class at every start (and imports inspect): a pre-commit run pays for that on every commit
    (docs/performance.md has the figures)."""

    __slots__: Tuple[str, ...] = ()
    # Mutable records are not hashable: defining __eq__ without __hash__ sets __hash__ to None for this class and
    # its subclasses. Location and FrozenRecord below are the hashable ones.

    def _fields(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.__slots__) + ")"


class Location(Record):
    """Where a value was written: a file position, or a container plus an inspect key path. Treated as immutable
    (it is hashed: documents map locations to the provenance of interpolated values)."""

    __slots__ = ("path", "line", "column", "key")

    def __init__(self, path: str, line: Optional[int] = None, column: Optional[int] = None,
                 key: Optional[str] = None) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.key = key  # logical key path, e.g. services.redis.ports[0] or HostConfig.Privileged

    def __hash__(self) -> int:
        return hash((self.path, self.line, self.column, self.key))

    def as_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"path": self.path}
        if self.line is not None:
            out["line"] = self.line
        if self.column is not None:
            out["column"] = self.column
        if self.key is not None:
            out["key"] = self.key
        return out


class Value(Record):
    """A scalar (or small structure) and where it came from."""

    __slots__ = ("value", "loc")

    def __init__(self, value: Any, loc: Location) -> None:
        self.value = value
        self.loc = loc


class EnvVar(Record):
    __slots__ = ("name", "value", "loc", "origin", "span")

    def __init__(self, name: str, value: Optional[str], loc: Location, origin: str = "environment",
                 span: Optional[Tuple[int, int, int, int]] = None) -> None:
        self.name = name
        self.value = value  # None: declared without a value (inherited from the environment)
        self.loc = loc
        self.origin = origin  # environment | ENV | ARG | env_file | container
        # Where the value's text is written, when known (env files): (first line, first column, last line, column
        # just after its last character), 1-based; inside the quotes of a quoted value.
        self.span = span


class Written(Record):
    """Free text written where a credential may sit (a RUN command, a label, a healthcheck test, a logging option,
    an `x-` block's scalar, inline config content), for the rules that look for credentials in text.

    `place` says where in words (`RUN`, `label`, `healthcheck test`); `name` is the key the value is written under
    (a label's or option's key), if any; `baked` is True when the text ships inside an image (image history or
    config), which HS405 reports; `lines` are the physical lines the text was written on, as (number, text) pairs,
    so that a credential in a continued or multi-line text is placed on its own line. Resources keep them in
    `written`."""

    __slots__ = ("place", "name", "value", "loc", "baked", "lines")

    def __init__(self, place: str, name: Optional[str], value: str, loc: Location, baked: bool = False,
                 lines: Optional[Sequence[Tuple[Optional[int], str]]] = None) -> None:
        self.place = place
        self.name = name
        self.value = value
        self.loc = loc
        self.baked = baked
        self.lines = lines


class Port(Record):
    __slots__ = ("container_port", "host_ip", "host_port", "protocol", "loc", "published")

    def __init__(self, container_port: Optional[int], host_ip: Optional[str], host_port: Optional[str],
                 protocol: str, loc: Location, published: bool = True) -> None:
        self.container_port = container_port
        self.host_ip = host_ip  # None or "" means every interface
        self.host_port = host_port
        self.protocol = protocol
        self.loc = loc
        self.published = published  # False for expose-only ports

    @property
    def mapping(self) -> str:
        """The mapping normalised as `host_ip:host_port->container_port/proto`, whatever the syntax it was written
        in: what tells two publications of one port apart (fingerprints)."""
        host_ip = (self.host_ip or "0.0.0.0").strip("[]")
        return f"{host_ip}:{self.host_port or ''}->{self.container_port}/{self.protocol}"

    @property
    def on_all_interfaces(self) -> bool:
        return self.published and (self.host_ip or "").strip("[]") in ("", "0.0.0.0", "::")


class Mount(Record):
    __slots__ = ("source", "target", "type", "read_only", "loc")

    def __init__(self, source: Optional[str], target: Optional[str], type: str, read_only: bool,
                 loc: Location) -> None:
        self.source = source
        self.target = target
        self.type = type  # bind | volume | tmpfs | npipe
        self.read_only = read_only
        self.loc = loc


class Topology(Record):
    """A Compose file's or project's networks, shared by its services: who is on which network, who publishes a
    port beyond loopback, and which networks are `internal: true` (no route out, no published port)."""

    __slots__ = ("members", "publishing", "internal", "external")

    def __init__(self) -> None:
        self.members: Dict[str, List[str]] = {}  # network -> the services on it, in file order
        self.publishing: Dict[str, str] = {}  # service -> its first port published beyond loopback (`8080:80`)
        self.internal: Set[str] = set()
        self.external: Set[str] = set()  # `external: true`: made elsewhere, whether internal is not known here


class Resource(Record):
    """One thing that runs (or ships): a Dockerfile's final stage, a compose service, an env file, a container.

    Settings not found anywhere are None (single values) or empty (lists, dicts). Below the settings every kind
    shares come the facts only some sources know (see "Source facts" in docs/architecture.md): typed fields, so
    that a misspelt one is an error for mypy and at run time (the class has __slots__), not a silent None."""

    __slots__ = ("kind", "name", "label", "path", "anchor", "user", "privileged", "read_only", "cap_add",
                 "cap_drop", "security_opt", "namespaces", "mounts", "ports", "env", "image", "base_images", "builds",
                 "healthcheck", "logging_driver", "limits", "command", "run", "copies", "build_args",
                 # facts of several kinds
                 "written", "stage_env", "one_shot", "env_file", "example", "runtime_env",
                 # a Dockerfile's final stage (and the image a compose service builds)
                 "stages", "base_image", "entrypoint", "cmd", "env_written", "stage_lookup",
                 # the image a compose service builds
                 "service", "built", "overrides", "replaced",
                 # a compose service
                 "build", "logging_options", "interpolated", "elsewhere", "networks", "topology", "unused_secrets",
                 # a container
                 "container_id", "state", "running", "image_id", "engine_label_disable",
                 # an engine
                 "security_options_known", "connection", "registry", "server_version", "api_version", "os")

    def __init__(self, kind: str, name: str, label: str, path: str, anchor: Location, *,
                 user: Optional[Value] = None, privileged: Optional[Value] = None,
                 read_only: Optional[Value] = None, cap_add: Optional[List[Value]] = None,
                 security_opt: Optional[List[Value]] = None, namespaces: Optional[Dict[str, Value]] = None,
                 mounts: Optional[List[Mount]] = None, ports: Optional[List[Port]] = None,
                 env: Optional[List[EnvVar]] = None, image: Optional[Value] = None,
                 base_images: Optional[List[Value]] = None, builds: bool = False,
                 healthcheck: Optional[Value] = None, logging_driver: Optional[Value] = None,
                 limits: Optional[Dict[str, Value]] = None, command: Optional[List[Value]] = None,
                 run: Optional[List[Value]] = None, copies: Optional[List[Value]] = None,
                 build_args: Optional[List[EnvVar]] = None, cap_drop: Optional[List[Value]] = None) -> None:
        self.kind = kind  # a SourceKind (sources/kinds.py), whose values are plain strings
        self.name = name  # stable identifier: stage:<name>, service:<name>, env:<file>, container:<name>, engine:<host>
        self.label = label  # for messages: 'service "redis"'
        self.path = path  # display path of the document, or container://<name>
        self.anchor = anchor  # where findings about something missing point
        self.user = user
        self.privileged = privileged
        self.read_only = read_only
        self.cap_add = [] if cap_add is None else cap_add
        self.cap_drop = [] if cap_drop is None else cap_drop
        self.security_opt = [] if security_opt is None else security_opt
        self.namespaces = {} if namespaces is None else namespaces  # network/pid/ipc/uts/userns -> mode
        self.mounts = [] if mounts is None else mounts
        self.ports = [] if ports is None else ports
        self.env = [] if env is None else env
        self.image = image  # the image this runs (compose image:, container image)
        self.base_images = [] if base_images is None else base_images  # Dockerfile FROM references, ARGs resolved
        self.builds = builds  # compose service with build: (its image: names the build output)
        self.healthcheck = healthcheck  # value True: defined; False: explicitly disabled; None: absent
        self.logging_driver = logging_driver
        self.limits = {} if limits is None else limits  # memory, cpus, pids
        self.command = [] if command is None else command  # entrypoint + command tokens
        self.run = [] if run is None else run  # Dockerfile RUN command text (all stages)
        self.copies = [] if copies is None else copies  # Dockerfile COPY/ADD: value (instruction, [sources], flags, destination)
        self.build_args = [] if build_args is None else build_args  # Dockerfile ARG declarations (all stages)

        # Facts of several kinds.
        # Text where a credential may sit (RUN, labels, healthcheck tests, x- blocks, container labels...)
        self.written: List[Written] = []
        # ENV written in a Dockerfile but not the container's environment (a stage that does not ship, or a
        # variable the compose service sets over it): still written in the file, so still a plaintext secret
        self.stage_env: List[EnvVar] = []
        # A job run to completion (jobs.py), needing no health check: (why, where)
        self.one_shot: Optional[Tuple[str, Location]] = None
        # The service reads an env file that could not be read: variables we cannot see, rules stay cautious
        self.env_file = False
        self.example = False  # read from an example or template file (`.env.example`, `*.sample`)
        # A compose service's container environment: the built image's ENV under what compose sets
        self.runtime_env: Optional[List[EnvVar]] = None

        # A Dockerfile's final stage (and the image a compose service builds).
        self.stages: Optional[List[Any]] = None  # sources.dockerfile.Stage, up to the one that ships
        self.base_image: Optional[str] = None  # the final stage's FROM, when not another stage
        self.entrypoint: List[Value] = []  # ENTRYPOINT tokens (command is entrypoint + cmd)
        self.cmd: List[Value] = []  # CMD tokens
        self.env_written: Dict[Location, Optional[str]] = {}  # each ENV value as written, before substitution
        self.stage_lookup: Optional[Tuple[Any, List[int], Set[int]]] = None  # rules.base's cache: stages' lines, ancestors

        # The image a compose service builds.
        self.service: Optional[str] = None  # the service's name
        self.built: Optional[str] = None  # what it is built from, as messages name it (`Dockerfile, target x`)
        self.overrides: Dict[str, Location] = {}  # rule id -> the compose line that decides it for the image
        # (path, line) of a Dockerfile line the service overrides -> the compose line that does
        self.replaced: Dict[Tuple[str, Optional[int]], Location] = {}

        # A compose service.
        self.build: Any = None  # its `build:` as written
        self.logging_options: Any = None  # its `logging.options` (a container's LogConfig.Config), with its driver
        self.interpolated: List[EnvVar] = []  # the project's interpolation variables (on the first service only)
        self.elsewhere: FrozenSet[str] = frozenset()  # secret values HS401 reports where an env file writes them
        # the networks the service joins, each at the line naming it (`default` at the service's key when it names
        # none); empty when `network_mode` decides instead
        self.networks: List[Value] = []
        self.topology: Optional[Topology] = None  # the project's networks, shared by all its services (HS114)
        self.unused_secrets: List[Value] = []  # top-level `secrets:` no service uses (on the first service only)

        # A container.
        self.container_id = ""
        self.state = ""  # created | running | exited ...
        self.running = False
        self.image_id = ""
        self.engine_label_disable = False  # `label=disable` that the engine itself added, not the user

        # An engine.
        self.security_options_known = False  # the engine told its SecurityOptions
        self.connection: Optional[Dict[str, Any]] = None  # how the scanner reached it: host, scheme, tls (HS504)
        self.registry: Optional[Dict[str, Any]] = None  # its RegistryConfig
        self.server_version: Optional[str] = None
        self.api_version: Optional[str] = None
        self.os: Optional[str] = None

    def env_value(self, name: str) -> Optional[EnvVar]:
        """The last definition of an environment variable (case-sensitive, as Docker treats them)."""
        found = None
        for var in self.env:
            if var.name == name:
                found = var
        return found


class Document(Record):
    """A parsed source file: the resources it defines, plus what suppression and snippets need."""

    __slots__ = ("path", "kind", "resources", "lines", "files", "owned", "provenance", "errors", "regions")

    def __init__(self, path: str, kind: str, resources: List[Resource], lines: Optional[List[str]] = None,
                 files: Optional[Dict[str, List[str]]] = None, owned: Tuple[str, ...] = (),
                 provenance: Optional[Dict[Location, str]] = None,
                 regions: Optional[Dict[str, Any]] = None) -> None:
        self.path = path  # display path
        self.kind = kind
        self.resources = resources
        self.lines = lines  # source lines (for snippets); None for live containers
        # A Compose project is one document built from several files (sources/project.py):
        self.files = {} if files is None else files  # other files its values come from: path -> lines
        self.owned = owned  # of those, the ones scanned only here (their suppression comments are checked here)
        self.provenance = {} if provenance is None else provenance  # where an interpolated value came from
        # Parts of the file that could not be parsed, one message each (`line 3: expected NAME=value`): the rest was
        # read, and each becomes a scan error
        self.errors: List[str] = []
        # Where sensitive values are written, for snippets: path -> line -> [(start, end)] columns (redact.py)
        self.regions = {} if regions is None else regions


class Hit(Record):
    """What a rule yields; the engine adds the rule's metadata and the fingerprint."""

    __slots__ = ("loc", "message", "key", "evidence", "severity", "hipaa", "element")

    def __init__(self, loc: Location, message: str, key: str = "", evidence: Optional[str] = None,
                 severity: Optional[str] = None, hipaa: Optional[Tuple[str, ...]] = None,
                 element: Optional[Tuple[str, ...]] = None) -> None:
        self.loc = loc
        self.message = message
        self.key = key  # what distinguishes this hit within its resource (a variable name, a key path)
        self.evidence = evidence  # already redacted
        self.severity = severity  # overrides the rule's default when set
        # the citations this hit relates to, when only some of the rule's apply (HS201 cites the six-year
        # documentation retention only below six years); a subset of the rule's, in its order
        self.hipaa = hipaa
        # the exact element the hit is about, as a path of names (a port's normalised mapping); None: the engine
        # derives it from the location's key path and `key` (scan/pipeline.py, `element_of`)
        self.element = element


class Suppression(Record):
    __slots__ = ("kind", "justification")

    def __init__(self, kind: str, justification: str) -> None:
        self.kind = kind  # inline | config | baseline
        self.justification = justification


class Finding(Record):
    __slots__ = ("rule_id", "rule_name", "severity", "confidence", "message", "location", "resource", "hipaa",
                 "fingerprint", "evidence", "snippet", "suppression", "element")

    def __init__(self, rule_id: str, rule_name: str, severity: str, confidence: str, message: str,
                 location: Location, resource: str, hipaa: Tuple[str, ...], fingerprint: str,
                 evidence: Optional[str] = None, snippet: Optional[str] = None,
                 suppression: Optional[Suppression] = None, element: Optional[Element] = None) -> None:
        self.rule_id = rule_id
        self.rule_name = rule_name
        self.severity = severity
        self.confidence = confidence
        self.message = message
        self.location = location
        self.resource = resource
        self.hipaa = hipaa
        self.fingerprint = fingerprint
        self.evidence = evidence
        self.snippet = snippet
        self.suppression = suppression
        # which element of its resource it is about: (key path, index among the hits of one rule on one resource
        # with that path, in source order); the fingerprint hashes it, never a line number (scan/pipeline.py)
        self.element = element

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def sort_key(self) -> Tuple[Any, ...]:
        loc = self.location
        return (loc.path, loc.line or 0, loc.column or 0, loc.key or "", self.rule_id, self.message)


class FrozenRecord(Record):
    """A record that is never changed once made: hashable by its fields."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._fields())


class ScanError(FrozenRecord):
    __slots__ = ("path", "message", "kind", "rule_id")

    def __init__(self, path: str, message: str, kind: str = "parse", rule_id: Optional[str] = None) -> None:
        self.path = path
        self.message = message
        self.kind = kind  # parse | io | rule | engine | suppression | internal (an unexpected exception: a bug)
        self.rule_id = rule_id


class Tally(Record):
    """Counts over a result's findings, kept apart from them so that a report can be summed up without another
    pass over findings that were never all in memory (see scan/forked.py)."""

    __slots__ = ("total", "suppressed", "by_severity", "by_rule", "by_safeguard", "rules_by_safeguard",
                 "by_safeguard_rule", "suppressed_by_rule")

    def __init__(self) -> None:
        self.total = 0
        self.suppressed = 0
        self.by_severity: Dict[str, int] = {s: 0 for s in SEVERITIES}  # active only
        self.by_rule: Dict[str, int] = {}  # active only
        self.by_safeguard: Dict[str, Dict[str, int]] = {}  # citation -> severity -> active count
        self.rules_by_safeguard: Dict[str, Set[str]] = {}
        self.by_safeguard_rule: Dict[str, Dict[str, int]] = {}  # citation -> rule id -> active count
        self.suppressed_by_rule: Dict[str, int] = {}  # rule id -> suppressed count

    def add(self, f: Finding) -> None:
        self.add_all((f,))

    def add_all(self, findings: Iterable[Finding]) -> None:
        """Count the findings: grouped first by rule, severity and safeguards (a few dozen groups per thousand
        findings), then each group counted where it belongs."""
        groups: Dict[Tuple[str, str, Tuple[str, ...]], int] = {}
        total = suppressed = 0
        for f in findings:
            total += 1
            if f.suppression is not None:
                suppressed += 1
                self.suppressed_by_rule[f.rule_id] = self.suppressed_by_rule.get(f.rule_id, 0) + 1
                continue
            key = (f.rule_id, f.severity, f.hipaa)
            groups[key] = groups.get(key, 0) + 1
        self.total += total
        self.suppressed += suppressed
        for (rule_id, severity, hipaa), count in groups.items():
            self.by_severity[severity] += count
            self.by_rule[rule_id] = self.by_rule.get(rule_id, 0) + count
            for cite in hipaa:
                counts = self.by_safeguard.get(cite)
                if counts is None:
                    counts = self.by_safeguard[cite] = {s: 0 for s in SEVERITIES}
                    self.rules_by_safeguard[cite] = set()
                counts[severity] += count
                self.rules_by_safeguard[cite].add(rule_id)
                per_rule = self.by_safeguard_rule.setdefault(cite, {})
                per_rule[rule_id] = per_rule.get(rule_id, 0) + count

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
        for cite, per in other.by_safeguard_rule.items():
            mine_rules = self.by_safeguard_rule.setdefault(cite, {})
            for rule, count in per.items():
                mine_rules[rule] = mine_rules.get(rule, 0) + count
        for rule, count in other.suppressed_by_rule.items():
            self.suppressed_by_rule[rule] = self.suppressed_by_rule.get(rule, 0) + count

    @property
    def active(self) -> int:
        return self.total - self.suppressed


class ScanResult:
    def __init__(self, findings: FindingStream, errors: List[ScanError], files_scanned: int,
                 resources_scanned: int, rules: List[Any], notes: Optional[Iterable[str]] = None,
                 _tally: Optional[Tally] = None) -> None:
        self.findings = findings  # a list, or the workers' files read back (FindingStream): iterate, never index
        self.errors = errors
        self.files_scanned = files_scanned
        self.resources_scanned = resources_scanned
        self.rules = rules  # RuleMeta of the rules that ran
        self.notes = [] if notes is None else notes
        self._tally = _tally
        # how the run was made (a runrecord.RunRecord, which imports this module), set by the command that ran it;
        # None for a library caller
        self.record: Any = None
        # a path scan's scope: the files the walk chose to scan by kind (as named: `yaml` is a YAML file read as
        # Compose if its content is), and what it left out by reason (runrecord.SKIP_REASONS)
        self.files_by_kind: Dict[str, int] = {}
        self.skipped: Dict[str, int] = {}
        # the kinds of source the scan read resources of (None: not known); a rule that reads none of them assessed
        # nothing (controls.py: not applicable)
        self.kinds_scanned: Optional[List[str]] = None

    def active(self) -> Iterable[Finding]:
        if isinstance(self.findings, list):
            return [f for f in self.findings if not f.suppressed]
        return (f for f in self.findings if not f.suppressed)

    def tally(self) -> Tally:
        if self._tally is None:
            self._tally = Tally()
            self._tally.add_all(self.findings)
        return self._tally

    def exit_code(self, fail_on: str) -> int:
        if self.errors:
            return 2
        if fail_on == "never":
            return 0
        threshold = SEVERITY_RANK[fail_on]
        return 1 if any(count and SEVERITY_RANK[severity] >= threshold
                        for severity, count in self.tally().by_severity.items()) else 0
