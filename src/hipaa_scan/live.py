"""`hipaa-scan live`: audit the containers of running Docker engines, read-only, or saved inspect JSON offline.

Per engine the audit makes exactly: one GET /version, one GET /info, one GET /containers/json, one GET
/containers/<id>/json per selected container (concurrently, in a bounded thread pool) and, only when a container
was created from a bare image id, one GET /images/json. Every check then runs on the recorded JSON: no round trip
per check. Several engines are audited concurrently into one report.

Read-only is enforced at the transport: the docker APIClient (a requests Session) gets a `send` that raises
ReadOnlyViolation for any method but GET before anything is written to the socket, and every mounted adapter is
wrapped the same way. The docker SDK is imported only here, inside functions.

Every request is bounded (liveguard: a deadline per request and per audit, a size cap per answer, no redirects)
and every answer is type-checked before use; a malformed part is an error for that part only. Each container's
inspect is kept compressed (Packed) and its document made when it is reached (Documents), so memory grows with
the findings, not with the inspect JSON.

Errors are one line (LiveError); a container that disappears between the list and its inspect is a note.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from hipaa_scan import liveguard
from hipaa_scan.liveguard import Budget
from hipaa_scan.model import Document, ScanError, ScanResult
from hipaa_scan.redact import text as mask_url  # every credential in a URL or message masked

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

DEFAULT_HOST = "unix:///var/run/docker.sock"
MIN_API_VERSION = "1.24"  # Docker 1.12; also the docker SDK's floor
DEFAULT_TIMEOUT = 30.0
WORKERS = 16  # concurrent inspects (shared by every engine)
HOST_WORKERS = 8  # engines audited at once
PROGRESS_MIN = 20  # show a progress bar from this many containers (and only on a terminal)
UNSAFE_LABEL = re.compile(r"[^A-Za-z0-9_.:@-]")
# A placeholder the SDK accepts at construction; the real version is negotiated with one GET /version.
_BOOT_API_VERSION = "1.24"


class LiveError(Exception):
    """An error that ends the run: its text is the one line the user sees."""


class ReadOnlyViolation(LiveError):
    """A request other than GET was about to be sent to an engine."""


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


def _env_tls(environ) -> Any:
    """TLS settings from DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as docker.from_env reads them (or False)."""
    from docker.utils import kwargs_from_env

    return kwargs_from_env(environment=dict(environ)).get("tls", False)


def resolve_targets(hosts: Sequence[str], context: Optional[str], environ=None) -> List[Target]:
    """The engines to audit: each --host; else the --context; else DOCKER_HOST and the TLS variables (docker's own
    defaults, as docker.from_env reads them)."""
    environ = os.environ if environ is None else environ
    if hosts and context:
        raise LiveError("use --host or --context, not both")
    try:
        if context:
            return [read_context(context, environ)]
        if hosts:
            out = []
            for host in hosts:
                host = host.strip()
                if not host:
                    raise LiveError("--host needs a value such as unix:///var/run/docker.sock or tcp://host:2376")
                tls = _env_tls(environ) if host.startswith(("tcp://", "https://")) else False
                out.append(Target(host, tls, "--host"))
            return out
        from docker.utils import kwargs_from_env

        kwargs = kwargs_from_env(environment=dict(environ))
        url = kwargs.get("base_url") or DEFAULT_HOST
        return [Target(url, kwargs.get("tls", False), "DOCKER_HOST" if kwargs.get("base_url") else "default")]
    except LiveError:
        raise
    except Exception as exc:  # TLSParameterError and the like: a bad cert path
        where = environ.get("DOCKER_CERT_PATH") or os.path.join("~", ".docker")
        why = "certificate files missing" if type(exc).__name__ == "TLSParameterError" else _reason(exc)
        raise LiveError(f"cannot set up TLS for the Docker engine: {why} in {where}; check DOCKER_CERT_PATH "
                        "(ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY") from None


def docker_config_dir(environ=None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")


def read_context(name: str, environ=None) -> Target:
    """A Docker CLI context: ~/.docker/contexts/meta/<sha256(name)>/meta.json names the host; TLS material, if
    any, is in ~/.docker/contexts/tls/<sha256(name)>/docker/. `default` is the environment's engine."""
    environ = os.environ if environ is None else environ
    if name == "default":
        env = {k: v for k, v in environ.items() if k != "DOCKER_CONTEXT"}
        target = resolve_targets((), None, env)[0]
        target.origin = "context default"
        return target
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
        raise LiveError(f"cannot read Docker context {name!r} from {meta_path}: {_reason(exc)}") from None
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
                raise LiveError(f"Docker context {name!r}: bad TLS material in {tls_dir}: {_reason(exc)}") from None
    elif host.startswith("tcp://") and endpoint.get("SkipTLSVerify"):
        tls = True
    return Target(host, tls, f"context {name}")


# --- the read-only client ------------------------------------------------------------------------------------


def _guard(send: Callable, where: str) -> Callable:
    def guarded(request, *args, **kwargs):
        method = (getattr(request, "method", "") or "").upper()
        if method != "GET":
            path = urlsplit(getattr(request, "url", "") or "").path
            raise ReadOnlyViolation(f"refused to send {method} {path} to the Docker engine: hipaa-scan live is "
                                    f"read-only and sends GET requests only ({where})")
        return send(request, *args, **kwargs)

    guarded.__hipaa_scan_read_only__ = True  # type: ignore[attr-defined]
    return guarded


