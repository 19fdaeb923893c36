"""Which engines a live audit talks to: each --host, else the --context (read from the Docker CLI's own files),
else DOCKER_HOST and the TLS variables, as docker.from_env reads them."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from hipaa_scan.live.errors import LiveError, reason
from hipaa_scan.redact import text as mask_url  # every credential in a URL or message masked

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Mapping, Optional, Sequence


DEFAULT_HOST = "unix:///var/run/docker.sock"

# --- targets -------------------------------------------------------------------------------------------------


@dataclass
class Target:
    url: str  # as given: unix:///..., tcp://..., ssh://user@host, npipe://...
    tls: Any = False  # docker.tls.TLSConfig, True, or False
    origin: str = "--host"  # --host | DOCKER_HOST | context NAME | default

    @property
    def shown(self) -> str:
        """The URL for messages: any password masked."""
        return mask_url(self.url)

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower() if "://" in self.url else ("unix" if self.url.startswith("/")
                                                                                else "tcp")


def host_label(url: str) -> str:
    """A short name for an engine from its URL: host[:port] for tcp/ssh, the socket path for unix/npipe."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    if scheme in ("unix", "npipe", "http+unix"):
        return rest or url
    if "@" in rest:  # userinfo, whatever it holds (a password with `@` or `/`), is never part of the label
        rest = rest.rsplit("@", 1)[1]
        url = f"{scheme}://{rest}"
    parts = urlsplit(url)
    host = parts.hostname or rest.split("/", 1)[0]
    return f"{host}:{parts.port}" if parts.port else host


def _env_tls(environ: Mapping[str, str]) -> Any:
    """TLS settings from DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as docker.from_env reads them (or False)."""
    from docker.utils import kwargs_from_env

    return kwargs_from_env(environment=dict(environ)).get("tls", False)


def resolve_targets(hosts: Sequence[str], context: Optional[str],
                    environ: Optional[Mapping[str, str]] = None) -> List[Target]:
    """The engines to audit, chosen as the Docker CLI chooses: each --host; else the --context; else DOCKER_HOST
    (with the TLS variables); else the context DOCKER_CONTEXT names; else the Docker CLI's current context
    (`docker context use`: currentContext in config.json); else the default socket. Target.origin says which."""
    environ = os.environ if environ is None else environ
    if hosts and context:
        raise LiveError("use --host or --context, not both")
    try:
        if context:
            return [read_context(context, environ, "--context")]
        if hosts:
            out = []
            for host in hosts:
                host = host.strip()
                if not host:
                    raise LiveError("--host needs a value such as unix:///var/run/docker.sock or tcp://host:2376")
                tls = _env_tls(environ) if host.startswith(("tcp://", "https://")) else False
                out.append(Target(host, tls, "--host"))
            return out
        if not environ.get("DOCKER_HOST"):
            named = environ.get("DOCKER_CONTEXT")
            if named:
                return [read_context(named, environ, "DOCKER_CONTEXT")]
            current = current_context(environ)
            if current and current != "default":
                config = os.path.join(docker_config_dir(environ), "config.json")
                return [read_context(current, environ, f"currentContext in {config}")]
        return [_from_environment(environ)]
    except LiveError:
        raise
    except Exception as exc:  # TLSParameterError and the like: a bad cert path
        where = environ.get("DOCKER_CERT_PATH") or os.path.join("~", ".docker")
        why = "certificate files missing" if type(exc).__name__ == "TLSParameterError" else reason(exc)
        raise LiveError(f"cannot set up TLS for the Docker engine: {why} in {where}; check DOCKER_CERT_PATH "
                        "(ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY") from None


def _from_environment(environ: Mapping[str, str]) -> Target:
    """DOCKER_HOST and the TLS variables, as docker.from_env reads them; else the default socket."""
    from docker.utils import kwargs_from_env

    kwargs = kwargs_from_env(environment=dict(environ))
    url = kwargs.get("base_url") or DEFAULT_HOST
    return Target(url, kwargs.get("tls", False), "DOCKER_HOST" if kwargs.get("base_url") else "default")


