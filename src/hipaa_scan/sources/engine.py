"""A Docker engine as a Resource of kind `engine`: facts from `docker info` and from how the scan connected.

Located as `engine://<label>` plus the `docker info` key (`LoggingDriver`, `SecurityOptions[0]`) or `Connection.*`
for facts about the connection itself. Info JSON may come from a file: a missing key or a wrong type is skipped.
"""

from __future__ import annotations

from hipaa_scan.model import Document, Location, Resource, Value
from hipaa_scan.sources.kinds import SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional

SCHEME = "engine://"


def engine_document(label: str, info: Optional[Dict[str, Any]], version: Optional[Dict[str, Any]] = None,
                    connection: Optional[Dict[str, Any]] = None) -> Document:
    """`connection` (None when analysing saved files): {"host": url (credentials masked), "scheme": unix|tcp|ssh|npipe,
    "tls": bool, "tls_verify": bool}."""
    info = info if isinstance(info, dict) else {}
    version = version if isinstance(version, dict) else {}
    path = SCHEME + label

    def loc(key: Optional[str]) -> Location:
        return Location(path, None, None, key)

    res = Resource(kind=SourceKind.ENGINE, name=f"engine:{label}", label=f'engine "{label}"', path=path,
                   anchor=loc(None))
    driver = info.get("LoggingDriver")
    if isinstance(driver, str) and driver:
        res.logging_driver = Value(driver, loc("LoggingDriver"))
    options = info.get("SecurityOptions")
    if isinstance(options, list):
        for i, opt in enumerate(options):
            if isinstance(opt, str) and opt:
                res.security_opt.append(Value(opt, loc(f"SecurityOptions[{i}]")))
    res.security_options_known = isinstance(options, list)
    res.connection = connection
    res.registry = info.get("RegistryConfig") if isinstance(info.get("RegistryConfig"), dict) else None
    res.server_version = version.get("Version") if isinstance(version.get("Version"), str) else \
        (info.get("ServerVersion") if isinstance(info.get("ServerVersion"), str) else None)
    res.api_version = version.get("ApiVersion") if isinstance(version.get("ApiVersion"), str) else None
    res.os = info.get("OperatingSystem") if isinstance(info.get("OperatingSystem"), str) else None
    return Document(path=path, kind=SourceKind.ENGINE, resources=[res], lines=None)
