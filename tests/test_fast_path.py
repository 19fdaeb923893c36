"""The click-free path for `hipaa-scan scan` (hipaa_scan.options.parse_fast): the same parameters as click for the command
lines it accepts, None (so click runs) for every other one, and the same output and exit code end to end."""

import errno
import gc
import os
import subprocess
import sys

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT
from hipaa_scan import cli, commands, options

BAD = os.path.join("fixtures", "rules", "HS101", "bad", "Dockerfile")  # one high finding: exit 1
GOOD = os.path.join("fixtures", "rules", "HS101", "good", "Dockerfile")
SCRIPT = os.path.join(os.path.dirname(sys.executable), "hipaa-scan")
# The click path: the click group run directly.
CLICK = [sys.executable, "-c", "from hipaa_scan import commands\ncommands.main(prog_name='hipaa-scan')"]


def click_params(argv):
    """What click passes to the scan command for argv (["scan", ...]); raises click's error if it rejects it."""
    return commands.scan.make_context("scan", list(argv[1:])).params


ACCEPTED = [
    ["scan"],
    ["scan", "."],
    ["scan", "-q", BAD],
    ["scan", "--quiet", "a", "b"],
    ["scan", "a", "-q", "b", "--no-color", "c"],  # options between and after paths
    ["scan", "--format", "json", "x"],
    ["scan", "--format=sarif"],
    ["scan", "--format", "json", "--format", "text"],  # a single-value option: the last wins
    ["scan", "-o", "out.txt", "x"],
    ["scan", "--output", "README.md"],  # an existing file
    ["scan", "--output=r.json", "--output", "s.json", "-o", "t.json"],
    ["scan", "--output="],
    ["scan", "--output", "-q"],  # the value is the next argument, whatever it looks like
    ["scan", "-o", "--"],
    ["scan", "--fail-on", "never", "--fail-on=critical"],
    ["scan", "--fail-on", "info"],
    ["scan", "--profile", "tools", "--profile=dev"],
    ["scan", "--select", "HS101", "--select=HS2,HS3", "--select", "root-user"],
    ["scan", "--select="],
    ["scan", "--select", "--strict"],
    ["scan", "--ignore", "HS101", "--ignore", "root-user"],
    ["scan", "--exclude", "*.env", "--exclude=fixtures/**", "x"],
    ["scan", "--category", "pre-commit", "--category=second"],
    ["scan", "--category", ""],
    ["scan", "--config", "pyproject.toml"],
    ["scan", "--config=missing.yaml", "--baseline", "b.json"],
    ["scan", "--baseline=README.md"],
    ["scan", "--no-color", "--no-color", "-q", "--quiet"],
    ["scan", "--show-suppressed", "--strict"],
    ["scan", "--jobs", "4"],
    ["scan", "-j", "0"],
    ["scan", "--jobs=12", "-j", "1"],
    ["scan", "-j", "007"],
    ["scan", "--", "-q", "--format", "--", "-"],  # after "--" everything is a path
    ["scan", "a", "--", "--help", "-h"],
    ["scan", ""],
    ["scan", " ", "a=b", "=x", "with space/Dockerfile", "ünïcode.yml"],
    ["scan", "src", "fixtures", "README.md"],  # existing directories and files
    ["scan", "x", "--format", "json", "-o", "r.json", "--fail-on", "low", "--select", "HS1", "--ignore", "HS102",
     "--exclude", "tests/**", "--category", "c", "--config", "pyproject.toml", "--baseline", "b.json", "--no-color",
     "-q", "--show-suppressed", "--strict", "-j", "2", "y", "--", "z"],
]


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_accepted_command_lines_give_what_click_gives(argv, in_root):
    params = options.parse_fast(argv)
    assert params is not None
    expected = click_params(argv)
    assert params == expected
    assert {k: type(v) for k, v in params.items()} == {k: type(v) for k, v in expected.items()}  # True is not 1


