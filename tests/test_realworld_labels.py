"""The real-world labels stay usable: every row of tests/realworld/labels.csv names a repository and a file of
the manifest, a rule of the catalog, a verdict measure.py accepts and a reason, and no key is labelled twice (the
second row would silently win in measure.py). The third-party files themselves are not needed."""

import csv
import json
import os
import re
from collections import Counter

from conftest import ROOT

REALWORLD = os.path.join(ROOT, "tests", "realworld")


def _rows():
    with open(os.path.join(REALWORLD, "labels.csv"), newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["repo", "path", "line", "rule", "verdict", "reason"]
        return list(reader)


def _manifest():
    with open(os.path.join(REALWORLD, "manifest.json"), encoding="utf-8") as handle:
        return {entry["repo"]: set(entry["paths"]) for entry in json.load(handle)["repositories"]}


def test_every_label_points_into_the_manifest_and_the_catalog():
    from hipaa_scan.rules import load_rules

    rules = load_rules(packs=False)
    ids = {r.meta.id for r in rules}
    manifest = _manifest()
    bad = []
    for n, row in enumerate(_rows(), start=2):
        problems = []
        if row["repo"] not in manifest:
            problems.append("repository not in manifest.json")
        elif row["path"] not in manifest[row["repo"]]:
            problems.append("path not in manifest.json")
        if row["rule"] not in ids:
            problems.append(f"unknown rule {row['rule']}")
        if row["verdict"] not in ("TP", "FP", "MISS"):
            problems.append(f"verdict {row['verdict']!r}")
        if not re.fullmatch(r"[1-9][0-9]*", row["line"]):
            problems.append(f"line {row['line']!r}")
        if not row["reason"].strip():
            problems.append("empty reason")
        if problems:
            bad.append(f"labels.csv:{n}: " + "; ".join(problems))
    assert not bad, "\n".join(bad[:20])


def test_no_key_is_labelled_twice():
    keys = Counter((r["repo"], r["path"], r["line"], r["rule"]) for r in _rows())
    twice = [k for k, count in keys.items() if count > 1]
    assert not twice, f"labelled more than once: {twice[:10]}"
