"""A mutation fuzz run over the whole scan entry point, seeded with real files from fixtures/fuzz/seeds.

Each example mutates one seed's bytes (flip, insert, delete, duplicate a line, splice another seed) and scans
it; or builds a whole Compose project (compose file with include, extends, env_file and build, its .env, the
included and extended files, an env file and a Dockerfile) and mutates some of its files. The only acceptable
outcomes are findings or scan errors of the parsers' named kinds: an error of kind "internal" (an exception no
parser names: a bug) or "rule" (a rule that raised) fails the test, although the scan itself survives both. A crash
found here is kept as a regression file in fixtures/fuzz/crashes/, which every run scans too. The budget is
HIPAA_SCAN_FUZZ_EXAMPLES examples (default 150 in the test suite; raise it for a longer run).
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from hipaa_scan.engine import ScanOptions, scan_paths

SEEDS = os.path.join(FIXTURES, "fuzz", "seeds")
CRASHES = os.path.join(FIXTURES, "fuzz", "crashes")
EXAMPLES = int(os.environ.get("HIPAA_SCAN_FUZZ_EXAMPLES", "150"))


def _seeds():
    out = {}
    for name in sorted(os.listdir(SEEDS)):
        with open(os.path.join(SEEDS, name), "rb") as handle:
            out[name] = handle.read()
    return out


SEED_DATA = _seeds()
TOKENS = [b"\x00", b"\xff", b"\n", b"\r\n", b"\\\n", b"${", b"}", b"&a", b"*a", b"<<: *a\n", b"- ", b": ", b"[", b"]",
          b"{", b"'", b'"', b"#", b"<<EOF\n", b"FROM ", b"USER root\n", b"\t", b"!reset ", b"\xef\xbb\xbf", b"=" * 3]


def mutate(draw, data):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dupline", "splice"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 40))]
        elif op == "dupline":
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end] * draw(st.integers(1, 50))
        else:
            other = SEED_DATA[draw(st.sampled_from(sorted(SEED_DATA)))]
            cut = draw(st.integers(0, len(other)))
            data = data[:pos] + other[cut:cut + 200]
    return bytes(data)


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(SEED_DATA)))
    return name, mutate(draw, SEED_DATA[name])


PROJECT = {
    "compose.yaml": (b"include:\n  - inc.yaml\n  - path: [more/compose.yaml]\n    env_file: more/more.env\n"
                     b"x-env: &env\n  TZ: UTC\n  <<: {LANG: C}\n"
                     b"services:\n  web:\n    build:\n      context: .\n      args:\n        TOKEN: ${API_TOKEN}\n"
                     b"    image: ${IMAGE:-nginx}:${TAG:?need a tag}\n"
                     b"    env_file: [app.env, {path: opt.env, required: false}]\n"
                     b"    environment:\n      <<: *env\n      DB_URL: postgres://app:${PG_PASS:-x}@db/app\n"
                     b"      SECRET_KEY: ${SECRET_KEY:+${SECRET_KEY}}\n    ports: [\"${PORT:-8080}:80\"]\n"
                     b"    extends: {file: base.yaml, service: base}\n    command: [\"--requirepass\", \"$$notvar\"]\n"
                     b"  db:\n    image: postgres:16\n    environment: *env\n    extends: web\n"),
    ".env": b"IMAGE=myapp\nTAG=1.0\nexport PG_PASS=\"multi\nline\"\nPORT=5432 # comment\nSECRET_KEY='lit$eral'\nX\n",
    "app.env": b"API_TOKEN=sk-live-${TAG}-0123456789abcdef\nDB_PASSWORD=Sup3rS3cret!\r\nEMPTY=\n",
    "inc.yaml": b"services:\n  cache:\n    image: redis:${REDIS_TAG:-7}\n    ports: ['6379:6379']\nvolumes:\n  v: {}\n",
    "base.yaml": b"services:\n  base:\n    privileged: true\n    cap_add: [SYS_ADMIN]\n    user: root\n",
    "more/compose.yaml": b"services:\n  more:\n    image: mongo:${MONGO:-7}\n    extends: {service: m2}\n  m2:\n"
                         b"    network_mode: host\n",
    "more/more.env": b"MONGO=6\n",
    "Dockerfile": SEED_DATA["Dockerfile"],
}


@st.composite
def mutated_project(draw):
    files = dict(PROJECT)
    for name in draw(st.lists(st.sampled_from(sorted(PROJECT)), min_size=1, max_size=3, unique=True)):
        files[name] = mutate(draw, files[name])
    return files


def _check(result):
    for finding in result.findings:
        assert finding.message and finding.rule_id
    # A rule that raises, or a parser exception that is not one of the named errors, is a bug, even though the
    # scan survives it as one error.
    bugs = [e for e in result.errors if e.kind in ("rule", "internal")]
    assert not bugs, bugs
    return result


def _scan_bytes(tmp_path, name, data):
    target = tmp_path / name
    target.write_bytes(data)
    return _check(scan_paths([str(target)], ScanOptions()))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutated_seeds_never_crash_the_scan(tmp_path, case):
    name, data = case
    _scan_bytes(tmp_path, name, data)


@settings(max_examples=max(1, EXAMPLES // 2), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutated_project())
def test_mutated_compose_projects_never_crash_the_scan(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("project")
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    _check(scan_paths([str(root)], ScanOptions(jobs=1)))


def test_the_unmutated_project_is_loaded_as_one_project(tmp_path):
    for name, data in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    result = _check(scan_paths([str(tmp_path)], ScanOptions(jobs=1)))
    assert not result.errors, result.errors
    resources = {f.resource for f in result.findings}
    assert {"service:web", "service:db", "service:cache", "service:more"} <= resources, resources
    assert any(f.rule_id == "HS102" and f.resource == "service:web" for f in result.findings)  # through extends


@pytest.mark.parametrize("where", ["file", "project"])
def test_an_unexpected_parser_exception_is_an_internal_error_the_fuzz_test_rejects(tmp_path, monkeypatch, where):
    """The check above can fail: a parser bug is kind "internal", not "parse"."""
    from hipaa_scan.sources import envfile

    def broken(*_args, **_kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(envfile, "parse_env_text", broken)
    if where == "project":
        from hipaa_scan.sources import projectenv

        monkeypatch.setattr(projectenv, "parse_env_text", broken)
        (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: redis\n")
    (tmp_path / ".env").write_text("A=1\n")
    result = scan_paths([str(tmp_path)], ScanOptions(jobs=1))
    kinds = {e.kind for e in result.errors}
    assert "internal" in kinds and "KeyError" in " ".join(e.message for e in result.errors)
    with pytest.raises(AssertionError):
        _check(result)


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(CRASHES) if n != "README.md"))
def test_recorded_crashes_stay_fixed(tmp_path, name):
    with open(os.path.join(CRASHES, name), "rb") as handle:
        _scan_bytes(tmp_path, name.split("--", 1)[-1], handle.read())
