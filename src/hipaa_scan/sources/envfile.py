"""Env files as Compose reads them: comments, `export `, single and double quotes (multi-line allowed),
` #` comments after unquoted values, empty values, and `VAR` alone (taken from the environment)."""

from __future__ import annotations

import re

from hipaa_scan import redact
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Document, EnvVar, Location, Resource

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional, Tuple

KEY = lazy(r"^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=)?")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$"}


class EnvFileError(Exception):
    pass


def _double_quoted(text: str, start: int) -> Tuple[Optional[str], int]:
    """Value of a double-quoted string starting after the quote; (None, index) when unterminated."""
    out = []
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return None, i


def parse_env_text(text: str, path: str, regions: Optional[Dict[int, List[Tuple[int, int]]]] = None) -> List[EnvVar]:
    """The variables of an env file. With `regions`, also where each sensitive value is written: from after `=` to
    the end of its last line (redact.py)."""
    variables: List[EnvVar] = []
    lines = redact.source_lines(text, "env")
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = KEY.match(raw)
        if not match:
            raise EnvFileError(f"line {lineno}, column {len(raw) - len(raw.lstrip()) + 1}: expected NAME=value")
        name = match.group(2)
        loc = Location(path, lineno, match.start(2) + 1, name)
        if not match.group(3):
            if raw[match.end():].strip():
                raise EnvFileError(f"line {lineno}, column {match.end() + 1}: expected '=' after the variable name")
            variables.append(EnvVar(name, None, loc, "env_file"))
            continue
        rest = raw[match.end():].lstrip()
        quoted = rest.startswith(("'", '"'))
        if quoted:
            quote = rest[0]
            body = rest[1:]
            # a quoted value may run over several lines
            while True:
                if quote == '"':
                    value, end = _double_quoted(body, 0)
                else:
                    end = body.find("'")
                    value = body[:end] if end >= 0 else None
                if value is not None or i >= len(lines):
                    break
                body += "\n" + lines[i]
                i += 1
            if value is None:
                raise EnvFileError(f"line {lineno}: unterminated {quote}-quoted value")
        else:
            value = re.split(r"\s#", rest, maxsplit=1)[0].strip()
        if regions is not None and redact.sensitive(name, value) and (
                quoted or redact.sensitive_by_name(name, value)):  # unquoted: the line-level contexts find it
            start = len(raw) - len(raw[match.end():].lstrip())
            redact.add_region(regions, lineno, start, i, redact.TO_END)
        variables.append(EnvVar(name, value, loc, "env_file"))
    return variables


def parse_env_file(text: str, path: str) -> Document:
    regions: Dict[int, List[Tuple[int, int]]] = {}
    variables = parse_env_text(text, path, regions)
    res = Resource(kind="env", name=f"env:{path}", label=f"env file {path}", path=path,
                   anchor=Location(path, 1, 1), env=variables)
    return Document(path=path, kind="env", resources=[res], lines=redact.source_lines(text, "env"),
                    regions={path: regions} if regions else None)


def env_regions(text: str) -> Dict[int, List[Tuple[int, int]]]:
    """Where an env file's sensitive values are written (nothing when it cannot be parsed: then it has no
    snippets)."""
    regions: Dict[int, List[Tuple[int, int]]] = {}
    try:
        parse_env_text(text, "", regions)
    except EnvFileError:
        pass
    return regions
