"""A Compose project built the way `docker compose config` builds it, so the rules judge what Compose would run.

Per file, in order: safe YAML load, interpolation (sources/projectenv.py), `extends` (same file or another file;
a cycle is an error), top-level `include` (each included project with its own directory and env files; a service
defined on both sides is an error); then the files are merged with Compose's merge rules (sources/merge.py).
Then: profiles (all services unless `--profile` narrows them), `env_file` entries (their variables become the
service's environment, located at their own lines; `required: false` ones may be missing), `environment` over
them, compose secrets given through an env-file variable, and the image behind each `build:` (sources/build.py).

Every value keeps the file and line it was written at: an overridden value points at the override file, a value
that is wholly one `.env` variable points at that variable's line, and other interpolated values say which
variables supplied them (Document.provenance). Only files under the allowed roots (the working directory and the
scanned path) are read; nothing is executed or written.
"""

from __future__ import annotations

import functools
import os

from hipaa_scan.budgets import BudgetExceeded
from hipaa_scan.discover import ReadError, display_path, read_text
from hipaa_scan.model import Document, EnvVar, Resource, ScanError
from hipaa_scan.sources import build as builds
from hipaa_scan.sources.compose import Locator, attach_top_level, top_level_written
from hipaa_scan.sources.interpolate import Budget, InterpolationError
from hipaa_scan.sources.kinds import SourceKind
from hipaa_scan.sources.merge import clean, merge, new_map, put, stamp
from hipaa_scan.sources.projectenv import PosKey, ProjectEnv, Supplied, Uses, env_file_vars, interpolate_tree
from hipaa_scan.sources.projectstate import Project, ProjectError, Spec
from hipaa_scan.sources.services import ServiceBuilder
from hipaa_scan.redact import as_text, source_lines
from hipaa_scan.sources.dockerfile import dockerfile_regions
from hipaa_scan.sources.envfile import env_regions
from hipaa_scan.yamlsrc import MAX_NODES, YamlError, YList, YMap, load_counted, regions_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

MAX_DEPTH = 32
MAX_DOCUMENTS = 256  # compose and env files one project may load (through include and extends); each loaded once
MAX_PROJECT_NODES = 500_000  # YAML nodes (as yamlsrc counts them) of every compose file load of one project
MAX_ENV_FILE_VALUES = 500_000  # env_file variables given to the services of one project, all services together
SECTIONS = ("services", "volumes", "networks", "secrets", "configs")


def load_project(spec: Spec, max_bytes: int, texts: Dict[str, str],
                 environ: Optional[Mapping[str, str]] = None) -> Project:
    """Build the project; a ProjectError becomes `errors` (and no document)."""
    loader = _Loader(spec, max_bytes, texts, os.environ if environ is None else environ)
    try:
        loader.build()
    except ProjectError as exc:
        loader.project.errors.append(ScanError(exc.path, str(exc), exc.kind))
        loader.project.doc = None
    except BudgetExceeded as exc:  # a budget: named, with the file that reached it
        loader.project.errors.append(ScanError(exc.path or display_path(spec.files[0]), str(exc), "parse"))
        loader.project.doc = None
    except RecursionError:
        loader.project.errors.append(ScanError(display_path(spec.files[0]), "project nested too deeply", "parse"))
        loader.project.doc = None
    except Exception as exc:  # a loader bug must not end the scan; say what failed without quoting content
        loader.project.errors.append(ScanError(display_path(spec.files[0]), "Compose project could not be loaded "
                                               f"({type(exc).__name__})", "internal"))
        loader.project.doc = None
    loader.project.notes = list(dict.fromkeys(loader.project.notes))
    return loader.project


# Every project of a scan has the same roots (the scan paths): resolve them once.
_real_root = functools.lru_cache(maxsize=64)(os.path.realpath)


