"""The plan of a path scan: which files form a Compose project (`plan`), how many worker processes a tree is worth
(`jobs`), and how a large tree is cut into parts for them (`cut`, `partition`), never splitting a project's
subtree. How a project's findings meet those of the files scanned on their own is pipeline.reconcile.

- A directory with `compose.yaml` (or `compose.yml`, `docker-compose.yml`, `docker-compose.yaml`, in Compose's
  order) is a project: that file plus the first `compose.override.y[a]ml` / `docker-compose.override.y[a]ml` next
  to it, or the files its `.env` lists in COMPOSE_FILE. `-f` files make one project instead.
- Another compose file beside it that cannot run alone (a service without `image`, `build` or `extends`, such as
  `compose.prod.yaml`) is an overlay: it is judged as `docker compose -f compose.yaml -f compose.prod.yaml` runs
  it, a second variant of the project. A compose file that can run alone is scanned on its own, as written.
  A finding both variants make (same rule, place and service) is reported once.
- The project's compose files (with what they include and extend) are not scanned one by one. A compose file
  named on the command line (not `-f`) is scanned on its own, as written.
- Its Dockerfiles and env files are still scanned on their own (with `-f`, even outside the given paths). A
  project finding that repeats one of theirs (same rule, file and line) is dropped: one finding, one place.
- A finding in a Dockerfile that no image built by the project reproduces (compose sets `user:`, a
  healthcheck, the variable or the command, or its build args or target change the verdict) is not what the
  project runs: it is kept, marked suppressed (kind `project`) with the line that overrides it.
"""

from __future__ import annotations

import os

from hipaa_scan.discover import ReadError, Target, read_text
from hipaa_scan.sources.kinds import SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Container, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

    from hipaa_scan.scan.options import ScanOptions
    from hipaa_scan.scan.walk import Place
    from hipaa_scan.sources.projectstate import Spec

    Part = Tuple[List[Target], Tuple[str, ...]]  # a part's targets, and the project directories among its units

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                  "docker-compose.override.yaml")


def plan(targets: Sequence[Target], given: Iterable[str], options: ScanOptions, texts: Dict[str, str]) -> List[Spec]:
    """The projects to load, parents before the directories below them."""
    cwd = os.getcwd()
    env_files = [os.path.abspath(p) for p in options.env_files] or None
    profiles = tuple(options.profiles)
    if options.compose_files:
        from hipaa_scan.sources.projectstate import Spec

        named = [os.path.abspath(f) for f in options.compose_files]
        directory = os.path.dirname(named[0])
        return [Spec(named, directory, env_files, profiles, (cwd, directory),
                     given=os.path.dirname(options.compose_files[0]) or os.curdir)]
    written = {os.path.abspath(p): p for p in given}  # as the user wrote them: messages keep a relative form
    given = list(written)
    explicit = {p for p in given if os.path.isfile(p)}
    names: Dict[str, Dict[str, Optional[str]]] = {}
    for target in targets:
        path = os.path.abspath(target.path)
        if target.kind in (SourceKind.COMPOSE, SourceKind.ENV) and path not in explicit:
            names.setdefault(os.path.dirname(path), {})[os.path.basename(path)] = target.kind
    if not names:
        return []  # only files named on the command line, each scanned on its own: sources.project is not needed
    from hipaa_scan.sources.projectstate import Spec

    specs: List[Spec] = []
    for directory in sorted(names, key=lambda d: (d.count(os.sep), d)):
        here = names[directory]
        files = _compose_file_setting(directory, env_files, here, options.max_file_bytes, texts)
        if files is None:
            default = next((n for n in DEFAULT_FILES if n in here), None)
            if default is None:
                continue
            override = next((n for n in OVERRIDE_FILES if n in here), None)
            files = [os.path.join(directory, n) for n in (default, override) if n]
        root = next((p for p in given if directory == p or directory.startswith(p.rstrip(os.sep) + os.sep)), directory)
        shown = written.get(root)
        specs.append(Spec(files, directory, env_files, profiles, (cwd, root), given=shown))
        for name in sorted(here):
            path = os.path.join(directory, name)
            if here[name] == "compose" and path not in files and name not in DEFAULT_FILES + OVERRIDE_FILES \
                    and _is_overlay(path, options.max_file_bytes, texts):
                specs.append(Spec([files[0], path], directory, env_files, profiles, (cwd, root), primary=path,
                                  given=shown))
    return specs


