"""Configuration: `.hipaa-scan.yaml` (or `.hipaa-scan.yml`) or `[tool.hipaa-scan]` in pyproject.toml, found from
the working directory upward, or named with --config. Validated against the schema options.config_schema builds from
the option table and the options the loaded rules declare (RuleOption; packs and --rules-dir rules included): an
unknown key, a rule id that does not exist, an option a rule does not declare or a value of the wrong kind is an
error naming it.

Validation needs jsonschema, which is slow to import; a file that validated once is remembered by its SHA-256 in
the user's cache directory, so a pre-commit run does not pay for it again.

The configuration comes with the repository, so it is read as carefully as a scanned file: at most
MAX_CONFIG_BYTES, YAML through the bounded loader (yamlsrc: node budget, no recursive alias), TOML and YAML nested
at most MAX_CONFIG_DEPTH levels, `max-file-bytes` at most MAX_FILE_BYTES_CAP, and rule options of kind `patterns`
(HS401's `placeholder_patterns`) compiled with RE2 (userre) when the file is loaded. Each problem is one ConfigError naming the file.
"""

from __future__ import annotations

import json
import os
import re

from hipaa_scan.cache import cache_path, write_cache
from hipaa_scan.discover import read_bounded
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence

CONFIG_NAMES = (".hipaa-scan.yaml", ".hipaa-scan.yml")
MAX_CONFIG_BYTES = 1024 * 1024  # a configuration file (pyproject.toml included) larger than this is refused
MAX_CONFIG_DEPTH = 32  # nesting of the configuration's data
MAX_FILE_BYTES_CAP = 32 * 1024 * 1024  # the most `max-file-bytes` may allow (the default is 5 MiB)


class ConfigError(Exception):
    pass


class Config(Record):
    """The configuration file's settings; empty when there is no file."""

    __slots__ = ("path", "select", "ignore", "exclude", "fail_on", "severity", "per_path_ignores", "rules",
                 "datastores", "max_file_bytes", "baseline", "sha256")

    def __init__(self, path: Optional[str] = None, select: Optional[List[str]] = None,
                 ignore: Optional[List[str]] = None, exclude: Optional[List[str]] = None,
                 fail_on: Optional[str] = None, severity: Optional[Dict[str, str]] = None,
                 per_path_ignores: Optional[List[Dict[str, Any]]] = None,
                 rules: Optional[Dict[str, Dict[str, Any]]] = None, datastores: Optional[List[Dict[str, Any]]] = None,
                 max_file_bytes: Optional[int] = None, baseline: Optional[str] = None,
                 sha256: Optional[str] = None) -> None:
        self.path = path  # the file read (None: no configuration), as found or given
        self.sha256 = sha256  # the SHA-256 of its bytes as read: which configuration a run had (evidence, run record)
        self.select = select or []
        self.ignore = ignore or []
        self.exclude = exclude or []
        self.fail_on = fail_on
        self.severity = severity or {}
        self.per_path_ignores = per_path_ignores or []
        self.rules = rules or {}
        self.datastores = datastores or []
        self.max_file_bytes = max_file_bytes
        self.baseline = baseline  # the `baseline:` key, resolved against the configuration file's folder


def find_config(start: Optional[str] = None) -> Optional[str]:
    directory = os.path.abspath(start or os.getcwd())
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        pyproject = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(pyproject) and _pyproject_section(pyproject) is not None:
            return pyproject
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


# A table header, dotted key or inline table that could make `tool.hipaa-scan`; a cheap filter before parsing.
_SECTION_HINT = lazy(rb"""^\s*\[[^\]\n]*hipaa-scan|tool\s*\.\s*["']?hipaa-scan|^\s*["']?hipaa-scan["']?\s*(=\s*\{|\.)""", re.M)


