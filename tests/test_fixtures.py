"""One parametrised test over every rule fixture: the rule's findings are exactly the (rule, line) pairs marked
in the fixture, and a good fixture gives none of that rule.

A directory among the fixtures is a Compose project with the files it builds (a minimal reproduction of a real
project): its active findings are exactly the (rule, file, line) triples marked in any of its files. Findings of a
Dockerfile that the project does not run as written are suppressed (kind `project`) and do not count."""

import os

import pytest

from conftest import FIXTURES
from expect import expected_hits
from hipaa_scan.sources.registry import kind_by_name
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.rules import all_rule_ids, load_rules

RULES_DIR = os.path.join(FIXTURES, "rules")


def fixture_files():
    out = []
    for rule_id in sorted(os.listdir(RULES_DIR)):
        for verdict in ("bad", "good"):
            directory = os.path.join(RULES_DIR, rule_id, verdict)
            if not os.path.isdir(directory):
                continue
            for name in sorted(os.listdir(directory)):
                out.append(pytest.param(rule_id, verdict, os.path.join(directory, name),
                                        id=f"{rule_id}-{verdict}-{name}"))
    return out


@pytest.mark.parametrize("rule_id,verdict,path", fixture_files())
def test_fixture(rule_id, verdict, path):
    if os.path.isdir(path):
        return _project_fixture(rule_id, verdict, path)
    # a rule fixture is one file judged as written (its `# expect:` marks say so); named_in_project=False keeps the
    # project beside it (a compose.yaml in the same fixture folder) out of it
    result = scan_paths([path], ScanOptions(select=[rule_id], named_in_project=False))
    assert not result.errors, result.errors
    assert result.files_scanned == 1, f"{path} was not recognised as a scannable file"
    got = {(f.rule_id, f.location.line) for f in result.findings}
    want = expected_hits(path)
    assert got == want, f"{path}: unexpected {sorted(got - want)}, missing {sorted(want - got)}"
    if verdict == "bad":
        assert want, f"{path}: a bad fixture must mark at least one expected finding"
    else:
        assert not want, f"{path}: a good fixture marks no finding"


def _project_fixture(rule_id, verdict, path):
    result = scan_paths([path], ScanOptions(select=[rule_id]))
    assert not result.errors, result.errors
    got = {(f.rule_id, os.path.relpath(os.path.abspath(f.location.path), path), f.location.line)
           for f in result.findings if not f.suppressed}
    want = set()
    for directory, _dirs, names in os.walk(path):
        for name in names:
            full = os.path.join(directory, name)
            want |= {(rule, os.path.relpath(full, path), line) for rule, line in expected_hits(full)}
    assert got == want, f"{path}: unexpected {sorted(got - want)}, missing {sorted(want - got)}"
    if verdict == "bad":
        assert want, f"{path}: a bad fixture must mark at least one expected finding"
    else:
        assert not want, f"{path}: a good fixture marks no finding"


def _kind(name):
    kind = kind_by_name(name)
    return "compose" if kind == "yaml" else kind


@pytest.mark.parametrize("rule_id", all_rule_ids())
def test_every_rule_has_bad_and_good_fixtures_per_file_source(rule_id):
    rules = load_rules(select=[rule_id])
    (rule,) = rules
    for verdict in ("bad", "good"):
        directory = os.path.join(RULES_DIR, rule_id, verdict)
        kinds = {_kind(n) for n in os.listdir(directory)} if os.path.isdir(directory) else set()
        for source in rule.meta.sources:
            if source in ("container", "engine"):
                continue  # container and engine fixtures are recorded from a real engine by the live tests
            assert source in kinds, f"{rule_id} has no {verdict} {source} fixture"