class _Loader:
    def __init__(self, spec: Spec, max_bytes: int, texts: Dict[str, str], environ: Mapping[str, str]) -> None:
        self.spec = spec
        self.max_bytes = max_bytes
        self.texts = texts
        self.environ = environ
        self.project = Project(spec)
        self.notes = self.project.notes
        self.uses: Dict[PosKey, Uses] = {}
        self.lines: Dict[str, List[str]] = {}
        self.regions: Dict[str, Dict[int, List[Tuple[int, int]]]] = {}  # where sensitive values are written
        self.raw_cache: Dict[Tuple[str, int], Tuple[ProjectEnv, YMap]] = {}
        # A file reached several times (included ten times, extended by every service) is resolved once per
        # environment; the objects a key's id() names are kept alive with the entry, so no id is reused.
        self.file_cache: Dict[Tuple[str, int], Tuple[ProjectEnv, YMap]] = {}
        self.extends_cache: Dict[Tuple[str, str, int, int], Tuple[Any, ProjectEnv, YMap]] = {}
        self.layers: Dict[Tuple[Tuple[str, ...], int, bool], Tuple[ProjectEnv, Dict[str, EnvVar]]] = {}
        self.children: Dict[Tuple[int, int], Tuple[ProjectEnv, Dict[str, EnvVar], ProjectEnv]] = {}
        self.documents = 0  # compose and env files loaded, against MAX_DOCUMENTS
        self.nodes_left = MAX_PROJECT_NODES  # YAML nodes the project's next loads may build
        self.values_left = MAX_ENV_FILE_VALUES
        self.no_layer: Dict[str, EnvVar] = {}  # an include without env files: one layer, so one environment
        # What interpolation may produce in the whole project: a file loaded under several environments, or many
        # files, share it
        self.budget = Budget(scope="project")
        self.roots = tuple(_real_root(r) for r in spec.roots)
        self.primary = os.path.abspath(spec.primary or spec.files[0])
        self.tagged = False  # whether a file loaded so far uses !reset or !override
        self.env_vars: List[EnvVar] = []  # every interpolation variable read from an env file (to be masked)
        self.includes: List[Any] = []  # every `include` list read, for the credentials its URLs may carry

    # -- reading -------------------------------------------------------------------------------------------------

    def read(self, path: str, kind: str = "yaml") -> str:
        """A file of the project (`kind`: yaml, env or dockerfile, for its lines and where its sensitive values are
        written)."""
        path = os.path.abspath(path)
        real = os.path.realpath(path)
        if self.roots and not any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots):
            raise ReadError("is outside the scanned tree; not read")
        if path not in self.texts:
            self.texts[path] = read_text(path, self.max_bytes)
        shown = display_path(path)
        self.project.read[shown] = path
        if shown not in self.lines:
            text = self.texts[path]
            self.lines[shown] = source_lines(text, kind)
            if kind == "env":
                regions = env_regions(text)
            elif kind == "dockerfile":
                regions = dockerfile_regions(text)
            else:
                regions = {}  # a YAML file's come with its data (raw)
            if regions:
                self.regions[shown] = regions
        return self.texts[path]

    def count_document(self) -> None:
        """One more compose or env file loaded: past MAX_DOCUMENTS, the project (named by its file) is refused."""
        self.documents += 1
        if self.documents > MAX_DOCUMENTS:
            raise ProjectError(display_path(self.primary), f"project budget exceeded: more than {MAX_DOCUMENTS} "
                                                           "compose and env files loaded through include and extends")

    def spend_values(self, count: int) -> None:
        """`count` more env_file variables given to a service: past MAX_ENV_FILE_VALUES, the project is refused
        (one large env file named by every service of a project would otherwise be judged once per service)."""
        self.values_left -= count
        if self.values_left < 0:
            error = BudgetExceeded(f"project budget exceeded: more than {MAX_ENV_FILE_VALUES:,} env_file variables "
                                   "given to its services")
            error.path = display_path(self.primary)
            raise error

    def env_layer(self, paths: Sequence[str], base: ProjectEnv, required: bool) -> Dict[str, EnvVar]:
        key = (tuple(os.path.abspath(p) for p in paths), id(base), required)
        if key in self.layers and self.layers[key][0] is base:
            return self.layers[key][1]
        layer: Dict[str, EnvVar] = {}
        self.layers[key] = (base, layer)

        def lookup(name: str) -> Optional[Supplied]:
            var = layer.get(name)
            if var is not None and var.value is not None:
                return Supplied(name, var.value, var)
            return base.get(name)

        for path in paths:
            try:
                text = self.read(path, "env")
            except ReadError as exc:
                if required:
                    raise ProjectError(display_path(path), f"env file {exc}", "io") from None
                continue
            self.count_document()
            self.project.aux.append((os.path.abspath(path), "env"))
            for var in env_file_vars(text, display_path(path), lookup, self.notes, self.project.errors, self.budget):
                layer[var.name] = var
                self.env_vars.append(var)
        return layer

    def child(self, env: ProjectEnv, layer: Dict[str, EnvVar]) -> ProjectEnv:
        """env.child(layer), the same object each time for the same two."""
        key = (id(env), id(layer))
        found = self.children.get(key)
        if found is None or found[0] is not env or found[1] is not layer:
            found = (env, layer, env.child(layer))
            self.children[key] = found
        return found[2]

    def raw(self, path: str, env: ProjectEnv) -> YMap:
        """One file: loaded, positions stamped with its path, interpolated. Cached per environment."""
        key = (os.path.abspath(path), id(env))
        if key in self.raw_cache and self.raw_cache[key][0] is env:
            return self.raw_cache[key][1]
        shown = display_path(path)
        self.count_document()
        limit = min(MAX_NODES, self.nodes_left)
        try:
            data, _dups, used = load_counted(self.read(path), limit)
        except ReadError as exc:
            raise ProjectError(shown, str(exc), "io") from None
        except YamlError as exc:
            if exc.budget and limit < MAX_NODES:  # the project's budget, not the file's
                raise ProjectError(display_path(self.primary), f"project budget exceeded: more than "
                                                               f"{MAX_PROJECT_NODES:,} YAML nodes loaded") from None
            raise ProjectError(shown, str(exc)) from None
        self.nodes_left -= used
        regions = regions_of(data)
        if regions:
            self.regions[shown] = regions
        if data is None:
            data = new_map()
        if not isinstance(data, YMap):
            raise ProjectError(shown, "not a compose file: the top level is not a mapping")
        if os.path.abspath(path) != self.primary:  # the document's own file needs no stamp: it is the default
            stamp(data, shown)
        text = self.texts[os.path.abspath(path)]
        self.tagged = self.tagged or "!reset" in text or "!override" in text
        if "$" in text:  # no reference and no `$$` escape anywhere: nothing to interpolate
            try:
                interpolate_tree(data, env, self.notes, self.uses, shown, self.budget)
            except InterpolationError as exc:
                raise ProjectError(shown, str(exc)) from None
        self.project.consumed.add(os.path.abspath(path))
        self.raw_cache[key] = (env, data)  # the environment is kept alive, so its id is not reused
        return data

    # -- files, extends, include ---------------------------------------------------------------------------------

    def model(self, files: Sequence[str], env: ProjectEnv, chain: Tuple[str, ...] = ()) -> YMap:
        merged = None
        for path in files:
            cfg = self.file(os.path.abspath(path), env, chain)
            if merged is None:  # the first file merges onto nothing: only !reset and !override need work
                merged = clean(cfg) if self.tagged else cfg
            else:
                merged = merge(merged, cfg)
        return merged if merged is not None else new_map()

    def file(self, path: str, env: ProjectEnv, chain: Tuple[str, ...]) -> YMap:
        if path in chain:
            raise ProjectError(display_path(path), "include cycle: " + " -> ".join(
                display_path(p) for p in chain + (path,)))
        if len(chain) > MAX_DEPTH:
            raise ProjectError(display_path(path), f"includes nested deeper than {MAX_DEPTH}")
        key = (path, id(env))
        found = self.file_cache.get(key)
        if found is not None and found[0] is env:
            return found[1]  # resolved already: a cycle through it would have been found then
        cfg = self.resolve(path, env, chain)
        self.file_cache[key] = (env, cfg)
        return cfg

    def resolve(self, path: str, env: ProjectEnv, chain: Tuple[str, ...]) -> YMap:
        cfg = self.raw(path, env)
        services = cfg.get("services")
        if isinstance(services, YMap) and any(isinstance(s, YMap) and "extends" in s for s in services.values()):
            resolved = new_map(services.pos)
            for name in services:
                put(resolved, name, self.extended(cfg, str(name), path, env, ()), services)
            cfg = _with(cfg, "services", resolved)
        if cfg.get("include") is not None:
            self.includes.append(cfg["include"])
            cfg = self.included(cfg, path, env, chain + (path,))
        return cfg

    def extended(self, cfg: YMap, name: str, path: str, env: ProjectEnv, chain: Tuple[Tuple[str, str], ...]) -> YMap:
        services = cfg.get("services")
        if not isinstance(services, YMap) or name not in services:
            where = chain[-1] if chain else (path, name)
            raise ProjectError(display_path(where[0]), f"service {where[1]!r} extends {name!r}, which "
                                                       f"{display_path(path)} does not define")
        svc = services[name] if isinstance(services[name], YMap) else new_map(services.key_pos.get(name, (0, 0)))
        if "extends" not in svc:
            return svc
        key = (path, name, id(cfg), id(env))
        found = self.extends_cache.get(key)
        if found is not None and found[1] is env and found[2] is cfg:
            resolved: YMap = found[0]  # resolved already (for another service that extends it)
            return resolved
        out = self._extended(cfg, svc, name, path, env, chain)
        self.extends_cache[key] = (out, env, cfg)
        return out

    def _extended(self, cfg: YMap, svc: YMap, name: str, path: str, env: ProjectEnv,
                  chain: Tuple[Tuple[str, str], ...]) -> YMap:
        if (path, name) in chain:
            raise ProjectError(display_path(path), "extends cycle: " + " -> ".join(
                f"{display_path(p)}:{n}" for p, n in chain + ((path, name),)))
        if len(chain) > MAX_DEPTH:
            raise ProjectError(display_path(path), f"extends nested deeper than {MAX_DEPTH}")
        ext = svc["extends"]
        target, other = (as_text(ext.get("service")), ext.get("file")) if isinstance(ext, YMap) \
            else (as_text(ext), None)
        if other is not None and builds.is_remote(str(other)):  # never fetched; the URL is not repeated
            self.notes.append(f"note: {display_path(path)}: service {name} extends a service of a remote file; it "
                              "was not read")
            return svc
        if other is not None:
            other_path = os.path.normpath(os.path.join(os.path.dirname(path), as_text(other)))
            base = self.extended(self.raw(other_path, env), target, other_path, env, chain + ((path, name),))
            base = relocate(base, os.path.dirname(other_path))
        else:
            base = self.extended(cfg, target, path, env, chain + ((path, name),))
        local = new_map(svc.pos)
        for k in svc:
            if k != "extends":
                put(local, k, svc[k], svc)
        merged: YMap = merge(base, local, ("services", name))
        return merged

    def included(self, cfg: YMap, path: str, env: ProjectEnv, chain: Tuple[str, ...]) -> YMap:
        entries = cfg["include"] if isinstance(cfg["include"], YList) else [cfg["include"]]
        here = os.path.dirname(path)
        out = new_map(cfg.pos)
        for k in cfg:
            if k != "include":
                put(out, k, cfg[k], cfg)
        for index, entry in enumerate(entries):
            spec = entry if isinstance(entry, YMap) else YMap()
            paths = spec.get("path") if isinstance(entry, YMap) else entry
            paths = [as_text(p) for p in paths] if isinstance(paths, list) else [] if paths is None \
                else [as_text(paths)]
            if not paths or not all(paths):
                raise ProjectError(display_path(path), "an include entry names no file (`path` is missing or empty)")
            if any(builds.is_remote(p) for p in paths):  # a remote project (git, oci): never fetched; named by index
                self.notes.append(f"note: {display_path(path)}: include[{index}] is a remote project; it was not read")
                continue
            files = [os.path.normpath(os.path.join(here, p)) for p in paths]
            directory = os.path.normpath(os.path.join(here, as_text(spec["project_directory"]))) \
                if spec.get("project_directory") else os.path.dirname(files[0])
            env_files = spec.get("env_file")
            if env_files is not None:
                names = [as_text(e) for e in env_files] if isinstance(env_files, list) else [as_text(env_files)]
                layer = self.env_layer([os.path.join(here, n) for n in names], env, required=True)
            else:
                layer = self.env_layer([os.path.join(directory, ".env")], env, required=False) \
                    if os.path.isfile(os.path.join(directory, ".env")) else self.no_layer
            model = self.model(files, self.child(env, layer), chain)
            self._import(out, model, directory, path, files[0])
        return out

    def _import(self, out: YMap, model: YMap, directory: str, path: str, included: str) -> None:
        for section in SECTIONS:
            source = model.get(section)
            if not isinstance(source, YMap):
                continue
            target = out.get(section)
            target = _copy(target) if isinstance(target, YMap) else new_map(source.pos)
            for name, value in source.items():
                if name in target:
                    if section == "services":
                        raise ProjectError(display_path(path), f"service {name!r} is defined here and in the "
                                                               f"included {display_path(included)}")
                    continue
                if section == "services" and isinstance(value, YMap):
                    value = relocate(value, directory)
                put(target, name, value, source)
            put(out, section, target, out if section in out else source)

    # -- the project ---------------------------------------------------------------------------------------------

    def build(self) -> None:
        spec = self.spec
        process = ProjectEnv(self.environ)
        if spec.env_files is not None:
            layer = self.env_layer(spec.env_files, process, required=True)
        else:
            dotenv = os.path.join(spec.directory, ".env")
            layer = self.env_layer([dotenv], process, required=False) if os.path.isfile(dotenv) else {}
        env = ProjectEnv(self.environ, [layer])
        model = self.model(spec.files, env)
        primary = display_path(spec.primary or spec.files[0])
        services = model.get("services")
        if not isinstance(services, YMap) or not services:
            raise ProjectError(primary, "not a compose project: no `services` mapping of services")
        builder = ServiceBuilder(self.project, self.read, self.spend_values, self.env_vars, self.uses, self.budget,
                                 Locator(primary), env)
        resources: List[Resource] = []
        mounted: Set[str] = set()
        for name, svc in services.items():
            svc = svc if isinstance(svc, YMap) else new_map(services.key_pos.get(name, (0, 0)))
            if not self._active(svc):
                continue
            resources.extend(builder.service(str(name), relocate(svc, spec.directory), services))
            mounted.update(_secret_names(svc.get("secrets")))
        resources.extend(builder.secrets(model, mounted))
        locate = Locator(primary)
        written = top_level_written(model, locate)
        for entries in self.includes:
            written.extend(w for w in top_level_written(new_map(), locate, entries) if w.place == "include")
        attach_top_level([r for r in resources if r.kind == SourceKind.COMPOSE], written)
        composes = [d for d, p in self.project.read.items() if os.path.abspath(p) in self.project.consumed]
        self.project.doc = Document(
            path=primary, kind=SourceKind.COMPOSE, resources=resources, lines=self.lines.get(primary),
            files={d: lines for d, lines in self.lines.items() if d != primary},
            owned=tuple(d for d in composes if d != primary), provenance=builder.provenance, regions=self.regions)

    def _active(self, svc: YMap) -> bool:
        if not self.spec.profiles:
            return True
        profiles = svc.get("profiles")
        names = [str(p) for p in profiles] if isinstance(profiles, list) else ([] if profiles is None else [str(profiles)])
        return not names or "*" in self.spec.profiles or any(p in self.spec.profiles for p in names)

