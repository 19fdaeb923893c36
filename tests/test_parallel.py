"""Worker processes for large trees: the same result as one process, and one process when parts would interact."""

import os
import shutil

import pytest

from conftest import FIXTURES
from hipaa_scan.scan import forked, stream
from hipaa_scan.scan import plan as planner
from hipaa_scan.engine import ScanOptions, scan_paths

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes need fork")


def _key(result):
    return ([(f.rule_id, f.location.path, f.location.line, f.location.key, f.resource, f.message, f.fingerprint,
              f.evidence, f.snippet, f.suppression) for f in result.findings],
            result.errors, result.notes, result.files_scanned, result.resources_scanned)


def spy_on_split(monkeypatch):
    """What each forked.execute call returned: a result, or None when the scan went back to one process."""
    calls = []
    real = forked.execute
    monkeypatch.setattr(forked, "execute", lambda *a, **k: calls.append(real(*a, **k)) or calls[-1])
    return calls


def _tree(tmp_path):
    """Several independent parts: the demo stack, the compose-project fixtures, the rule fixtures."""
    root = tmp_path / "tree"
    shutil.copytree(os.path.join(FIXTURES, "demo-stack"), root / "demo-stack")
    shutil.copytree(os.path.join(FIXTURES, "compose-project", "realistic"), root / "realistic")
    shutil.copytree(os.path.join(FIXTURES, "compose-project", "build"), root / "build")
    shutil.copytree(os.path.join(FIXTURES, "rules"), root / "rules")
    return root


