"""What a Docker engine may cost an audit, and what its answers must look like before they are used.

Budgets (docs/security.md lists them with their defaults):

- every request must be answered completely (connection, headers and the whole body) within `Budget.request`
  seconds, `--timeout`; the docker SDK's own timeout bounds only each socket read, so an engine that drips one byte
  a second, or streams a chunked answer that never ends, would otherwise hold the audit forever;
- the whole audit (every request to every engine) must finish within `Budget.audit` seconds, `--audit-timeout`;
- no answer is read past its size cap (`MAX_ANSWER_BYTES`, `MAX_LIST_BYTES` for the container and image lists);
- a redirect is never followed: a Docker engine does not redirect, and following one would send the audit's
  requests to a host nobody named.

`install(client, ...)` puts these on a docker APIClient (a requests Session): its `get` runs each request in a
daemon thread that reads the body in pieces up to the cap, and the caller waits no longer than the deadline. When a
deadline passes, the connection's socket is shut down (which ends any read blocked on it) and the caller gets one
clear error; nothing waits for the engine any more.

The checks (`check_version`, `check_info`, `check_list_entry`, `check_inspect`) look at the types of the fields
the audit reads, and at nesting depth, and return one line describing the first problem, or None. A problem in one
container's answer is an error for that container only. They are plain code rather than jsonschema: they run once
per container, and 50,000 jsonschema validations would cost more than the audit.

This module imports neither docker nor requests: the objects it is given carry what it needs.
"""

from __future__ import annotations

import re
import socket
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Optional

DEFAULT_REQUEST_SECONDS = 30.0
DEFAULT_AUDIT_SECONDS = 600.0
DEFAULT_TIMEOUT = DEFAULT_REQUEST_SECONDS  # --timeout
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # /version, /info, one container's inspect
MAX_LIST_BYTES = 128 * 1024 * 1024  # /containers/json, /images/json: about 100,000 containers
MAX_DEPTH = 64  # nesting of any answer (a real inspect is about 6 deep)
READ_PIECE = 64 * 1024


class BudgetError(Exception):
    """An engine went over a budget: the text is the one line the user sees."""


class AuditDeadline(BudgetError):
    """The audit's own deadline passed: no more requests are made to any engine."""


class Budget:
    """The wall-clock limits of one audit; `deadline` is on time.monotonic()'s clock."""

    def __init__(self, request: float = DEFAULT_REQUEST_SECONDS, audit: float = DEFAULT_AUDIT_SECONDS) -> None:
        self.request = float(request)
        self.audit = float(audit)
        self.deadline = time.monotonic() + self.audit

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def over(self) -> bool:
        return self.left() <= 0