def relocate(svc: YMap, directory: str) -> YMap:
    """The service with its relative `build` context and `env_file` paths made absolute against `directory`."""
    out = _copy(svc)
    build = svc.get("build")
    if isinstance(build, YMap):
        build = _copy(build)
        build["context"] = _absolute(as_text(build.get("context") or "."), directory)
        out["build"] = build
    elif build is not None:
        out["build"] = _absolute(as_text(build), directory)
    entries = svc.get("env_file")
    if isinstance(entries, YList):
        seq = YList()
        seq.pos, seq.item_pos = entries.pos, list(entries.item_pos)
        for entry in entries:
            if isinstance(entry, YMap):
                entry = _with(entry, "path", _absolute(as_text(entry.get("path")), directory))
            else:
                entry = _absolute(as_text(entry), directory)
            seq.append(entry)
        out["env_file"] = seq
    elif entries is not None:
        out["env_file"] = _absolute(as_text(entries), directory)
    return out


def _absolute(path: str, directory: str) -> str:
    if builds.is_remote(path) or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(directory, path))


def _copy(mapping: YMap) -> YMap:
    out = new_map(mapping.pos)
    for k in mapping:
        put(out, k, mapping[k], mapping)
    return out


def _with(mapping: YMap, key: str, value: Any) -> YMap:
    out = _copy(mapping)
    out[key] = value
    return out


def _secret_names(value: Any) -> List[str]:
    if not isinstance(value, YList):
        return []
    return [str(v.get("source")) if isinstance(v, YMap) else str(v) for v in value]