def make_read_only(session) -> Any:
    """Make a requests Session (the docker APIClient is one) refuse every method but GET, before sending: its own
    `send` and every mounted transport adapter's `send` are wrapped."""
    if not getattr(session.send, "__hipaa_scan_read_only__", False):
        session.send = _guard(session.send, "session")
    for adapter in list(session.adapters.values()):
        if not getattr(adapter.send, "__hipaa_scan_read_only__", False):
            adapter.send = _guard(adapter.send, "transport")
    return session


def connect(target: Target, timeout: float = DEFAULT_TIMEOUT, pool_size: int = WORKERS,
            budget: Optional[Budget] = None) -> Tuple[Any, Dict[str, Any]]:
    """A read-only docker APIClient for the target, and the engine's version JSON (the one request made here).
    Every request of the client obeys `budget` (liveguard: a deadline per request and per audit, a size cap)."""
    from docker.api.client import APIClient

    budget = budget or Budget(timeout)

    try:
        # ssh:// goes through the system's ssh client, as the docker CLI does (its config, agent and known_hosts
        # apply); the docker SDK still needs paramiko installed for it (`pip install hipaa-scan[ssh]`).
        # (the ignore: the SDK takes a float timeout, as requests does; its stub says int)
        client = APIClient(base_url=target.url, version=_BOOT_API_VERSION, timeout=timeout,  # type: ignore[arg-type]
                           tls=target.tls,
                           max_pool_size=max(pool_size, 1),
                           use_ssh_client=target.url.startswith("ssh://") and shutil.which("ssh") is not None)
    except Exception as exc:
        raise classify(exc, target, timeout) from None
    make_read_only(client)
    liveguard.install(client, target.shown, budget)
    try:
        version = client.version(api_version=False)
    except Exception as exc:
        client.close()
        raise classify(exc, target, timeout) from None
    problem = liveguard.check_version(version)
    if problem:
        client.close()
        raise LiveError(f"{target.shown} answered, but not like a Docker engine (GET /version: {problem})")
    api = version["ApiVersion"]
    from docker.utils import version_lt

    if version_lt(api, MIN_API_VERSION):
        client.close()
        raise LiveError(f"the Docker engine at {target.shown} speaks API {api}, older than {MIN_API_VERSION} "
                        f"(Docker 1.12), the oldest hipaa-scan supports: upgrade the engine, or save `docker "
                        "inspect` and `docker info` output there and use --from-inspect / --from-info")
    # talk the engine's own API version: every field it has, nothing it lacks (a private attribute of the SDK)
    client._version = api  # type: ignore[attr-defined]
    return client, version


def _chain(exc: BaseException) -> List[BaseException]:
    """The exception, its causes and contexts, and exceptions nested in args/reason (requests/urllib3 nest them)."""
    seen: List[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 30:
        cur = todo.pop()
        if cur is None or any(cur is s for s in seen):
            continue
        seen.append(cur)
        todo.extend(x for x in (cur.__cause__, cur.__context__, getattr(cur, "reason", None))
                    if isinstance(x, BaseException))
        todo.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))
    return seen


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return mask_url(text)[:200]


