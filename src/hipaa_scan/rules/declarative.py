"""Declarative rules: YAML data in `rules/`, validated against schemas/rule.schema.json.

A rule's `match` is a list of alternatives, each naming one selector:
  env:            {name: REGEX, value: REGEX}   an environment variable (name and value searched, case-insensitive)
  command:        REGEX                          an entrypoint/command argument, or the whole command line
  run:            REGEX                          a Dockerfile RUN command (heredoc bodies included)
  logging_driver: REGEX                          the container's logging driver
Each alternative may carry its own `message`; placeholders: {resource}, {name}, {value}, {match}. It may also
name the `sources` (resource kinds: dockerfile, compose, env, container) it applies to; by default, all the rule's.
"""

from __future__ import annotations

import json
import os
import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import EnvVar, Hit, Location, Resource
from hipaa_scan.rules.base import Rule, RuleContext, label_at, meta, shorten
from hipaa_scan.secrets import mask, secret_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, Optional, Tuple

META_KEYS = ("id", "name", "severity", "confidence", "hipaa", "sources", "summary", "description", "remediation",
             "cwe", "cis")
_SCHEMA_CACHE: Dict[str, Any] = {}


class RuleFileError(Exception):
    pass


def _schema() -> Dict[str, Any]:
    if "rule" not in _SCHEMA_CACHE:
        here = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemas", "rule.schema.json")
        with open(here, encoding="utf-8") as handle:
            _SCHEMA_CACHE["rule"] = json.load(handle)
    schema: Dict[str, Any] = _SCHEMA_CACHE["rule"]
    return schema


