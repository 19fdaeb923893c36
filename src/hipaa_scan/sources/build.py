"""The image behind a compose service with `build:`: its Dockerfile as Compose builds it (context, dockerfile,
target stage, build args), with the run-time facts the service overrides.

The result is a Dockerfile Resource named after the service, so the Dockerfile rules judge the image the service
actually runs:
- root user: the compose `user:` when set (the finding then points at the compose line), else the Dockerfile's
  USER, or its absence (the FROM line of the stage that ships); a USER that a compose build arg decides points at
  that build arg;
- health check: a compose `healthcheck` with a `test` (or `disable: true`, which counts as none) decides, else the
  Dockerfile's HEALTHCHECK;
- build args resolve the Dockerfile's ARGs, so `FROM`, `USER` and `ENV` see the values Compose passes;
- environment: a variable the service sets in `environment` or an `env_file` replaces the image's ENV of that
  name, so the image's ENV is no verdict of its own (it stays in `Resource.stage_env`: written in the file and
  kept in the image's configuration, which HS401 still judges); an ENV whose value is wholly a build arg the
  service passes (`ENV NODE_ENV $NODE_ENV`) points at that build arg;
- command: the service's `entrypoint` replaces the image's ENTRYPOINT and CMD, its `command` the image's CMD.

`Resource.replaced` maps each Dockerfile line the service overrides this way to the compose line that does, so
a finding of the Dockerfile scanned on its own can say why the project does not run it.
"""

from __future__ import annotations

import os
import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import EnvVar, Location, Record, Resource, Value
from hipaa_scan.redact import as_text
from hipaa_scan.sources.dockerfile import parse_dockerfile
from hipaa_scan.yamlsrc import YMap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple


class BuildSpec(Record):
    __slots__ = ("dockerfile", "target", "args", "arg_locs")

    def __init__(self, dockerfile: str, target: Optional[str], args: Dict[str, str],
                 arg_locs: Dict[str, Location]) -> None:
        self.dockerfile = dockerfile  # absolute path
        self.target = target
        self.args = args  # resolved values passed as --build-arg
        self.arg_locs = arg_locs  # where compose writes each build arg


def is_remote(context: str) -> bool:
    return "://" in context or context.startswith(("git@", "github.com/"))


def build_spec(build: Any, project_dir: str, args: Dict[str, str], arg_locs: Dict[str, Location]) -> Optional[BuildSpec]:
    """Where the service's Dockerfile is; None for a remote context or an inline Dockerfile."""
    if isinstance(build, YMap):
        if build.get("dockerfile_inline") is not None:
            return None
        context = as_text(build.get("context") or ".")
        dockerfile = as_text(build.get("dockerfile") or "Dockerfile")
        target = build.get("target")
    else:
        context, dockerfile, target = as_text(build), "Dockerfile", None
    if is_remote(context):
        return None
    context = os.path.join(project_dir, context)
    return BuildSpec(os.path.normpath(os.path.join(context, dockerfile)), None if target is None else as_text(target),
                     args, arg_locs)


WHOLLY_ONE_ARG = lazy(r"^[\"']?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))[\"']?$")


def image_resource(service: str, res: Resource, text: str, display: str, spec: BuildSpec,
                   shown: Optional[str] = None, replaces: Tuple[str, ...] = ()) -> Resource:
    """The service's image, judged with the run-time facts compose sets. Moves `user` and `healthcheck` from the
    service Resource to the image one, so each verdict is made once. `shown` is the Dockerfile's path as messages
    name it (default: `display`); `replaces` says which of `entrypoint` and `command` the service sets."""
    doc = parse_dockerfile(text, display, spec.args, spec.target)
    image = doc.resources[0]
    shown = shown or display
    built = f"{shown}, target {spec.target}" if spec.target else shown
    image.name = f"service:{service}:image"
    image.label = f'service "{service}" (image built from {built})'
    image.built = built
    overrides: Dict[str, Location] = {}
    if res.user is not None:
        image.user, overrides["HS101"] = res.user, res.user.loc
    elif image.user is not None and doc.lines:
        written = doc.lines[image.user.loc.line - 1] if image.user.loc.line else ""
        for name, loc in spec.arg_locs.items():
            if name in spec.args and re.search(r"\$\{?" + re.escape(name) + r"\b", written):
                image.user = Value(image.user.value, loc)
                overrides["HS101"] = loc
                break
    if res.healthcheck is not None:
        image.healthcheck, overrides["HS303"] = res.healthcheck, res.healthcheck.loc
    if res.one_shot:  # a job the service runs to completion: no health check to ask for
        image.one_shot = res.one_shot
        overrides.setdefault("HS303", res.one_shot[1])
    res.user = res.healthcheck = None
    image.service = service
    image.overrides = overrides
    replaced: Dict[Tuple[str, Optional[int]], Location] = {}
    image.replaced = replaced
    _environment(image, res, spec, replaced)
    _command(image, res, replaces, replaced)
    return image


def _environment(image: Resource, res: Resource, spec: BuildSpec,
                 replaced: Dict[Tuple[str, Optional[int]], Location]) -> None:
    """The image's ENV as the service runs it: what compose sets wins; an ENV that is wholly a build arg the
    service passes is decided (and located) there."""
    by_compose = {var.name: var for var in res.env if var.value is not None}
    written = image.env_written
    kept: List[EnvVar] = []
    for var in image.env:
        over = by_compose.get(var.name)
        if over is not None:  # not the container's environment, but written in the file and kept in the image
            image.stage_env.append(var)
            replaced[(var.loc.path, var.loc.line)] = over.loc
            continue
        match = WHOLLY_ONE_ARG.match((written.get(var.loc) or "").strip())
        arg = (match.group(1) or match.group(2)) if match else None
        if arg is not None and arg in spec.arg_locs and spec.args.get(arg) == var.value:  # the arg is in scope
            replaced[(var.loc.path, var.loc.line)] = spec.arg_locs[arg]
            var = EnvVar(var.name, var.value, spec.arg_locs[arg], f"build-arg:{arg}")
        kept.append(var)
    image.env = kept


def _command(image: Resource, res: Resource, replaces: Tuple[str, ...],
             replaced: Dict[Tuple[str, Optional[int]], Location]) -> None:
    """Compose `entrypoint` replaces the image's ENTRYPOINT and its CMD; `command` replaces its CMD."""
    if not replaces:
        return
    dropped = list(image.cmd)
    if "entrypoint" in replaces:
        dropped += list(image.entrypoint)
        image.entrypoint = []
    image.cmd = []
    image.command = list(image.entrypoint)
    where = res.command[0].loc if res.command else res.anchor
    for token in dropped:
        replaced.setdefault((token.loc.path, token.loc.line), where)