def classify(exc: BaseException, target: Target, timeout: float = DEFAULT_TIMEOUT) -> LiveError:
    """One clear line for a failure to talk to an engine."""
    import ssl

    import requests

    if isinstance(exc, LiveError):
        return exc
    if isinstance(exc, liveguard.BudgetError):
        return LiveError(str(exc))
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)

    def has(*types: type) -> bool:
        return any(isinstance(e, types) for e in chain)

    host = target.shown
    scheme = target.scheme
    if "paramiko" in text:
        return LiveError(f"cannot reach {host}: ssh:// engines need the paramiko package (pip install "
                         "'hipaa-scan[ssh]'), "
                         "or forward the socket with `ssh -L` and use --host unix://... instead")
    if has(PermissionError) or "Permission denied" in text:
        where = target.url.split("://", 1)[-1] if scheme == "unix" else host
        return LiveError(f"permission denied on the Docker socket {where}: add your user to the `docker` group "
                         "(and log in again) or run hipaa-scan with sudo")
    if has(ssl.SSLError, requests.exceptions.SSLError) or type(exc).__name__ == "TLSParameterError" or \
            "CERTIFICATE_VERIFY_FAILED" in text:
        why = "certificate verification failed" if "CERTIFICATE_VERIFY_FAILED" in text else _tls_reason(chain)
        return LiveError(f"TLS failure talking to the Docker engine at {host}: {why}; check DOCKER_CERT_PATH "
                         "(ca.pem, cert.pem, key.pem), DOCKER_TLS_VERIFY, or the context's TLS files")
    if has(requests.exceptions.Timeout, TimeoutError):
        return LiveError(f"the Docker engine at {host} did not answer within {timeout:g} s: check that it is "
                         "running and reachable, or raise --timeout")
    api = next((e for e in chain if type(e).__name__ == "APIError"), None)
    if api is not None:  # the engine answered, with an HTTP error status
        status = getattr(api, "status_code", None)
        explanation = mask_url(str(getattr(api, "explanation", None) or _reason(api)))[:200]
        if isinstance(status, int) and status >= 500:
            return LiveError(f"the Docker engine at {host} failed with HTTP {status}: {explanation}; check the "
                             "engine's log (journalctl -u docker) and try again")
        return LiveError(f"the Docker engine at {host} refused a request (HTTP {status}): {explanation}")
    if has(RecursionError):
        return LiveError(f"the Docker engine at {host} sent JSON nested too deeply to read")
    if has(requests.exceptions.TooManyRedirects):  # liveguard follows none; kept for a client used without it
        return LiveError(f"the Docker engine at {host} answered with a redirect loop: a Docker engine never "
                         "redirects, so --host, --context or DOCKER_HOST probably names a web server or a proxy")
    if has(json.JSONDecodeError, requests.exceptions.JSONDecodeError):
        return LiveError(f"{host} sent an answer that is not valid JSON: is it a Docker engine, or a proxy in "
                         "front of one?")
    if has(requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in text or "Connection broken" in text:
        return LiveError(f"the Docker engine at {host} closed the connection in the middle of an answer; check "
                         "that it is still running, then scan again")
    if has(FileNotFoundError) or "No such file or directory" in text:
        where = target.url.split("://", 1)[-1]
        return LiveError(f"cannot reach the Docker engine at {host}: no socket at {where}; check that dockerd is "
                         "running and that --host, --context or DOCKER_HOST names the right engine")
    if has(ConnectionRefusedError) or "Connection refused" in text:
        return LiveError(f"cannot reach the Docker engine at {host}: connection refused; check that dockerd is "
                         "running and listening there, and that --host, --context or DOCKER_HOST is right")
    if has(requests.exceptions.ConnectionError, OSError):
        return LiveError(f"cannot reach the Docker engine at {host}: {_connection_reason(text)}; check the host "
                         "name, the network, and that dockerd is running there")
    name = type(exc).__name__
    if name in ("DockerException", "InvalidArgument") and ("bind address" in text or "protocol" in text.lower()
                                                          or "Invalid" in text):
        return LiveError(f"invalid engine address {host}: use unix:///path, tcp://host:port or ssh://user@host")
    if isinstance(exc, (ValueError, requests.exceptions.RequestException)):
        return LiveError(f"{host} did not answer like a Docker engine: {_reason(exc)}")
    return LiveError(f"cannot use the Docker engine at {host}: {name}: {_reason(exc)}")


def _tls_reason(chain: List[BaseException]) -> str:
    for e in chain:
        reason = getattr(e, "reason", None)
        if isinstance(reason, str) and reason:
            return reason.lower().replace("_", " ")
    for e in chain:
        if type(e).__name__ == "TLSParameterError":
            return "certificate files missing or unusable"
    return "handshake failed"


def _connection_reason(text: str) -> str:
    for marker, reason in (("Name or service not known", "unknown host name"),
                           ("Failed to resolve", "unknown host name"),
                           ("nodename nor servname", "unknown host name"),
                           ("Network is unreachable", "network unreachable"),
                           ("No route to host", "no route to host"),
                           ("Connection reset", "connection reset"),
                           ("RemoteDisconnected", "the connection was closed without an answer"),
                           ("BadStatusLine", "the answer was not HTTP")):
        if marker in text:
            return reason
    return "connection failed"


# --- selection and capture -----------------------------------------------------------------------------------


@dataclass
class Selection:
    all: bool = False
    containers: Tuple[str, ...] = ()
    labels: Tuple[str, ...] = ()

    def label_filters(self) -> List[str]:
        return [label.strip() for label in self.labels if label.strip()]

    def check(self) -> "Selection":
        for label in self.labels:
            if not label.strip() or label.strip().startswith("="):
                raise LiveError(f"--label {label!r}: expected KEY or KEY=VALUE")
        for name in self.containers:
            if not name.strip().lstrip("/"):
                raise LiveError("--container needs a container name or id")
        return self

    def matches_labels(self, labels: Any) -> bool:
        labels = labels if isinstance(labels, dict) else {}
        for want in self.label_filters():
            key, sep, value = want.partition("=")
            if key not in labels or (sep and labels.get(key) != value):
                return False
        return True


@dataclass
class EngineCapture:
    """What one engine returned: enough to analyse it again with no daemon (that is what evidence keeps)."""

    target: Target
    label: str = ""
    info: Optional[Dict[str, Any]] = None
    version: Optional[Dict[str, Any]] = None
    connection: Optional[Dict[str, Any]] = None
    containers: List[Tuple[Packed, List[str]]] = field(default_factory=list)  # (inspect, image tags)
    notes: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # per-container problems (the rest is still audited)
    error: Optional[str] = None  # the engine could not be audited at all
    requests: int = 0


class Progress:
    """A rich progress bar on stderr, only on a terminal and only for many containers; otherwise a no-op."""

    def __init__(self, enabled: Optional[bool] = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total = 0
        self.done = 0
        self.bar: Any = None  # a rich progress bar, once there are enough containers
        self.task: Any = None
        self.lock = threading.Lock()

    def add(self, count: int) -> None:
        with self.lock:
            self.total += count
            if self.enabled and self.bar is None and self.total >= PROGRESS_MIN:
                from rich.console import Console
                from rich.progress import Progress as Bar

                self.bar = Bar(console=Console(stderr=True), transient=True)
                self.task = self.bar.add_task("inspecting containers", total=self.total, completed=self.done)
                self.bar.start()
            elif self.bar is not None:
                self.bar.update(self.task, total=self.total)

    def advance(self) -> None:
        with self.lock:
            self.done += 1
            if self.bar is not None:
                self.bar.update(self.task, completed=self.done)

    def close(self) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.stop()
                self.bar = None


def _names(entry: Dict[str, Any]) -> List[str]:
    return [n.lstrip("/") for n in entry.get("Names") or [] if isinstance(n, str)]


def _select(listing: List[Dict[str, Any]], selection: Selection) -> Tuple[List[Tuple[str, str]], List[str]]:
    """(id, list-entry image) of the selected containers, and the --container values that matched nothing."""
    entries = [e for e in listing if isinstance(e, dict) and isinstance(e.get("Id"), str)]
    if not selection.containers:
        return [(e["Id"], e.get("Image") or "") for e in entries], []
    chosen: Dict[str, str] = {}
    unmatched = []
    for want in selection.containers:
        want = want.strip().lstrip("/")
        by_name = [e for e in entries if want in _names(e)]
        by_id = [e for e in entries if e["Id"].startswith(want.lower())] if want else []
        hit = by_name or (by_id if len(by_id) == 1 else [])
        if hit:
            chosen.setdefault(hit[0]["Id"], hit[0].get("Image") or "")
        else:
            unmatched.append(want)
    return list(chosen.items()), unmatched


def capture_engine(target: Target, selection: Selection, timeout: float, pool: ThreadPoolExecutor,
                   progress: Progress, budget: Optional[Budget] = None) -> EngineCapture:
    """Audit one engine: version, info, one list, then one inspect per selected container in the shared pool.
    Each answer is type-checked before use (liveguard): a bad /info is an error and the engine checks that need it
    are skipped; a bad list entry or inspect is an error for that container only."""
    import docker

    budget = budget or Budget(timeout)
    cap = EngineCapture(target)
    try:
        client, cap.version = connect(target, timeout, WORKERS, budget)
    except LiveError as exc:
        cap.error = str(exc)
        return cap
    try:
        cap.requests = 1
        info = client.info()
        cap.requests += 1
        problem = liveguard.check_info(info)
        if problem:
            cap.errors.append(f"the engine's answer to GET /info is malformed ({problem}); the engine-level checks "
                              "that read it were skipped")
        else:
            cap.info = info
        listing = _list_containers(client, target, selection)
        cap.requests += 1
        entries = []
        for i, entry in enumerate(listing):
            problem = liveguard.check_list_entry(entry)
            if problem:
                cid = entry.get("Id") if isinstance(entry, dict) and isinstance(entry.get("Id"), str) else ""
                cap.errors.append(f"container {_shown_id(cid) if cid else f'#{i + 1} of the list'}: the engine's "
                                  f"list entry is malformed ({problem}); not audited")
            else:
                entries.append(entry)
        del listing
        chosen, unmatched = _select(entries, selection)
        names = {c["Id"]: str((c.get("Names") or [""])[0]).lstrip("/") for c in entries if c.get("Names")}
        del entries
        progress.add(len(chosen) + len(unmatched))

        def inspect(ref: str):
            """(Packed inspect, problem, whether it carries the --label values): the parsed JSON is packed here, in
            the worker, so that no more than one parsed inspect per worker exists at a time."""
            try:
                if budget.over():  # the audit's time is up: no further request
                    return None, "late", False
                data = client.inspect_container(ref)
                problem = liveguard.check_inspect(data)
                if problem:
                    return None, f"the engine's inspect answer is malformed ({problem})", False
                return Packed(data), None, selection.matches_labels((data.get("Config") or {}).get("Labels"))
            except docker.errors.NotFound:
                return None, "gone", False
            except liveguard.AuditDeadline:
                return None, "late", False
            except Exception as exc:  # one container's failure does not end the audit
                return None, classify(exc, target, timeout), False
            finally:
                progress.advance()

        futures = [(cid, hint, pool.submit(inspect, cid)) for cid, hint in chosen]
        named = [(want, pool.submit(inspect, want)) for want in unmatched]
        late = 0
        for cid, hint, future in futures:
            data, problem, _labelled = future.result()
            if problem == "late":
                late += 1
                continue
            cap.requests += 1
            shown = f"{_clean(names[cid])} ({cid[:12]})" if names.get(cid) else cid[:12]
            if problem == "gone":
                cap.notes.append(f"container {shown} was removed during the scan; not audited")
            elif problem is not None:
                cap.errors.append(f"container {shown}: {problem}")
            else:
                cap.containers.append((data, [hint] if hint else []))
        for want, future in named:
            data, problem, labelled = future.result()
            if problem == "late":
                late += 1
                continue
            cap.requests += 1
            if problem == "gone":
                cap.errors.append(f"no container named {want!r} on {target.shown}")
            elif problem is not None:
                cap.errors.append(f"container {want!r}: {problem}")
            elif not labelled:
                cap.notes.append(f"container {want!r} does not carry the --label values; not audited")
            elif not any(c[0].id == data.id for c in cap.containers):
                cap.containers.append((data, []))
        if late:
            cap.errors.append(f"the audit did not finish within {budget.audit:g} s (--audit-timeout): {late} of "
                              f"{len(futures) + len(named)} containers on {target.shown} were not audited")
        else:
            _resolve_image_ids(client, cap)
    except LiveError as exc:
        cap.error = str(exc)
    except Exception as exc:
        cap.error = str(classify(exc, target, timeout))
    finally:
        client.close()
    cap.connection = connection_facts(target)
    return cap


def _shown_id(cid: str) -> str:
    return _clean(cid[:12])


def _clean(text: str) -> str:
    """An engine-supplied name for a message: at most 200 characters, control characters shown as \\xNN (the
    text reports escape the rest)."""
    text = text[:200]
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text)


def _list_containers(client, target: Target, selection: Selection) -> List[Dict[str, Any]]:
    """GET /containers/json, read with only Id, Names and Image kept from each entry (liveguard.trim_list_entry):
    the list of 50,000 containers never exists in memory as full objects."""
    params: Dict[str, Any] = {"all": 1 if selection.all or selection.containers else 0}
    if selection.label_filters():
        from docker.utils import convert_filters

        params["filters"] = convert_filters({"label": selection.label_filters()})
    resp = client._get(client._url("/containers/json"), params=params)
    client._raise_for_status(resp)
    listing = liveguard.parse_json(resp, "the container list (GET /containers/json)", target.shown,
                                   trim=liveguard.trim_list_entry)
    problem = liveguard.check_list(listing)
    if problem:
        raise LiveError(f"the Docker engine at {target.shown} sent a container list (GET /containers/json) that "
                        f"is malformed ({problem})")
    return listing


def _resolve_image_ids(client, cap: EngineCapture) -> None:
    """Containers created from a bare image id: one GET /images/json for the engine gives their tags."""
    from hipaa_scan.sources.container import is_image_id

    pending = [i for i, (packed, tags) in enumerate(cap.containers)
               if is_image_id(packed.config_image) and not any(t and not is_image_id(t) for t in tags)]
    if not pending:
        return
    images = client.images()
    cap.requests += 1
    if not isinstance(images, list):
        cap.errors.append("the engine's image list (GET /images/json) is not a JSON list; containers created from "
                          "a bare image id are audited without their image's tag")
        images = []
    tags_by_id = {img["Id"]: [t for t in img.get("RepoTags") or [] if isinstance(t, str)]
                  for img in images if isinstance(img, dict) and isinstance(img.get("Id"), str)
                  and isinstance(img.get("RepoTags") or [], list)}
    for i in pending:
        packed, _tags = cap.containers[i]
        cap.containers[i] = (packed, tags_by_id.get(packed.image, []))


def connection_facts(target: Target) -> Dict[str, Any]:
    tls = bool(target.tls)
    verify = bool(getattr(target.tls, "verify", False)) if tls and not isinstance(target.tls, bool) else False
    return {"host": target.shown, "scheme": target.scheme, "tls": tls or target.url.startswith("https://"),
            "tls_verify": verify, "origin": target.origin}


# --- offline input -------------------------------------------------------------------------------------------


def _load_json(path: str, what: str) -> Any:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(64 * 1024 * 1024 + 1)
    except FileNotFoundError:
        raise LiveError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LiveError(f"{path}: is a folder, not a {what} JSON file") from None
    except OSError as exc:
        raise LiveError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > 64 * 1024 * 1024:
        raise LiveError(f"{path}: larger than 64 MiB; not a {what} file")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LiveError(f"{path}: not UTF-8 text; expected the JSON `{what}` prints") from None
    except json.JSONDecodeError as exc:
        raise LiveError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); expected "
                        f"the JSON `{what}` prints") from None
    except RecursionError:
        raise LiveError(f"{path}: JSON nested too deeply") from None