def validate(data: Any, path: str) -> None:
    """Validate one rule document against the JSON Schema (imports jsonschema: only for untrusted rule files)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise RuleFileError(f"{path}: {where}: {err.message}")


def _check_sources(plain: Dict[str, Any], path: str) -> None:
    """A rule's `sources`, and each match's, must name source kinds (sources/kinds.py): a misspelt one would
    otherwise make the rule, or the match, silently apply to nothing."""
    from hipaa_scan.sources.kinds import KIND_VALUES, unknown_kinds

    places = [("sources", plain.get("sources"))] + [
        (f"match/{i}/sources", spec["sources"]) for i, spec in enumerate(plain.get("match") or ())
        if isinstance(spec, dict) and "sources" in spec]
    for where, names in places:
        if names is None and where == "sources":
            continue
        unknown = unknown_kinds(names)
        if unknown:
            raise RuleFileError(f"{path}: {where}: unknown source kind {', '.join(map(repr, unknown))} "
                                f"(known: {', '.join(sorted(KIND_VALUES))})")


def _compile(pattern: str, path: str, checked: bool) -> "re.Pattern[str]":
    """The pattern, case-insensitive. The bundled rules' patterns (`checked`: tested with the project) are compiled
    when first used, with Python's engine; a rules-dir file's are compiled now with RE2, which matches in linear
    time whatever the pattern (userre), so that a bad one is reported before the scan and none can hang it."""
    if checked:
        bundled: "re.Pattern[str]" = lazy(pattern, re.IGNORECASE)
        return bundled
    from hipaa_scan.userre import UserPatternError, compile_user

    try:
        compiled: "re.Pattern[str]" = compile_user(pattern)
        return compiled
    except UserPatternError as exc:
        raise RuleFileError(f"{path}: bad regular expression {pattern!r}: {exc}") from None


class _Matcher:
    def __init__(self, spec: Dict[str, Any], default_message: str, path: str, checked: bool) -> None:
        self.message = spec.get("message", default_message)
        self.sources = frozenset(spec["sources"]) if spec.get("sources") else None
        self.env_name: Any = None  # compiled patterns (or lazy ones), or None
        self.env_value: Any = None
        self.command = self.run = self.logging = None
        if "env" in spec:
            self.env_name = _compile(spec["env"]["name"], path, checked)
            self.env_value = _compile(spec["env"].get("value", ".*"), path, checked)
        if "command" in spec:
            self.command = _compile(spec["command"], path, checked)
        if "run" in spec:
            self.run = _compile(spec["run"], path, checked)
        if "logging_driver" in spec:
            self.logging = _compile(spec["logging_driver"], path, checked)

    def env_hit(self, res: Resource, var: EnvVar) -> Hit:
        """The hit for a variable whose name and value this alternative matches."""
        shown = mask(var.value) if secret_name(var.name) else shorten(var.value or "")
        return Hit(var.loc, self._format(res, var.loc, var.name, shown, shown), key=f"env:{var.name}",
                   evidence=f"{var.name}={shown}")

    def hits(self, res: Resource) -> Iterator[Hit]:
        """Hits of the command, run and logging_driver selectors (env: see env_hit)."""
        if self.command is not None and res.command:
            hit = None
            for token in res.command:
                if self.command.search(str(token.value)):
                    hit = token
                    break
            if hit is None and self.command.search(" ".join(str(t.value) for t in res.command)):
                hit = res.command[0]
            if hit is not None:
                text = shorten(" ".join(str(t.value) for t in res.command))
                yield Hit(hit.loc, self._format(res, hit.loc, "command", text, shorten(str(hit.value))), key="command",
                          evidence=text)
        if self.run is not None:
            for run in res.run:
                match = self.run.search(run.value)
                if match:
                    text = shorten(match.group(0))
                    yield Hit(run.loc, self._format(res, run.loc, "RUN", text, text), key=f"run:{text}", evidence=text)
        if self.logging is not None and res.logging_driver is not None:
            if self.logging.search(str(res.logging_driver.value)):
                value = str(res.logging_driver.value)
                yield Hit(res.logging_driver.loc, self._format(res, None, "logging driver", value, value),
                          key="logging_driver", evidence=f"logging driver {value}")

    def _format(self, res: Resource, loc: Optional[Location], name: str, value: str, match: str) -> str:
        text: str = self.message.format(resource=label_at(res, loc), name=name, value=value, match=match)
        return text




MAX_RULE_FILE_BYTES = 1024 * 1024  # a --rules-dir file larger than this is refused


def load_rule_file(path: str, origin: str, check_schema: bool) -> Rule:
    if check_schema:  # a --rules-dir file: read with the limits of a configuration file
        from hipaa_scan.discover import read_bounded

        raw = read_bounded(path, MAX_RULE_FILE_BYTES, RuleFileError)
    else:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise RuleFileError(f"{path}: cannot read: {exc}") from None
    plain = _cached(raw, check_schema)
    if plain is None:
        plain = _parse(raw, path)
        if check_schema:
            validate(plain, path)
        _remember(raw, check_schema, plain)
    _check_sources(plain, path)
    try:
        rule_meta = meta(origin=origin, options=plain.get("options", {}),
                         **{k: plain[k] for k in META_KEYS if k in plain})
    except ValueError as exc:  # an option whose default is not of its kind
        raise RuleFileError(f"{path}: options: {exc}") from None
    matchers = [_Matcher(spec, plain["message"], path, not check_schema) for spec in plain["match"]]
    env_matchers = [m for m in matchers if m.env_name is not None]
    other_matchers = [m for m in matchers if m.command is not None or m.run is not None or m.logging is not None]
    # The same variable names recur across a tree: which alternatives match a name is remembered (up to a bound),
    # so most variables cost one dictionary lookup.
    by_name: Dict[str, Tuple[_Matcher, ...]] = {}

    def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
        for var in res.env:
            if var.value is None:
                continue
            wanted = by_name.get(var.name)
            if wanted is None:
                if len(by_name) > 4096:
                    by_name.clear()
                wanted = by_name[var.name] = tuple(m for m in env_matchers if m.env_name.search(var.name))
            for matcher in wanted:
                if (matcher.sources is None or res.kind in matcher.sources) and matcher.env_value.search(var.value):
                    yield matcher.env_hit(res, var)
        for matcher in other_matchers:
            if matcher.sources is None or res.kind in matcher.sources:
                yield from matcher.hits(res)

    return Rule(rule_meta, check)


def _parse(raw: bytes, path: str) -> Dict[str, Any]:
    from hipaa_scan import yamlsrc

    try:
        data, duplicates = yamlsrc.load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"{path}: cannot read: {exc}") from None
    except yamlsrc.YamlError as exc:
        raise RuleFileError(f"{path}: {exc}") from None
    if duplicates:
        raise RuleFileError(f"{path}: duplicate key {duplicates[0][0]!r} at line {duplicates[0][1][0]}")
    plain: Dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


# A rule file, once parsed (and validated), is remembered as JSON by its content: later runs neither parse YAML
# nor, for a scan without Compose files, even import the YAML library (which a one-file scan would feel).
def _cache_file(raw: bytes, check_schema: bool) -> str:
    from hipaa_scan import __version__
    from hipaa_scan.cache import cache_path
    from hipaa_scan.model import sha256

    digest = sha256(__version__.encode() + (b"\x01" if check_schema else b"\x00") + raw).hexdigest()
    return cache_path("rules", digest + ".json")


def _cached(raw: bytes, check_schema: bool) -> Optional[Dict[str, Any]]:
    try:
        with open(_cache_file(raw, check_schema), encoding="utf-8") as handle:
            plain = json.load(handle)
    except (OSError, ValueError):
        return None
    return plain if isinstance(plain, dict) else None


def _remember(raw: bytes, check_schema: bool, plain: Dict[str, Any]) -> None:
    from hipaa_scan.cache import write_cache

    write_cache(_cache_file(raw, check_schema), json.dumps(plain))
