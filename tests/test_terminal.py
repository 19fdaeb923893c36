"""Terminal injection: text written by others (scanned lines, file and directory names, suppression reasons, engine
and container fields) never reaches the terminal as a control. Text reports (with and without colour, -q, live),
notes, errors and every stderr line show such characters as escapes (`\\x1b`), and a newline in a file name
cannot forge a report line."""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from hipaa_scan import live
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.report import livetext, text
from hipaa_scan.visible import markup, visible

# What must never be written raw: C0 controls but the report's own newline, DEL, C1 controls, the Unicode line and
# paragraph separators, bidi controls and lone surrogates (written here independently of hipaa_scan.visible).
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # the report's own colours, in colour mode only

OSC8 = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
FORGED_NAME = "evil\n  forged.env:1  CRITICAL HS999 forged-rule.env"


def assert_safe(output: str, color: bool = False) -> None:
    if color:
        output = SGR.sub("", output)
    found = RAW.search(output)
    assert found is None, f"raw {found.group()!r} at {found.start()}: {output[max(0, found.start() - 60):found.end() + 20]!r}"
    for line in output.split("\n"):  # no line of the report is the forged one
        assert not line.startswith("  forged.env:1"), line


@pytest.mark.parametrize("raw,shown", [
    ("\x1b[31mred", "\\x1b[31mred"),
    (OSC8, "\\x1b]8;;https://evil.example/\\x07click\\x1b]8;;\\x07"),
    ("a\rb\nc\td", "a\\rb\\nc\\td"),
    ("\x00\x08\x0b\x0c\x1f\x7f", "\\x00\\x08\\x0b\\x0c\\x1f\\x7f"),
    ("\x85\x9b31m", "\\x85\\x9b31m"),  # C1: NEL, and the one-byte CSI
    ("x\u2028y\u2029z", "x\\u2028y\\u2029z"),
    ("\u202aa\u202bb\u202cc\u202dd\u202ee", "\\u202aa\\u202bb\\u202cc\\u202dd\\u202ee"),
    ("\u2066\u2067\u2068\u2069\u200e\u200f\u061c", "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c"),
    ("bad\udcff\udc80.env", "bad\\xff\\x80.env"),  # bytes of a file name that were not UTF-8 (surrogateescape)
    ("\ud800", "\\ud800"),
])
def test_visible_shows_every_control_as_an_escape(raw, shown):
    assert visible(raw) == shown
    assert RAW.search(visible(raw)) is None


def test_visible_keeps_ordinary_text():
    for plain in ("", "compose.yaml:4", "service \"web\" runs as root (user 'root')", "é ü ß 中文 ✓ 🙂 │",
                  "C:\\path\\x1b literal backslashes", "[bold]not markup[/]"):
        assert visible(plain) == plain


def test_markup_escapes_rich_markup_and_controls():
    from rich.console import Console
    import io

    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, color_system="standard", width=200).print(
        markup("[bold red]x[/] [link=https://evil.example]y[/link] \x1b[5m"))
    out = buffer.getvalue()
    assert "[bold red]x[/] [link=https://evil.example]y[/link] \\x1b[5m" in SGR.sub("", out)
    assert "\x1b]8" not in out and RAW.search(SGR.sub("", out)) is None


