"""What a Compose project is built from (Spec) and what building it yields (Project), apart from the loader
(sources/project.py) and the service builder (sources/services.py), which both write into a Project and import it
from here rather than from each other.
"""

from __future__ import annotations

from hipaa_scan.model import Document, Record, Resource, ScanError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Set, Tuple


class ProjectError(Exception):
    """The project cannot be built (Compose would refuse it too); says where, never quotes values."""

    def __init__(self, path: str, message: str, kind: str = "parse") -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind


class Spec(Record):
    __slots__ = ("files", "directory", "env_files", "profiles", "roots", "primary", "given")

    def __init__(self, files: List[str], directory: str, env_files: Optional[List[str]] = None,
                 profiles: Tuple[str, ...] = (), roots: Tuple[str, ...] = (), primary: Optional[str] = None,
                 given: Optional[str] = None) -> None:
        self.files = files  # absolute paths, in merge order
        self.directory = directory  # the project directory: relative paths and the default .env resolve against it
        self.env_files = env_files  # None: the project directory's .env, if there is one
        self.profiles = profiles
        self.roots = roots  # files are read only under these directories
        self.primary = primary  # the file the document is named after (default: the first)
        self.given = given  # the scan path (or -f file's directory) as the user wrote it, for messages


class Project(Record):
    __slots__ = ("spec", "doc", "read", "consumed", "aux", "built", "notes", "errors", "resources")

    def __init__(self, spec: Spec, doc: Optional[Document] = None) -> None:
        self.spec = spec
        self.doc = doc
        self.read: Dict[str, str] = {}  # display path -> absolute path of every file read
        self.consumed: Set[str] = set()  # absolute paths of the project's compose files
        self.aux: List[Tuple[str, str]] = []  # (absolute path, kind): also scanned on their own
        self.built: Dict[str, List[Resource]] = {}  # Dockerfile display path -> image resources
        self.notes: List[str] = []
        self.errors: List[ScanError] = []
        self.resources = 0  # services judged (set once the rules have run and the document is let go)


__all__ = ["Project", "ProjectError", "Spec"]
