"""A mutation fuzz run over the whole scan entry point, seeded with real files from fixtures/fuzz/seeds.

Each example mutates one seed's bytes (flip, insert, delete, duplicate a line, splice another seed) and scans
it; the only acceptable outcomes are findings or recorded scan errors, never an exception. A crash found here
is kept as a regression file in fixtures/fuzz/crashes/, which every run scans too. The budget is
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


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(SEED_DATA)))
    data = bytearray(SEED_DATA[name])
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
    return name, bytes(data)


def _scan_bytes(tmp_path, name, data):
    target = tmp_path / name
    target.write_bytes(data)
    result = scan_paths([str(target)], ScanOptions())
    for finding in result.findings:
        assert finding.message and finding.rule_id
    rule_failures = [e for e in result.errors if e.kind == "rule"]
    assert not rule_failures, rule_failures  # a rule that raises is a bug, even though the scan survives it
    return result


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutated_seeds_never_crash_the_scan(tmp_path, case):
    name, data = case
    _scan_bytes(tmp_path, name, data)


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(CRASHES) if n != "README.md"))
def test_recorded_crashes_stay_fixed(tmp_path, name):
    with open(os.path.join(CRASHES, name), "rb") as handle:
        _scan_bytes(tmp_path, name.split("--", 1)[-1], handle.read())
