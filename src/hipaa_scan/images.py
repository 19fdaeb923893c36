"""Image references: their name without registry noise, their tag, and the catalogues in hipaa_scan/data/ that
describe images by name (which ones run as non-root, which ones publish patch releases).

The catalogues are JSON data files shipped in the package, read once on first use (never at start-up)."""

from __future__ import annotations

import json
import os
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Optional, Tuple

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
_LOADED: Dict[str, Any] = {}

UNKNOWN = "\x00"  # stands for an unresolved variable in a reference
MAX_REFERENCE = 4096  # characters: Docker's own limit on a reference is far below
MAX_NESTING = 32  # `${A:-${B:-...}}` levels, as sources/interpolate.py allows
_DEFAULTED = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^${}]*)\}")
_VARIABLE = re.compile(r"\$\{[^{}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")


def catalogue(name: str) -> Dict[str, Any]:
    """A data file of the package, parsed (cached for the process)."""
    if name not in _LOADED:
        with open(os.path.join(_DATA, name), encoding="utf-8") as handle:
            _LOADED[name] = json.load(handle)
    data: Dict[str, Any] = _LOADED[name]
    return data


def resolve_defaults(ref: str) -> str:
    """`${VAR:-default}` and `${VAR-default}` replaced by their default (what runs when the variable is unset);
    any other variable by UNKNOWN. An image reference is short; one longer than MAX_REFERENCE, or nested deeper
    than interpolation allows, is UNKNOWN as a whole (each pass below removes one level of nesting)."""
    if len(ref) > MAX_REFERENCE:
        return UNKNOWN
    for _level in range(MAX_NESTING + 1):
        resolved = _DEFAULTED.sub(lambda m: m.group(1), ref)
        if resolved == ref:
            return _VARIABLE.sub(UNKNOWN, ref)
        ref = resolved
    return UNKNOWN


def split(ref: str) -> Tuple[str, Optional[str], Optional[str]]:
    """(repository, tag, digest) of a reference; the repository lower-cased, without `docker.io/` and `library/`."""
    ref, _, digest = ref.strip().partition("@")
    last_slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > last_slash:
        name, tag = ref[:colon], ref[colon + 1:]
    else:
        name, tag = ref, None
    name = name.lower()
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name.startswith("library/"):
        name = name[len("library/"):]
    return name, tag, (digest or None)


_GLOBS: Dict[str, Any] = {}


def fnmatchcase(name: str, pattern: str) -> bool:
    """fnmatch's `*` and `?` (no brackets), without importing fnmatch: a one-file scan stays small."""
    compiled = _GLOBS.get(pattern)
    if compiled is None:
        if len(_GLOBS) > 4096:
            _GLOBS.clear()
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        compiled = _GLOBS[pattern] = re.compile(body + r"\Z", re.DOTALL)
    return compiled.match(name) is not None


def name_matches(name: str, patterns: Iterable[str]) -> bool:
    """Whether a repository name (as `split` gives it) matches one of the glob patterns."""
    return any(fnmatchcase(name, p.lower()) for p in patterns)


def ref_matches(ref: str, patterns: Iterable[str]) -> bool:
    """Whether `repository:tag` (or the repository alone, for a pattern without a colon) matches a pattern."""
    name, tag, _ = split(ref)
    full = f"{name}:{tag}" if tag is not None else name
    for pattern in patterns:
        pattern = pattern.lower()
        if ":" in pattern.rsplit("/", 1)[-1]:
            if fnmatchcase(full, pattern):
                return True
        elif fnmatchcase(name, pattern):
            return True
    return False


_VERSION = re.compile(r"^v?(\d+)((?:\.(?:\d+|x|\*))*)")
_FLOATING_WORD = re.compile(r"(?:^|[-_.])(?:latest|stable|lts|edge|nightly|main|master|rolling|current|unstable)(?:$|[-_.])")
_PINNED_MARK = re.compile(r"\d+\.\d+\.\d+|(?:19|20)\d\d-?[01]\d-?[0-3]\d|(?:^|[-_.])(?:sha-)?[0-9a-f]{7,40}(?:$|[-_.])")


def tag_kind(name: str, tag: Optional[str]) -> str:
    """`latest` (no tag or `latest`), `movable` (a tag that moves to new releases) or `pinned`.

    A tag is movable when it carries no version number (`alpine`, `lts`, `stable`), when its version has a
    wildcard (`2.8.x`) or a major number only (`7`, `16-alpine`, `v2`), or when it stops at `major.minor` for an
    image listed in data/patch_versioned_images.json (one whose releases carry a patch number, so `7.2` follows
    `7.2.4`, `7.2.5`...), or when it names a moving line (`2019-latest`, `8-lts`). A tag with three version
    numbers, a date or a commit hash is pinned."""
    if tag is None or tag == "latest":
        return "latest"
    if not tag or UNKNOWN in tag:
        return "pinned"  # not known: not judged
    low = tag.lower()
    if _PINNED_MARK.search(low):
        return "pinned"
    if _FLOATING_WORD.search(low):
        return "movable"  # 2019-latest, 8-lts, stable-alpine
    match = _VERSION.match(tag)
    if match is None:
        return "movable"
    parts = [match.group(1)] + [p for p in match.group(2).split(".") if p]
    if any(p in ("x", "*") for p in parts):
        return "movable"
    if len(parts) >= 3:
        return "pinned"
    if len(parts) == 1:
        return "pinned" if len(parts[0]) >= 4 else "movable"  # 2024, 20240105: a build number, not a major
    if UNKNOWN not in name and name_matches(name, catalogue("patch_versioned_images.json")["images"]):
        return "movable"
    return "pinned"


def runs_nonroot(ref: str, extra: Iterable[str] = ()) -> bool:
    """Whether an image is known to run as a non-root user: data/nonroot_images.json, or a glob in `extra`."""
    if ref_matches(ref, extra):
        return True
    name, tag, _ = split(ref)
    for entry in catalogue("nonroot_images.json")["images"]:
        if ref_matches(ref, (entry["image"],)):
            excepted = any(fnmatchcase((tag or "latest").lower(), t.lower()) for t in entry.get("except", ()))
            if not excepted:
                return True
    return False
