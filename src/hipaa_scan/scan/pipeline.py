"""The scan's pipeline, in one direction: targets -> parse -> rules -> scrub -> fingerprint -> reconcile.

Pure: it reads the files it is given and returns findings, errors and notes; it knows nothing of walking, of
processes or of reports (scan/serial.py and scan/forked.py run it; engine.py chooses which). A file that cannot be
read or parsed becomes a ScanError and the scan goes on; so does a rule that raises. Every string a finding
carries, and every note and error, passes through the redaction layer (redact.py), so no secret value the scan has
seen can leave.

A Compose project's findings meet those of the files scanned on their own in `reconcile`:

- A project finding that repeats one of its Dockerfiles' or env files' (same rule, file and line) is dropped: one
  finding, one place. A finding both variants of a project make (same rule, place and service) is reported once.
- A finding in a Dockerfile that no image built by the project reproduces (compose sets `user:`, a
  healthcheck, the variable or the command, or its build args or target change the verdict) is not what the
  project runs: it is kept, marked suppressed (kind `project`) with the line that overrides it.
"""

from __future__ import annotations

import os
from operator import itemgetter

from hipaa_scan import baseline, redact
from hipaa_scan.budgets import BudgetExceeded
from hipaa_scan.model import Document, Finding, Resource, ScanError, ScanResult, Suppression, sha256
from hipaa_scan.rules.base import Rule, RuleContext, RuleMeta
from hipaa_scan.scan.options import ScanOptions
from hipaa_scan.secrets import classify_sensitive, secret_arguments
from hipaa_scan.suppress import apply_inline, apply_path_ignores

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

    from hipaa_scan.discover import Target
    from hipaa_scan.model import Element, Hit, Location
    from hipaa_scan.sources.projectstate import Project


def parse_target(path: str, display: str, kind: Optional[str], max_bytes: int,
                 text: Optional[str] = None) -> Optional[Document]:
    """Parse one file (or its `text`, already read) into a Document; None when it is not a kind we scan. Raises
    ParseFailure."""
    from hipaa_scan.discover import ReadError, is_example_file, read_text

    try:
        text = read_text(path, max_bytes) if text is None else text
    except ReadError as exc:
        raise ParseFailure(str(exc), "io") from None
    try:
        return parse_text(text, display, kind, example=is_example_file(display))
    except ParseFailure:
        raise
    except BudgetExceeded as exc:  # a bound on the work one file may cause (budgets.py), named in the message
        raise ParseFailure(str(exc)) from None
    except RecursionError:
        raise ParseFailure("nesting too deep to parse") from None
    except Exception as exc:  # a parser bug must not end the scan; say what failed without quoting content
        # kind "internal": not one of the parsers' named errors, so a bug to fix (the fuzz tests fail on it)
        raise ParseFailure(f"could not be parsed ({type(exc).__name__})", "internal") from None


class ParseFailure(Exception):
    def __init__(self, message: str, kind: str = "parse") -> None:
        super().__init__(message)
        self.kind = kind


def parse_text(text: str, display: str, kind: Optional[str], example: bool = False) -> Optional[Document]:
    # Each kind imports only its own parser (sources/registry.py): a scan of Dockerfiles never loads the YAML library.
    from hipaa_scan.sources import registry

    try:
        doc = registry.parse(text, display, kind)
    except registry.SourceError as exc:
        raise ParseFailure(str(exc)) from None
    if doc is not None and example:
        for res in doc.resources:
            res.example = True
    return doc


def fingerprint(rule_id: str, path: str, resource: str, element: Element) -> str:
    """A finding's identity: rule, document, resource and element (key path and index), never a line number, never
    a value (`element_of` redacts a key that can hold one). Moving lines keeps it; a second element changes it."""
    names, index = element
    raw = "\x1f".join((rule_id, path, resource, "\x1e".join(names), str(index)))
    # surrogateescape: a file name that is not UTF-8 is hashed as its own bytes (not a failure of every rule)
    digest: str = sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()
    return digest[:32]


