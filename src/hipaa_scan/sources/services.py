"""The services of a built Compose model as Resources: environment from `env_file` and `environment`, build
args, the image behind `build:`, compose secrets given through an env-file variable, and where each value came
from (Document.provenance).

- `env_file` variables come first, at their own lines; `environment` wins over them, each name once. A missing
  `required: false` file is skipped; a missing required one is a note, and the service is marked as having
  variables nobody can see (`Resource.env_file`), which keeps the rules that look for an absent variable quiet.
- A value that is wholly one env-file variable (`${DB_PASSWORD}`, or `KEY` alone) is located at that variable's
  line; other interpolated values keep their compose line and say which variables supplied them.
"""

from __future__ import annotations

import os

from hipaa_scan.discover import ReadError, display_path
from hipaa_scan.model import EnvVar, Location, Resource, Value
from hipaa_scan.sources.kinds import SourceKind
from hipaa_scan.sources import build as builds
from hipaa_scan.sources.compose import Locator, scalar_text, service_resource
from hipaa_scan.sources.merge import by_name
from hipaa_scan.redact import as_text
from hipaa_scan.sources.projectenv import ProjectEnv, env_file_vars
from hipaa_scan.yamlsrc import YList, YMap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

    from hipaa_scan.sources.interpolate import Budget
    from hipaa_scan.sources.projectenv import PosKey, Uses
    from hipaa_scan.sources.projectstate import Project