def load_inspect_file(path: str) -> List[Dict[str, Any]]:
    """The containers of a file holding `docker inspect` output: a list of container objects, or one object."""
    data = _load_json(path, "docker inspect")
    items = data if isinstance(data, list) else [data]
    if not items:
        raise LiveError(f"{path}: an empty list; expected `docker inspect` output of at least one container")
    for i, item in enumerate(items):
        where = f"{path}: item {i}" if isinstance(data, list) else path
        if not isinstance(item, dict):
            raise LiveError(f"{where}: not a JSON object; expected `docker inspect` output of a container")
        if "RootFS" in item or "RepoTags" in item:
            raise LiveError(f"{where}: this is `docker inspect` of an image; inspect the container instead")
        if not (isinstance(item.get("Config"), dict) or isinstance(item.get("HostConfig"), dict)):
            raise LiveError(f"{where}: no Config or HostConfig object; expected `docker inspect` output of a "
                            "container")
    return items


def load_info_file(path: str) -> Dict[str, Any]:
    data = _load_json(path, "docker info --format '{{json .}}'")
    if not isinstance(data, dict) or not any(k in data for k in ("ServerVersion", "SecurityOptions", "LoggingDriver",
                                                                 "Containers", "Driver")):
        raise LiveError(f"{path}: not `docker info` output (expected the JSON of docker info --format "
                        "'{{json .}}')")
    problem = liveguard.check_info(data)
    if problem:
        raise LiveError(f"{path}: malformed `docker info` output ({problem})")
    return data


