"""Generated documentation is current: docs/rules/*.md and docs/hipaa-mapping.md come from rule metadata and
fixtures. Regenerate with `python -m hipaa_scan.docs`."""

import os

from conftest import ROOT
from hipaa_scan.docs import expected_pages


def test_generated_docs_are_current():
    stale = []
    for rel, text in expected_pages(ROOT).items():
        path = os.path.join(ROOT, rel)
        if not os.path.exists(path):
            stale.append(f"{rel} (missing)")
            continue
        with open(path, encoding="utf-8") as handle:
            if handle.read() != text:
                stale.append(rel)
    assert not stale, "stale docs, run `python -m hipaa_scan.docs`: " + ", ".join(stale)


def test_no_orphan_rule_pages():
    expected = {os.path.basename(rel) for rel in expected_pages(ROOT) if rel.startswith(os.path.join("docs", "rules"))}
    present = set(os.listdir(os.path.join(ROOT, "docs", "rules")))
    assert present <= expected, f"pages for rules that no longer exist: {sorted(present - expected)}"


def test_readme_rule_table_lists_every_rule():
    from hipaa_scan.rules import load_rules

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    rules = load_rules(packs=False)
    missing = [r.meta.id for r in rules if f"| {r.meta.id} | {r.meta.name} |" not in readme]
    assert not missing, f"README rule table lacks {missing}"
