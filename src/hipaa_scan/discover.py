"""What a file to scan is: its kind by name (then, for other YAML, by a cheap sniff), its display path, whether an
env-named file holds an env file, and reading it safely (size limit, encodings, regular files only). The walk
that finds the files is scan/walk.py."""

from __future__ import annotations

import functools
import os
import re
import stat

from hipaa_scan.model import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple

ENV_EXAMPLE_SUFFIXES = (".example", ".sample", ".template", ".tmpl", ".dist", ".defaults")


class Target(FrozenRecord):
    """A file to scan."""

    __slots__ = ("path", "display", "kind")

    def __init__(self, path: str, display: str, kind: Optional[str]) -> None:
        self.path = path  # filesystem path
        self.display = display  # path shown in reports
        self.kind = kind  # dockerfile | compose | env | yaml (sniff) | None (unknown, explicit file)


_ASSIGNMENT = re.compile(r"^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_.\-]*\s*=")
# Jinja/Ansible (`{{ var }}`, `{% if %}`) and ERB: `{{.Field}}` without a space is a Go format string in a value
_TEMPLATE = re.compile(r"\{\{[\s-]|\{%|^\s*\{#|<%")
_SHELL_WORDS = frozenset(("if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
                          "function", "source", ".", "echo", "printf", "set", "unset", "exit", "return", "[", "[[",
                          "test", "cd", "local", "readonly", "declare", "trap", "shift", "eval", "}", "{"))


def env_content(text: str) -> Tuple[Optional[str], str]:
    """What a file named like an env file holds, judged by its content: (reason, text). `reason` is None for an
    env file, else why it is not one (nothing is scanned): no NAME=value line at all, a diff or patch, or a
    template (`{{ }}`, `{% %}`, `<% %>`). For a shell script (a `#!` line, or lines starting with shell keywords
    or commands, as in `.env.sh`), `text` keeps only its NAME=value lines (the others blanked, so lines keep their
    numbers): its assignments are scanned, its code is not an env file's syntax error."""
    lines = text.splitlines()
    meaningful = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not any(_ASSIGNMENT.match(line) for line in meaningful):
        return "no NAME=value line", text
    if any(line.startswith(("diff --git ", "@@ ", "--- a/", "+++ b/", "Index: ")) for line in lines) or (
            any(line.startswith("--- ") for line in lines) and any(line.startswith("+++ ") for line in lines)):
        return "a diff, not an env file", text
    if any(_TEMPLATE.search(line) for line in meaningful):
        return "a template, not an env file", text
    script = lines[:1] and lines[0].startswith("#!")
    kept = []
    for line in lines:
        stripped = line.strip()
        word = stripped.split(None, 1)[0].rstrip(";") if stripped else ""
        if stripped and not stripped.startswith("#") and not _ASSIGNMENT.match(line) and (
                word in _SHELL_WORDS or stripped.endswith(("; then", "; do")) or stripped.endswith(("{", "}"))):
            script = True
            kept.append("")
        else:
            kept.append(line)
    return None, ("\n".join(kept) + "\n" if script else text)


def display_path(path: str, cwd: Optional[str] = None) -> str:
    here = os.getcwd()
    return _display(path, cwd or here, here)


@functools.lru_cache(maxsize=1024)  # a project's files are shown again and again; the answer is lexical
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


def is_example_file(display: str) -> bool:
    return display.lower().endswith(ENV_EXAMPLE_SUFFIXES)


MAX_FILE_BYTES = 5 * 1024 * 1024


class ReadError(Exception):
    pass


def read_bytes(path: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most `max_bytes` (ReadError otherwise): opened without blocking (a FIFO must not
    block us), checked to be a regular file before it is read, read in bounded pieces."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ReadError("vanished before it could be read") from None
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadError("not a regular file; not opened")
        if st.st_size > max_bytes:
            raise ReadError(f"file is {st.st_size:,} bytes, over the {max_bytes:,}-byte limit")
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
        raise ReadError(f"file grew over the {max_bytes:,}-byte limit while being read")
    return data


def read_text(path: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a regular file as text: UTF-8 (with or without BOM) or UTF-16 with BOM; CRLF normalised."""
    data = read_bytes(path, max_bytes)
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


def read_bounded(path: str, limit: int, error: type) -> bytes:
    """The file's bytes, read as scanned files are (read_bytes); refused with `error` (one line naming the file)
    when it is larger than `limit` or not a regular file. For configuration, baseline and rule files."""
    try:
        return read_bytes(path, limit)
    except ReadError as exc:
        raise error(f"{path}: {exc}") from None


def anchored(path: str, base: str) -> Optional[str]:
    """`path` relative to the folder `base` (absolute), "/"-separated; None outside it. How a configuration's
    `exclude` and `per-path-ignores` patterns see a path: from the folder of the file that declares them."""
    absolute = os.path.abspath(path)
    inside = base.rstrip(os.sep) + os.sep
    if not absolute.startswith(inside):
        return None
    return absolute[len(inside):].replace(os.sep, "/")
