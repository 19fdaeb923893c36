"""The walk: the files to scan under the given paths, lazily, in report order, each with its directory.

Directories are walked without following symbolic links to directories; a linked file is scanned only when it
resolves inside the scanned root, and under the link's name only when the walk does not reach that file by its
own path. Only regular files are ever opened (discover.read_text). What a file is, by name, is discover's.
"""

from __future__ import annotations

import os
import stat
from operator import itemgetter

from hipaa_scan.discover import Target, anchored, display_path
from hipaa_scan.sources.registry import kind_by_name
from hipaa_scan.model import ScanError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

    # _walk's settings for every directory: root's real path, display prefix (None: display_path), working
    # directory, excludes, errors, real paths seen, whether several paths were given, the skip counts (or None)
    Where = Tuple[str, Optional[str], str, Sequence[str], List[ScanError], Set[str], bool, Optional[Dict[str, int]]]

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "node_modules", ".venv", "venv", "virtualenv", ".virtualenv", "__pycache__",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "site-packages", ".terraform",
    ".idea", ".vscode", ".eggs", "bower_components", ".cache",
})
class Anchored(str):
    """An exclude pattern from a configuration file: matched against paths relative to the folder of that file
    (`base`), so the same configuration excludes the same files from any working directory."""

    base: str

    def __new__(cls, pattern: str, base: str) -> Anchored:
        made = super().__new__(cls, pattern)
        made.base = os.path.abspath(base)
        return made


def _excluded(rel: str, name: str, patterns: Sequence[str], path: str = "") -> bool:
    import fnmatch  # here: only --exclude and the configuration's excludes need it

    for pattern in patterns:
        pat = pattern.rstrip("/")
        where = rel
        base = getattr(pattern, "base", None)
        if base is not None:  # a configuration's pattern: relative to its file's folder
            below = anchored(path, base)
            if below is None:
                continue
            where = below
        if fnmatch.fnmatch(where, pat) or fnmatch.fnmatch(name, pat) or fnmatch.fnmatch(where, pat + "/*") \
                or fnmatch.fnmatch(where, "*/" + pat) or fnmatch.fnmatch(where, "*/" + pat + "/*"):
            return True
    return False


def discover(paths: Iterable[str], excludes: Sequence[str] = (), skipped: Optional[Dict[str, int]] = None
             ) -> Tuple[List[Target], List[ScanError]]:
    """Every file to scan under `paths`, each root's in report order, and what could not be listed or opened."""
    errors: List[ScanError] = []
    return [target for target, _place in walk(paths, excludes, errors, skipped)], errors


def _skip(skipped: Optional[Dict[str, int]], reason: str) -> None:
    """Count a file or folder the walk leaves out, by reason (runrecord.SKIP_REASONS names them)."""
    if skipped is not None:
        skipped[reason] = skipped.get(reason, 0) + 1


class Place:
    """A walked directory: its path (as walked), the names and kinds of its Compose and env files, and the directory
    it was entered from (None at the root). `project` is the outermost Compose project directory holding it (an
    absolute path, or None), once `asked` (plan.project_of works it out once per directory)."""

    __slots__ = ("path", "names", "parent", "asked", "project")

    def __init__(self, path: str, names: Dict[str, str], parent: Optional[Place]) -> None:
        self.path = path
        self.names = names
        self.parent = parent
        self.asked = False
        self.project: Optional[str] = None


def walk(paths: Iterable[str], excludes: Sequence[str], errors: List[ScanError],
         skipped: Optional[Dict[str, int]] = None) -> Iterator[Tuple[Target, Optional[Place]]]:
    """The files to scan, lazily, each with its directory (None for a file given by name): each given path's in
    report order, one path after the other. A directory's Compose and env files are known (Place.names) when its
    first file or subdirectory comes. What cannot be read is added to `errors` as the walk goes; what is left out
    is counted by reason in `skipped`, when given."""
    paths = list(paths)
    # Real paths of the files given by name and of linked files; of every file only when several paths are given.
    # Below one root a file reached by its own path is never reached again (directories are never entered
    # through links), so a single tree's walk keeps nothing per file.
    seen: Set[str] = set()
    several = len(paths) > 1
    for given in paths:
        try:
            st = os.stat(given)
        except FileNotFoundError:
            errors.append(ScanError(given, "no such file or directory", "io"))
            continue
        except OSError as exc:
            errors.append(ScanError(given, f"cannot read: {exc.strerror or exc}", "io"))
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(given, excludes, errors, seen, several, skipped)
        elif stat.S_ISREG(st.st_mode):
            real = os.path.realpath(given)
            if real not in seen:
                seen.add(real)
                yield Target(given, display_path(given), kind_by_name(os.path.basename(given))), None
            else:
                _skip(skipped, "duplicate")
        else:
            errors.append(ScanError(display_path(given), "not a regular file or directory; not opened", "io"))


