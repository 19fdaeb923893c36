"""What the commands do, without click: the scan, the options built from the command line and the configuration,
the report written to stdout or --output, and the one-line errors. Both the click commands (commands.py) and the
fast path of `cli.run` call these.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, NoReturn, Optional, Sequence, TextIO

    from hipaa_scan.engine import ScanOptions
    from hipaa_scan.model import ScanResult
    from hipaa_scan.runrecord import RunRecord

    Guard = Dict[str, List[str]]

EXIT_HELP = """Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
2 usage error, unreadable path, a file that could not be parsed, or an engine error (the rest is still scanned)."""


def _split(values: Sequence[str]) -> List[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def echo_err(line: str) -> None:
    """Write `line` to stderr as one line, exactly as click.echo(line, err=True) would, with its control characters
    shown as escapes (visible.visible): a file name, value or engine answer quoted in a message can neither act on
    the terminal nor start a line of its own. Every message of the command line goes through here.

    In the ordinary case that is a plain write and flush. The other cases are handed to click: when click is
    already loaded (the click path: nothing changes there), when stderr is missing or not a plain text stream,
    and when its encoding is ASCII (click then writes through its own UTF-8 wrapper). The line never holds an
    escape character any more, so click's removal of ANSI sequences has nothing to remove."""
    from hipaa_scan.visible import visible

    line = visible(line)
    stream = sys.stderr
    if ("click" in sys.modules or type(stream) is not io.TextIOWrapper
            or codecs.lookup(stream.encoding).name == "ascii"):
        import click

        click.echo(line, err=True)
        return
    stream.write(line + "\n")
    stream.flush()


def visible_lines(text: str) -> str:
    """A page of several lines for the terminal (`explain`): each line's control characters shown as escapes (a
    rule pack writes its own descriptions, whose newlines are the page's own)."""
    from hipaa_scan.visible import visible

    return "\n".join(visible(line) for line in text.split("\n"))


def fail(message: str) -> NoReturn:
    echo_err(f"hipaa-scan: error: {message}")
    sys.exit(2)


def use_color(no_color: bool, output: Optional[str]) -> bool:
    """Colour for a report on stdout: never with --no-color or NO_COLOR (any value but empty), always with
    FORCE_COLOR (likewise; `0` and `false` too, as the convention has it, except that those two say no), else
    when stdout is a terminal. A report written to a file (--output FILE) is never coloured."""
    if no_color or (output and output != "-") or os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force:
        return force.lower() not in ("0", "false")
    return sys.stdout.isatty()


def write_output(output: Optional[str], write: Callable[[TextIO], Any], guard: Optional[Guard] = None) -> None:
    """Call `write(handle)` on the --output file or on stdout. The file is written by safewrite: never through a
    link, never over one of the scan's inputs (`guard`: safewrite.check's inputs, scanned_dirs, excludes), and
    atomically; one clear line and exit 2 if it cannot be. `-` is stdout."""
    if not output or output == "-":
        write(sys.stdout)
        return
    from hipaa_scan import safewrite

    try:
        safewrite.write(output, write, **(guard or {}))
    except safewrite.OutputError as exc:
        fail(str(exc))


def output_guard(output: Optional[str], files: Iterable[Optional[str]] = (), dirs: Iterable[Optional[str]] = (),
                 excludes: Iterable[str] = ()) -> Guard:
    """What `--output` must not overwrite: the input files named, and the files the walk scans under `dirs`. Checked
    once before the scan (so that a refused output costs no scan) and again when the report is written."""
    from hipaa_scan import safewrite

    guard = {"inputs": [f for f in files if f], "scanned_dirs": [d for d in dirs if d], "excludes": list(excludes)}
    if output and output != "-":
        try:
            safewrite.check(output, **guard)
        except safewrite.OutputError as exc:
            fail(str(exc))
    return guard


def emit(result: ScanResult, fmt: str, output: Optional[str], no_color: bool, quiet: bool, fail_on: str,
         show_suppressed: bool = False, category: Optional[str] = None, guard: Optional[Guard] = None,
         **report_options: Any) -> None:
    """Write the report of `result` in format `fmt` (the report registry's reporter) to --output or stdout, as it is
    produced: a large report is never held as one string. `report_options`: a live run's (live.report_options)."""
    from hipaa_scan.report import get

    reporter = get(fmt)
    color = use_color(no_color, output)
    to_terminal = fmt == "text" and (not output or output == "-")
    if to_terminal:  # the text report writes its errors and notes to stderr itself, grouped, before its summary
        report_options["err"] = sys.stderr
    write_output(output, lambda handle: reporter.write(result, handle, color=color, quiet=quiet, fail_on=fail_on,
                                                        show_suppressed=show_suppressed, category=category,
                                                        **report_options), guard)
    if not to_terminal:
        tell(result)


def tell(result: ScanResult) -> None:
    """Every error on stderr, one line each, whatever the format and wherever the report went (with -q too): an
    exit 2 always explains itself. The notes stay in the report (JSON, SARIF, an --output text file)."""
    from hipaa_scan.diagnostics import report_lines

    for line in report_lines(result.errors, (), quiet=True):
        echo_err(line)


