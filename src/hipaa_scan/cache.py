"""hipaa-scan's cache folder (XDG_CACHE_HOME, else ~/.cache): what validated configurations, baselines and compiled
rule files leave behind so the next run skips the work. Never a scanned tree; a cache that cannot be written is no
error."""

from __future__ import annotations

import os


def cache_path(*parts: str) -> str:
    """A path in hipaa-scan's cache folder (XDG_CACHE_HOME, else ~/.cache): never in a scanned tree."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hipaa-scan", *parts)


def write_cache(path: str, text: str) -> None:
    """Best effort: a cache that cannot be written is no error. Written whole, then renamed into place."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}.tmp"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, path)
    except OSError:
        pass
