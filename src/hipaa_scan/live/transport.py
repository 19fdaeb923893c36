"""The read-only client: a docker APIClient whose session and every transport adapter refuse any method but GET
before anything is written to the socket, bounded by guard.install, and talking the engine's own API version.
The docker SDK is imported only here and in capture, inside functions."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

from hipaa_scan.live import guard
from hipaa_scan.live.errors import LiveError, ReadOnlyViolation, classify
from hipaa_scan.live.guard import DEFAULT_TIMEOUT, Budget

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional, Tuple

    from hipaa_scan.live.targets import Target

WORKERS = 16  # concurrent inspects (shared by every engine): also the size of each client's connection pool
MIN_API_VERSION = "1.24"  # Docker 1.12; also the docker SDK's floor

# A placeholder the SDK accepts at construction; the real version is negotiated with one GET /version.
_BOOT_API_VERSION = "1.24"

# --- the read-only client ------------------------------------------------------------------------------------


def _guard(send: Callable[..., Any], where: str) -> Callable[..., Any]:
    def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
        method = (getattr(request, "method", "") or "").upper()
        if method != "GET":
            path = urlsplit(getattr(request, "url", "") or "").path
            raise ReadOnlyViolation(f"refused to send {method} {path} to the Docker engine: hipaa-scan live is "
                                    f"read-only and sends GET requests only ({where})")
        return send(request, *args, **kwargs)

    guarded.__hipaa_scan_read_only__ = True  # type: ignore[attr-defined]
    return guarded


def make_read_only(session: Any) -> Any:
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
    Every request of the client obeys `budget` (guard: a deadline per request and per audit, a size cap)."""
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
    guard.install(client, target.shown, budget)
    try:
        version = client.version(api_version=False)
    except Exception as exc:
        client.close()
        raise classify(exc, target, timeout) from None
    problem = guard.check_version(version)
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