def test_workers_give_the_same_result_as_one_process(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    calls = spy_on_split(monkeypatch)
    monkeypatch.setattr(stream, "NOTES_CHUNK", 3)  # each part's notes read back a few at a time
    one = scan_paths(["tree"], ScanOptions(jobs=1))
    two = scan_paths(["tree"], ScanOptions(jobs=2))
    assert calls and calls[0] is not None, "the tree was not split across workers"
    assert len(one.findings) > 100
    assert _key(one) == _key(two)
    # the workers' notes are merged from their files: sorted, each once, as one process gives them
    assert isinstance(two.notes, stream.SpilledNotes) and list(two.notes) == one.notes and len(one.notes) > 20


def test_partition_keeps_a_project_with_its_subtree(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    from hipaa_scan.scan.walk import walk

    parts = [targets for targets, _units in planner.partition(walk(["tree"], (), []), ["tree"], ScanOptions(), 8)]
    where = {os.path.relpath(t.path, "tree"): i for i, part in enumerate(parts) for t in part}
    demo = {i for p, i in where.items() if p.startswith("demo-stack/")}
    assert len(demo) == 1, "the demo project's compose file, .env and Dockerfiles must be judged together"
    assert len(set(where.values())) > 2


def test_a_tree_that_is_one_project_is_one_part(tmp_path, monkeypatch):
    """A Compose project at the root takes the whole tree: one part, one worker, the one-process result."""
    root = _tree(tmp_path)
    (root / "compose.yaml").write_text("services:\n  web:\n    build: demo-stack/agent\n")
    monkeypatch.chdir(tmp_path)
    from hipaa_scan.scan.walk import walk

    assert len(list(planner.partition(walk(["tree"], (), []), ["tree"], ScanOptions(), 8))) == 1
    calls = spy_on_split(monkeypatch)
    one = scan_paths(["tree"], ScanOptions(jobs=1))
    two = scan_paths(["tree"], ScanOptions(jobs=2))
    assert calls and calls[0] is not None
    assert _key(one) == _key(two)


def test_a_project_reading_another_part_is_scanned_in_one_process(tmp_path, monkeypatch):
    root = tmp_path / "tree"
    (root / "app").mkdir(parents=True)
    (root / "images" / "api").mkdir(parents=True)
    (root / "app" / "compose.yaml").write_text(
        "services:\n  api:\n    build: ../images/api\n    user: '10001'\n    read_only: true\n")
    (root / "images" / "api" / "Dockerfile").write_text("FROM python:3.12-slim\nCMD [\"python\"]\n")
    monkeypatch.chdir(tmp_path)
    calls = spy_on_split(monkeypatch)
    one = scan_paths(["tree"], ScanOptions(jobs=1))
    two = scan_paths(["tree"], ScanOptions(jobs=2))
    assert calls == [None], "the cross-part read must send the scan back to one process"
    assert _key(one) == _key(two)
    # the Dockerfile's missing USER is overridden by the project's `user:`: marked, as in one process
    hs101 = [f for f in two.findings if f.rule_id == "HS101"]
    assert hs101 and all(f.suppression is not None and f.suppression.kind == "project" for f in hs101)


def test_workers_apply_baselines_and_path_ignores_as_one_process_does(tmp_path, monkeypatch):
    from hipaa_scan import baseline

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    first = scan_paths(["tree"], ScanOptions(jobs=1))
    accepted = [f for f in first.findings if f.rule_id in ("HS101", "HS304")]
    data = baseline.create(accepted, "legacy", "platform-team", None)
    data["entries"][0]["expires"] = "2000-01-01"  # expired: hides nothing, and says so
    data["entries"].append({"fingerprint": "0" * 32, "rule_id": "HS101", "path": "gone", "resource": "x"})  # stale
    options = dict(baseline=data, baseline_path="baseline.json",
                   per_path_ignores=[{"path": "tree/rules/HS3*", "rules": ["HS303"], "reason": "fixtures"}])
    one = scan_paths(["tree"], ScanOptions(jobs=1, **options))
    two = scan_paths(["tree"], ScanOptions(jobs=2, **options))
    assert _key(one) == _key(two)
    kinds = {f.suppression.kind for f in two.findings if f.suppression is not None}
    assert {"baseline", "config"} <= kinds
    assert any("expired" in n for n in two.notes) and any("no finding any more" in n for n in two.notes)
    assert one.tally() == two.tally() and two.exit_code("high") == one.exit_code("high")


def _dying_worker(work, index, part):
    os._exit(9)  # as if the kernel had killed it


def test_a_worker_that_dies_sends_the_scan_back_to_one_process(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    one = scan_paths(["tree"], ScanOptions(jobs=1))
    monkeypatch.setattr(forked, "_work", _dying_worker)
    calls = spy_on_split(monkeypatch)
    two = scan_paths(["tree"], ScanOptions(jobs=2))
    assert calls == [None]
    assert _key(one) == _key(two)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_workers_encode_the_report_and_it_is_the_one_process_report(tmp_path, monkeypatch, fmt):
    """With finding_encoder set (as `--format json` and `--format sarif` do), workers store each finding's report
    text; the report the parent writes from those texts is byte for byte the one-process report."""
    import importlib
    import io

    reporter = importlib.import_module(f"hipaa_scan.report.{'jsonfmt' if fmt == 'json' else 'sarif'}")
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    calls = spy_on_split(monkeypatch)
    reports = []
    for jobs in (1, 2):
        result = scan_paths(["tree"], ScanOptions(jobs=jobs, finding_encoder=reporter.finding_encoder))
        buffer = io.StringIO()
        reporter.write(result, buffer)
        reports.append(buffer.getvalue())
    split = calls[-1]
    assert split is not None and split.findings.encoder.name == fmt
    assert '"ruleId": "HS' in reports[1] if fmt == "sarif" else '"findings": [\n    {"rule_id"' in reports[1]
    assert reports[0] == reports[1]
    with pytest.raises(TypeError):
        iter(split.findings)  # only the texts were kept


def test_parts_follow_the_report_order_so_they_are_written_one_after_another(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    from hipaa_scan.scan.walk import walk

    parts = [targets for targets, _units in planner.partition(walk(["tree"], (), []), ["tree"], ScanOptions(), 8)]
    displays = [t.display for part in parts for t in part]
    assert displays == sorted(displays)


def test_parts_out_of_order_are_merged(tmp_path):
    """Parts whose findings interleave (a project reading a non-scanned file elsewhere in the tree) are merged by
    sort key instead of being written one after the other."""
    import pickle

    from hipaa_scan.model import Finding, Location

    def finding(path, line):
        return Finding("HS101", "root-user", "high", "high", "m", Location(path, line), "r", (), "f")

    parts = [[finding("a", 1), finding("c", 1)], [finding("b", 1), finding("d", 1)]]
    files = []
    for i, part in enumerate(parts):
        files.append(str(tmp_path / f"part-{i}.pickle"))
        with open(files[-1], "wb") as handle:
            pickle.dump(part, handle)
    bounds = [(p[0].sort_key(), p[-1].sort_key()) for p in parts]
    merged = stream.Spilled(files, 4, None, None, bounds)
    assert [f.location.path for f in merged] == ["a", "b", "c", "d"]
    ordered = stream.Spilled(files[::-1], 4, None, None, bounds[::-1])  # "b, d" then "a, c": still merged
    assert [f.location.path for f in ordered] == ["a", "b", "c", "d"]
    apart = [[finding("a", 1), finding("b", 1)], [finding("c", 1), finding("d", 1)]]
    for i, part in enumerate(apart):
        with open(files[i], "wb") as handle:
            pickle.dump(part, handle)
    bounds = [(p[0].sort_key(), p[-1].sort_key()) for p in apart]
    in_turn = stream.Spilled(files[::-1], 4, None, None, bounds[::-1])  # written one after the other, by key
    assert [f.location.path for f in in_turn] == ["a", "b", "c", "d"]


_REAL_WORK = forked._work


def _slow_worker(work, index, part):
    import time

    time.sleep(0.05)  # slower than the walk, as real workers are
    return _REAL_WORK(work, index, part)


def test_a_large_tree_is_cut_as_the_walk_goes_on(tmp_path, monkeypatch):
    """Past head_size files the walk streams: parts of PART_FILES are handed out while it goes on, at most a few
    wait at a time, and the report is still the one-process report."""
    from hipaa_scan.scan import walk as walking

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    real_scandir = os.scandir

    def scandir(path):  # one directory deep in the walk cannot be listed
        if isinstance(path, str) and os.path.normpath(path) == os.path.join("tree", "rules", "HS401"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    one = scan_paths(["tree"], ScanOptions(jobs=1))
    total = one.files_scanned
    monkeypatch.setattr(planner, "PARALLEL_MIN_FILES", 20)  # the workers start after 20 files
    monkeypatch.setattr(planner, "PART_FILES", 3)  # head_size(2) = 48 files: the tree is larger
    assert planner.head_size(2) < total
    walked = [0]
    real_walk = walking.walk

    def counting_walk(*args):
        for pair in real_walk(*args):
            walked[0] += 1
            yield pair

    cut_at = []
    real_cut = planner.cut

    def recording_cut(*args):
        for part in real_cut(*args):
            cut_at.append(walked[0])
            yield part

    waits = []
    real_next = forked.Pool.next
    monkeypatch.setattr(walking, "walk", counting_walk)
    monkeypatch.setattr(planner, "cut", recording_cut)
    monkeypatch.setattr(forked.Pool, "next", lambda pool: waits.append(pool.waiting) or real_next(pool))
    monkeypatch.setattr(forked, "_work", _slow_worker)
    calls = spy_on_split(monkeypatch)
    two = scan_paths(["tree"], ScanOptions(jobs=2))
    assert calls and calls[0] is not None, "the tree was not split across workers"
    assert _key(one) == _key(two)
    assert [e.path for e in two.errors] == ["tree/rules/HS401"]  # found by the walk after the workers started
    assert len(cut_at) > 20 and cut_at[0] < walked[0], "the first part must go out before the walk ends"
    assert waits, "with slow workers the walk must wait for them instead of cutting every part at once"


@pytest.mark.parametrize("files", [
    {"compose.yaml": "services: {}\n"},
    {"docker-compose.yml": "services: {}\n", ".env": "A=1\n"},
    {"compose.override.yml": "services: {}\n"},
    {"app.compose.yaml": "services: {}\n", ".env": "COMPOSE_FILE=app.compose.yaml\n"},
    {"app.compose.yaml": "services: {}\n", ".env": "A=1\n"},
    {".env": "COMPOSE_FILE=compose.yaml\n", "compose.yaml": "services: {}\n"},
    {"Dockerfile": "FROM scratch\n"},
])
def test_a_directory_holds_a_project_as_plan_says(tmp_path, monkeypatch, files):
    """The walk's quick answer (a default file, or no .env that could set COMPOSE_FILE) is plan's answer."""
    from hipaa_scan.discover import Target
    from hipaa_scan.scan.plan import plan
    from hipaa_scan.scan.walk import walk

    for name, text in files.items():
        (tmp_path / "d" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "d" / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    place = next(place for _target, place in walk(["d"], (), []))
    targets = [Target(os.path.join("d", n), n, k) for n, k in place.names.items()]
    assert planner.holds_project(place, ["d"], ScanOptions()) == bool(plan(targets, ["d"], ScanOptions(), {}))


def test_encoded_parts_are_joined_in_order_and_merged_by_key_out_of_order(tmp_path):
    """Workers that encoded their findings store texts and, apart, sort keys: parts in order are read as runs of
    texts joined by the encoder's separator; parts whose ranges overlap are merged by key, text by text."""
    import pickle

    encoder = stream.Encoder("test", lambda _rules: str, "|")

    def spill(name, items, chunk=2):
        path = str(tmp_path / name)
        with open(path, "wb") as texts, open(path + ".keys", "wb") as keys:
            for start in range(0, len(items), chunk):
                pickle.dump([text for _key, text in items[start:start + chunk]], texts)
                pickle.dump([key for key, _text in items[start:start + chunk]], keys)
        return path, (items[0][0], items[-1][0])

    first, second = spill("p0", [(("a",), "a"), (("b",), "b"), (("c",), "c")]), spill("p1", [(("d",), "d")])
    spilled = stream.Spilled([first[0], second[0]], 4, None, encoder, [first[1], second[1]])
    assert list(spilled.texts(encoder)) == ["a|b", "c", "d"]  # one run per chunk
    assert spilled.texts(stream.Encoder("other", lambda _rules: str, "|")) is None  # not its texts
    mixed = spill("p2", [(("a",), "a"), (("c",), "c")]), spill("p3", [(("b",), "b"), (("d",), "d")])
    spilled = stream.Spilled([p for p, _b in mixed], 4, None, encoder, [b for _p, b in mixed])
    assert list(spilled.texts(encoder)) == ["a", "b", "c", "d"]


def test_the_tally_counts_each_finding_where_it_belongs(tmp_path, monkeypatch):
    """Tally.add_all groups findings before counting: the counts are those of one finding at a time."""
    from collections import Counter

    from hipaa_scan.model import SEVERITIES, Tally

    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    findings = list(scan_paths(["tree"], ScanOptions(jobs=1, per_path_ignores=[
        {"path": "tree/rules/*", "rules": ["HS304"], "reason": "fixtures"}])).findings)
    active = [f for f in findings if f.suppression is None]
    assert len(active) < len(findings)
    tally = Tally()
    tally.add_all(findings[:7])
    for f in findings[7:]:
        tally.add(f)
    assert (tally.total, tally.suppressed) == (len(findings), len(findings) - len(active))
    assert tally.by_rule == dict(Counter(f.rule_id for f in active))
    assert tally.by_severity == {s: sum(f.severity == s for f in active) for s in SEVERITIES}
    cites = {c for f in active for c in f.hipaa}
    assert tally.by_safeguard == {c: {s: sum(c in f.hipaa and f.severity == s for f in active) for s in SEVERITIES}
                                  for c in cites}
    assert tally.rules_by_safeguard == {c: {f.rule_id for f in active if c in f.hipaa} for c in cites}
