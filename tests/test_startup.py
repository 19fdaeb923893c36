"""Start-up cost matters for pre-commit: heavy libraries are imported only where they are used."""

import json
import subprocess
import sys

HEAVY = ("docker", "jsonschema", "rich", "sarif_om", "requests")


def imported_after(code):
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(m for m in %r if m in sys.modules)))" % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library():
    assert imported_after("import hipaa_scan.cli") == []


def test_a_clean_quiet_scan_loads_no_heavy_library(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 10001\nHEALTHCHECK CMD true\n")
    code = ("import sys\nfrom hipaa_scan import cli\nsys.argv=['hipaa-scan','scan','-q',%r]\n"
            "try:\n    cli.main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n") % str(tmp_path)
    assert imported_after(code) == []


def test_json_scan_loads_no_heavy_library(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: redis\n")
    code = ("import sys\nfrom hipaa_scan import cli\nsys.argv=['hipaa-scan','scan','--format','json','-o',%r,%r]\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n") % (str(tmp_path / "r.json"), str(tmp_path))
    assert imported_after(code) == []