class Runner:
    """Runs rules over resources and turns their hits into findings."""

    def __init__(self, rules: List[Rule], options: ScanOptions) -> None:
        self.rules = rules
        self.options = options
        self.errors: List[ScanError] = []
        self.notes: List[str] = []  # warnings for the result, such as unset Compose variables
        # The rules (with their contexts: options and datastores) that apply to each kind of resource, in rule order.
        self.by_kind: Dict[str, List[Tuple[Rule, RuleContext]]] = {}
        for rule in rules:
            context = RuleContext({**rule.meta.option_defaults(), **options.rule_options.get(rule.meta.id, {})},
                                  options.datastores, self.note)
            for kind in rule.meta.sources:
                self.by_kind.setdefault(kind, []).append((rule, context))

    def note(self, text: str) -> None:
        """A rule's note for the result (RuleContext.note): read through `self`, since a forked worker starts its
        part with a new list."""
        self.notes.append(text)

    def run(self, doc: Document) -> List[Finding]:
        findings: List[Finding] = []
        # one finding per element written in the source: a line that several services share (a YAML anchor or merge
        # key, a Dockerfile two services build) is reported once, for the first resource that reaches it
        written: Set[Tuple[str, str, int, str]] = set()
        for res in doc.resources:
            for rule, context in self.by_kind.get(res.kind, ()):
                try:
                    for hit in rule.check(res, context):
                        if hit.loc.line:
                            element = (rule.meta.id, hit.loc.path, hit.loc.line, hit.key)
                            if element in written:
                                continue
                            written.add(element)
                        findings.append(self._finding(rule, res, doc, hit))
                except Exception as exc:  # one broken rule is reported, the others go on
                    self.errors.append(ScanError(doc.path, f"rule {rule.meta.id} failed on {res.name}: "
                                                           f"{type(exc).__name__}", "rule", rule.meta.id))
        identify(findings, doc.path)
        dirs = self.options.rules_dirs
        self.errors.extend(apply_inline(doc, findings, self.options.strict, dirs))
        for path, lines in doc.files.items():  # a Compose project's other files: their comments count too
            problems = apply_inline(Document(path, doc.kind, [], lines), findings, self.options.strict, dirs)
            self.errors.extend(problems if path in doc.owned else ())
        return scrubbed(findings, doc)

    def finish(self, findings: List[Finding], errors: List[ScanError], files: int, resources: int) -> ScanResult:
        """Apply config and baseline suppressions, then order and deduplicate."""
        matched, expired = self.suppress(findings)
        return finish(findings, errors + self.errors, files, resources, self.rules,
                      self.result_notes(self.notes, matched, expired), self.options.severity_overrides)

    def metas(self) -> List[RuleMeta]:
        """The rules that ran, as the result describes them: at the severity the configuration gives each (so
        SARIF's level and security-severity follow an override)."""
        return effective(self.rules, self.options.severity_overrides)

    def result_notes(self, notes: Iterable[str], matched: Set[str], expired: Set[str]) -> List[str]:
        """The result's notes: warnings gathered while scanning, then what the baseline says of its entries."""
        out = sorted({redact.text(note) for note in notes})
        if self.options.baseline is not None:
            out += baseline.notes(self.options.baseline, self.options.baseline_path, matched, expired,
                                  {rule.meta.id for rule in self.rules})
        return out

    def suppress(self, findings: List[Finding]) -> Tuple[Set[str], Set[str]]:
        """Configuration and baseline suppressions; the baseline fingerprints matched, and those expired."""
        apply_path_ignores(findings, self.options.per_path_ignores)
        if self.options.baseline is None:
            return set(), set()
        return baseline.mark(self.options.baseline, findings, self.options.baseline_path)

    def _finding(self, rule: Rule, res: Resource, doc: Document, hit: Hit) -> Finding:
        m = rule.meta
        severity = self.options.severity_overrides.get(m.id) or hit.severity or m.severity
        snippet = None
        lines = doc.lines if hit.loc.path == doc.path else doc.files.get(hit.loc.path)
        if lines is not None and hit.loc.line and 0 < hit.loc.line <= len(lines):
            snippet = lines[hit.loc.line - 1]  # as written: redaction masks by column, then strips and cuts
        # an interpolated value: which variable, supplied by which file
        origin = doc.provenance.get(hit.loc) if doc.provenance else None
        message = f"{hit.message} ({origin})" if origin else hit.message
        hipaa = m.hipaa if hit.hipaa is None else tuple(c for c in m.hipaa if c in hit.hipaa)
        names = hit.element if hit.element is not None else element_of(hit)
        return Finding(m.id, m.name, severity, m.confidence, message, hit.loc, res.name, hipaa, "", hit.evidence,
                       snippet, element=(names, 0))


