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


def test_a_dockerfile_scan_never_loads_yaml(tmp_path):
    """Declarative rules come from the JSON cache after the first run; a Dockerfile needs no YAML parser."""
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 10001\nHEALTHCHECK CMD true\n")
    env = dict(__import__("os").environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    code = ("import sys, json\nfrom hipaa_scan import cli\nsys.argv=['hipaa-scan','scan','-q',%r]\n"
            "try:\n    cli.main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(json.dumps('yaml' in sys.modules))\n") % str(tmp_path / "Dockerfile")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
            for _ in range(2)]
    assert [json.loads(r.stdout.strip().splitlines()[-1]) for r in runs] == [True, False]
    assert any((tmp_path / "cache" / "hipaa-scan" / "rules").iterdir())
