"""The rule protocol: metadata in one place plus a generator `check(resource, ctx)` yielding Hits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from hipaa_scan.model import Hit, Resource

PROJECT_URL = "https://github.com/hipaa-scan/hipaa-scan"
RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*[0-9]{3}$")


@dataclass(frozen=True)
class RuleMeta:
    id: str
    name: str  # kebab-case, names the problem
    severity: str
    confidence: str
    hipaa: Tuple[str, ...]
    sources: Tuple[str, ...]
    summary: str  # one line: what it finds
    description: str  # why it matters for ePHI
    remediation: str
    cwe: Tuple[str, ...] = ()
    cis: Tuple[str, ...] = ()
    options: Tuple[Tuple[str, Any], ...] = ()  # (name, default)
    origin: str = "builtin"  # builtin | declarative | rules-dir | pack:<name>

    @property
    def help_uri(self) -> str:
        return f"{PROJECT_URL}/blob/main/docs/rules/{self.id}.md"

    def option_defaults(self) -> Dict[str, Any]:
        return dict(self.options)


@dataclass
class RuleContext:
    options: Dict[str, Any] = field(default_factory=dict)
    datastores: Any = None  # hipaa_scan.catalog.Datastores

    def option(self, name: str) -> Any:
        return self.options[name]


CheckFn = Callable[[Resource, RuleContext], Iterator[Hit]]


@dataclass
class Rule:
    meta: RuleMeta
    check: CheckFn


def meta(**kwargs: Any) -> RuleMeta:
    """Build RuleMeta from plain lists (as rule modules and YAML files write them)."""
    for key in ("hipaa", "sources", "cwe", "cis"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    if "options" in kwargs and isinstance(kwargs["options"], dict):
        kwargs["options"] = tuple(sorted(kwargs["options"].items()))
    return RuleMeta(**kwargs)
