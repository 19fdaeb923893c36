"""Compose projects inside a path scan: which files form a project, and how its findings meet those of the files
scanned on their own.

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
from hipaa_scan.model import Finding, Suppression
from hipaa_scan.sources.kinds import SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Container, Dict, Iterable, List, Optional, Sequence, Set, Tuple

    from hipaa_scan.sources.project import Spec

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                  "docker-compose.override.yaml")


def plan(targets: Sequence[Target], given: Iterable[str], options, texts: Dict[str, str]) -> List["Spec"]:
    """The projects to load, parents before the directories below them."""
    cwd = os.getcwd()
    env_files = [os.path.abspath(p) for p in options.env_files] or None
    profiles = tuple(options.profiles)
    if options.compose_files:
        from hipaa_scan.sources.project import Spec

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
    from hipaa_scan.sources.project import Spec

    specs = []
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


def reconcile(standalone: List[Finding], projects: Sequence[Tuple[Any, List[Finding]]]) -> List[Finding]:
    """Standalone findings plus the project findings that do not repeat them (or an earlier variant's); Dockerfile
    findings no built image reproduces are marked suppressed."""
    seen = {(f.rule_id, f.location.path, f.location.line) for f in standalone}
    taken: Set[tuple] = set()  # (rule, location, resource) of earlier projects' findings
    out = list(standalone)
    reproduced: Set[Tuple[str, str, Optional[int]]] = set()
    builders: Dict[str, list] = {}
    for project, findings in projects:
        images = {res.name for images in project.built.values() for res in images}
        for path, built in project.built.items():
            builders.setdefault(path, []).extend((project.doc.path, res) for res in built)
        mine = set()
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


def _why(finding: Finding, built: List[Tuple[str, Any]]) -> str:
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
