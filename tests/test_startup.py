"""Start-up cost matters for pre-commit: heavy libraries are imported only where they are used."""

import json
import subprocess
import sys

import pytest

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
            "try:\n    cli.run()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n") % str(tmp_path)
    assert imported_after(code) == []


def test_json_scan_loads_no_heavy_library(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: redis\n")
    code = ("import sys\nfrom hipaa_scan import cli\nsys.argv=['hipaa-scan','scan','--format','json','-o',%r,%r]\n"
            "try:\n    cli.run()\nexcept SystemExit:\n    pass\n") % (str(tmp_path / "r.json"), str(tmp_path))
    assert imported_after(code) == []


def test_a_dockerfile_scan_never_loads_yaml(tmp_path):
    """Declarative rules come from the JSON cache after the first run; a Dockerfile needs no YAML parser."""
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 10001\nHEALTHCHECK CMD true\n")
    env = dict(__import__("os").environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    code = ("import sys, json\nfrom hipaa_scan import cli\nsys.argv=['hipaa-scan','scan','-q',%r]\n"
            "try:\n    cli.run()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(json.dumps('yaml' in sys.modules))\n") % str(tmp_path / "Dockerfile")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
            for _ in range(2)]
    assert [json.loads(r.stdout.strip().splitlines()[-1]) for r in runs] == [True, False]
    assert any((tmp_path / "cache" / "hipaa-scan" / "rules").iterdir())


# Modules a one-file scan does without: the scanner's own modules must not import them on these paths (typing names
# are imported under `if TYPE_CHECKING:` only). A library may still bring some of them: PyYAML imports datetime.
# hipaa_scan.sources.project: no project; rules.inline: no text that may hold a credential; the live package and its
# report: no engine. (hipaa_scan.credentials is loaded: the redaction layer, which every snippet passes through, reads
# credential contexts with it.)
ANY_SCAN = ("typing", "ipaddress", "urllib.parse", "fnmatch", "hipaa_scan.sources.project", "hipaa_scan.rules.inline",
            "hipaa_scan.live", "hipaa_scan.report.livetext")
NOT_ON_SCAN_PATH = {"dockerfile": ANY_SCAN + ("datetime",),  # datetime: only for a baseline
                    # a named compose file is judged as the Compose project it defines (issue 16: one verdict), so
                    # sources.project is loaded for it
                    "compose": tuple(m for m in ANY_SCAN if m != "hipaa_scan.sources.project")
                    + ("shlex", "contextlib"),  # (dockerfile_parse imports both)
                    "env": ANY_SCAN + ("shlex", "contextlib", "datetime", "yaml")}
SCAN_FILES = {  # with a self-hosted tracing endpoint: HS503 tells it from a vendor's without urllib.parse
    "dockerfile": ("Dockerfile", "FROM alpine:3.20\nUSER 10001\nHEALTHCHECK CMD true\n"
                                 "ENV LANGFUSE_HOST=http://langfuse-web:3000\n"),
    "compose": ("compose.yaml", "services:\n  web:\n    image: alpine:3.20@sha256:" + "0" * 64 + "\n    user: '10001'\n"
                                "    environment:\n      OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector:4317\n"),
    "env": (".env", "APP_MODE=production\nLANGCHAIN_TRACING_V2=true\nLANGCHAIN_ENDPOINT=http://10.20.0.7:1984/api\n"),
}


def modules_loaded_by_scan(tmp_path, argv):
    """The modules a scan (through cli.run, as the console script runs it) adds to sys.modules, and its exit status.

    The probe runs without site (-S): a start-up hook of this environment (a .pth file) may import typing itself and
    so hide an import by the scanner; the directories of hipaa_scan and its libraries are put on sys.path instead.
    It runs twice with one cache directory, and the second run is measured: the declarative rules are read from the
    JSON cache then, as on every run but the first."""
    import os

    import dockerfile_parse
    import yaml

    import hipaa_scan

    roots = [os.path.dirname(os.path.dirname(m.__file__)) for m in (hipaa_scan, yaml, dockerfile_parse)]
    code = ("import sys\nsys.path[:0] = %r\nbefore = set(sys.modules)\nfrom hipaa_scan import cli\n"
            "sys.argv = ['hipaa-scan'] + %r\nstatus = 0\n"
            "try:\n    cli.run()\nexcept SystemExit as e:\n    status = e.code or 0\n"
            "print()\nprint(' '.join(sorted(before)))\nprint(' '.join(sorted(set(sys.modules) - before)))\n"
            "print(status)\n") % (roots, argv)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
    before, loaded, status = proc.stdout.splitlines()[-3:]
    return set(before.split()), set(loaded.split()), int(status)


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("kind", sorted(SCAN_FILES))
def test_a_one_file_scan_leaves_out_the_modules_it_does_not_need(tmp_path, kind, fmt):
    """The pre-commit case (one file, -q) and a JSON report: typing and the other modules of NOT_ON_SCAN_PATH
    stay out of the process. (A text report that shows findings uses rich, which imports typing itself.)"""
    name, text = SCAN_FILES[kind]
    (tmp_path / "src").mkdir()
    target = tmp_path / "src" / name
    target.write_text(text)
    argv = ["scan", str(target)] + (["-q"] if fmt == "text" else ["--format", "json", "-o", str(tmp_path / "r.json")])
    before, loaded, status = modules_loaded_by_scan(tmp_path, argv)
    assert status == 0
    if fmt == "json":
        assert isinstance(json.loads((tmp_path / "r.json").read_text())["findings"], list)
    unwanted = NOT_ON_SCAN_PATH[kind]
    assert not before & set(unwanted)  # none loaded before the scan started: the check below means something
    assert sorted(loaded & set(unwanted)) == []
    assert "hipaa_scan.engine" in loaded  # the scan did run in this process


def test_patterns_are_compiled_on_first_use_and_then_are_the_compiled_ones():
    import re

    from hipaa_scan.lazyre import lazy

    pattern = lazy(r"^a(b+)$", re.IGNORECASE)
    assert "search" not in vars(pattern)  # nothing compiled yet
    assert pattern.match("ABB").group(1) == "BB" and pattern.search("x") is None
    assert pattern.search == re.compile(r"^a(b+)$", re.IGNORECASE).search  # the compiled method, bound
    assert pattern.sub("-", "ab") == "-" and pattern.pattern == r"^a(b+)$" and pattern.groups == 1


def test_every_lazily_compiled_pattern_of_the_package_is_valid():
    """Module-level patterns and the bundled declarative rules' patterns compile only when used: compile them all
    here, so that a typo cannot wait for the one scan that needs it."""
    import importlib
    import pkgutil

    import hipaa_scan
    from hipaa_scan.lazyre import LazyPattern
    from hipaa_scan.rules import builtin_rules_dir, declarative

    def patterns(value, depth=0):
        if isinstance(value, LazyPattern):
            yield value
        elif isinstance(value, (tuple, list)) and depth < 3:
            for item in value:
                yield from patterns(item, depth + 1)

    found = []
    for info in pkgutil.walk_packages(hipaa_scan.__path__, "hipaa_scan."):
        if info.name.endswith("__main__"):
            continue  # the entry point
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            found.extend(patterns(value))
    assert len(found) > 60
    for pattern in found:
        pattern.search(pattern.pattern[:0])  # compiles (str or bytes); a bad pattern raises re.error
    import os

    import re

    for name in sorted(os.listdir(builtin_rules_dir())):
        if name.endswith((".yaml", ".yml")):  # the bundled rules run with Python's engine (rules-dir ones with RE2)
            path = os.path.join(builtin_rules_dir(), name)
            with open(path, "rb") as handle:
                plain = declarative._parse(handle.read(), path)
            declarative.validate(plain, path)
            for alternative in plain["match"]:
                # `when` conditions hold patterns too; sources (the kinds an alternative reads) and severity do not
                items = list(alternative.items()) + [
                    item for cond in alternative.get("when", ()) for item in cond.items()]
                for key, value in items:
                    for pattern in (value.values() if isinstance(value, dict) else [value]):
                        if key not in ("message", "sources", "severity", "when"):
                            re.compile(pattern, re.IGNORECASE)


def test_pyyaml_is_imported_as_it_is_and_re_compile_is_never_replaced(tmp_path):
    """No process-wide monkeypatching: yamlsrc imports PyYAML plainly, so its import-time patterns are PyYAML's
    own compiled ones, re.compile is never replaced (not even for the length of an import, which another thread
    or importer would see), and YAML loads as it did, through our loader and through PyYAML's pure-Python one."""
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n    read_only: true\n")
    code = ("import re, sys, json\ncompile_ = re.compile\nseen = []\n"
            # a profile hook sees every Python call: any moment re.compile is not itself is recorded
            "sys.setprofile(lambda frame, event, arg: seen.append(1) if re.compile is not compile_ else None)\n"
            "from hipaa_scan import cli\n"
            "sys.argv=['hipaa-scan','scan','--format','json','-o',%r,%r]\n"
            "try:\n    cli.run()\nexcept SystemExit:\n    pass\n"
            "sys.setprofile(None)\n"
            "import yaml\nfrom hipaa_scan import yamlsrc\n"
            "reader = type(yaml.reader.Reader.NON_PRINTABLE) is re.Pattern\n"
            "text = 'a: 1\\nb: [yes, 0x1f, 1.5e+3, ~, 2001-12-14, x]\\n<<: {c: 2}\\n'\n"
            "ours = yamlsrc.load(text)[0]\n"
            "theirs = yaml.load(text, Loader=yaml.SafeLoader)\n"  # the pure-Python reader and resolver
            "bad = None\ntry:\n    yaml.load('a: \\x07', Loader=yaml.SafeLoader)\nexcept yaml.reader.ReaderError as e:\n"
            "    bad = e.character\n"
            "print(json.dumps([reader, len(seen), ours, {k: str(v) for k, v in theirs.items()}, bad]))\n"
            ) % (str(tmp_path / "r.json"), str(compose))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    reader, replaced, ours, theirs, bad = json.loads(out.strip().splitlines()[-1])
    assert reader is True and replaced == 0
    assert ours == {"a": 1, "b": [True, 31, 1500.0, None, "2001-12-14", "x"], "c": 2}
    assert theirs == {"a": "1", "b": "[True, 31, 1500.0, None, datetime.date(2001, 12, 14), 'x']", "c": "2"}
    assert bad == 7  # the reader found the unprintable character
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["findings"] > 0