def build_options(select: Sequence[str], ignore: Sequence[str], excludes: Iterable[str], rules_dir: Sequence[str],
                  config_path: Optional[str] = None, baseline_path: Optional[str] = None,
                  strict: bool = False, no_config: bool = False, record: Optional[RunRecord] = None) -> ScanOptions:
    """ScanOptions from the command line and the configuration (the command line wins). Exits 2 on a bad
    configuration, baseline or rule folder. `no_config`: no configuration file is looked for or read (--config
    then makes no sense: refused). With `record`, the effective configuration is written into it."""
    if no_config and config_path:
        fail("--config and --no-config contradict each other; give one")
    from hipaa_scan import baseline as baseline_mod
    from hipaa_scan.catalog import DEFAULT_DATASTORES
    from hipaa_scan.config import Config, ConfigError, load_config, severity_overrides
    from hipaa_scan.engine import ScanOptions
    from hipaa_scan.rules import RuleLoadError, check_references, load_rules

    try:
        check_references(_split(select), "--select", rules_dir)
        check_references(_split(ignore), "--ignore", rules_dir)
        known = []
        if not no_config and (config_path or _config_present()):
            known = [r.meta for r in load_rules(rules_dirs=rules_dir)]
        cfg = Config() if no_config else load_config(config_path, known)
        baseline_path = baseline_path or cfg.baseline  # the command line's, else the configuration's `baseline:`
        data = baseline_mod.load(baseline_path) if baseline_path else None
        if data is not None:
            baseline_mod.check_rules(data, str(baseline_path), lambda rule_id: _unknown_id(rule_id, rules_dir))
    except (ConfigError, baseline_mod.BaselineError, RuleLoadError) as exc:
        fail(str(exc))
    # the configuration's paths are relative to the folder of the file that declares them, whatever the cwd
    from hipaa_scan.scan.walk import Anchored

    base = os.path.dirname(os.path.abspath(cfg.path)) if cfg.path else None
    cfg_excludes = [Anchored(p, base) for p in cfg.exclude] if base else cfg.exclude
    cfg_ignores = [{**entry, "base": base} for entry in cfg.per_path_ignores] if base else cfg.per_path_ignores
    options = ScanOptions(
        select=_split(select) or cfg.select, ignore=_split(ignore) + cfg.ignore,
        excludes=list(excludes) + cfg_excludes, rules_dirs=list(rules_dir), rule_options=cfg.rules,
        severity_overrides=severity_overrides(cfg, known),
        datastores=DEFAULT_DATASTORES.extended(cfg.datastores) if cfg.datastores else DEFAULT_DATASTORES,
        per_path_ignores=cfg_ignores, strict=strict, baseline=data, baseline_path=baseline_path or "",
        config_path=cfg.path, config_sha256=cfg.sha256)
    if cfg.max_file_bytes:
        from hipaa_scan.config import MAX_FILE_BYTES_CAP

        options.max_file_bytes = min(cfg.max_file_bytes, MAX_FILE_BYTES_CAP)  # the schema refuses more; a cap anyway
    options.fail_on = cfg.fail_on
    if record is not None:
        record.set_configuration(cfg.path, _split(select), cfg.select, _split(ignore), cfg.ignore,
                                 options.severity_overrides, cfg.rules, cfg.fail_on, rules_dir)
        record.set_baseline(baseline_path)
    return options


def _unknown_id(rule_id: str, rules_dir: Sequence[str]) -> Optional[str]:
    from hipaa_scan.rules import unknown_reference

    return unknown_reference(rule_id, rules_dir, prefix=False)


def _config_present() -> bool:
    from hipaa_scan.config import find_config

    return find_config() is not None