# Command lines click rejects (or does something other than scan with): the fast path must leave them to click.
CLICK_REJECTS = [
    ["scan", "--help"],
    ["scan", "-h"],
    ["scan", "--version"],
    ["scan", "--format", "xml"],
    ["scan", "--format=TEXT"],
    ["scan", "--fail-on", "HIGH"],
    ["scan", "--fail-on", "warning"],
    ["scan", "--output"],
    ["scan", "x", "-o"],
    ["scan", "--format"],
    ["scan", "--select"],
    ["scan", "--jobs"],
    ["scan", "--jobs", "-1"],
    ["scan", "-j", "two"],
    ["scan", "-j", "1.5"],
    ["scan", "-j", ""],
    ["scan", "--jobs=", "x"],
    ["scan", "-j", "9" * 5000],  # more digits than int() takes
    ["scan", "--quiet=yes"],
    ["scan", "--no-color="],
    ["scan", "--strict=1"],
    ["scan", "--output", "src"],  # a directory: click.Path(dir_okay=False)
    ["scan", "--config=src"],
    ["scan", "--baseline", "fixtures"],
    ["scan", "--quite"],
    ["scan", "--out", "x"],  # click does not complete abbreviations
    ["scan", "--formats", "json"],
    ["scan", "-x"],
    ["scan", "-1"],
    ["scan", "---format", "json"],
    ["scan", "-f", "missing-compose.yaml"],
    ["scan", "--env-file", "missing.env"],
]
# Command lines click accepts but only click handles: other commands, click-only options, other option forms.
CLICK_ONLY = [
    [],
    ["--version"],
    ["--help"],
    ["-h"],
    ["Scan"],
    ["rules"],
    ["explain", "HS101"],
    ["live", "--from-inspect", "x.json"],
    ["baseline", "create", "b.json"],
    ["-q", "scan"],
    ["scan", "-f", "README.md"],
    ["scan", "--file", "README.md"],
    ["scan", "--env-file", "README.md"],
    ["scan", "--rules-dir", "rules"],
    ["scan", "-j", "+2"],
    ["scan", "--jobs", " 2"],
    ["scan", "-j", "1_0"],
    ["scan", "-oout.txt"],
    ["scan", "-o=out"],  # click: the output file "=out"
    ["scan", "-qo", "x"],
    ["scan", "-j4"],
    ["scan", "-qq"],
]


@pytest.mark.parametrize("argv", CLICK_REJECTS, ids=" ".join)
def test_command_lines_click_rejects_are_left_to_click(argv, in_root):
    assert options.parse_fast(argv) is None
    with pytest.raises((click.UsageError, click.exceptions.Exit)):
        click_params(argv)


@pytest.mark.parametrize("argv", CLICK_ONLY, ids=" ".join)
def test_other_command_lines_are_left_to_click(argv, in_root):
    assert options.parse_fast(argv) is None


def test_an_unreadable_path_is_left_to_click(in_root, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode, **kwargs: False)  # as a non-root user sees a 0o000 file
    for argv in (["scan", "README.md"], ["scan", "--config", "pyproject.toml"], ["scan", "-o", "README.md"]):
        assert options.parse_fast(argv) is None
        with pytest.raises(click.BadParameter):
            click_params(argv)
    assert options.parse_fast(["scan", "missing", "-o", "missing.txt"]) is not None


def test_the_click_command_is_generated_from_the_table():
    """One definition: the click `scan` command's parameters are the table's, in its order, with its flags; and
    the fast path knows an option only through the same table, so a new option needs no second declaration."""
    table = options.for_command("scan")
    assert [p.name for p in commands.scan.params] == [s.name for s in table]
    for param, setting in zip(commands.scan.params, table):
        assert tuple(param.opts + param.secondary_opts) == setting.flags or setting.argument
        assert param.multiple == setting.multiple if not setting.argument else param.nargs == -1
    assert commands.scan.make_context("scan", []).params == {s.name: s.value_when_absent() for s in table}
    assert commands.main.commands["scan"] is commands.scan
    assert commands.main.context_settings.get("auto_envvar_prefix") is None


