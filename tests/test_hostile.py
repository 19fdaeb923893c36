"""Hostile input and failure: bombs, deep nesting, huge and binary files, bad encodings, links and loops are each
reported in one line while the good files are still scanned; nothing is executed, written or leaked."""

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

SECRET = "sk-proj-PLANTEDsecretVALUE0123456789abcdefXYZ"
GOOD = "services:\n  cache:\n    image: redis:7.2\n    ports: ['6379:6379']\n    command: redis-server --requirepass ${P}\n"


def billion_laughs():
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "x-lol:\n" + "".join(f"  {line}\n" for line in lines) + "services:\n  s:\n    image: x:1\n    labels: *a9\n"


def build_tree(root):
    files = {
        "good/compose.yaml": GOOD,
        "bomb/compose.yaml": billion_laughs(),
        "deep/compose.yaml": "services:\n  s:\n    image: " + "[" * 20000 + "]" * 20000 + "\n",
        "dup/compose.yaml": "services:\n  s:\n    image: a:1\n    image: redis\n    ports: ['6379:6379']\n",
        "multi/compose.yaml": "services:\n  s:\n    image: redis:7\n---\nother: doc\n",
        "tags/compose.yaml": "services:\n  s:\n    image: !reset null\n    ports: !override ['6379']\n    x: !custom 1\n",
        "types/compose.yaml": ("services:\n  s:\n    image: [1]\n    ports: {a: 1}\n    environment: 5\n    user: {x: 1}\n"
                               "    volumes: 7\n    cap_add: 1\n    security_opt: [1, [2]]\n    privileged: [true]\n"
                               "    deploy: [1]\n    healthcheck: 1\n    logging: {driver: [1]}\n    command: {a: b}\n"),
        "listservices/compose.yaml": "services:\n  - a\n",
        "unknownkeys/compose.yaml": "version: '3'\nfrobnicate: 1\nservices:\n  s:\n    image: a:1\n",
        "crlf/Dockerfile": "FROM alpine:3.20\r\nUSER root\r\n",
        "bom/Dockerfile": "\ufeffFROM alpine:3.20\nUSER root\n",
        "nofrom/Dockerfile": "RUN echo hi\n",
        "empty/Dockerfile": "",
        "heredoc/Dockerfile": "FROM alpine:3.20\nRUN <<EOF\necho never closed\n",
        "continuation/Dockerfile": "FROM alpine:3.20\nUSER root\nRUN echo \\\n",
        "unknown/Dockerfile": "FROM alpine:3.20\nFROBNICATE now\nUSER root\n",
        "secret/.env": f"OPENAI_API_KEY={SECRET}\n",
        "unterminated/.env": "A=1\nB='never closed\n",
        "longline/.env": "A=" + "x" * 200000 + "\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "utf16").mkdir()
    (root / "utf16" / "Dockerfile").write_bytes("FROM alpine:3.20\nUSER root\n".encode("utf-16"))
    (root / "binary").mkdir()
    (root / "binary" / "Dockerfile").write_bytes(b"\x7fELF\x00\x01\x02\x03" * 64)
    (root / "badutf8").mkdir()
    (root / "badutf8" / "Dockerfile").write_bytes(b"FROM alpine:3.20\nUSER \xff\xfe\n")
    (root / "huge").mkdir()
    (root / "huge" / "compose.yaml").write_bytes(b"services: {}\n" + b"#" * (6 * 1024 * 1024))
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "compose.yaml")
    (root / "links").mkdir()
    os.symlink("/etc/hostname", root / "links" / "Dockerfile")  # out of the root: never followed
    os.symlink("..", root / "links" / "loop")  # a directory loop: never followed
    (root / "py").mkdir()
    (root / "py" / "conftest.py").write_text("open('/tmp/hipaa-scan-pwned', 'w')\n")
    (root / "py" / "compose.yaml").write_text("services:\n  s:\n    image: a:1\n")


def snapshot(root):
    out = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            out[path] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    build_tree(root)
    return root


def scan(root, *args):
    return subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", ".", *args], cwd=root, capture_output=True,
                          text=True, timeout=120)


