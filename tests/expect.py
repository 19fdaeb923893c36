"""Expected findings written inside fixtures: a line `# expect: HS101[, HS401]` marks the next line that is
not itself a marker. A marker may also name a rule for a whole live container in JSON fixtures (see live tests)."""

import re
from typing import Set, Tuple

MARKER = re.compile(r"^\s*#\s*expect:\s*(.+?)\s*$")


def expected_hits(path: str) -> Set[Tuple[str, int]]:
    hits: Set[Tuple[str, int]] = set()
    pending = []
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            match = MARKER.match(line)
            if match:
                pending.extend(r.strip() for r in match.group(1).split(","))
                continue
            for rule in pending:
                hits.add((rule, lineno))
            pending = []
    return hits