@pytest.mark.parametrize("kind", [options.EXISTING_FILE, options.DIR, options.SECONDS])
def test_kinds_only_click_converts_send_the_command_line_to_click(kind, in_root, monkeypatch):
    """An option whose kind the fast path cannot convert exactly as click does (a file that must exist, a folder,
    seconds) leaves the command line to click, whatever its form."""
    monkeypatch.setitem(options.SETTINGS, "exclude", options.SETTINGS["exclude"].but(kind=kind))
    for argv in (["scan", "--exclude", "README.md"], ["scan", "--exclude=README.md"], ["scan", "x", "--exclude", "y"]):
        assert options.parse_fast(argv) is None, argv
    assert options.parse_fast(["scan", "x"]) is not None


# Random command lines: whenever the fast path accepts one, click accepts it too, with the same parameters.
_OPTION_STRINGS = sorted({opt for p in commands.scan.params for opt in p.opts + p.secondary_opts}
                         | {"-h", "--help", "--version", "--quite", "-qo", "-j4", "-", "---format"})
_VALUES = ["json", "text", "sarif", "xml", "high", "never", "HIGH", "0", "3", "-1", "x", "", "a=b", "missing.yaml",
           os.path.join(ROOT, "README.md"), os.path.join(ROOT, "src"), os.path.join(FIXTURES, "rules")]
_TOKENS = st.one_of(st.sampled_from(_OPTION_STRINGS), st.sampled_from(_VALUES), st.just("--"),
                    st.builds("{}={}".format, st.sampled_from(_OPTION_STRINGS), st.sampled_from(_VALUES)))


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=8))
def test_random_command_lines_agree_with_click(tokens):
    argv = ["scan", *tokens]
    fast = options.parse_fast(argv)
    if fast is not None:
        assert fast == click_params(argv)


def test_completion_and_windows_need_click():
    assert not options.click_required({"PATH": "/usr/bin", "NO_COLOR": "1"}, "posix")
    assert not options.click_required({"_HIPAA_SCAN_COMPLETE": ""}, "posix")
    assert options.click_required({"_HIPAA_SCAN_COMPLETE": "bash_source"}, "posix")
    assert options.click_required({}, "nt")


def test_importing_the_cli_does_not_import_click():
    code = "import sys, hipaa_scan.cli, hipaa_scan.options; print('click' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


# End to end: the installed entry point (fast path) against click with the same arguments.
needs_script = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="no hipaa-scan script beside the interpreter")


def run_both(args, env=None):
    env = dict(os.environ, **(env or {}))
    env.pop("NO_COLOR", None)
    env.setdefault("SOURCE_DATE_EPOCH", "1767225600")  # the run record's times: the same in both runs
    runs = [subprocess.run(cmd + args, capture_output=True, cwd=ROOT, env=env, timeout=120) for cmd in ([SCRIPT], CLICK)]
    return [(r.returncode, r.stdout, r.stderr) for r in runs]


@needs_script
@pytest.mark.parametrize("args", [
    ["scan", "-q", BAD],
    ["scan", "-q", GOOD],
    ["scan", "-q", BAD, GOOD, os.path.join("fixtures", "rules", "HS302", "bad", "Dockerfile")],
    ["scan", "--fail-on", "never", BAD],
    ["scan", "--format", "json", "--select", "HS1,HS3", BAD],
    ["scan", "--format=sarif", "--category", "hook", BAD],
    ["scan", "-q", "missing-file"],
    ["scan", "-q", "--config", "/nonexistent/config.yaml", BAD],
    ["scan", "-q", "--config", "/nonexistent/\x1b[31mred\x1b[0m.yaml", BAD],  # click strips the escapes
    ["scan", "-q", "-o", "/nonexistent/dir/report.txt", BAD],
    ["scan", "-q", "--baseline", "/nonexistent/baseline.json", BAD],
    ["scan", "--format", "bogus", BAD],  # refused by the fast path: click's usage error
], ids=lambda args: " ".join(args[1:3]))
def test_the_entry_point_prints_what_click_prints(args):
    fast, slow = run_both(args)
    assert fast == slow
    assert fast[0] in (0, 1, 2)


