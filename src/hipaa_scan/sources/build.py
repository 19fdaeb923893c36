"""The image behind a compose service with `build:`: its Dockerfile as Compose builds it (context, dockerfile,
target stage, build args), with the run-time facts the service overrides.

The result is a Dockerfile Resource named after the service, so the Dockerfile rules judge the image the service
actually runs:
- root user: the compose `user:` when set (the finding then points at the compose line), else the Dockerfile's
  USER, or its absence (the FROM line of the stage that ships); a USER that a compose build arg decides points at
  that build arg;
- health check: a compose `healthcheck` with a `test` (or `disable: true`, which counts as none) decides, else the
  Dockerfile's HEALTHCHECK;
- build args resolve the Dockerfile's ARGs, so `FROM`, `USER` and `ENV` see the values Compose passes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional

from hipaa_scan.model import Location, Resource, Value
from hipaa_scan.sources.dockerfile import parse_dockerfile
from hipaa_scan.yamlsrc import YMap


@dataclass
class BuildSpec:
    dockerfile: str  # absolute path
    target: Optional[str]
    args: Dict[str, str]  # resolved values passed as --build-arg
    arg_locs: Dict[str, Location]  # where compose writes each build arg


def is_remote(context: str) -> bool:
    return "://" in context or context.startswith(("git@", "github.com/"))


def build_spec(build: Any, project_dir: str, args: Dict[str, str], arg_locs: Dict[str, Location]) -> Optional[BuildSpec]:
    """Where the service's Dockerfile is; None for a remote context or an inline Dockerfile."""
    if isinstance(build, YMap):
        if build.get("dockerfile_inline") is not None:
            return None
        context = str(build.get("context") or ".")
        dockerfile = str(build.get("dockerfile") or "Dockerfile")
        target = build.get("target")
    else:
        context, dockerfile, target = str(build), "Dockerfile", None
    if is_remote(context):
        return None
    context = os.path.join(project_dir, context)
    return BuildSpec(os.path.normpath(os.path.join(context, dockerfile)), None if target is None else str(target),
                     args, arg_locs)


def image_resource(service: str, res: Resource, text: str, display: str, spec: BuildSpec) -> Resource:
    """The service's image, judged with the run-time facts compose sets. Moves `user` and `healthcheck` from the
    service Resource to the image one, so each verdict is made once."""
    doc = parse_dockerfile(text, display, spec.args, spec.target)
    image = doc.resources[0]
    built = f"{display}, target {spec.target}" if spec.target else display
    image.name = f"service:{service}:image"
    image.label = f'service "{service}" (image built from {built})'
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
    res.user = res.healthcheck = None
    image.extra["service"] = service
    image.extra["overrides"] = overrides
    return image