def capture_files(inspect_paths: Sequence[str], info_path: Optional[str], selection: Selection) -> EngineCapture:
    """Saved inspect/info JSON as if it came from one engine, with no connection."""
    cap = EngineCapture(Target("offline", False, "--from-inspect"))
    cap.info = load_info_file(info_path) if info_path else None
    seen: Dict[str, str] = {}
    for path in inspect_paths:
        items = load_inspect_file(path)
        for i, item in enumerate(items):
            problem = liveguard.check_inspect(item)
            if problem:  # this container only: the file's other containers are still audited
                where = f"{path}: item {i}" if len(items) > 1 else path
                cap.errors.append(f"{where}: malformed `docker inspect` output ({problem}); not audited")
                continue
            cid = item["Id"] if isinstance(item.get("Id"), str) else ""
            if cid and cid in seen:
                cap.notes.append(f"container {cid[:12]} appears in {seen[cid]} and {path}; audited once")
                continue
            seen[cid or f"{path}#{len(seen)}"] = path
            if selection.containers:
                from hipaa_scan.sources.container import container_name

                name = container_name(item)
                if not any(w.strip().lstrip("/") in (name, cid) or (w and cid.startswith(w.strip().lower()))
                           for w in selection.containers):
                    continue
            if selection.label_filters() and not selection.matches_labels((item.get("Config") or {}).get("Labels")):
                continue
            cap.containers.append((Packed(item), []))
    return cap