def _is_overlay(path: str, max_bytes: int, texts: Dict[str, str]) -> bool:
    """A compose file with a service that cannot run alone (no image, build or extends)."""
    from hipaa_scan.yamlsrc import YamlError, load

    try:
        if path not in texts:
            texts[path] = read_text(path, max_bytes)
        data, _dups = load(texts[path])
    except (ReadError, YamlError, RecursionError):
        return False
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        return False
    return any(not isinstance(s, dict) or not {"image", "build", "extends"} & set(s) for s in services.values())


def _compose_file_setting(directory: str, env_files: Optional[List[str]], here: Container[str], max_bytes: int,
                          texts: Dict[str, str]) -> Optional[List[str]]:
    """COMPOSE_FILE from the project's env file(s) (not the shell's: one scan may cover many projects)."""
    from hipaa_scan.sources.envfile import parse_env_text

    paths = env_files or ([os.path.join(directory, ".env")] if ".env" in here else [])
    found: Dict[str, str] = {}
    for path in paths:
        try:
            if path not in texts:
                texts[path] = read_text(path, max_bytes)
            if "COMPOSE_" not in texts[path]:
                continue
            # lines that cannot be parsed are reported when the env file is scanned; the others count here
            found.update({v.name: v.value for v in parse_env_text(texts[path], path, []) if v.value})
        except ReadError:
            continue
    setting = found.get("COMPOSE_FILE")
    if not setting:
        return None
    separator = found.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
    return [os.path.normpath(os.path.join(directory, p)) for p in setting.split(separator) if p.strip()]


# Cutting a large tree into parts for the forked executor: runs of the report order that keep a Compose project's
# subtree whole.

PART_FILES = 100  # smaller parts hold less per worker at no measurable CPU cost (docs/performance.md)
PARTS_PER_JOB = 8  # eight parts per worker at least, so that a slow part does not hold up the end


def head_size(jobs: int) -> int:
    """How far the walk goes before the first part is cut: a tree no larger is cut as a whole into PARTS_PER_JOB
    parts per worker; a larger one into parts of PART_FILES as the walk goes on."""
    return PARTS_PER_JOB * PART_FILES * jobs


def cut(pairs: Iterable[Tuple[Target, Optional[Place]]], size: int, paths: List[str], options: ScanOptions
        ) -> Iterator[Part]:
    """The walk's (target, directory) pairs cut into parts of about `size` files, each a run of whole units, as
    (targets, the project directories among its units). A unit is a Compose project's subtree (the outermost
    project, with all below it) or a single file; the walk gives a subtree as one run, so each part comes before
    the next in the report (Spilled checks this, and merges if not)."""
    part: List[Target] = []
    units: List[str] = []
    last = None
    for target, place in pairs:
        unit = project_of(place, paths, options)
        if unit is None or unit != last:  # a new unit starts here: the part may end before it
            if len(part) >= size:
                yield part, tuple(units)
                part, units = [], []
            if unit is not None:
                units.append(unit)
        last = unit
        part.append(target)
    if part:
        yield part, tuple(units)


