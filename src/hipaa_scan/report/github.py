"""GitHub Actions workflow commands (`--format github`): one line per unsuppressed finding,
`::error file=PATH,line=N,title=HSnnn rule-name::message`, which the runner shows as an annotation on the line of the
pull request's diff. critical and high are `error`, medium `warning`, low and info `notice`. A file that could not be
read or parsed is an `error` annotation on that file.

Escaping follows the runner's rules: in the message `%`, CR and LF are written `%25`, `%0D`, `%0A`; in a property
value `:` and `,` are also written `%3A` and `%2C`. So no text from a scanned file can end the command or start
another one.
"""

from __future__ import annotations

from hipaa_scan.model import ScanResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, TextIO

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message, as the runner reads it back."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title), as the runner reads it back."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, file: Optional[str] = None, line: Optional[int] = None,
            title: Optional[str] = None) -> str:
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
    if line:
        props.append(f"line={int(line)}")
    if title:
        props.append(f"title={escape_property(title)}")
    return f"::{level}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def _artifact(path: str) -> Optional[str]:
    """A location GitHub can annotate: a file path (not a live container://), without a leading ./"""
    if "://" in path:
        return None
    return path[2:] if path.startswith("./") else path


def write(result: ScanResult, handle: TextIO, **_: Any) -> None:
    for f in result.findings:
        if f.suppressed:
            continue
        title = f"{f.rule_id} {f.rule_name}"
        handle.write(command(LEVEL.get(f.severity, "warning"), f"{f.message} [{f.severity}]",
                             _artifact(f.location.path), f.location.line, title) + "\n")
    for err in result.errors:
        handle.write(command("error", f"{err.path}: {err.message}", _artifact(err.path) if err.path else None,
                             title=f"hipaa-scan {err.kind} error") + "\n")
