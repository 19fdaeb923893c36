"""Finding the files to scan and telling their kind: by name first, then (for other YAML) by a cheap sniff.

Directories are walked without following symbolic links to directories; a linked file is scanned only when it
resolves inside the scanned root. Only regular files are ever opened.
"""

from __future__ import annotations

import functools
import os
import stat

from hipaa_scan.model import FrozenRecord, ScanError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, List, Optional, Sequence, Tuple

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "node_modules", ".venv", "venv", "virtualenv", ".virtualenv", "__pycache__",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "site-packages", ".terraform",
    ".idea", ".vscode", ".eggs", "bower_components", ".cache",
})
YAML_SUFFIXES = (".yml", ".yaml")
ENV_EXAMPLE_SUFFIXES = (".example", ".sample", ".template", ".tmpl", ".dist", ".defaults")


class Target(FrozenRecord):
    """A file to scan."""

    __slots__ = ("path", "display", "kind")

    def __init__(self, path: str, display: str, kind: Optional[str]) -> None:
        self.path = path  # filesystem path
        self.display = display  # path shown in reports
        self.kind = kind  # dockerfile | compose | env | yaml (sniff) | None (unknown, explicit file)


def kind_by_name(name: str) -> Optional[str]:
    lower = name.lower()
    if lower.endswith(".dockerignore"):
        return None
    if (name in ("Dockerfile", "dockerfile", "Containerfile", "containerfile") or name.startswith("Dockerfile.")
            or name.startswith("Containerfile.") or lower.endswith(".dockerfile") or lower.endswith(".containerfile")):
        return "dockerfile"
    if lower.endswith(YAML_SUFFIXES):
        if lower.startswith(("compose", "docker-compose")):
            return "compose"
        return "yaml"
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return "env"
    return None


def display_path(path: str, cwd: Optional[str] = None) -> str:
    here = os.getcwd()
    return _display(path, cwd or here, here)


@functools.lru_cache(maxsize=4096)  # a project's files are shown again and again; the answer is lexical
def _display(path: str, cwd: str, here: str) -> str:
    absolute = os.path.normpath(os.path.join(here, path))  # os.path.abspath, from the working directory `here`
    base = os.path.normpath(os.path.join(here, cwd))
    inside = base.rstrip(os.sep) + os.sep
    if absolute.startswith(inside) and absolute != base:  # os.path.relpath's answer below `cwd`, without its work
        return absolute[len(inside):].replace(os.sep, "/")
    try:
        rel = os.path.relpath(absolute, base)
    except ValueError:
        return absolute
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return absolute
    return rel.replace(os.sep, "/")


def _excluded(rel: str, name: str, patterns: Sequence[str]) -> bool:
    import fnmatch  # here: only --exclude and the configuration's excludes need it

    for pattern in patterns:
        pat = pattern.rstrip("/")
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(name, pat) or fnmatch.fnmatch(rel, pat + "/*") \
                or fnmatch.fnmatch(rel, "*/" + pat) or fnmatch.fnmatch(rel, "*/" + pat + "/*"):
            return True
    return False


def discover(paths: Iterable[str], excludes: Sequence[str] = ()) -> Tuple[List[Target], List[ScanError]]:
    targets: List[Target] = []
    errors: List[ScanError] = []
    seen = set()
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
            _walk(given, excludes, targets, errors, seen)
        elif stat.S_ISREG(st.st_mode):
            real = os.path.realpath(given)
            if real not in seen:
                seen.add(real)
                targets.append(Target(given, display_path(given), kind_by_name(os.path.basename(given))))
        else:
            errors.append(ScanError(display_path(given), "not a regular file or directory; not opened", "io"))
    return targets, errors


def _walk(root: str, excludes: Sequence[str], targets: List[Target], errors: List[ScanError], seen: set) -> None:
    root_real = os.path.realpath(root)
    cwd = os.getcwd()
    root_abs = os.path.abspath(root)
    # Below the root, a path's display form and real path follow from its path relative to the root (directories
    # are never entered through links); display_path and realpath are only needed where that does not hold.
    inside = root_abs == cwd or not cwd.startswith(root_abs.rstrip(os.sep) + os.sep)
    root_display = display_path(root, cwd)
    prefix = "" if root_display == "." else root_display.rstrip("/") + "/"
    stack = [(root, "")]
    found: List[Target] = []
    while stack:
        directory, dir_rel = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            errors.append(ScanError(display_path(directory, cwd), f"cannot list directory: {exc.strerror or exc}",
                                    "io"))
            continue
        subdirs = []
        for entry in entries:
            rel = dir_rel + entry.name if os.sep == "/" else os.path.relpath(entry.path, root).replace(os.sep, "/")
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in SKIP_DIRS or (excludes and _excluded(rel, entry.name, excludes)):
                    continue
                if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    continue
                subdirs.append((entry.path, rel + "/"))
                continue
            kind = kind_by_name(entry.name)
            if kind is None or (excludes and _excluded(rel, entry.name, excludes)):
                continue
            if is_link:
                real = os.path.realpath(entry.path)
                if not (real == root_real or real.startswith(root_real + os.sep)):
                    continue  # never follow a link out of the scanned root
                try:
                    if not stat.S_ISREG(os.stat(real).st_mode):
                        continue
                except OSError:
                    continue
            else:
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue  # FIFOs, sockets and devices are never opened
                except OSError:
                    continue
                real = os.path.join(root_real, rel)
            if real in seen:
                continue
            seen.add(real)
            found.append(Target(entry.path, prefix + rel if inside else display_path(entry.path, cwd), kind))
        stack.extend(reversed(subdirs))
    found.sort(key=lambda t: t.display)
    targets.extend(found)


def is_example_file(display: str) -> bool:
    return display.lower().endswith(ENV_EXAMPLE_SUFFIXES)


MAX_FILE_BYTES = 5 * 1024 * 1024


class ReadError(Exception):
    pass


def read_text(path: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a regular file as text: UTF-8 (with or without BOM) or UTF-16 with BOM; CRLF normalised."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block us
    except FileNotFoundError:
        raise ReadError("vanished before it could be read") from None
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadError("not a regular file; not opened")
        if st.st_size > max_bytes:
            raise ReadError(f"file is {st.st_size} bytes, over the {max_bytes}-byte limit")
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ReadError(f"file grew over the {max_bytes}-byte limit while being read")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError("invalid UTF-16") from None
    else:
        if b"\x00" in data:
            raise ReadError("binary file (contains NUL bytes)")
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReadError(f"not valid UTF-8 (byte {exc.start})") from None
    if "\x00" in text:
        raise ReadError("binary file (contains NUL characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")