# --- documents -----------------------------------------------------------------------------------------------


class Packed:
    """One container's checked inspect JSON, kept zlib-compressed (a tenth of the size of the parsed JSON) until it
    is needed, one container at a time: memory for N containers then grows with the findings, not with the inspect
    JSON. The few facts needed before that (selection, image tags, names) are kept apart."""

    __slots__ = ("blob", "config_image", "id", "image", "name")

    def __init__(self, data: Dict[str, Any]) -> None:
        import zlib

        from hipaa_scan.sources.container import container_name

        self.blob = zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 1)
        cid, config, image = data.get("Id"), data.get("Config"), data.get("Image")
        self.id: str = cid if isinstance(cid, str) else ""
        self.name = container_name(data)
        config_image = config.get("Image") if isinstance(config, dict) else None
        self.config_image: str = config_image if isinstance(config_image, str) else ""
        self.image: str = image if isinstance(image, str) else ""

    def load(self) -> Dict[str, Any]:
        import zlib

        return json.loads(zlib.decompress(self.blob))


class Documents:
    """A run's documents, made one at a time each time they are iterated: the engines', then each container's from
    its Packed inspect. Nothing per container is kept between two iterations."""

    def __init__(self, run: LiveRun) -> None:
        self.run = run
        self.engine_docs: List[Document] = []

    def append(self, doc: Document) -> None:
        self.engine_docs.append(doc)

    def __iter__(self):
        from hipaa_scan.sources.container import container_document

        yield from self.engine_docs
        for display, label, packed, tags in self.run.containers.values():
            yield container_document(packed.load(), display, tags, label)

    def __len__(self) -> int:
        return len(self.engine_docs) + len(self.run.containers)


@dataclass
class LiveRun:
    captures: List[EngineCapture]
    documents: Any = None  # Documents: iterate it (each container's document is made as it is reached)
    # document path -> (display name, engine label, Packed inspect, image tags), in report order
    containers: Dict[str, Tuple[str, str, Packed, List[str]]] = field(default_factory=dict)
    engines: Dict[str, EngineCapture] = field(default_factory=dict)  # document path -> capture
    inventory: List[Dict[str, Any]] = field(default_factory=list)
    errors: List[ScanError] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    seconds: float = 0.0
    offline: bool = False

    def __post_init__(self) -> None:
        if self.documents is None:
            self.documents = Documents(self)

    def inspect(self, path: str) -> Dict[str, Any]:
        """The raw inspect JSON of the container document at `path` (made again from its Packed form)."""
        return self.containers[path][2].load()


def _engine_labels(captures: List[EngineCapture]) -> None:
    used: Dict[str, int] = {}
    for cap in captures:
        if cap.target.url == "offline":
            base = (cap.info or {}).get("Name") if isinstance((cap.info or {}).get("Name"), str) else None
            base = base or "offline"
        elif cap.target.scheme in ("unix", "npipe") and isinstance((cap.info or {}).get("Name"), str) \
                and (cap.info or {}).get("Name"):
            base = (cap.info or {})["Name"]
        else:
            base = host_label(cap.target.url)
        base = UNSAFE_LABEL.sub("_", base.strip("/")) or "engine"  # info Name may come from an untrusted file
        base = base if base[0].isalnum() else "_" + base
        used[base] = used.get(base, 0) + 1
        cap.label = base if used[base] == 1 else f"{base}-{used[base]}"


