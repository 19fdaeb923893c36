"""Regular expressions compiled on first use.

Python compiles a regular expression in pure Python: compiling the hundred-odd patterns of the rules and the
secret detection at every start would be a large part of a pre-commit run, although a small scan needs few of them.
`lazy(pattern, flags)` stands for `re.compile(pattern, flags)` and compiles when a method is first called.
From then on its methods are the compiled pattern's own, so a hot loop pays nothing extra.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_METHODS = ("search", "match", "fullmatch", "sub", "subn", "finditer", "findall", "split")


class LazyPattern:
    """A stand-in for a compiled pattern: `pattern` and `flags` as given, the methods of re.Pattern."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> Any:  # called only for what the instance does not hold yet
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self.flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self.flags!r})"


def lazy(pattern: str | bytes, flags: int = 0) -> Any:
    """re.compile(pattern, flags), compiled when first used (typed as Any: it answers as a re.Pattern does)."""
    return LazyPattern(pattern, flags)
