"""Capture: what one engine answers (version, info, the container list, one inspect per selected container, the
image list when needed), each answer type-checked (guard) and each inspect kept compressed (`Packed`)."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field

from hipaa_scan.live import guard
from hipaa_scan.live.errors import LiveError, classify
from hipaa_scan.live.guard import Budget
from hipaa_scan.live.transport import WORKERS, connect

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor
    from typing import Any, Dict, List, Optional, Tuple

    from hipaa_scan.live.targets import Target

HOST_WORKERS = 8  # engines audited at once
PROGRESS_MIN = 20  # show a progress bar from this many containers (and only on a terminal)

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
    Each answer is type-checked before use (guard): a bad /info is an error and the engine checks that need it
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
        problem = guard.check_info(info)
        if problem:
            cap.errors.append(f"the engine's answer to GET /info is malformed ({problem}); the engine-level checks "
                              "that read it were skipped")
        else:
            cap.info = info
        listing = _list_containers(client, target, selection)
        cap.requests += 1
        entries = []
        for i, entry in enumerate(listing):
            problem = guard.check_list_entry(entry)
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

        def inspect(ref: str) -> Tuple[Any, Any, bool]:  # (Packed or None, problem, labelled)
            """(Packed inspect, problem, whether it carries the --label values): the parsed JSON is packed here, in
            the worker, so that no more than one parsed inspect per worker exists at a time."""
            try:
                if budget.over():  # the audit's time is up: no further request
                    return None, "late", False
                data = client.inspect_container(ref)
                problem = guard.check_inspect(data)
                if problem:
                    return None, f"the engine's inspect answer is malformed ({problem})", False
                return Packed(data), None, selection.matches_labels((data.get("Config") or {}).get("Labels"))
            except docker.errors.NotFound:
                return None, "gone", False
            except guard.AuditDeadline:
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


def _list_containers(client: Any, target: Target, selection: Selection) -> List[Dict[str, Any]]:
    """GET /containers/json, read with only Id, Names and Image kept from each entry (guard.trim_list_entry):
    the list of 50,000 containers never exists in memory as full objects."""
    params: Dict[str, Any] = {"all": 1 if selection.all or selection.containers else 0}
    if selection.label_filters():
        from docker.utils import convert_filters

        params["filters"] = convert_filters({"label": selection.label_filters()})
    resp = client._get(client._url("/containers/json"), params=params)
    client._raise_for_status(resp)
    listing: List[Dict[str, Any]] = guard.parse_json(resp, "the container list (GET /containers/json)",
                                                     target.shown, trim=guard.trim_list_entry)
    problem = guard.check_list(listing)
    if problem:
        raise LiveError(f"the Docker engine at {target.shown} sent a container list (GET /containers/json) that "
                        f"is malformed ({problem})")
    return listing


def _resolve_image_ids(client: Any, cap: EngineCapture) -> None:
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

        data: Dict[str, Any] = json.loads(zlib.decompress(self.blob))
        return data

