"""Regular expressions written by users (a configuration's `placeholder_patterns`, a `--rules-dir` rule's
patterns), run with RE2 (google-re2), whose matching time is linear in the text whatever the pattern: a pattern
such as `(a+)+$` cannot hang a scan. RE2 has no backreferences and no lookaround; a pattern that uses them is
refused with the reason. The module is imported only when a user pattern exists (start-up).
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Tuple

MAX_PATTERN_CHARS = 4096  # a pattern longer than this is refused
MAX_PROGRAM_BYTES = 8 * 1024 * 1024  # RE2's memory for one compiled pattern


class UserPatternError(Exception):
    """A pattern RE2 cannot run; the message says why."""


def compile_user(pattern: str, ignore_case: bool = True) -> Any:
    """The pattern compiled with RE2 (case-insensitive unless told otherwise): it answers `search`, `match` and
    `fullmatch` as a re.Pattern does. Raises UserPatternError."""
    return _compiled(pattern, ignore_case)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str, ignore_case: bool) -> Any:
    if not isinstance(pattern, str):
        raise UserPatternError("not a string")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise UserPatternError(f"longer than {MAX_PATTERN_CHARS} characters")
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a dependency
        raise UserPatternError("needs the google-re2 package, which is not installed") from None
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False  # RE2 would write its own message to stderr
    options.max_mem = MAX_PROGRAM_BYTES
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise UserPatternError(f"not a valid RE2 regular expression ({reason})") from None


def compile_all(patterns: Tuple[str, ...], ignore_case: bool = True) -> Tuple[Any, ...]:
    return tuple(compile_user(p, ignore_case) for p in patterns)
