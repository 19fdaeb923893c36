"""The wheel carries the declarative rules and the schemas, and an installed wheel finds them."""

import json
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), ROOT],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = [p for p in os.listdir(out) if p.endswith(".whl")]
    return os.path.join(out, path)


def test_wheel_contains_rules_and_schemas(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    rules = sorted(n for n in names if n.startswith("hipaa_scan/_rules/"))
    shipped = sorted(f"hipaa_scan/_rules/{n}" for n in os.listdir(os.path.join(ROOT, "rules")) if n.endswith(".yaml"))
    assert rules == shipped
    assert "hipaa_scan/schemas/report.schema.json" in names
    assert "hipaa_scan/schemas/rule.schema.json" in names
    # the image catalogues HS101 and HS301 read
    assert "hipaa_scan/data/nonroot_images.json" in names
    assert "hipaa_scan/data/patch_versioned_images.json" in names


def test_installed_wheel_sees_its_rules(wheel, tmp_path):
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    probe = ("import json, hipaa_scan, hipaa_scan.rules as r\n"
             "rules = r.load_rules(packs=False)\n"
             "print(json.dumps([hipaa_scan.__file__, r.builtin_rules_dir(), [x.meta.id for x in rules]]))")
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=str(tmp_path),
                         check=True).stdout
    module_file, rules_dir, ids = json.loads(out)
    assert module_file.startswith(str(target))
    assert rules_dir == os.path.join(str(target), "hipaa_scan", "_rules")
    for declarative in ("HS202", "HS305", "HS404", "HS502", "HS503"):
        assert declarative in ids
    assert "HS101" in ids