@needs_script
def test_an_error_on_an_ascii_stderr_is_written_as_click_writes_it():
    fast, slow = run_both(["scan", "-q", "--config", "/nonexistent/é.yaml", BAD], env={"PYTHONIOENCODING": "ascii"})
    assert fast == slow
    assert "é".encode() in fast[2]


@needs_script
def test_a_closed_stdout_ends_as_with_click():
    results = []
    for cmd in ([SCRIPT], CLICK):
        read, write = os.pipe()
        os.close(read)
        try:
            proc = subprocess.run(cmd + ["scan", os.path.join("fixtures", "rules", "HS302", "bad", "Dockerfile")],
                                  stdout=write, stderr=subprocess.PIPE, cwd=ROOT, timeout=120)
        finally:
            os.close(write)
        results.append((proc.returncode, proc.stderr))
    assert results[0] == results[1] == (1, b"")


PROBE = ("import sys\nsys.argv[0] = 'hipaa-scan'\nfrom hipaa_scan import cli\ntry:\n    cli.run()\n"
         "finally:\n    print('click loaded:', 'click' in sys.modules)\n")


@pytest.mark.parametrize("args, code, loaded", [
    (["scan", "-q", GOOD], 0, False),
    (["scan", "-q", BAD, GOOD], 1, False),
    (["scan", "--format", "json", "-o", os.devnull, "--fail-on", "never", BAD], 0, False),
    (["scan", "--help"], 0, True),
    # a kind only click converts (a file that must exist); GOOD's folder holds a Compose project, which the named
    # file is judged in (issue 16), interpolated with this "env file" (a Dockerfile): its lines are errors
    (["scan", "--env-file", GOOD, "-q", GOOD], 2, True),
])
def test_the_fast_path_never_imports_click(args, code, loaded):
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"click loaded: {loaded}"


def run_in_process(argv, fast, monkeypatch):
    """run() in this process, on the fast path or (fast=False) through click; its exit code. run() turns the
    garbage collector off, so it is turned back on."""
    with monkeypatch.context() as patch:
        patch.setattr(sys, "argv", ["hipaa-scan", *argv])
        patch.setattr(sys, "stdout", sys.stdout)  # restored afterwards: a broken pipe replaces both streams
        patch.setattr(sys, "stderr", sys.stderr)
        if not fast:
            patch.setattr(options, "parse_fast", lambda argv: None)
        try:
            with pytest.raises(SystemExit) as exit_info:
                cli.run()
        finally:
            gc.enable()
        return exit_info.value.code, type(sys.stdout).__name__, type(sys.stderr).__name__


@pytest.mark.parametrize("error", [KeyboardInterrupt(), EOFError(), BrokenPipeError(errno.EPIPE, "Broken pipe"),
                                   RuntimeError("boom")], ids=lambda e: type(e).__name__)
def test_an_interrupted_or_failed_scan_ends_as_with_click(error, in_root, capsys, monkeypatch):
    import hipaa_scan.engine

    def scan_paths(*args, **kwargs):
        raise error

    monkeypatch.setattr(hipaa_scan.engine, "scan_paths", scan_paths)
    monkeypatch.delenv("HIPAA_SCAN_DEBUG", raising=False)
    ends = [(run_in_process(["scan", "-q", GOOD], fast, monkeypatch), capsys.readouterr()) for fast in (True, False)]
    assert ends[0] == ends[1]
    code, stdout_type, _ = ends[0][0]
    assert code == (2 if isinstance(error, RuntimeError) else 1)
    assert (stdout_type.lstrip("_") == "PacifyFlushWrapper") == isinstance(error, BrokenPipeError)
    if isinstance(error, (KeyboardInterrupt, EOFError)):
        assert ends[0][1].err == "\nAborted!\n"
