"""The kinds of source a Resource comes from: the one definition every module, rule and report names them by.

`SourceKind` is a str enum: each member is equal to, hashes like and prints as its plain value, so a rule's
`sources`, a Document's `kind` and every report keep the same text ("dockerfile") whether they hold the member or
the string.
"""

from __future__ import annotations

from enum import Enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List


class SourceKind(str, Enum):
    DOCKERFILE = "dockerfile"  # a Dockerfile or Containerfile: its final stage
    COMPOSE = "compose"  # a Compose service (and the image its `build:` makes)
    ENV = "env"  # an env file (and a Compose secret read from the environment)
    CONTAINER = "container"  # a running or stopped container, from the engine's inspect data
    ENGINE = "engine"  # a Docker engine, from its info and version

    # str() and format() give the value, as they do for a plain str (Python 3.12 changed format() for mixed-in
    # enums: stated here so output does not depend on the interpreter)
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


# The kind of a file whose name ends in .yml/.yaml but does not say Compose: parsed as Compose only if its content
# is (a target kind, never a Resource's).
MAYBE_COMPOSE = "yaml"

KIND_VALUES = frozenset(kind.value for kind in SourceKind)


class SourceError(Exception):
    """A file of a source kind that cannot be parsed; the message says where and why, never a value from it."""


def unknown_kinds(names: object) -> List[object]:
    """The entries of `names` (a rule's `sources`) that are no SourceKind, as written."""
    if not isinstance(names, (list, tuple, set, frozenset)):
        return [names]
    return [name for name in names if not isinstance(name, str) or name not in KIND_VALUES]