def _walk(root: str, excludes: Sequence[str], errors: List[ScanError], seen: Set[str], several: bool,
          skipped: Optional[Dict[str, int]] = None) -> Iterator[Tuple[Target, Place]]:
    """Depth first, each directory's entries in report order: a file by its name, a directory by its name and a
    slash, as its files' display paths compare. Only the directories on the way down are held, except when the
    working directory lies below the root: the display paths of files outside it are then absolute, and sorted."""
    root_real = os.path.realpath(root)
    cwd = os.getcwd()
    root_abs = os.path.abspath(root)
    # Below the root, a path's display form and real path follow from its path relative to the root (directories
    # are never entered through links); display_path and realpath are only needed where that does not hold.
    inside = root_abs == cwd or not cwd.startswith(root_abs.rstrip(os.sep) + os.sep)
    root_display = display_path(root, cwd)
    prefix = "" if root_display == "." else root_display.rstrip("/") + "/"
    where = (root_real, prefix if inside else None, cwd, excludes, errors, seen, several, skipped)
    if not inside:
        yield from sorted(_depth_first(root, where), key=lambda pair: pair[0].display)
        return
    yield from _depth_first(root, where)


def _depth_first(root: str, where: Where) -> Iterator[Tuple[Target, Place]]:
    first = _list(root, "", None, where)
    stack = [first] if first is not None else []
    while stack:
        items, place, dir_rel = stack[-1]
        for item in items:
            if isinstance(item, Target):
                yield item, place
                continue
            below = _list(os.path.join(place.path, item), dir_rel + item + "/", place, where)  # a subdirectory
            if below is not None:
                stack.append(below)
                break  # this directory's remaining entries come after the one just entered
        else:
            stack.pop()


def _enters(rel: str, name: str, path: str, excludes: Sequence[str]) -> bool:
    """Whether the walk enters the directory `name` (at `rel` below the root, on disk at `path`)."""
    if name in SKIP_DIRS or (excludes and _excluded(rel, name, excludes, path)):
        return False
    return not os.path.exists(os.path.join(path, "pyvenv.cfg"))


def _scanned_kind(rel: str, name: str, excludes: Sequence[str], path: str = "") -> Optional[str]:
    """The kind of the file `name` (at `rel` below the root, on disk at `path`) if the walk scans files of that
    name there."""
    kind = kind_by_name(name)
    return None if kind is None or (excludes and _excluded(rel, name, excludes, path)) else kind


def walked(rel: str, root_real: str, excludes: Sequence[str]) -> bool:
    """Whether the walk reaches the regular file at `rel` (below the root, "/"-separated) by its own path: _list's
    tests, for each directory on the way and for the file."""
    parts = rel.split("/")
    if _scanned_kind(rel, parts[-1], excludes, os.path.join(root_real, *parts)) is None:
        return False
    return all(_enters("/".join(parts[:depth]), name, os.path.join(root_real, *parts[:depth]), excludes)
               for depth, name in enumerate(parts[:-1], 1))


def _list(directory: str, dir_rel: str, parent: Optional[Place], where: Where
          ) -> Optional[Tuple[Iterator[Any], Place, str]]:
    """One directory's files to scan (targets) and subdirectories to enter (their names), in report order, with
    its Place and its path relative to the root; None if it cannot be listed (an error is recorded)."""
    root_real, prefix, cwd, excludes, errors, seen, several, skipped = where
    try:
        with os.scandir(directory) as it:
            entries = list(it)
    except OSError as exc:
        errors.append(ScanError(display_path(directory, cwd), f"cannot list directory: {exc.strerror or exc}", "io"))
        return None
    items: List[Tuple[str, Any]] = []
    names: Dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: e.name):  # `seen` is filled in name order, as it always was
        rel = dir_rel + entry.name if os.sep == "/" else os.path.relpath(entry.path, root_real).replace(os.sep, "/")
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            if _enters(rel, entry.name, entry.path, excludes):
                items.append((entry.name + "/", entry.name))
            elif skipped is not None:
                _skip(skipped, "excluded_dir" if entry.name not in SKIP_DIRS and excludes
                      and _excluded(rel, entry.name, excludes) else "skipped_dir")
            continue
        kind = _scanned_kind(rel, entry.name, excludes, entry.path)
        if kind is None:
            if skipped is not None:
                _skip(skipped, "unrecognised_file" if kind_by_name(entry.name) is None else "excluded_file")
            continue
        if is_link:
            real = os.path.realpath(entry.path)
            if not real.startswith(root_real + os.sep):
                _skip(skipped, "link_outside_root")
                continue  # never follow a link out of the scanned root
            try:
                if not stat.S_ISREG(os.stat(real).st_mode):
                    _skip(skipped, "not_regular")
                    continue
            except OSError:
                continue
            if real in seen or walked(real[len(root_real) + 1:].replace(os.sep, "/"), root_real, excludes):
                _skip(skipped, "duplicate")
                continue  # another link to it came first, or the walk scans it under its own name
            seen.add(real)
        else:
            try:
                if not entry.is_file(follow_symlinks=False):
                    _skip(skipped, "not_regular")
                    continue  # FIFOs, sockets and devices are never opened
            except OSError:
                continue
            if several:  # below one root each file has one path: only another given path can repeat it
                real = os.path.join(root_real, rel)
                if real in seen:
                    _skip(skipped, "duplicate")
                    continue
                seen.add(real)
        if kind in ("compose", "env"):
            names[entry.name] = kind
        items.append((entry.name, Target(entry.path, prefix + rel if prefix is not None else
                                         display_path(entry.path, cwd), kind)))
    items.sort(key=itemgetter(0))
    return (item for _key, item in items), Place(directory, names, parent), dir_rel
