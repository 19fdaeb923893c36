"""Offline input: saved `docker inspect` (--from-inspect) and `docker info` (--from-info) JSON, read as if it came
from one engine with no connection; a file that is not what it claims is one LiveError line."""

from __future__ import annotations

import json

from hipaa_scan.live import guard
from hipaa_scan.live.capture import EngineCapture, Packed
from hipaa_scan.live.errors import LiveError
from hipaa_scan.live.targets import Target

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence

    from hipaa_scan.live.capture import Selection


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
    problem = guard.check_info(data)
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
            problem = guard.check_inspect(item)
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