@pytest.fixture
def hostile_tree(tmp_path):
    """Control characters in file and directory names, values, comments, suppression reasons and rule names."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / FORGED_NAME).write_text(f"PASSWORD=hunter2-not-a-real-one # {OSC8} \x9b31m \u202eabc\n")
    (root / "Dockerfile").write_text(
        "FROM busybox:latest\n"
        f"# hipaa-scan: ignore[HS101] accepted \x1b[2J\x1b[H {OSC8} [bold]markup[/] \x7f\x85 \u2066x\u2069\n"
        "USER root\n"
        "RUN echo \x1b[31m\r hi\n")
    (root / "compose.yaml").write_text(
        'services:\n'
        '  "web\\e[31m\\u202e\\r\\nforged":\n'
        '    image: "redis\\e]8;;http://x\\a[red]"\n'
        '    privileged: true\n'
        '    ports: ["6379:6379"]\n'
        '    environment:\n'
        '      NOTE: "${UNSET_VAR}"\n')
    bad_dir = root / "d\x1b[31m\u2028:warning:"  # (with a rich emoji code)
    bad_dir.mkdir()
    (bad_dir / "Dockerfile").write_text("RUN no-from-here\n")  # an error naming its path
    (root / os.fsdecode(b"undecodable\xff.env")).write_text("API_TOKEN=abc\n")
    return root


def expect_visible(output: str) -> None:
    assert "evil\\n  forged.env:1  CRITICAL HS999 forged-rule.env" in output
    assert "\\x1b]8;;https://evil.example/\\x07click\\x1b]8;;\\x07" in output
    assert "accepted \\x1b[2J\\x1b[H" in output  # the suppression reason
    assert 'service "web\\x1b[31m\\u202e\\r\\nforged"' in output
    assert "redis\\x1b]8;;http://x\\x07[red]" in output
    assert "d\\x1b[31m\\u2028:warning:/Dockerfile" in output  # the error's path
    assert "undecodable\\xff.env" in output


def test_text_report_without_colour(hostile_tree):
    result = scan_paths([str(hostile_tree)], ScanOptions())
    out = text.render(result, color=False, show_suppressed=True)
    assert_safe(out)
    expect_visible(out)
    assert "[bold]markup[/]" in out  # no markup pass without colour: the text as it is


def test_text_report_in_colour(hostile_tree):
    result = scan_paths([str(hostile_tree)], ScanOptions())
    out = text.render(result, color=True, show_suppressed=True, width=300)
    assert "\x1b[" in out  # colours are on
    assert_safe(out, color=True)
    expect_visible(SGR.sub("", out))
    assert "[bold]markup[/]" in SGR.sub("", out)  # shown, not read as a style


def run(*args, cwd):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, cwd=cwd, env=env,
                          timeout=120)


@pytest.mark.parametrize("args", [(), ("-q",), ("--show-suppressed", "--no-color"), ("--jobs", "1", "-q")])
def test_scan_command_stdout_and_stderr(hostile_tree, args):
    proc = run("scan", *args, ".", cwd=hostile_tree)
    assert proc.returncode == 2  # the Dockerfile without FROM
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert_safe(out)
    assert_safe(err)
    assert "d\\x1b[31m\\u2028:warning:/Dockerfile: no FROM instruction" in out
    assert "evil\\n  forged.env" in out and 'service "web\\x1b[31m\\u202e\\r\\nforged"' in out


def test_stderr_lines_show_controls_as_escapes(hostile_tree, tmp_path):
    # --output into a folder that does not exist: the error names it
    target = tmp_path / "no\x1b[2Jdir\nforged" / "report.txt"
    proc = run("scan", "--output", str(target), ".", cwd=hostile_tree)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and err.count("\n") == 1
    assert_safe(err)
    assert "no\\x1b[2Jdir\\nforged/report.txt" in err
    # baseline create lists the scan's errors on stderr
    proc = run("baseline", "create", str(tmp_path / "base.json"), ".", cwd=hostile_tree)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2
    assert_safe(err)
    assert "hipaa-scan: d\\x1b[31m\\u2028:warning:/Dockerfile: no FROM instruction" in err.split("\n")
    # a configuration that cannot be read, named with control characters
    proc = run("scan", "--config", str(tmp_path / "cfg\x1b]8;;x\x07.yaml"), ".", cwd=hostile_tree)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and err.count("\n") == 1
    assert_safe(err)
    assert "cfg\\x1b]8;;x\\x07.yaml" in err


@pytest.fixture
def hostile_inspect(tmp_path):
    with open(os.path.join(FIXTURES, "live", "inspect.json"), encoding="utf-8") as handle:
        containers = json.load(handle)[:2]
    containers[0]["Name"] = "/evil\x1b[31m\nforged\u202e"
    containers[0]["Config"]["Image"] = "redis\x1b]8;;http://x\x07[blink]"
    containers[0]["Config"]["Labels"] = {"com.example": "\x1b[2J"}
    with open(os.path.join(FIXTURES, "live", "info.json"), encoding="utf-8") as handle:
        info = json.load(handle)
    info["ServerVersion"] = "27.0\x1b[2J"
    info["OperatingSystem"] = "Linux\r\nforged line"
    info["Name"] = "host\x9b31m"
    inspect_path, info_path = tmp_path / "inspect.json", tmp_path / "info.json"
    inspect_path.write_text(json.dumps(containers))
    info_path.write_text(json.dumps(info))
    return str(inspect_path), str(info_path)


@pytest.mark.parametrize("color", [False, True])
def test_live_text_report(hostile_inspect, color):
    run_ = live.analyse_files([hostile_inspect[0]], hostile_inspect[1], live.Selection().check())
    result = live.scan(run_, ScanOptions())
    out = livetext.render(result, color=color, width=300, inventory=run_.inventory, run=run_)
    assert_safe(out, color=color)
    plain = SGR.sub("", out)
    assert 'container "evil' in plain and 'engine "host' in plain  # (live.py already tames names)
    assert "Linux\\r\\nforged line" in plain  # an engine fact


def test_live_command_stdout_and_stderr(hostile_inspect, tmp_path):
    evidence = tmp_path / "ev\x1b[31m\nforged"
    proc = run("live", "--from-inspect", hostile_inspect[0], "--from-info", hostile_inspect[1],
               "--evidence", str(evidence), cwd=ROOT)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert proc.returncode == 1, err
    assert_safe(out)
    assert_safe(err)
    assert 'container "evil' in out and "Linux\\r\\nforged line" in out
    # two lines: where the evidence went, and the manifest's SHA-256; the folder's name escaped in both
    assert err.count("\n") == 2 and err.count("ev\\x1b[31m\\nforged") == 2


def test_rule_from_rules_dir_cannot_forge_catalog_or_report_lines(tmp_path):
    """A --rules-dir rule's name passes the schema's `$` with a trailing newline, and its message is free text."""
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "HS901.yaml").write_text(json.dumps({
        "id": "HS901", "name": "evil-rule\n", "severity": "high", "confidence": "high", "hipaa": ["164.312(b)"],
        "sources": ["env"], "summary": "s\x1b[2J", "description": "d", "remediation": "r",
        "message": "{resource} says \x1b]8;;https://evil.example/\x07hi\u202e", "match": [{"env": {"name": "^DEBUG$"}}]}))
    (tmp_path / "app.env").write_text("DEBUG=1\n")
    proc = run("rules", "--rules-dir", str(rules_dir), cwd=tmp_path)
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr
    assert_safe(out)
    assert "HS901  evil-rule\\n" in out
    proc = run("scan", "--rules-dir", str(rules_dir), "--select", "HS901", "app.env", cwd=tmp_path)
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 1, proc.stderr
    assert_safe(out)
    assert "HS901 evil-rule\\n" in out and "says \\x1b]8;;https://evil.example/\\x07hi\\u202e" in out


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_file_name_that_is_not_utf8_in_json_and_sarif(hostile_tree, fmt, tmp_path):
    """The byte 0xff of a file name reaches JSON as the escape \\udcff (valid UTF-8 text that reads back as the
    name Python gave the file) and SARIF URIs as %FF; its findings are fingerprinted like any other."""
    for target in (None, tmp_path / f"report.{fmt}"):
        proc = run("scan", "--format", fmt, *(["--output", str(target)] if target else []), ".", cwd=hostile_tree)
        assert proc.returncode == 2, proc.stderr  # the Dockerfile without FROM, nothing else
        raw = target.read_bytes() if target else proc.stdout
        report = json.loads(raw.decode("utf-8"))  # strict: the report is UTF-8
        assert b"\\udcff" in raw
        if fmt == "json":
            assert [e["kind"] for e in report["errors"]] == ["parse"]
            paths = {f["location"]["path"] for f in report["findings"]}
            assert "undecodable\udcff.env" in paths
        else:
            uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in report["runs"][0]["results"]
                    for loc in r["locations"]}
            assert "undecodable%FF.env" in uris
            assert "evil%0A%20%20forged.env%3A1%20%20CRITICAL%20HS999%20forged-rule.env" in uris


def test_live_error_line_shows_controls_as_escapes(tmp_path):
    bad = tmp_path / "inspect\x1b]8;;https:evil.example\x07\nforged.json"
    bad.write_text("{not json")
    proc = run("live", "--from-inspect", str(bad), cwd=ROOT)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and proc.stdout == b""
    assert err.count("\n") == 1 and "not valid JSON" in err
    assert_safe(err)
    assert "inspect\\x1b]8;;https:evil.example\\x07\\nforged.json" in err
