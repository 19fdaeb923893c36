"""The bundled demo stack: every rule, every file, exactly the findings marked in the files."""

import json
import os
import subprocess
import sys

from conftest import FIXTURES, ROOT
from expect import expected_hits

DEMO = os.path.join(FIXTURES, "demo-stack")


def marked():
    want = set()
    for directory, _dirs, files in os.walk(DEMO):
        for name in files:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
            want |= {(rule, rel, line) for rule, line in expected_hits(path)}
    return want


def test_demo_stack_findings_are_exactly_the_marked_ones(in_root):
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "fixtures/demo-stack", "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == []
    got = {(f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in report["findings"]}
    want = marked()
    assert got == want, f"unexpected {sorted(got - want)}\nmissing {sorted(want - got)}"
    assert report["summary"]["files_scanned"] == 4
    # every safeguard row in the summary is backed by findings
    assert report["summary"]["by_safeguard"]["164.312(a)(1)"] > 0


def test_demo_stack_never_prints_its_secrets(in_root):
    secrets = ["sk-proj-Fq3c9T1vQm7ZkXw2LbN8yR4sHd6JpUe0GaVo5CtI", "8fJk2LmQ9vXz4RtY7uWp1NbC3dEh6GsA0oKiTn5M"]
    for fmt in ("text", "json", "sarif"):
        proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "fixtures/demo-stack", "--format", fmt],
                              capture_output=True, text=True, cwd=ROOT)
        for secret in secrets:
            assert secret not in proc.stdout + proc.stderr, f"{fmt} leaked a secret"
            assert secret[:12] not in proc.stdout, f"{fmt} leaked a secret prefix"