def build_run(captures: List[EngineCapture], offline: bool = False) -> LiveRun:
    """Documents for every engine and container captured; engine failures become scan errors. A container's
    document is made when `run.documents` is iterated; here only its name and inventory facts are worked out."""
    from hipaa_scan.sources.container import SCHEME, container_state, image_reference
    from hipaa_scan.sources.engine import engine_document

    run = LiveRun(captures, offline=offline)
    _engine_labels(captures)
    several = sum(1 for c in captures if c.error is None) > 1
    for cap in captures:
        err_path = f"engine://{cap.label}"
        if cap.error is not None:
            run.errors.append(ScanError(err_path, cap.error, "engine"))
            continue
        for problem in cap.errors:
            run.errors.append(ScanError(err_path, problem, "engine"))
        run.notes.extend(f"{cap.label}: {n}" if several else n for n in cap.notes)
        if cap.info is not None or not offline:
            doc = engine_document(cap.label, cap.info, cap.version, cap.connection)
            run.documents.append(doc)
            run.engines[doc.path] = cap
            run.inventory.append({"kind": "engine", "path": doc.path, "name": cap.label,
                                  "host": cap.target.shown if not offline else "saved docker info",
                                  "version": doc.resources[0].server_version or "",
                                  "api": doc.resources[0].api_version or "",
                                  "os": doc.resources[0].os or ""})
        names: Dict[str, int] = {}
        for packed, tags in sorted(cap.containers, key=lambda c: c[0].name):
            base = packed.name
            names[base] = names.get(base, 0) + 1
            if names[base] > 1:  # saved files from several hosts may repeat a name
                base = f"{base}@{str(packed.id or names[base])[:12]}"
            display = f"{cap.label}/{base}" if several else base
            path = SCHEME + display
            data = packed.load()
            run.containers[path] = (display, cap.label, packed, tags)
            run.inventory.append({"kind": "container", "path": path, "name": display, "engine": cap.label,
                                  "image": image_reference(data, tags) or "", "state": container_state(data),
                                  "id": packed.id[:12]})
        cap.containers = []  # run.containers holds them now
    return run


def audit(targets: List[Target], selection: Selection, timeout: float = DEFAULT_TIMEOUT,
          progress: Optional[Progress] = None, audit_timeout: float = liveguard.DEFAULT_AUDIT_SECONDS) -> LiveRun:
    """Audit every target concurrently. Raises LiveError when no engine could be audited at all (one line per
    engine); a partial failure is a scan error in the run and the other engines are still reported.

    `timeout` bounds each whole request (connection, headers and body), `audit_timeout` every request of the audit
    together (liveguard.Budget): a slow or endless engine cannot hold the audit past them."""
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    progress = progress or Progress(False)
    budget = Budget(timeout, audit_timeout)
    try:
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="inspect") as pool, \
                ThreadPoolExecutor(max_workers=min(HOST_WORKERS, max(len(targets), 1)),
                                   thread_name_prefix="engine") as hosts:
            futures = [hosts.submit(capture_engine, t, selection, timeout, pool, progress, budget) for t in targets]
            captures = [f.result() for f in futures]
    finally:
        progress.close()
    failed = [c for c in captures if c.error is not None]
    if failed and len(failed) == len(captures):
        raise LiveError("; ".join(c.error for c in failed))  # type: ignore[misc]
    run = build_run(captures)
    run.started = started
    run.seconds = time.monotonic() - clock
    return run


def analyse_files(inspect_paths: Sequence[str], info_path: Optional[str], selection: Selection) -> LiveRun:
    started = datetime.now(timezone.utc)
    run = build_run([capture_files(inspect_paths, info_path, selection)], offline=True)
    run.started = started
    return run


def scan(run: LiveRun, options) -> ScanResult:
    """Run the rules over the run's documents (the same engine as file scans)."""
    from hipaa_scan.engine import scan_documents

    result = scan_documents(run.documents, options, run.errors)
    result.notes = list(run.notes) + list(result.notes)
    return result


# --- evidence ------------------------------------------------------------------------------------------------


@dataclass
class Evidence:
    folder: str
    redirected: bool  # the folder given existed and was not empty: this is a new subfolder of it
    files: Dict[str, str]  # location path (container://name, engine://label) -> absolute evidence file
    lines: Dict[str, Dict[str, int]]  # location path -> key path -> line in that file