def element_of(hit: Hit) -> Tuple[str, ...]:
    """The element a hit is about, when its rule does not name it: the key path of the value it points at (a YAML
    key path such as `services.redis.ports[0]`, a Dockerfile instruction `ENV.NAME`, an inspect key path), then the
    rule's key within it (a variable name, a matched text), redacted."""
    names = [hit.loc.key] if hit.loc.key else []
    if hit.key and hit.key != hit.loc.key:
        names.append(_identity(hit.key))
    return tuple(names)


def identify(findings: List[Finding], path: str) -> None:
    """Number the findings of one document that share rule, resource and element path in source order (three
    RUN lines with `curl -k` are elements 0, 1 and 2), then fingerprint each. The order is by position, but no
    position enters the fingerprint: lines inserted above leave every fingerprint as it was."""
    counts: Dict[Tuple[str, str, Tuple[str, ...]], int] = {}
    for f in sorted(findings, key=_position):
        names = f.element[0] if f.element is not None else ()
        group = (f.rule_id, f.resource, names)
        index = counts.get(group, 0)
        counts[group] = index + 1
        f.element = (names, index)
        f.fingerprint = fingerprint(f.rule_id, path, f.resource, f.element)


def _position(f: Finding) -> Tuple[str, int, int]:
    loc = f.location
    return (loc.path, loc.line or 0, loc.column or 0)


def _identity(key: str) -> str:
    """A hit's key as its fingerprint hashes it: redacted, so that a fingerprint cannot confirm a guessed credential
    (a RUN command's key holds the command). Only a key with a value in it can hold one (`env:NAME` cannot)."""
    return redact.text(key) if (" " in key or "=" in key or "@" in key) else key


def resource_secrets(res: Resource) -> List[str]:
    """Values of a resource that output must never show, vendor defaults left out: those are public words
    (`postgres`) that also name images, services and paths, and the written span of such a value masks it where it
    is set (secrets.classify_sensitive)."""
    variables = list(res.env) + list(res.build_args) + list(res.interpolated) + list(res.stage_env)
    _every, not_defaults = classify_sensitive((v.name, v.value) for v in variables)
    if res.command:
        not_defaults.extend(value for _i, _flag, value in secret_arguments([str(t.value) for t in res.command]))
    return not_defaults


def document_redactor(doc: Document) -> redact.Redactor:
    """The redaction layer for one document: its sensitive values, and where they are written."""
    not_defaults = [value for res in doc.resources for value in resource_secrets(res)]
    # Messages never quote values; they are redacted too, but not of vendor defaults or of words that also name a
    # resource (a password `gitea` on service `gitea`): masking those would only garble the message.
    # Snippets and evidence are masked where each value is written (regions) and in every credential context; the
    # search for known values elsewhere on a line leaves out vendor defaults and resource names too: they are public
    # words (`postgres`) that also name images, services and paths.
    names = {res.name.split(":", 1)[-1] for res in doc.resources}
    masked = [value for value in not_defaults if value not in names]
    return redact.Redactor(masked, masked, doc.regions)


def scrubbed(findings: List[Finding], doc: Document) -> List[Finding]:
    """Every string the findings carry, through the document's redaction layer: snippets masked by the written
    spans of sensitive values, then credential contexts, known values and random tokens; cut only after masking."""
    if not findings:
        return findings
    layer = document_redactor(doc)
    for f in findings:
        f.message = layer.message(f.message) or ""
        f.evidence = layer.evidence(f.evidence)
        if f.snippet:
            f.snippet = layer.snippet(f.location.path, f.location.line, f.snippet)
        if f.suppression is not None:  # an inline suppression's reason is text from the file
            f.suppression.justification = layer.evidence(f.suppression.justification) or ""
    return findings