class ServiceBuilder:
    """Builds the Resources of one project's services. What it needs is given, not reached for: `project` (where
    notes, errors, the files also scanned on their own and the built images go), `read` (a project file's text, by
    path and kind, within the scanned tree), `spend_values` (the project's budget of env_file variables), the
    project's interpolation variables and their uses, and its interpolation budget."""

    def __init__(self, project: Project, read: Callable[[str, str], str], spend_values: Callable[[int], None],
                 env_vars: Sequence[EnvVar], uses: Dict[PosKey, Uses], budget: Budget, locate: Locator,
                 env: ProjectEnv) -> None:
        self.project = project
        self.read = read
        self.spend_values = spend_values
        self.env_vars = env_vars
        self.uses = uses
        self.budget = budget
        self.locate = locate
        self.env = env
        self.notes = project.notes
        self.env_files: Dict[str, List[EnvVar]] = {}  # env_file path -> its variables, read once
        self.masked = False
        self._reported: Optional[frozenset] = None
        self.provenance: Dict[Location, str] = {}

    def service(self, name: str, svc: YMap, services: YMap) -> List[Resource]:
        base = f"services.{name}"
        res = service_resource(name, svc, services, self.locate, environment=False)
        res.env = self.environment(name, svc, res)
        res.healthcheck = _healthcheck(svc, base, self.locate)
        if not self.masked:  # once per document: the env-file variables redaction must mask wherever they turn up
            res.interpolated = list(self.env_vars)
            self.masked = True
        res.elsewhere = self._elsewhere()
        args, arg_locs = self.build_args(svc, base, res)
        self._note_provenance(res)
        out = [res]
        if res.builds:
            spec = builds.build_spec(svc["build"], self.project.spec.directory, args, arg_locs)
            replaces = tuple(key for key in ("entrypoint", "command") if svc.get(key) is not None)
            image = self.image(name, res, spec, replaces) if spec is not None else None
            if image is not None:
                self._note_provenance(image)
                out.append(image)
                # the container's environment: the image's ENV under what compose sets; rules that weigh one
                # variable against another (a tracing switch and its endpoint) look here
                runtime = {var.name: var for var in image.env}
                runtime.update((var.name, var) for var in res.env if var.value is not None)
                res.runtime_env = image.runtime_env = list(runtime.values())
        return out

    def _elsewhere(self) -> frozenset:
        """The values of the interpolation variables that HS401 reports where an env file writes them (a secret's
        name or shape): a label, healthcheck or command that uses one through `${VAR}` is not reported again."""
        if self._reported is None:
            from hipaa_scan.secrets import is_placeholder, secret_name, shape_of

            values: Set[str] = set()
            for var in self.env_vars:
                value = (var.value or "").strip()
                if value and not is_placeholder(value) and (secret_name(var.name) or shape_of(value)):
                    values.update((value, value.strip("'\"")))
            self._reported = frozenset(values)
        return self._reported

    def environment(self, name: str, svc: YMap, res: Resource) -> List[EnvVar]:
        """env_file variables (at their own lines), then `environment` over them, each name once."""
        merged: Dict[str, EnvVar] = {}
        keypath = f"services.{name}.environment"
        entries = svc.get("env_file")
        for entry in entries if isinstance(entries, YList) else ([] if entries is None else [entries]):
            path = as_text(entry.get("path")) if isinstance(entry, YMap) else as_text(entry)
            required = not (isinstance(entry, YMap) and entry.get("required") in (False, "false"))
            path = os.path.join(self.project.spec.directory, path)
            if not os.path.lexists(path):
                if required:
                    res.env_file = True  # variables we cannot see: rules stay cautious
                    self.notes.append(f"warning: {res.anchor.path}:{res.anchor.line}: service {name}: env_file "
                                      f"{display_path(path)} does not exist: Compose would refuse to start it")
                continue
            try:
                text = self.read(path, "env")
            except ReadError as exc:
                if required:
                    res.env_file = True  # variables we cannot see: rules stay cautious
                    self.notes.append(f"warning: {res.anchor.path}:{res.anchor.line}: service {name}: env_file "
                                      f"{display_path(path)} {exc}; its variables are unknown")
                continue
            variables = self.env_files.get(os.path.abspath(path))
            if variables is None:  # an env file many services name is read once (the variables are not changed)
                self.project.aux.append((os.path.abspath(path), "env"))
                variables = env_file_vars(text, display_path(path), self.env.get, self.notes,
                                          self.project.errors, self.budget)
                self.env_files[os.path.abspath(path)] = variables
            self.spend_values(len(variables))
            for var in variables:
                merged.pop(var.name, None)
                merged[var.name] = var
        mapping = by_name(svc.get("environment"), "=", svc.value_pos.get("environment", svc.pos))
        for key, value in mapping.items():
            var = self._env_var(str(key), value, mapping, f"{keypath}.{key}")
            merged.pop(var.name, None)
            merged[var.name] = var
        return list(merged.values())

    def _env_var(self, key: str, value: Any, mapping: YMap, keypath: str) -> EnvVar:
        loc = self.locate.at(mapping.key_pos.get(key, mapping.pos), keypath)
        if value is None:  # `KEY` alone: inherited from the project environment
            supplied = self.env.get(key)
            if supplied is None or supplied.kept:
                return EnvVar(key, None, loc)
            if supplied.var is not None:
                moved = _at(supplied.var.loc, keypath)
                self.provenance[moved] = f"inherited at {loc.path}:{loc.line} from {supplied.source()}"
                return EnvVar(key, supplied.value, moved)
            self.provenance[loc] = "value from the process environment"
            return EnvVar(key, supplied.value, loc)
        pos = mapping.value_pos.get(key, mapping.pos)
        uses = self.uses.get((getattr(pos, "path", None) or self.locate.path, pos[0], pos[1]))
        single = uses.single() if uses is not None else None
        if uses is not None and single is not None and single.var is not None:  # wholly one env-file variable
            moved = _at(single.var.loc, keypath)
            self.provenance[moved] = f"{uses.describe()}, referenced at {loc.path}:{loc.line}"
            return EnvVar(key, scalar_text(value), moved)
        if uses is not None:
            self.provenance[loc] = uses.describe()
        return EnvVar(key, scalar_text(value), loc)

    def build_args(self, svc: YMap, base: str, res: Resource) -> Tuple[Dict[str, str], Dict[str, Location]]:
        build = svc.get("build")
        raw = build.get("args") if isinstance(build, YMap) else None
        args: Dict[str, str] = {}
        locs: Dict[str, Location] = {}
        if raw is None or not isinstance(build, YMap):
            return args, locs
        mapping = by_name(raw, "=", build.value_pos.get("args", build.pos))
        for key, value in mapping.items():
            key = str(key)
            text = scalar_text(value)
            if value is None:
                supplied = self.env.get(key)
                text = supplied.value if supplied is not None and not supplied.kept else None
            loc = self.locate.at(mapping.key_pos.get(key, mapping.pos), f"{base}.build.args.{key}")
            locs[key] = loc
            if text is not None:
                args[key] = text
                res.build_args.append(EnvVar(key, text, loc, "build-arg"))
        return args, locs

    def image(self, name: str, res: Resource, spec: builds.BuildSpec,
              replaces: Tuple[str, ...] = ()) -> Optional[Resource]:
        from hipaa_scan.sources.dockerfile import DockerfileError

        shown = display_path(spec.dockerfile)
        try:
            text = self.read(spec.dockerfile, "dockerfile")
            image = builds.image_resource(name, res, text, shown, spec, as_given(spec.dockerfile, self.project.spec),
                                          replaces)
        except ReadError as exc:
            self.notes.append(f"note: service {name}: its Dockerfile {shown} {exc}; the image was not checked")
            return None
        except DockerfileError as exc:
            self.notes.append(f"note: service {name}: its Dockerfile {shown} could not be parsed ({exc}); the image "
                              "was not checked")
            return None
        self.project.aux.append((spec.dockerfile, "dockerfile"))
        self.project.built.setdefault(shown, []).append(image)
        return image

    def secrets(self, model: YMap, mounted: Set[str]) -> List[Resource]:
        """A compose secret read from a file is fine; one whose value an env file writes in plain text is judged
        like any variable."""
        secrets = model.get("secrets")
        out: List[Resource] = []
        if not isinstance(secrets, YMap):
            return out
        for name in sorted(mounted):
            spec = secrets.get(name)
            variable = spec.get("environment") if isinstance(spec, YMap) else None
            supplied = self.env.get(str(variable)) if variable is not None else None
            if supplied is None or supplied.var is None:
                continue
            out.append(Resource(
                kind=SourceKind.ENV, name=f"secret:{name}", label=f'compose secret "{name}" (environment: {variable})',
                path=self.locate.path, anchor=self.locate.key(secrets, name, f"secrets.{name}"),
                env=[EnvVar(supplied.var.name, supplied.value, supplied.var.loc, "secret")]))
        return out

    def _note_provenance(self, res: Resource) -> None:
        for loc in _locations(res):
            uses = self.uses.get((loc.path, loc.line or 0, loc.column or 0))
            if uses is not None and loc not in self.provenance:
                self.provenance[loc] = uses.describe()