def write_evidence(directory: str, run: LiveRun, result: ScanResult, category: Optional[str] = None) -> Evidence:
    from hipaa_scan import __version__
    from hipaa_scan import evidence as ev
    from hipaa_scan.engine import resource_secrets
    from hipaa_scan.report import jsonfmt, livetext, sarif
    from hipaa_scan.sources.container import container_name

    stamp = run.started.strftime("%Y%m%dT%H%M%SZ")
    staging = writer = None
    try:
        folder, redirected = ev.choose_folder(directory, stamp)  # reserved for this run alone
        staging = ev.Staging(folder)
        writer = ev.EvidenceWriter(staging.path)
        names = ev.Names()
        rel_files: Dict[str, str] = {}
        lines: Dict[str, Dict[str, int]] = {}
        wanted: Dict[str, set] = {}  # location path -> the keys findings point at: the only lines SARIF needs
        for f in result.findings:
            wanted.setdefault(f.location.path, set()).add(f.location.key or "")

        def keep(path: str, index: Dict[str, int]) -> Dict[str, int]:
            keys = wanted.get(path, set())
            kept = {k: v for k, v in index.items() if k in keys}
            kept[""] = index.get("Name", 1)  # findings about something missing point at the name
            return kept

        for doc in run.documents:
            res = doc.resources[0]
            if doc.kind == "container":
                raw = run.inspect(doc.path)
                own = raw.get("Name")
                exact = isinstance(own, str) and own.lstrip("/") == container_name(raw)
                rel = names.container(doc.path[len("container://"):], str(res.container_id or ""), exact)
                data = ev.redact_inspect(raw, resource_secrets(res))
                lines[doc.path] = keep(doc.path, writer.write_json(rel, data))
                rel_files[doc.path] = rel
                del raw, data
            else:
                cap = run.engines[doc.path]
                base = names.engine(cap.label)
                secrets: List[str] = []
                if cap.info is not None:
                    lines[doc.path] = keep(doc.path, writer.write_json(f"{base}/info.json",
                                                                       ev.scrub_json(cap.info, secrets)))
                    rel_files[doc.path] = f"{base}/info.json"
                if cap.version is not None:
                    writer.write_json(f"{base}/version.json", ev.scrub_json(cap.version, secrets))
                if cap.connection is not None:
                    index = writer.write_json(f"{base}/connection.json", cap.connection)
                    if doc.path not in rel_files:
                        rel_files[doc.path], lines[doc.path] = f"{base}/connection.json", index
        writer.write("report.json", jsonfmt.render(result))
        writer.write("report.sarif", sarif.render(result, category, artifact_paths=rel_files, artifact_lines=lines,
                                                  srcroot=folder))
        writer.write("report.txt", livetext.render(result, color=False, inventory=run.inventory, run=run))
        summary = jsonfmt.summary(result)
        manifest = {
            "format": "hipaa-scan-evidence/1",
            "tool": {"name": "hipaa-scan", "version": __version__},
            "scan_time_utc": run.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scan_seconds": round(run.seconds, 3),
            "mode": "offline" if run.offline else "live",
            "hosts": [{"label": cap.label, "host": cap.target.shown if not run.offline else None,
                       "origin": cap.target.origin, "error": cap.error,
                       "server_version": (cap.version or {}).get("Version") or (cap.info or {}).get("ServerVersion"),
                       "api_version": (cap.version or {}).get("ApiVersion"),
                       "containers": len(cap.containers), "requests": cap.requests} for cap in run.captures],
            "containers": [{"name": item["name"], "id": item.get("id"), "image": item.get("image"),
                            "state": item.get("state"), "engine": item.get("engine"),
                            "evidence": rel_files.get(item["path"])}
                           for item in run.inventory if item["kind"] == "container"],
            "rule_catalog": [{"id": m.id, "name": m.name, "severity": m.severity, "origin": m.origin}
                             for m in sorted(result.rules, key=lambda m: m.id)],
            "summary": {k: summary[k] for k in ("findings", "suppressed", "errors", "by_severity", "by_rule")},
            "notes": list(result.notes),
            "errors": [{"path": e.path, "kind": e.kind, "message": e.message} for e in result.errors],
            "files": writer.file_list(),
            "verify": "sha256sum -c MANIFEST.sha256 (run inside this folder)",
        }
        writer.write_json("manifest.json", manifest)
        writer.write("MANIFEST.sha256", writer.manifest_lines(), record=False)
        writer.close()
        staging.publish()
    except ev.EvidenceError as exc:
        if writer is not None:
            writer.close()
        if staging is not None:
            staging.discard()
        raise LiveError(str(exc)) from None
    except BaseException:
        if writer is not None:
            writer.close()
        if staging is not None:
            staging.discard()
        raise
    files = {path: os.path.join(os.path.abspath(folder), *rel.split("/")) for path, rel in rel_files.items()}
    return Evidence(folder, redirected, files, lines)


# --- rendering -----------------------------------------------------------------------------------------------


def render(result: ScanResult, run: LiveRun, fmt: str, color: bool = False, quiet: bool = False,
           fail_on: str = "high", show_suppressed: bool = False, category: Optional[str] = None,
           evidence: Optional[Evidence] = None) -> str:
    """The SARIF or text report of a live run (JSON is the same as a path scan's: cli.emit writes it)."""
    if fmt == "sarif":
        from hipaa_scan.evidence import rel_for_sarif
        from hipaa_scan.report import sarif

        paths = {k: rel_for_sarif(v) for k, v in evidence.files.items()} if evidence else None
        return sarif.render(result, category, artifact_paths=paths, artifact_lines=evidence.lines if evidence else None)
    from hipaa_scan.report import livetext

    return livetext.render(result, color=color, quiet=quiet, fail_on=fail_on, show_suppressed=show_suppressed,
                           inventory=run.inventory, run=run)