def finish(findings: List[Finding], errors: List[ScanError], files: int, resources: int, rules: List[Rule],
           notes: Optional[List[str]] = None, overrides: Optional[Dict[str, str]] = None) -> ScanResult:
    return ScanResult(ordered(findings), ordered_errors(errors), files, resources, effective(rules, overrides),
                      notes or [])


def effective(rules: Sequence[Rule], overrides: Optional[Dict[str, str]]) -> List[RuleMeta]:
    """The rules' metadata with the configuration's severity overrides applied."""
    if not overrides:
        return [r.meta for r in rules]
    return [r.meta.replace(severity=overrides[r.meta.id]) if r.meta.id in overrides else r.meta for r in rules]


def ordered(findings: Iterable[Finding]) -> List[Finding]:
    """Findings without duplicates, in report order (file, line, column, key, rule, message)."""
    return [f for _key, f in keyed(findings)]


def keyed(findings: Iterable[Finding]) -> List[Tuple[Tuple[Any, ...], Finding]]:
    """ordered(), each finding with its sort key."""
    unique: Dict[Tuple[Any, ...], Finding] = {}
    for f in findings:
        loc = f.location
        unique.setdefault((f.rule_id, loc.path, loc.line, loc.column, loc.key, f.fingerprint, f.message), f)
    return sorted(((f.sort_key(), f) for f in unique.values()), key=itemgetter(0))


def ordered_errors(errors: Iterable[ScanError]) -> List[ScanError]:
    """Errors each once, in path order, their paths and messages through the redaction layer (a path or URL may
    carry credentials)."""
    return sorted({ScanError(redact.text(e.path), redact.text(e.message), e.kind, e.rule_id) for e in errors},
                  key=lambda e: (e.path, e.message))


def scan_targets(targets: List[Target], paths: List[str], options: ScanOptions, texts: Dict[str, str],
                 runner: Runner) -> Tuple[List[Finding], List[ScanError], Set[str], int, Set[str]]:
    """Scan these targets: Compose projects first, then the remaining files one by one. Returns (findings, errors,
    display paths scanned, resource count, absolute paths the projects read)."""
    errors: List[ScanError] = []
    project_errors: List[ScanError] = []
    projects, targets = _load_projects(targets, paths, options, texts, runner, project_errors)
    findings: List[Finding] = []
    scanned: Set[str] = set()
    resources = 0
    for target in targets:
        try:
            doc = parse_target(target.path, target.display, target.kind, options.max_file_bytes,
                               texts.get(os.path.abspath(target.path)))
        except ParseFailure as exc:
            errors.append(ScanError(target.display, str(exc), exc.kind))
            continue
        if doc is None:
            continue
        errors.extend(ScanError(target.display, message, "parse") for message in doc.errors)
        scanned.add(doc.path)
        resources += len(doc.resources)
        findings.extend(runner.run(doc))
    read: Set[str] = set()
    if projects:
        for project, _findings in projects:
            scanned.update(project.read)
            read.update(project.read.values())
            resources += project.resources
        findings = reconcile(findings, projects)
    reported = {e.path for e in errors}  # a file that failed on its own too is reported once, in its own words
    errors.extend(e for e in project_errors if e.path not in reported)
    return findings, errors, scanned, resources, read