def test_every_bad_file_is_one_error_and_good_files_are_scanned(hostile):
    proc = scan(hostile, "--format", "json")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    errors = {e["path"]: e["message"] for e in report["errors"]}
    expected = {
        "deep/compose.yaml": "nesting",
        "listservices/compose.yaml": "not a compose file",
        "nofrom/Dockerfile": "no FROM",
        "empty/Dockerfile": "empty",
        "heredoc/Dockerfile": "never closed",
        "unterminated/.env": "unterminated",
        "binary/Dockerfile": "binary",
        "badutf8/Dockerfile": "UTF-8",
        "huge/compose.yaml": "limit",
        "bomb/compose.yaml": "YAML node budget exceeded",  # refused, as Compose refuses excessive aliasing
    }
    for path, reason in expected.items():
        assert path in errors, f"{path} not reported"
        assert reason in errors[path], f"{path}: {errors[path]}"
    assert set(errors) == set(expected), f"unexpected errors: {set(errors) - set(expected)}"
    found = {(f["location"]["path"], f["rule_id"]) for f in report["findings"]}
    for path, rule in [("good/compose.yaml", "HS501"), ("crlf/Dockerfile", "HS101"), ("bom/Dockerfile", "HS101"),
                       ("utf16/Dockerfile", "HS101"), ("unknown/Dockerfile", "HS101"), ("secret/.env", "HS401"),
                       ("dup/compose.yaml", "HS501"), ("continuation/Dockerfile", "HS101"),
                       ("multi/compose.yaml", "HS403")]:
        assert (path, rule) in found, f"{rule} missing on {path}"
    line = next(f["location"]["line"] for f in report["findings"] if f["location"]["path"] == "bom/Dockerfile"
                and f["rule_id"] == "HS101")
    assert line == 2
    assert not any(p.startswith(("links/", "fifo/")) for p, _ in found)


def test_worker_processes_give_the_same_report_on_hostile_input(hostile):
    """The same tree split across worker processes (--jobs 2): the same errors and findings, no traceback."""
    one, two = scan(hostile, "--format", "json", "--jobs", "1"), scan(hostile, "--format", "json", "--jobs", "2")
    assert two.returncode == one.returncode == 2 and "Traceback" not in two.stderr
    strip = lambda report: {k: v for k, v in json.loads(report).items() if k != "tool"}  # noqa: E731
    one_report, two_report = strip(one.stdout), strip(two.stdout)
    for report in (one_report, two_report):  # the run record's times; its scope (files by kind, skipped) must agree
        report["run"]["started"] = report["run"]["ended"] = None
    assert two_report == one_report


def test_every_error_is_one_line_in_text(hostile):
    proc = scan(hostile, "--no-color")
    errors = [line for line in proc.stderr.splitlines() if line.startswith("  error: ")]  # on stderr (issue 16)
    assert len(errors) == 10 and proc.stderr.splitlines()[0] == "hipaa-scan: 10 errors:"
    assert all(len(line) < 200 for line in errors)


def test_scan_never_writes_executes_or_leaks(hostile, tmp_path):
    before = snapshot(hostile)
    for fmt, jobs in (("text", "1"), ("json", "1"), ("sarif", "1"), ("text", "2"), ("json", "2"), ("sarif", "2")):
        proc = scan(hostile, "--format", fmt, "--jobs", jobs)  # in one process, and split across two workers
        assert SECRET not in proc.stdout + proc.stderr
        assert SECRET[:14] not in proc.stdout
    out = tmp_path / "r.sarif"
    scan(hostile, "--format", "sarif", "-o", str(out))
    assert SECRET not in out.read_text()
    assert snapshot(hostile) == before
    assert not os.path.exists("/tmp/hipaa-scan-pwned")


def test_only_safe_yaml_loading_in_the_source():
    unsafe = re.compile(r"yaml\.(load|load_all|unsafe_load|full_load)\(|FullLoader|UnsafeLoader|\beval\(|\bexec\(")
    for directory, _dirs, files in os.walk(os.path.join(ROOT, "src", "hipaa_scan")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    text = handle.read()
                assert not unsafe.search(text), f"{name} uses an unsafe loader or eval"


def test_error_messages_never_quote_file_content(tmp_path):
    (tmp_path / "compose.yaml").write_text(f"services:\n  a:\n    environment:\n      KEY: {SECRET}\n    x: [\n")
    proc = scan(tmp_path, "--format", "json")
    assert proc.returncode == 2
    assert SECRET not in proc.stdout and SECRET[:14] not in proc.stdout
