"""The test suite keeps to itself: the developer's home and cache are never written (conftest.private_home points
HOME and the XDG folders into the session's temporary folder, for the tests and every process they start)."""

import os
import subprocess
import sys

from conftest import REAL


def _real_cache() -> str:
    home = REAL["HOME"] or os.path.expanduser("~")
    return os.path.join(REAL["XDG_CACHE_HOME"] or os.path.join(home, ".cache"), "hipaa-scan")


def _snapshot(folder: str):
    """Every entry under `folder` with its modification time (None when the folder does not exist)."""
    if not os.path.lexists(folder):
        return None
    out = {".": os.lstat(folder).st_mtime_ns}
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(parent, name)
            out[os.path.relpath(path, folder)] = os.lstat(path).st_mtime_ns
    return out


def test_the_session_runs_with_a_private_home(private_home):
    assert os.environ["HOME"] == str(private_home) != REAL["HOME"]
    assert os.environ["XDG_CACHE_HOME"] == str(private_home / ".cache")
    assert os.environ["XDG_CONFIG_HOME"] == str(private_home / ".config")
    assert os.path.expanduser("~") == str(private_home)


def test_a_run_does_not_touch_the_real_cache(private_home, tmp_path):
    real = _real_cache()
    before = _snapshot(real)
    # a configuration never seen before: its validation leaves a new marker in the cache; a --rules-dir rule
    # file leaves its parsed JSON there
    token = os.urandom(8).hex()  # content no run has had before: its cache files are new
    (tmp_path / ".hipaa-scan.yaml").write_text(f"exclude: ['{token}/*']\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "HS950.yaml").write_text(
        "id: HS950\nname: hygiene-probe\nseverity: low\nconfidence: low\nhipaa: ['164.312(b)']\nsources: [env]\n"
        f"summary: s\ndescription: '{token}'\nremediation: r\nmessage: m\nmatch:\n  - env: {{name: '^X$'}}\n")
    (tmp_path / "app.env").write_text("X=1\n")
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "--rules-dir", str(rules), "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "HS950" in proc.stdout
    if before is None:
        assert not os.path.lexists(real)
        return
    # The cache files of this run's configuration and rule file are named by digests of content no other run has.
    # None of them is in the real cache (compared by name rather than by the whole folder, which other checkouts'
    # test runs may be writing to meanwhile; the bundled rules' files are the same for every run).
    private = private_home / ".cache" / "hipaa-scan"
    written = [os.path.relpath(path, private) for path in private.rglob("*") if path.is_file()]
    unique = [rel for rel in written if rel not in before]
    assert len(unique) >= 2, f"the run wrote no new cache file ({written}): this test could not see a leak"
    assert [rel for rel in unique if os.path.lexists(os.path.join(real, rel))] == []


def test_the_garbage_collector_is_turned_off_for_the_scan_alone(tmp_path):
    """engine.scan_paths turns the cyclic collector off for the length of a scan and back on after; the command
    line does not turn it off for the whole process (which would also cover `live` and anyone calling cli.run)."""
    (tmp_path / "Dockerfile").write_text("FROM busybox:1.36\nUSER 1000\n")
    code = ("import gc, json, sys\nfrom hipaa_scan import cli, engine\nseen = []\nscan = engine.scan_paths\n"
            "def spy(*args, **kwargs):\n    seen.append(gc.isenabled())\n    return scan(*args, **kwargs)\n"
            "engine.scan_paths = spy\n"
            "out = []\n"
            "for argv in (['scan', '-q', %r], ['scan', '--format', 'json', '--jobs', '1', %r], ['rules']):\n"
            "    sys.argv = ['hipaa-scan', *argv]\n"
            "    try:\n        cli.run()\n    except SystemExit as exc:\n        out.append((exc.code, gc.isenabled()))\n"
            "print(json.dumps([out, seen]), file=sys.stderr)\n") % (str(tmp_path), str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    out, seen = __import__("json").loads(proc.stderr.strip().splitlines()[-1])
    assert out == [[0, True], [0, True], [0, True]]
    assert seen == [True, True]  # on when the scan starts (the scan itself turns it off)


def test_tests_publish_and_bind_only_ephemeral_ports():
    """A fixed host port fails whenever anything else holds it: tests bind port 0 and let containers publish to
    port 0 (or to a number the kernel handed out), then read back what they got."""
    import re

    fixed = [
        re.compile(r"\.bind\(\([^()]*,\s*[1-9][0-9]*\)\)"),  # socket.bind((host, 16379))
        re.compile(r"[\"'][0-9]+/(tcp|udp)[\"']\s*:\s*(\(\s*[\"'][^\"']*[\"']\s*,\s*)?[1-9][0-9]*\b"),  # ports={...}
        re.compile(r"free_port\(\s*[1-9]"),
    ]
    here = os.path.dirname(os.path.abspath(__file__))
    found = []
    for folder in (here, os.path.join(here, "benchmarks")):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py") and name != os.path.basename(__file__):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    for number, line in enumerate(handle, start=1):
                        found += [f"{name}:{number}: {line.strip()}" for pattern in fixed if pattern.search(line)]
    assert found == []