def depth_over(data: Any, limit: int) -> bool:
    """Whether `data` (dicts and lists) nests deeper than `limit` levels; without recursion."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _mentions(path: str, word: bytes) -> bool:
    """Whether the file holds `word`, read a chunk at a time (for a file too large to be read whole)."""
    tail = b""
    try:
        with open(path, "rb") as handle:
            while True:
                chunk = handle.read(1024 * 1024)
                if not chunk:
                    return False
                if word in tail + chunk:
                    return True
                tail = chunk[-len(word):]
    except OSError:
        return False


def _pyproject_section(path: str) -> Optional[Dict[str, Any]]:
    try:
        raw = read_bounded(path, MAX_CONFIG_BYTES, ConfigError)
    except ConfigError:
        if os.path.isfile(path) and not _mentions(path, b"hipaa-scan"):
            return None  # a large pyproject.toml of some other tool: not a configuration, so no error
        raise
    if b"hipaa-scan" not in raw or not _SECTION_HINT.search(raw):
        return None  # the common case (a project's own name, say): no TOML parser needed
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply to parse") from None
    tool = data.get("tool")
    section = tool.get("hipaa-scan") if isinstance(tool, dict) else None
    if isinstance(section, dict) and depth_over(section, MAX_CONFIG_DEPTH):
        raise ConfigError(f"{path}: [tool.hipaa-scan] is nested deeper than {MAX_CONFIG_DEPTH} levels")
    return section if isinstance(section, dict) else None


def _read(path: str) -> Dict[str, Any]:
    if os.path.basename(path) == "pyproject.toml":
        section = _pyproject_section(path)
        if section is None:
            raise ConfigError(f"{path}: no [tool.hipaa-scan] section")
        return section
    from hipaa_scan import yamlsrc

    raw = read_bounded(path, MAX_CONFIG_BYTES, ConfigError)
    try:
        data, duplicates = yamlsrc.load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: cannot read: not valid UTF-8") from None
    except yamlsrc.YamlError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if duplicates:
        raise ConfigError(f"{path}: duplicate key {duplicates[0][0]!r} at line {duplicates[0][1][0]}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    if depth_over(data, MAX_CONFIG_DEPTH):
        raise ConfigError(f"{path}: nested deeper than {MAX_CONFIG_DEPTH} levels")
    plain: Dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


def _cache_marker(digest: str) -> str:
    return cache_path("valid-config", digest)


def _validate(data: Dict[str, Any], path: str, known: Sequence[Any]) -> None:
    from hipaa_scan.model import sha256
    from hipaa_scan.options import config_schema

    schema_bytes = json.dumps(config_schema((m.id, m.options) for m in known), sort_keys=True).encode()
    digest = sha256(schema_bytes + json.dumps(data, sort_keys=True).encode()).hexdigest()
    marker = _cache_marker(digest)
    if os.path.exists(marker):
        return
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(schema_bytes))
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        if err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            if list(err.absolute_path) == ["rules"] and extra[0].upper() not in {m.id for m in known}:
                # options of a rule that does not exist (a rule without options is a known key that takes none)
                raise ConfigError(f"{path}: unknown key {extra[0]!r} in rules: no rule {extra[0]!r}"
                                  f"{did_you_mean(extra[0], known)}")
            raise ConfigError(f"{path}: unknown key {', '.join(map(repr, extra))} in {where}")
        raise ConfigError(f"{path}: {where}: {err.message}")
    write_cache(marker, "")  # remember success


def _check_patterns(data: Dict[str, Any], path: str, known: Sequence[Any]) -> None:
    """Every user regular expression (a rule option of kind `patterns`) compiles with RE2 (linear-time matching);
    RE2 is loaded only if there are any."""
    configured = data.get("rules", {})
    for m in known:
        for option in m.options:
            patterns = configured.get(m.id, {}).get(option.name) if option.kind == "patterns" else None
            if not patterns:
                continue
            from hipaa_scan.userre import UserPatternError, compile_user

            for i, pattern in enumerate(patterns):
                try:
                    compile_user(pattern)
                except UserPatternError as exc:
                    raise ConfigError(f"{path}: rules.{m.id}.{option.name}[{i}]: {exc}") from None


def _check_rule_refs(cfg: Config, known: Sequence[Any]) -> None:
    ids = {m.id for m in known}
    names = {m.name for m in known}

    def ok(selector: str) -> bool:
        return selector in names or any(i.startswith(selector.upper()) for i in ids)

    refs = [("select", s) for s in cfg.select] + [("ignore", s) for s in cfg.ignore] + \
        [("severity", s) for s in cfg.severity] + \
        [("per-path-ignores", s) for entry in cfg.per_path_ignores for s in entry["rules"]]
    for key, selector in refs:
        if not ok(selector):
            raise ConfigError(f"{cfg.path}: {key}: no rule {selector!r}{did_you_mean(selector, known)}")


def did_you_mean(selector: str, known: Sequence[Any]) -> str:
    """"; did you mean HS101?": the known rule ids and names nearest to a reference that names no rule."""
    from hipaa_scan.hints import nearest

    close = nearest(selector, (m.id for m in known), (m.name for m in known))
    return f"; did you mean {' or '.join(close)}?" if close else " (see `hipaa-scan rules`)"


def load_config(path: Optional[str], known_rules: Sequence[Any] = ()) -> Config:
    """The configuration at `path`, or the one found upward from the working directory, or defaults. Its `rules`
    section is checked against the options `known_rules` (RuleMeta) declare; without them, the built-in rules'."""
    path = path or find_config()
    if path is None:
        return Config()
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such configuration file")
    data = _read(path)
    known = known_rules or _builtin_metas()
    _validate(data, path, known)
    _check_patterns(data, path, known)
    cfg = Config(
        path=path, select=list(data.get("select", [])), ignore=list(data.get("ignore", [])),
        exclude=list(data.get("exclude", [])), fail_on=data.get("fail-on"),
        severity=dict(data.get("severity", {})), per_path_ignores=list(data.get("per-path-ignores", [])),
        rules=dict(data.get("rules", {})), datastores=list(data.get("datastores", [])),
        max_file_bytes=data.get("max-file-bytes"), sha256=file_sha256(path),
        baseline=os.path.join(os.path.dirname(path), data["baseline"]) if data.get("baseline") else None)
    _check_rule_refs(cfg, known)
    return cfg


def file_sha256(path: str) -> Optional[str]:
    """The SHA-256 of a file's bytes (None if it cannot be read again)."""
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _builtin_metas() -> List[Any]:
    from hipaa_scan.rules import load_rules

    return [r.meta for r in load_rules(packs=False)]


def severity_overrides(cfg: Config, known: Sequence[Any]) -> Dict[str, str]:
    """Severity overrides keyed by rule id (the config may name rules by id or name)."""
    out: Dict[str, str] = {}
    for selector, severity in cfg.severity.items():
        for m in known:
            if m.id == selector.upper() or m.name == selector:
                out[m.id] = severity
    return out