def _load_projects(targets: List[Target], paths: List[str], options: ScanOptions, texts: Dict[str, str],
                   runner: Runner, errors: List[ScanError]) -> Tuple[List[Tuple[Project, List[Finding]]], List[Target]]:
    """The Compose projects among the targets (or the -f files), loaded as Compose would, and the targets still to
    scan on their own. A project that cannot be loaded is an error, and its files are then scanned one by one."""
    if not options.compose_files and not any(t.kind == "compose" or os.path.basename(t.path) == ".env"
                                             for t in targets):
        return [], targets  # the fast path: no Compose project, no extra work
    from hipaa_scan.scan.plan import plan

    specs = plan(targets, paths, options, texts)
    if not specs:
        return [], targets  # files named one by one (pre-commit's case): sources.project is not even imported
    from hipaa_scan.discover import Target, display_path
    from hipaa_scan.sources.project import load_project

    loaded, consumed, owned = [], set(), set()
    for spec in specs:
        if os.path.abspath(spec.primary or spec.files[0]) in consumed:
            continue  # included by a project already loaded
        project = load_project(spec, options.max_file_bytes, texts)
        layer = document_redactor(project.doc) if project.doc is not None and project.notes else None
        # a note may name a path or URL built from a secret (`env_file: ${DB_PASSWORD}.env`)
        runner.notes.extend(layer.message(note) if layer else note for note in project.notes)
        errors.extend(project.errors)
        if project.doc is None:
            if options.compose_files:
                targets = targets + [Target(f, display_path(f), "compose") for f in spec.files]
            continue
        consumed |= project.consumed
        project.doc.owned = tuple(p for p in project.doc.owned if p not in owned)  # checked by one project only
        owned |= {project.doc.path, *project.doc.owned}
        # Judged now, then only what reconciliation needs is kept: the projects of a large tree are never all
        # held in memory at once.
        found = runner.run(project.doc)
        project.resources = len(project.doc.resources)
        project.doc = Document(project.doc.path, project.doc.kind, [])
        loaded.append((project, found))
    remaining = [t for t in targets if os.path.abspath(t.path) not in consumed]
    if options.compose_files:  # with -f, the project's Dockerfiles and env files are scanned on their own too
        have = {os.path.realpath(t.path) for t in remaining}
        for project, _findings in loaded:
            for path, kind in project.aux:
                if os.path.realpath(path) not in have:
                    have.add(os.path.realpath(path))
                    remaining.append(Target(path, display_path(path), kind))
    return loaded, remaining


def reconcile(standalone: List[Finding], projects: Sequence[Tuple[Project, List[Finding]]]) -> List[Finding]:
    """Standalone findings plus the project findings that do not repeat them (or an earlier variant's); Dockerfile
    findings no built image reproduces are marked suppressed."""
    seen = {(f.rule_id, f.location.path, f.location.line) for f in standalone}
    taken: Set[Tuple[str, Location, str]] = set()  # (rule, location, resource) of earlier projects' findings
    out = list(standalone)
    reproduced: Set[Tuple[str, str, Optional[int]]] = set()
    builders: Dict[str, List[Tuple[str, Resource]]] = {}
    for project, findings in projects:
        images = {res.name for images in project.built.values() for res in images}
        compose = project.doc.path if project.doc is not None else ""  # (loaded projects all have their document)
        for path, made in project.built.items():
            builders.setdefault(path, []).extend((compose, res) for res in made)
        mine: Set[Tuple[str, Location, str]] = set()
        for f in findings:
            if f.resource in images:
                reproduced.add((f.rule_id, f.location.path, f.location.line))
            if (f.rule_id, f.location.path, f.location.line) in seen or (f.rule_id, f.location, f.resource) in taken:
                continue
            mine.add((f.rule_id, f.location, f.resource))
            out.append(f)
        taken |= mine
    for f in standalone:
        built = builders.get(f.location.path)
        if built and f.suppression is None and (f.rule_id, f.location.path, f.location.line) not in reproduced:
            f.suppression = Suppression("project", _why(f, built))
    return out


def _why(finding: Finding, built: List[Tuple[str, Resource]]) -> str:
    parts = []
    for compose, image in built:
        service = image.service
        loc = image.overrides.get(finding.rule_id) or \
            image.replaced.get((finding.location.path, finding.location.line))
        if loc is not None:
            parts.append(f'service "{service}" overrides it at {loc.path}:{loc.line}')
        else:
            parts.append(f'service "{service}" ({compose}) builds it with other build args or target')
    return "not what the Compose project runs: " + "; ".join(dict.fromkeys(parts))