def current_context(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The Docker CLI's current context (`docker context use NAME` writes it to config.json), or None. Read with
    the docker SDK's context API when the environment is the process's own; a config.json that cannot be read is
    no context, as for the SDK."""
    environ = os.environ if environ is None else environ
    if environ is os.environ:
        from docker.context.config import get_current_context_name

        return get_current_context_name() or None
    try:
        with open(os.path.join(docker_config_dir(environ), "config.json"), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    name = data.get("currentContext") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def docker_config_dir(environ: Optional[Mapping[str, str]] = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")


def read_context(name: str, environ: Optional[Mapping[str, str]] = None, chosen_by: str = "--context") -> Target:
    """A Docker CLI context: ~/.docker/contexts/meta/<sha256(name)>/meta.json names the host; TLS material, if
    any, is in ~/.docker/contexts/tls/<sha256(name)>/docker/. `default` is the environment's engine. Read with the
    docker SDK's context API (docker.context.ContextAPI) where it finds the context; the SDK looks for contexts only
    beside an existing config.json, so a context folder without one is read here, the same way."""
    environ = os.environ if environ is None else environ
    if name == "default":
        env = {k: v for k, v in environ.items() if k not in ("DOCKER_CONTEXT", "DOCKER_HOST")}
        target = _from_environment(env)
        target.origin = f"context default ({chosen_by})"
        return target
    found = _sdk_context(name, environ)
    if found is not None:
        found.origin = f"context {name} ({chosen_by})"
        return found
    root = os.path.join(docker_config_dir(environ), "contexts")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
    meta_path = os.path.join(root, "meta", digest, "meta.json")
    try:
        with open(meta_path, encoding="utf-8") as handle:
            meta = json.load(handle)
    except FileNotFoundError:
        raise LiveError(f"no Docker context named {name!r} (looked for {meta_path}; `docker context ls` lists "
                        "them)") from None
    except (OSError, ValueError) as exc:
        raise LiveError(f"cannot read Docker context {name!r} from {meta_path}: {reason(exc)}") from None
    endpoint = ((meta.get("Endpoints") or {}).get("docker") or {}) if isinstance(meta, dict) else {}
    host = endpoint.get("Host") if isinstance(endpoint, dict) else None
    if not isinstance(host, str) or not host:
        raise LiveError(f"Docker context {name!r} has no docker endpoint host ({meta_path})")
    tls: Any = False
    tls_dir = os.path.join(root, "tls", digest, "docker")
    if os.path.isdir(tls_dir):
        from docker.tls import TLSConfig

        files = {n: os.path.join(tls_dir, f"{n}.pem") for n in ("ca", "cert", "key")}
        have = {n: p for n, p in files.items() if os.path.isfile(p)}
        if have:
            try:
                tls = TLSConfig(client_cert=(have["cert"], have["key"]) if "cert" in have and "key" in have else None,
                                ca_cert=have.get("ca"), verify=not endpoint.get("SkipTLSVerify", False))
            except Exception as exc:
                raise LiveError(f"Docker context {name!r}: bad TLS material in {tls_dir}: {reason(exc)}") from None
    elif host.startswith("tcp://") and endpoint.get("SkipTLSVerify"):
        tls = True
    return Target(host, tls, f"context {name} ({chosen_by})")


def _sdk_context(name: str, environ: Mapping[str, str]) -> Optional[Target]:
    """The context as the docker SDK's ContextAPI reads it, when the SDK reads the same folder as the Docker CLI
    (the process's environment, a config.json present); None otherwise or when it does not know the context."""
    if environ is not os.environ:
        return None
    from docker.utils.config import find_config_file

    config = str(find_config_file() or "")
    if not config or os.path.dirname(os.path.abspath(config)) != os.path.abspath(docker_config_dir(environ)):
        return None  # the SDK would look for contexts elsewhere (a `contexts` folder in the working directory)
    from docker.context import ContextAPI

    try:
        ctx = ContextAPI.get_context(name)
    except Exception as exc:  # the SDK raises a plain Exception for a meta.json it cannot read
        raise LiveError(f"cannot read Docker context {name!r}: {reason(exc)}") from None
    if ctx is None:
        return None
    host = ctx.Host
    if not isinstance(host, str) or not host:
        raise LiveError(f"Docker context {name!r} has no docker endpoint host")
    tls: Any = ctx.TLSConfig or False  # the SDK reads a context's TLS material only when ca, cert and key are all there
    return Target(host, tls)

