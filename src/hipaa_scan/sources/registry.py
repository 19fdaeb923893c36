"""Which sources the scanner reads, and how each is told and parsed: one line per source kind.

    SOURCES = {SourceKind.X: Source(match_name, sniff, "hipaa_scan.sources.x")}

- `match_name(name)`: the target kind of a file by its base name (the kind itself, MAYBE_COMPOSE for a YAML file
  that is Compose only if its content says so), or None. Names are tried against the sources in the order below;
  a name no source claims is not scanned (unless named on the command line, when its content is sniffed).
- `sniff(text)`: for an explicitly named file of no known name, the target kind its content shows, or None.
- the module (imported only when a file of its kind is parsed, so a scan of Dockerfiles never loads the YAML
  library) defines `parse_source(text, display, kind) -> Optional[Document]`: None when the content shows the file
  is not of the kind after all, SourceError when it is but cannot be parsed.

Containers and engines are read from a Docker engine (live.py), not from files: their lines have no name, sniff or
parser.

Adding a file source: a module in sources/ with `parse_source`, and a line here.
"""

from __future__ import annotations

import importlib

from hipaa_scan.sources.kinds import MAYBE_COMPOSE, SourceError, SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, Optional

    from hipaa_scan.model import Document

YAML_SUFFIXES = (".yml", ".yaml")
NEVER_SCANNED = (".dockerignore",)  # `Dockerfile.dockerignore`, `.env.dockerignore`: ignore lists, not sources


class Source:
    __slots__ = ("match_name", "sniff", "module")

    def __init__(self, match_name: Optional[Callable[[str], Optional[str]]],
                 sniff: Optional[Callable[[str], Optional[str]]], module: Optional[str]) -> None:
        self.match_name = match_name
        self.sniff = sniff
        self.module = module


def dockerfile_name(name: str) -> Optional[str]:
    lower = name.lower()
    if (name in ("Dockerfile", "dockerfile", "Containerfile", "containerfile") or name.startswith("Dockerfile.")
            or name.startswith("Containerfile.") or lower.endswith(".dockerfile") or lower.endswith(".containerfile")):
        return SourceKind.DOCKERFILE
    return None


def dockerfile_sniff(text: str) -> Optional[str]:
    if compose_sniff(text):  # a Compose file with an inline Dockerfile (`dockerfile_inline: | FROM ...`) is Compose
        return None
    if any(line.strip().upper().startswith("FROM ") for line in text.splitlines()[:200]):
        return SourceKind.DOCKERFILE
    return None


def compose_name(name: str) -> Optional[str]:
    lower = name.lower()
    if lower.endswith(YAML_SUFFIXES):
        return SourceKind.COMPOSE if lower.startswith(("compose", "docker-compose")) else MAYBE_COMPOSE
    return None


def compose_sniff(text: str) -> Optional[str]:
    from hipaa_scan.sources.compose import looks_like_compose

    return MAYBE_COMPOSE if looks_like_compose(text) else None


def env_name(name: str) -> Optional[str]:
    lower = name.lower()
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return SourceKind.ENV
    return None


SOURCES: Dict[SourceKind, Source] = {
    SourceKind.DOCKERFILE: Source(dockerfile_name, dockerfile_sniff, "hipaa_scan.sources.dockerfile"),
    SourceKind.COMPOSE: Source(compose_name, compose_sniff, "hipaa_scan.sources.compose"),
    SourceKind.ENV: Source(env_name, None, "hipaa_scan.sources.envfile"),
    SourceKind.CONTAINER: Source(None, None, None),
    SourceKind.ENGINE: Source(None, None, None),
}

_NAMED = tuple(source.match_name for source in SOURCES.values() if source.match_name is not None)
_SNIFFED = tuple(source.sniff for source in SOURCES.values() if source.sniff is not None)
# by target kind: the kinds' values, and MAYBE_COMPOSE (parsed by the Compose source)
_BY_TARGET: Dict[str, Source] = {**{kind.value: source for kind, source in SOURCES.items()},
                                 MAYBE_COMPOSE: SOURCES[SourceKind.COMPOSE]}


def kind_by_name(name: str) -> Optional[str]:
    """The target kind of a file by its base name, or None: not a file the scanner reads."""
    if name.lower().endswith(NEVER_SCANNED):
        return None
    for match in _NAMED:
        kind = match(name)
        if kind is not None:
            return kind
    return None


def sniff(text: str) -> Optional[str]:
    """The target kind an explicitly named file's content shows, or None."""
    for look in _SNIFFED:
        kind = look(text)
        if kind is not None:
            return kind
    return None


def parse(text: str, display: str, kind: Optional[str]) -> Optional[Document]:
    """Parse a file of target kind `kind` (None: sniff its content first); None when it is not a source after all.
    Raises SourceError."""
    if kind is None:
        kind = sniff(text)
        if kind is None:
            return None
    source = _BY_TARGET.get(kind)
    if source is None or source.module is None:
        raise SourceError(f"no parser for files of kind {kind!r}")
    parser: Callable[[str, str, str], Optional[Document]] = importlib.import_module(source.module).parse_source
    return parser(text, display, kind)


__all__ = ["SOURCES", "Source", "SourceError", "kind_by_name", "parse", "sniff"]