def do_scan(paths: Sequence[str], fmt: str, output: Optional[str], fail_on: Optional[str], select: Sequence[str],
            ignore: Sequence[str], rules_dir: Sequence[str], category: Optional[str], no_color: bool, quiet: bool,
            config_path: Optional[str], baseline_path: Optional[str], show_suppressed: bool, strict: bool,
            exclude: Sequence[str], compose_files: Sequence[str], env_files: Sequence[str], profiles: Sequence[str],
            jobs: int, no_config: bool = False, stdin_filename: Optional[str] = None,
            root: Optional[str] = None) -> NoReturn:
    """The `scan` command: the parameters are those click passes to it (options.parse_fast returns the same).
    Always exits: 0, 1 or 2 as EXIT_HELP says."""
    from hipaa_scan.engine import scan_paths
    from hipaa_scan.rules import RuleLoadError
    from hipaa_scan.runrecord import RunRecord

    stdin = "-" in paths
    if stdin and (len(paths) > 1 or compose_files):
        fail("`-` (stdin) is scanned alone: name no other path and no -f file with it")
    if stdin_filename is not None and not stdin:
        fail("--stdin-filename names the file read from stdin: give the path `-` too")
    record = RunRecord("scan")
    options = build_options(select, ignore, exclude, rules_dir, config_path, baseline_path, strict, no_config, record)
    if options.config_path and options.baseline_path:
        baseline_path = options.baseline_path  # the configuration's `baseline:`, guarded as --baseline is
    guard = None
    if output and output != "-":
        scanned = list(paths) or ([] if compose_files else ["."])
        files: List[Optional[str]] = [p for p in scanned if not os.path.isdir(p)]
        files += [*compose_files, *env_files, config_path or found_config(), baseline_path]
        dirs = [p for p in scanned if os.path.isdir(p)] + [os.path.dirname(os.path.abspath(f)) for f in compose_files]
        guard = output_guard(output, files, dirs + list(rules_dir), options.excludes)
    options.compose_files, options.env_files, options.profiles = list(compose_files), list(env_files), list(profiles)
    options.jobs = jobs
    from hipaa_scan.report import get

    # a format with a per-finding encoder (JSON, SARIF): worker processes of a large scan encode the findings
    options.finding_encoder = get(fmt).finding_encoder
    report: Dict[str, Any] = {}
    if fmt == "sarif":  # URIs relative to the repository root; a path outside it cannot be placed
        report["root"] = sarif_root(root, list(paths) + list(compose_files))
        if report["root"] != os.getcwd():
            options.finding_encoder = None  # the workers' texts are relative to the working directory
    fail_on = fail_on or options.fail_on or "high"  # (the configuration's, set by build_options)
    roots = list(paths) or ([] if compose_files else ["."])
    record.fail_on = fail_on
    record.set_roots(roots + [f for f in compose_files if not roots])
    try:
        if stdin:
            from hipaa_scan.engine import scan_text

            result = scan_text(read_stdin(options.max_file_bytes), stdin_filename or "-", options)
        else:
            result = scan_paths(roots, options)
    except RuleLoadError as exc:
        fail(str(exc))
    if not record.select and not record.ignore:  # every rule ran: the catalog is the rules that ran
        record.set_catalog(result.rules)
    record.files_by_kind, record.skipped = dict(result.files_by_kind), dict(result.skipped)
    record.end()
    result.record = record
    emit(result, fmt, output, no_color, quiet, fail_on, show_suppressed=show_suppressed, category=category,
         guard=guard, **report)
    sys.exit(result.exit_code(fail_on))


def read_stdin(max_bytes: int) -> str:
    """The text on stdin, as a file of the scan is read: at most `max_bytes`, UTF-8 (a BOM dropped); one line and
    exit 2 otherwise."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        fail("`-`: no standard input to read")
    data: bytes = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        fail(f"`-`: standard input is larger than {max_bytes} bytes; not scanned")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        fail("`-`: standard input is not valid UTF-8; not scanned")


def repository_root(start: str) -> Optional[str]:
    """The nearest folder from `start` upward that holds `.git` (a folder, or the file of a worktree or
    submodule), as `git rev-parse --show-toplevel` would answer; git itself is never run."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def sarif_root(root: Optional[str], paths: Sequence[str]) -> str:
    """The root SARIF URIs are relative to: --root, else the git top level, else the working directory. A path
    given that lies outside it is one line and exit 2: code scanning cannot place a file outside the checkout."""
    if root is not None and not os.path.isdir(root):
        fail(f"--root {root}: not a folder")
    base = os.path.realpath(root) if root is not None else (repository_root(os.getcwd()) or os.getcwd())
    if root is None and os.path.realpath(base) != base:
        base = os.path.realpath(base)
    for path in paths:
        absolute = os.path.realpath(path)
        if absolute != base and not absolute.startswith(base.rstrip(os.sep) + os.sep):
            fail(f"{path}: outside the repository root {base}; SARIF URIs must be relative to it (scan from inside "
                 "the repository, or pass --root)")
    return base


def found_config() -> Optional[str]:
    from hipaa_scan.config import find_config

    found = find_config()
    return str(found) if found else None


def do_scan_standalone(params: Dict[str, Any]) -> NoReturn:
    """do_scan(**params) wrapped the way click's standalone mode wraps a command (click.core.Command.main), so
    that the fast path ends like the click path: an interrupt or EOF prints an empty line and "Aborted!" and exits
    1; a broken stdout pipe exits 1 and silences later flush errors. click is imported only in those two cases."""
    try:
        do_scan(**params)
    except (EOFError, KeyboardInterrupt):
        from gettext import gettext

        import click

        click.echo(file=sys.stderr)
        click.echo(gettext("Aborted!"), file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        from click import utils as click_utils

        # click's standalone-mode wrapper: _PacifyFlushWrapper since click 8.5, which deprecates the old name
        pacify = getattr(click_utils, "_PacifyFlushWrapper", None) or getattr(click_utils, "PacifyFlushWrapper")
        sys.stdout = pacify(sys.stdout)
        sys.stderr = pacify(sys.stderr)
        sys.exit(1)
