"""Writing the report named by `--output` safely (docs/security.md, "The scan never writes into what it scans").

- A symbolic link at the output's last component is never followed: the write is refused. (A link to a device or
  a pipe, such as /dev/stdout, is written to: nothing is replaced there.)
- A file the scan reads is never overwritten: a file named on the command line (paths, -f, --env-file, --config,
  --baseline, --from-inspect, --from-info, the configuration found) or one that the directory walk scans.
- A regular file is written atomically: to a new file in the same folder, then renamed over the target, so the
  target is either the old file or the whole new report, never a mix, and a link planted there meanwhile is replaced,
  not written through. Devices and pipes (/dev/null) are written directly.

Each refusal is an OutputError whose text is the one line the user sees (exit 2).
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Optional, Sequence, TextIO


class OutputError(Exception):
    pass


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check(output: str, inputs: Iterable[str] = (), scanned_dirs: Iterable[str] = (),
          excludes: Sequence[str] = ()) -> None:
    """Refuse an --output that is a link to a file, or a file the scan reads (see the module's docstring)."""
    try:
        st = os.lstat(output)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        try:
            target_mode = os.stat(output).st_mode
        except OSError:
            target_mode = 0
        if not (stat.S_ISCHR(target_mode) or stat.S_ISFIFO(target_mode)):
            raise OutputError(f"refusing to write the report to {output}: it is a symbolic link (hipaa-scan never "
                              "writes through a link; name the real file)")
        return
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write {output}: it is a folder")
    if not stat.S_ISREG(st.st_mode):
        return
    for path in inputs:
        if path and _same(output, path):
            raise OutputError(f"refusing to write the report to {output}: it is one of the scan's inputs")
    from hipaa_scan.scan.walk import walked

    real = os.path.realpath(output)
    for root in scanned_dirs:
        if not os.path.isdir(root):
            continue
        root_real = os.path.realpath(root)
        rel = os.path.relpath(real, root_real)
        if rel.startswith(os.pardir) or os.path.isabs(rel):
            continue
        if walked(rel.replace(os.sep, "/"), root_real, excludes):
            raise OutputError(f"refusing to write the report to {output}: the scan reads that file")


def write(output: str, produce: Callable[[TextIO], Any], inputs: Iterable[str] = (), scanned_dirs: Iterable[str] = (),
          excludes: Sequence[str] = ()) -> None:
    """Check `output`, then call `produce(handle)` on a text handle whose content replaces it atomically."""
    check(output, inputs, scanned_dirs, excludes)
    try:
        st: Optional[os.stat_result] = os.stat(output)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):  # /dev/null, a pipe: nothing to replace
        try:
            with open(output, "w", encoding="utf-8") as handle:
                produce(handle)
        except OSError as exc:
            raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
        return
    folder = os.path.dirname(os.path.abspath(output))
    base = os.path.basename(output)
    temp = None
    for n in range(100):
        candidate = os.path.join(folder, f".{base}.{os.getpid()}-{n}.tmp")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
        temp = candidate
        break
    if temp is None:
        raise OutputError(f"cannot write {output}: no free temporary name in {folder}")
    try:
        with open(fd, "w", encoding="utf-8") as handle:
            produce(handle)
        if st is not None:
            os.chmod(temp, stat.S_IMODE(st.st_mode))  # the report keeps the mode of the file it replaces
        os.replace(temp, output)
    except OSError as exc:
        _unlink(temp)
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    except BaseException:
        _unlink(temp)
        raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
