"""How a live audit fails: `LiveError` (one line the user sees, exit 2), `ReadOnlyViolation`, and `classify`, which
turns whatever the docker SDK, requests or the socket raised into one clear line naming the engine and what to do."""

from __future__ import annotations

import json

from hipaa_scan.live import guard
from hipaa_scan.live.guard import DEFAULT_TIMEOUT
from hipaa_scan.redact import text as mask_url  # every credential in a URL or message masked

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Protocol

    class Target(Protocol):
        """What classify reads of a `targets.Target` (declared here: targets imports this module)."""

        url: str

        @property
        def shown(self) -> str: ...

        @property
        def scheme(self) -> str: ...


class LiveError(Exception):
    """An error that ends the run: its text is the one line the user sees."""


class ReadOnlyViolation(LiveError):
    """A request other than GET was about to be sent to an engine."""


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


def reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return mask_url(text)[:200]


def classify(exc: BaseException, target: Target, timeout: float = DEFAULT_TIMEOUT) -> LiveError:
    """One clear line for a failure to talk to an engine."""
    import ssl

    import requests

    if isinstance(exc, LiveError):
        return exc
    if isinstance(exc, guard.BudgetError):
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
        explanation = mask_url(str(getattr(api, "explanation", None) or reason(api)))[:200]
        if isinstance(status, int) and status >= 500:
            return LiveError(f"the Docker engine at {host} failed with HTTP {status}: {explanation}; check the "
                             "engine's log (journalctl -u docker) and try again")
        return LiveError(f"the Docker engine at {host} refused a request (HTTP {status}): {explanation}")
    if has(RecursionError):
        return LiveError(f"the Docker engine at {host} sent JSON nested too deeply to read")
    if has(requests.exceptions.TooManyRedirects):  # guard follows none; kept for a client used without it
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
        return LiveError(f"{host} did not answer like a Docker engine: {reason(exc)}")
    return LiveError(f"cannot use the Docker engine at {host}: {name}: {reason(exc)}")


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

