"""Documents: a run's captures become one engine Resource per engine and one container Resource per container
(made from its Packed inspect each time the run's documents are iterated), with labels, names and the inventory
the reports list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from hipaa_scan.live.targets import host_label
from hipaa_scan.model import Document, ScanError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Tuple, Optional

    from hipaa_scan.live.capture import EngineCapture, Packed

UNSAFE_LABEL = re.compile(r"[^A-Za-z0-9_.:@-]")

class Documents:
    """A run's documents, made one at a time each time they are iterated: the engines', then each container's from
    its Packed inspect. Nothing per container is kept between two iterations."""

    def __init__(self, run: LiveRun) -> None:
        self.run = run
        self.engine_docs: List[Document] = []

    def append(self, doc: Document) -> None:
        self.engine_docs.append(doc)

    def __iter__(self) -> Iterator[Document]:
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
    config: Optional[Dict[str, Any]] = None  # the configuration file the run was judged with: {path, sha256}

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
                                  "origin": cap.target.origin if not offline else "",
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