def partition(pairs: Iterable[Tuple[Target, Optional[Place]]], paths: List[str], options: ScanOptions, count: int
              ) -> Iterator[Part]:
    """The walk's (target, directory) pairs, all of them, in at most `count` parts of similar size (see cut)."""
    every = list(pairs)
    return cut(every, -(-len(every) // count), paths, options)


def project_of(place: Optional[Place], paths: List[str], options: ScanOptions) -> Optional[str]:
    """The absolute path of the outermost Compose project directory holding `place` (a walk.Place; itself
    included), else None. The answer is kept on each directory asked about, parents included."""
    asked: List[Place] = []
    while place is not None and not place.asked:
        asked.append(place)
        place = place.parent
    outer = place.project if place is not None else None
    for directory in reversed(asked):
        if outer is None and directory.names and holds_project(directory, paths, options):
            outer = os.path.abspath(directory.path).rstrip(os.sep)
        directory.project = outer
        directory.asked = True
    return outer


def holds_project(place: Place, paths: List[str], options: ScanOptions) -> bool:
    """Whether the directory holds a Compose project, as the scan will judge it (plan)."""
    if any(name in place.names for name in DEFAULT_FILES):
        return True  # a project whatever its COMPOSE_FILE says
    if ".env" not in place.names and not options.env_files:
        return False  # no default file and no COMPOSE_FILE that could name one
    files = [Target(os.path.join(place.path, name), name, kind) for name, kind in place.names.items()]
    return bool(plan(files, paths, options, {}))


PARALLEL_MIN_FILES = 300  # below this, starting worker processes costs more than it saves


def jobs(requested: int, files: int) -> int:
    """How many worker processes to scan `files` files with: as requested, else one per CPU (at most eight) from
    PARALLEL_MIN_FILES files where fork exists, else one."""
    if requested > 0:
        return requested
    if files < PARALLEL_MIN_FILES or not hasattr(os, "fork"):
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


# Files named on the command line (pre-commit passes the names of the files a commit touches): each is judged inside
# the Compose project it belongs to, as `scan .` judges it, and only what is found in the named files is reported.

class Named:
    """What a scan of named files becomes: the paths to scan (each named file that belongs to a Compose project
    replaced by the project's directory), and what to report: findings and errors in the named files (`files`,
    real paths) or below the directories given (`dirs`, real paths)."""

    __slots__ = ("paths", "files", "dirs")

    def __init__(self, paths: List[str], files: Set[str], dirs: List[str]) -> None:
        self.paths = paths
        self.files = files
        self.dirs = dirs

    def reports(self, path: str) -> bool:
        """Whether a finding or error at `path` (a display path) is reported."""
        if not path or "://" in path:
            return True
        real = os.path.realpath(path)
        return real in self.files or any(real == d or real.startswith(d + os.sep) for d in self.dirs)


def named(paths: Sequence[str], options: ScanOptions) -> Optional[Named]:
    """The Named scan for `paths` when some named file belongs to a Compose project, else None (the files are
    scanned as they are). A file's project is the outermost directory holding one between the working directory
    and the file's folder (the file's folder alone when it lies outside the working directory): the project
    `scan .` would judge it in."""
    if options.compose_files or not options.named_in_project:
        return None
    cwd = os.path.realpath(os.getcwd())
    out: List[str] = []
    files: Set[str] = set()
    dirs: List[str] = []
    widened = False
    for path in paths:
        if not os.path.isfile(path):
            if os.path.isdir(path):
                dirs.append(os.path.realpath(path))
            else:  # missing or not a regular file: its error is reported
                files.add(os.path.realpath(path))
            out.append(path)
            continue
        real = os.path.realpath(path)
        files.add(real)
        project = _project_of_file(real, cwd, paths, options)
        if project is None:
            out.append(path)
            continue
        widened = True
        shown = os.path.relpath(project, cwd) if project == cwd or project.startswith(cwd + os.sep) else project
        if shown not in out:
            out.append(shown)
    if not widened:
        return None
    # a directory already scanned as a whole need not be scanned again below another
    kept = [p for p in out if not any(p != q and os.path.isdir(q) and os.path.isdir(p) and
                                      os.path.realpath(p).startswith(os.path.realpath(q).rstrip(os.sep) + os.sep)
                                      for q in out)]
    return Named(kept, files, dirs)


def _project_of_file(real: str, cwd: str, paths: Sequence[str], options: ScanOptions) -> Optional[str]:
    from hipaa_scan.scan.walk import Place
    from hipaa_scan.sources.registry import kind_by_name

    folder = os.path.dirname(real)
    chain = [folder]
    if folder.startswith(cwd + os.sep):
        while chain[-1] != cwd:
            chain.append(os.path.dirname(chain[-1]))
    for directory in reversed(chain):  # the outermost first, as plan.project_of answers
        try:
            with os.scandir(directory) as entries:
                names = {e.name: kind for e in entries
                         if (kind := kind_by_name(e.name)) in (SourceKind.COMPOSE, SourceKind.ENV)}
        except OSError:
            continue
        if names and holds_project(Place(directory, names, None), [directory], options):
            return directory
    return None
