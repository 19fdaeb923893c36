"""End-of-life release cycles of images (HS307): data/eol_images.json, a dated table taken from endoflife.date, and
what a reference's tag says about the release it runs.

A tag's leading version (`13-alpine` -> 13, `3.8-slim-buster` -> 3.8, `14.2` -> 14, `v2.10.4` -> 2.10) is matched to
the longest release cycle it starts with; a codename (`bookworm-slim`, `focal`) names a Debian or Ubuntu cycle; a
variant suffix naming an operating system release (`-buster`, `-alpine3.12`, `-focal`) is judged too. A version
the table does not list ended no later than the next listed cycle of its major line: Elasticsearch `8.11` when the
table starts at `8.16`, nginx's development line `1.17` before `1.18`. Anything else is unknown and not judged. Read on first use, never at start-up."""

from __future__ import annotations

import re

from hipaa_scan.images import UNKNOWN, catalogue, fnmatchcase, split
from hipaa_scan.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple

TABLE = "eol_images.json"
_VERSION = re.compile(r"(\d+(?:\.\d+)*)")
_ALPINE_VARIANT = re.compile(r"alpine(\d+\.\d+)")
# IMAGE:CYCLE=EOL, as the HS307 option `eol_releases` writes an entry
ENTRY = r"^[^=\s]+:[0-9][0-9.]*=(\d{4}-\d{2}-\d{2}|yes|no)$"
_ENTRY = re.compile(ENTRY)


class Release(Record):
    """The release cycle an image runs: its product (display name), cycle, end of life (`YYYY-MM-DD`, `yes` or
    `no`) and, when the version is not listed, the next listed cycle of its line (whose end of life it takes)."""

    __slots__ = ("product", "cycle", "eol", "older_than")

    def __init__(self, product: str, cycle: str, eol: str, older_than: Optional[str] = None) -> None:
        self.product = product
        self.cycle = cycle
        self.eol = eol
        self.older_than = older_than

    def past(self, today: str) -> bool:
        """Whether the cycle had reached its end of life on `today` (YYYY-MM-DD)."""
        return self.eol == "yes" or (self.eol not in ("no", "") and self.eol <= today)


def table() -> Dict[str, Any]:
    return catalogue(TABLE)


def table_date() -> str:
    return str(table()["date"])


def extra_cycles(entries: Sequence[str]) -> Dict[str, Dict[str, str]]:
    """The option `eol_releases` (`IMAGE:CYCLE=EOL` entries) as image glob -> cycle -> eol; malformed entries are
    refused when the configuration is loaded (the option's pattern), and skipped here."""
    out: Dict[str, Dict[str, str]] = {}
    for entry in entries:
        if not _ENTRY.match(entry):
            continue
        left, eol = entry.rsplit("=", 1)
        image, cycle = left.rsplit(":", 1)
        out.setdefault(image.lower(), {})[cycle] = eol
    return out


def _products(name: str, extra: Dict[str, Dict[str, str]]) -> List[Tuple[str, Dict[str, Any]]]:
    """The table entries (display name, entry) whose images match a repository; the option's cycles over them."""
    found: List[Tuple[str, Dict[str, Any]]] = []
    for entry in table()["products"].values():
        if any(fnmatchcase(name, pattern) for pattern in entry["images"]):
            found.append((entry["name"], entry))
    added = {cycle: eol for pattern, cycles in extra.items() if fnmatchcase(name, pattern)
             for cycle, eol in cycles.items()}
    if added:
        if found:
            product, entry = found[0]
            found[0] = (product, {**entry, "cycles": {**entry["cycles"], **added}})
        else:
            found.append((name, {"cycles": added}))
    return found


def _numbers(text: str) -> Optional[Tuple[int, ...]]:
    parts = text.split(".")
    if not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def _cycle(product: str, entry: Dict[str, Any], version: str) -> Optional[Release]:
    """The release cycle a version belongs to: the longest cycle it starts with, else the oldest listed cycle of
    its major line when it is older than all of them."""
    wanted = _numbers(version)
    if wanted is None:
        return None
    cycles = entry["cycles"]
    best: Optional[Tuple[Tuple[int, ...], str]] = None
    line: List[Tuple[Tuple[int, ...], str]] = []
    for cycle in cycles:
        numbers = _numbers(cycle)
        if numbers is None:
            continue
        if wanted[:len(numbers)] == numbers and (best is None or len(numbers) > len(best[0])):
            best = (numbers, cycle)
        if len(numbers) >= 2 and numbers[0] == wanted[0]:
            line.append((numbers, cycle))
    if best is not None:
        return Release(product, best[1], str(cycles[best[1]]))
    newer = [(n, c) for n, c in line if wanted[:len(n)] < n]
    if newer and len(wanted) >= 2:
        # not listed (a development line such as nginx's odd 1.17, or older than the page goes back): it ended no
        # later than the next listed cycle of its major line
        numbers, nearest = min(newer)
        return Release(product, ".".join(map(str, wanted[:len(numbers)])), str(cycles[nearest]), nearest)
    return None


def releases(ref: str, extra: Sequence[str] = ()) -> List[Release]:
    """The release cycles an image reference runs that the table knows: the product's own, then an operating
    system release its tag names as a variant (`node:16-buster` runs Debian 10). Empty when unknown."""
    name, tag, _digest = split(ref)
    if not name or UNKNOWN in name or tag is None or UNKNOWN in tag:
        return []
    low = tag.lower()
    extras = extra_cycles(extra)
    out: List[Release] = []
    for product, entry in _products(name, extras):
        text = low
        prefix = entry.get("prefix")
        if prefix and text.startswith(prefix):
            text = text[len(prefix):]
        if text.startswith("v"):
            text = text[1:]
        head = re.split(r"[-_.]", text, maxsplit=1)[0]
        codenames = entry.get("codenames") or {}
        if head in codenames:
            cycle = codenames[head]
            out.append(Release(product, cycle, str(entry["cycles"].get(cycle, "no"))))
            break
        match = _VERSION.match(text)
        found = _cycle(product, entry, match.group(1)) if match else None
        if found is not None:
            out.append(found)
            break
    out.extend(_variant(low))
    return out


def _variant(tag: str) -> List[Release]:
    """An operating system release named by a tag's variant: `-buster`, `-bookworm-slim`, `-alpine3.12`, `-focal`."""
    products = table()["products"]
    for word in tag.split("-")[1:]:
        alpine = _ALPINE_VARIANT.fullmatch(word)
        if alpine and "alpine-linux" in products:
            entry = products["alpine-linux"]
            found = _cycle(entry["name"], entry, alpine.group(1))
            return [found] if found is not None else []
        for key in ("debian", "ubuntu"):
            entry = products.get(key)
            if entry is not None and word in entry.get("codenames", {}):
                cycle = entry["codenames"][word]
                return [Release(entry["name"], cycle, str(entry["cycles"].get(cycle, "no")))]
    return []