def as_given(path: str, spec: Any) -> str:
    """A file's path as messages name it: its display path, except that a file outside the working directory
    found under a scan path given as a relative one (`../corpus`) keeps that relative form rather than becoming
    absolute."""
    shown = display_path(path)
    given = getattr(spec, "given", None)
    if not os.path.isabs(shown) or not given or os.path.isabs(given):
        return shown
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(given))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return shown
    return os.path.normpath(os.path.join(given, rel)).replace(os.sep, "/")


def _at(loc: Location, keypath: str) -> Location:
    return Location(loc.path, loc.line, loc.column, keypath)


def _healthcheck(svc: YMap, base: str, locate: Locator) -> Optional[Value]:
    """True: a test is defined; False: disabled (`disable: true` or test NONE); None: compose leaves it to the
    image. Located at the line that decides."""
    hc = svc.get("healthcheck")
    if not isinstance(hc, YMap):
        return None
    key = f"{base}.healthcheck"
    if hc.get("disable") in (True, "true"):
        return Value(False, locate.value(hc, "disable", f"{key}.disable"))
    test = hc.get("test")
    if "test" not in hc or test is None:
        return None
    none = (isinstance(test, list) and [str(t) for t in test[:1]] == ["NONE"]) or str(test).strip() == "NONE"
    return Value(not none, locate.value(hc, "test", f"{key}.test"))


def _locations(res: Resource):
    for name in ("user", "privileged", "read_only", "image", "healthcheck", "logging_driver"):
        value = getattr(res, name)
        if value is not None:
            yield value.loc
    for seq in (res.cap_add, res.cap_drop, res.security_opt, res.command, res.ports, res.mounts, res.base_images):
        for item in seq:
            yield item.loc
    for value in list(res.namespaces.values()) + list(res.limits.values()):
        yield value.loc
