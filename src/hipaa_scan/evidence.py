"""The evidence folder of a live audit (`hipaa-scan live --evidence DIR`).

Layout (one scan; see docs/live.md):

    containers/<container>.json          inspect JSON, environment values masked (multi-engine: containers/<engine>/...)
    engines/<engine>/info.json           `docker info`
    engines/<engine>/version.json        `docker version`
    engines/<engine>/connection.json     how the scan connected (host with any password masked, TLS)
    report.json  report.sarif  report.txt
    manifest.json                        UTC scan time, tool version, hosts, rule catalog, every file with its SHA-256
    MANIFEST.sha256                      `sha256sum -c MANIFEST.sha256` verifies every other file

A folder that exists and is not empty is never written into: the scan goes to a new subfolder named after the
scan time (`scan-YYYYMMDDTHHMMSSZ`, `-2`, `-3`... if taken). Nothing is ever overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from hipaa_scan.secrets import mask

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Tuple

SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class EvidenceError(Exception):
    pass


def safe_component(text: str) -> str:
    """A path component made of [A-Za-z0-9_.-] only (container names already are; engine labels may hold `:`)."""
    out = SAFE.sub("_", text).strip(".") or "_"
    return out[:120]


def dumps_with_lines(obj: Any) -> Tuple[str, Dict[str, int]]:
    """`json.dumps(obj, indent=2)` (same text) plus the line of every key path in it: `HostConfig.Privileged`,
    `Config.Env[3]`, `NetworkSettings.Ports.6379/tcp`; "" is line 1. The first occurrence of a path wins."""
    lines: List[str] = []
    index: Dict[str, int] = {"": 1}

    def emit(value: Any, path: str, indent: int, prefix: str, suffix: str) -> None:
        pad = "  " * indent
        index.setdefault(path, len(lines) + 1)
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{prefix}{{")
            items = list(value.items())
            for i, (key, item) in enumerate(items):
                child = f"{path}.{key}" if path else str(key)
                emit(item, child, indent + 1, json.dumps(str(key), ensure_ascii=False) + ": ",
                     "," if i < len(items) - 1 else "")
            lines.append(f"{pad}}}{suffix}")
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{prefix}[")
            for i, item in enumerate(value):
                emit(item, f"{path}[{i}]", indent + 1, "", "," if i < len(value) - 1 else "")
            lines.append(f"{pad}]{suffix}")
        else:
            lines.append(f"{pad}{prefix}{json.dumps(value, ensure_ascii=False)}{suffix}")

    emit(obj, "", 0, "", "")
    return "\n".join(lines) + "\n", index


def redact_inspect(inspect: Dict[str, Any], secrets: Iterable[str] = ()) -> Dict[str, Any]:
    """A copy of inspect JSON fit for evidence: every environment value masked (names kept), and every other
    string scrubbed of the container's sensitive values (command-line passwords...) and of anything secret-shaped."""
    out = scrub_json(inspect, secrets) if isinstance(inspect, dict) else {}
    config = out.get("Config")
    if isinstance(config, dict) and isinstance(config.get("Env"), list):
        masked = []
        for item in (inspect.get("Config") or {}).get("Env") or []:
            if isinstance(item, str):
                name, sep, value = item.partition("=")
                masked.append(f"{name}={mask(value)}" if sep else name)
            else:
                masked.append(item)
        config["Env"] = masked
    return out


def scrub_json(obj: Any, secrets: Iterable[str] = ()) -> Any:
    """A JSON value with its structure kept and every sensitive string masked by the redaction layer."""
    from hipaa_scan.redact import json_value

    return json_value(obj, secrets)


def choose_folder(directory: str, stamp: str) -> Tuple[str, bool]:
    """The folder to write into and whether it differs from `directory` (which exists and is not empty)."""
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise EvidenceError(f"cannot write evidence to {directory}: it exists and is not a folder")
    if not os.path.isdir(directory) or not os.listdir(directory):
        return directory, False
    base = os.path.join(directory, f"scan-{stamp}")
    candidate, n = base, 1
    while os.path.exists(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate, True


class EvidenceWriter:
    """Writes files under one folder, creating them exclusively (never overwriting), and remembers their hashes."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: Dict[str, Tuple[str, int]] = {}  # relative path -> (sha256, bytes)
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as exc:
            raise EvidenceError(f"cannot create evidence folder {root}: {exc.strerror or exc}") from None

    def write(self, rel: str, text: str, record: bool = True) -> str:
        data = text.encode("utf-8")
        path = os.path.join(self.root, *rel.split("/"))
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "xb") as handle:  # exclusive: an existing file is an error, never overwritten
                handle.write(data)
        except FileExistsError:
            raise EvidenceError(f"evidence file {path} already exists; not overwriting it") from None
        except OSError as exc:
            raise EvidenceError(f"cannot write {path}: {exc.strerror or exc}") from None
        if record:
            self.files[rel] = (hashlib.sha256(data).hexdigest(), len(data))
        return path

    def write_json(self, rel: str, obj: Any) -> Dict[str, int]:
        text, index = dumps_with_lines(obj)
        self.write(rel, text)
        return index

    def manifest_lines(self) -> str:
        """`sha256sum` format: `<hex>  <path>`, sorted by path."""
        return "".join(f"{digest}  {rel}\n" for rel, (digest, _size) in sorted(self.files.items()))

    def file_list(self) -> List[Dict[str, Any]]:
        return [{"path": rel, "sha256": digest, "bytes": size} for rel, (digest, size) in sorted(self.files.items())]


def verify(root: str) -> List[str]:
    """Problems found re-hashing the files MANIFEST.sha256 lists (empty: the folder is intact)."""
    problems = []
    try:
        with open(os.path.join(root, "MANIFEST.sha256"), encoding="utf-8") as handle:
            entries = [line.rstrip("\n").split("  ", 1) for line in handle if line.strip()]
    except OSError as exc:
        return [f"cannot read MANIFEST.sha256: {exc.strerror or exc}"]
    for digest, rel in entries:
        try:
            with open(os.path.join(root, rel), "rb") as handle:
                actual = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            problems.append(f"{rel}: missing")
            continue
        if actual != digest:
            problems.append(f"{rel}: changed")
    return problems


def container_file(display_name: str) -> str:
    """Evidence path of a container: its display name (`name` or `<engine>/<name>`), each part made safe."""
    return "containers/" + "/".join(safe_component(p) for p in display_name.split("/")) + ".json"


def engine_folder(label: str) -> str:
    return "engines/" + safe_component(label)


def rel_for_sarif(path: str, start: Optional[str] = None) -> str:
    """A path for a SARIF artifact: relative to `start` (the working directory) when inside it, else absolute."""
    start = os.path.abspath(start or os.getcwd())
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, start)
    if rel.startswith(".."):
        return absolute
    return rel.replace(os.sep, "/")