def api_path(url: str) -> str:
    """`/info` from `http+docker://localhost/v1.43/info?x=1`: the path without the API version, for messages."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path or "/"
    return re.sub(r"^/v[0-9]+(\.[0-9]+)*(?=/)", "", path)


def cap_for(path: str) -> int:
    return MAX_LIST_BYTES if path in ("/containers/json", "/images/json") else MAX_ANSWER_BYTES


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB"


def install(client: Any, shown: str, budget: Budget) -> None:
    """Make `client.get` (every request the docker SDK makes goes through it) obey the budget. `shown` names the
    engine in messages (any password already masked)."""
    plain_get = client.get

    def bounded_get(url: str, **kwargs: Any) -> Any:
        return fetch(plain_get, url, kwargs, shown, budget)

    client.get = bounded_get


def fetch(plain_get: Callable[..., Any], url: str, kwargs: Dict[str, Any], shown: str, budget: Budget) -> Any:
    """GET `url` with `plain_get` (requests' Session.get) within the budget; a requests Response whose body has
    been read (at most the cap) is returned, so the docker SDK's own status and JSON handling work unchanged."""
    path = api_path(url)
    left = budget.left()
    if left <= 0:
        raise AuditDeadline(f"the audit did not finish within {budget.audit:g} s (--audit-timeout); GET {path} "
                            f"to {shown} was not sent")
    wait = min(budget.request, left)
    cap = cap_for(path)
    kwargs = dict(kwargs)
    kwargs["stream"] = True
    kwargs["allow_redirects"] = False
    timeout = kwargs.get("timeout")
    kwargs["timeout"] = min(timeout, wait) if isinstance(timeout, (int, float)) and timeout else wait
    headers = dict(kwargs.get("headers") or {})
    headers["Accept-Encoding"] = "identity"  # a compressed answer could hide any size behind a small one
    kwargs["headers"] = headers
    box: Dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        resp = None
        try:
            resp = plain_get(url, **kwargs)
            box["resp"] = resp
            status = resp.status_code
            if 300 <= status < 400:
                box["redirect"] = status
                return
            encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
            if encoding not in ("", "identity"):
                box["encoded"] = True
                return
            body = bytearray()
            for piece in resp.raw.stream(READ_PIECE, decode_content=False):
                if box.get("abandoned"):
                    return
                body += piece
                if len(body) > cap:
                    box["too_big"] = True
                    return
            resp._content = bytes(body)
            resp._content_consumed = True
            release = getattr(resp.raw, "release_conn", None)
            if release is not None:
                release()  # read to its end: the connection goes back to the pool for the next request
        except BaseException as exc:  # handed to the caller, who raises it
            box["error"] = exc
        finally:
            if resp is not None and ("redirect" in box or "too_big" in box or "encoded" in box
                                     or box.get("abandoned")):
                _abort(resp)
            done.set()

    thread = threading.Thread(target=work, name="engine-request", daemon=True)
    thread.start()
    if not done.wait(wait):
        box["abandoned"] = True
        _abort(box.get("resp"))
        if wait < budget.request:
            raise AuditDeadline(f"the audit did not finish within {budget.audit:g} s (--audit-timeout): {shown} "
                                f"was still answering GET {path}")
        raise BudgetError(f"the Docker engine at {shown} did not answer within {budget.request:g} s (GET {path}; "
                          "--timeout bounds each whole request): check that it is running and reachable, or raise "
                          "--timeout")
    if "error" in box:
        raise box["error"]
    if "redirect" in box:
        raise BudgetError(f"the Docker engine at {shown} answered GET {path} with a redirect (HTTP "
                          f"{box['redirect']}), which hipaa-scan does not follow: a Docker engine never redirects, "
                          "so --host, --context or DOCKER_HOST probably names a web server or a proxy")
    if "encoded" in box:
        raise BudgetError(f"the Docker engine at {shown} sent a compressed answer to GET {path}, which hipaa-scan "
                          "does not accept: is it a Docker engine, or a proxy in front of one?")
    if "too_big" in box:
        raise BudgetError(f"the Docker engine at {shown} sent more than {_mib(cap)} in answer to GET {path}; "
                          "hipaa-scan stopped reading (a Docker engine's answer is far smaller)")
    return box["resp"]


def _abort(resp: Any) -> None:
    """Shut down the connection under a response: a read blocked on it in another thread returns at once."""
    if resp is None:
        return
    raw = getattr(resp, "raw", None)
    for chain in (("_connection", "sock"), ("_fp", "fp", "raw", "_sock")):
        obj = raw
        for name in chain:
            obj = getattr(obj, name, None)
            if obj is None:
                break
        if obj is None:
            continue
        try:
            if hasattr(obj, "shutdown"):
                obj.shutdown(socket.SHUT_RDWR)
            else:
                obj.close()
        except Exception:
            pass
        return


def parse_json(resp: Any, what: str, shown: str, trim: Optional[Callable[[List[Any]], Any]] = None) -> Any:
    """The JSON of a response whose body `fetch` read; `trim` is an object_pairs_hook that keeps only what the
    audit uses (applied to every object, so nothing else is ever held)."""
    import json

    try:
        return json.loads(resp.content, object_pairs_hook=trim) if trim else json.loads(resp.content)
    except RecursionError:
        raise BudgetError(f"the Docker engine at {shown} sent {what} nested too deeply") from None
    except ValueError:
        raise BudgetError(f"{shown} sent an answer that is not valid JSON ({what}): is it a Docker engine, or a "
                          "proxy in front of one?") from None


# --- the shape of answers --------------------------------------------------------------------------------------

STR = (str,)
INT = (int,)
NUM = (int, float)
BOOL = (bool,)
STRINGS = [STR]
PORTS = {"*": [{"HostIp": STR, "HostPort": STR}]}  # "*": every key of the object

VERSION_SHAPE = {"ApiVersion": STR, "Version": STR, "MinAPIVersion": STR, "Os": STR, "Arch": STR}
INFO_SHAPE = {"Name": STR, "ServerVersion": STR, "OperatingSystem": STR, "LoggingDriver": STR,
              "SecurityOptions": STRINGS, "Containers": INT,
              "RegistryConfig": {"InsecureRegistryCIDRs": STRINGS,
                                 "IndexConfigs": {"*": {"Name": STR, "Secure": BOOL}}}}
LIST_ENTRY_SHAPE = {"Id": STR, "Names": STRINGS, "Image": STR}
INSPECT_SHAPE = {
    "Id": STR, "Name": STR, "Image": STR,
    "State": {"Status": STR, "Running": BOOL},
    "Config": {"Image": STR, "User": STR, "Env": STRINGS, "Cmd": (list, str), "Entrypoint": (list, str),
               "Labels": {"*": STR}, "Healthcheck": {"Test": STRINGS}},
    "HostConfig": {"Privileged": BOOL, "ReadonlyRootfs": BOOL, "CapAdd": STRINGS, "SecurityOpt": STRINGS,
                   "NetworkMode": STR, "PidMode": STR, "IpcMode": STR, "UTSMode": STR, "UsernsMode": STR,
                   "Memory": NUM, "NanoCpus": NUM, "CpuQuota": NUM, "CpuPeriod": NUM, "PidsLimit": NUM,
                   "LogConfig": {"Type": STR}, "PortBindings": PORTS},
    "Mounts": [{"Type": STR, "Source": STR, "Destination": STR, "RW": BOOL}],
    "NetworkSettings": {"Ports": PORTS},
}
API_VERSION = re.compile(r"[0-9]{1,4}\.[0-9]{1,4}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _want(spec: Any) -> str:
    if isinstance(spec, dict):
        return "an object"
    if isinstance(spec, list):
        return "a list"
    names = {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "a list"}
    return " or ".join(dict.fromkeys(names[t] for t in spec))


def depth_problem(value: Any, limit: int = MAX_DEPTH) -> Optional[str]:
    """'nested more than N levels deep' when it is (checked without recursion), else None."""
    todo = [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > limit:
            return f"nested more than {limit} levels deep"
        todo.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return None


def shape_problem(value: Any, spec: Any, path: str = "") -> Optional[str]:
    """The first field of `value` whose type differs from `spec` ("Config.Image is an object, not a string"), or
    None. null stands for absent anywhere below the top; fields the spec does not name are not looked at."""
    todo = [(value, spec, path)]
    while todo:
        item, want, where = todo.pop()
        if item is None and where:
            continue
        shown = where or "the answer"
        if isinstance(want, dict):
            if not isinstance(item, dict):
                return f"{shown} is {_kind(item)}, not an object"
            for key, sub in want.items():
                if key == "*":
                    todo.extend((v, sub, f"{where}.{k}" if where else str(k)) for k, v in item.items())
                elif key in item:
                    todo.append((item[key], sub, f"{where}.{key}" if where else key))
        elif isinstance(want, list):
            if not isinstance(item, list):
                return f"{shown} is {_kind(item)}, not a list"
            todo.extend((v, want[0], f"{where}[{i}]") for i, v in enumerate(item))
        elif not isinstance(item, want) or (isinstance(item, bool) and bool not in want):
            return f"{shown} is {_kind(item)}, not {_want(want)}"
    return None


def _problem(value: Any, spec: Any) -> Optional[str]:
    return depth_problem(value) or shape_problem(value, spec)


def check_version(value: Any) -> Optional[str]:
    problem = _problem(value, VERSION_SHAPE)
    if problem:
        return problem
    api = value.get("ApiVersion")
    if not isinstance(api, str) or not api:
        return "no ApiVersion"
    if not API_VERSION.fullmatch(api):
        return "its ApiVersion is not a version number such as 1.43"
    return None


def check_info(value: Any) -> Optional[str]:
    return _problem(value, INFO_SHAPE)


def check_list(value: Any) -> Optional[str]:
    return None if isinstance(value, list) else f"the answer is {_kind(value)}, not a list"


def check_list_entry(value: Any) -> Optional[str]:
    problem = shape_problem(value, LIST_ENTRY_SHAPE)
    if problem:
        return problem
    return None if isinstance(value.get("Id"), str) and value["Id"] else "no Id"


def check_inspect(value: Any) -> Optional[str]:
    return _problem(value, INSPECT_SHAPE)


LIST_KEEP = frozenset(("Id", "Names", "Image"))


def trim_list_entry(pairs: List[Any]) -> Dict[str, Any]:
    """object_pairs_hook for the container list: every object keeps only Id, Names and Image (the list's ports,
    mounts, labels and network settings are never needed: each container's inspect has them)."""
    return {k: v for k, v in pairs if k in LIST_KEEP}
