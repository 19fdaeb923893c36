"""Command line. Heavy libraries (docker, jsonschema, rich, sarif_om) are imported only on the paths that use them.

click is not imported by this module either: `run()` hands the common `scan` command lines to `fastcli`, a small
parser, and calls `do_scan` directly; click and the command definitions below are loaded only for anything else,
or when `main` (or another command object) is first looked up on this module.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import sys

from hipaa_scan import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, NoReturn, Optional, Sequence

FORMATS = ["text", "json", "sarif"]
FAIL_ON = ["critical", "high", "medium", "low", "info", "never"]
EXIT_HELP = """Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
2 usage error, unreadable path, a file that could not be parsed, or an engine error (the rest is still scanned)."""


def _split(values: Sequence[str]) -> List[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _echo_err(line: str) -> None:
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


def _visible_lines(text: str) -> str:
    """A page of several lines for the terminal (`explain`): each line's control characters shown as escapes (a
    rule pack writes its own descriptions, whose newlines are the page's own)."""
    from hipaa_scan.visible import visible

    return "\n".join(visible(line) for line in text.split("\n"))


def fail(message: str) -> NoReturn:
    _echo_err(f"hipaa-scan: error: {message}")
    sys.exit(2)


def _use_color(no_color: bool, output: Optional[str]) -> bool:
    if no_color or output or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _write_output(output: Optional[str], write, guard: Optional[dict] = None) -> None:
    """Call `write(handle)` on the --output file or on stdout. The file is written by safewrite: never through a
    link, never over one of the scan's inputs (`guard`: safewrite.check's inputs, scanned_dirs, excludes), and
    atomically; one clear line and exit 2 if it cannot be."""
    if not output:
        write(sys.stdout)
        return
    from hipaa_scan import safewrite

    try:
        safewrite.write(output, write, **(guard or {}))
    except safewrite.OutputError as exc:
        fail(str(exc))


def output_guard(output: Optional[str], files=(), dirs=(), excludes=()) -> dict:
    """What `--output` must not overwrite: the input files named, and the files the walk scans under `dirs`. Checked
    once before the scan (so that a refused output costs no scan) and again when the report is written."""
    from hipaa_scan import safewrite

    guard = {"inputs": [f for f in files if f], "scanned_dirs": [d for d in dirs if d], "excludes": list(excludes)}
    if output:
        try:
            safewrite.check(output, **guard)
        except safewrite.OutputError as exc:
            fail(str(exc))
    return guard


def emit(result, fmt: str, output: Optional[str], no_color: bool, quiet: bool, fail_on: str,
         show_suppressed: bool = False, category: Optional[str] = None, guard: Optional[dict] = None) -> None:
    if fmt in ("json", "sarif"):  # written as it is produced: a large report is never held as one string
        if fmt == "json":
            from hipaa_scan.report import jsonfmt as reporter
        else:
            from hipaa_scan.report import sarif as reporter  # type: ignore[no-redef]
        _write_output(output, lambda handle: reporter.write(result, handle, category=category), guard)
        return
    from hipaa_scan.report import text as reporter  # type: ignore[no-redef]

    color = _use_color(no_color, output)
    _write_output(output, lambda handle: reporter.write(result, handle, color=color, quiet=quiet, fail_on=fail_on,
                                                        show_suppressed=show_suppressed), guard)


def build_options(select, ignore, excludes, rules_dir, config_path=None, baseline_path=None, strict=False):
    """ScanOptions from the command line and the configuration (the command line wins). Exits 2 on a bad
    configuration, baseline or rule folder."""
    from hipaa_scan import baseline as baseline_mod
    from hipaa_scan.catalog import DEFAULT_DATASTORES
    from hipaa_scan.config import ConfigError, load_config, severity_overrides
    from hipaa_scan.engine import ScanOptions
    from hipaa_scan.rules import RuleLoadError, load_rules

    try:
        known = []
        if config_path or _config_present():
            known = [r.meta for r in load_rules(rules_dirs=rules_dir)]
        cfg = load_config(config_path, known)
        data = baseline_mod.load(baseline_path) if baseline_path else None
    except (ConfigError, baseline_mod.BaselineError, RuleLoadError) as exc:
        fail(str(exc))
    options = ScanOptions(
        select=_split(select) or cfg.select, ignore=_split(ignore) + cfg.ignore,
        excludes=list(excludes) + cfg.exclude, rules_dirs=list(rules_dir), rule_options=cfg.rules,
        severity_overrides=severity_overrides(cfg, known),
        datastores=DEFAULT_DATASTORES.extended(cfg.datastores) if cfg.datastores else DEFAULT_DATASTORES,
        per_path_ignores=cfg.per_path_ignores, strict=strict, baseline=data, baseline_path=baseline_path or "")
    if cfg.max_file_bytes:
        from hipaa_scan.config import MAX_FILE_BYTES_CAP

        options.max_file_bytes = min(cfg.max_file_bytes, MAX_FILE_BYTES_CAP)  # the schema refuses more; a cap anyway
    options.fail_on = cfg.fail_on  # type: ignore[attr-defined]
    return options


def _config_present() -> bool:
    from hipaa_scan.config import find_config

    return find_config() is not None


def do_scan(paths, fmt, output, fail_on, select, ignore, rules_dir, category, no_color, quiet, config_path,
            baseline_path, show_suppressed, strict, exclude, compose_files, env_files, profiles, jobs) -> NoReturn:
    """The `scan` command: the parameters are those click passes to it (fastcli.parse_scan returns the same).
    Always exits: 0, 1 or 2 as EXIT_HELP says."""
    from hipaa_scan.engine import scan_paths
    from hipaa_scan.rules import RuleLoadError

    options = build_options(select, ignore, exclude, rules_dir, config_path, baseline_path, strict)
    guard = None
    if output:
        scanned = list(paths) or ([] if compose_files else ["."])
        files = [p for p in scanned if not os.path.isdir(p)] + list(compose_files) + list(env_files)
        files += [config_path or _found_config(), baseline_path]
        dirs = [p for p in scanned if os.path.isdir(p)] + [os.path.dirname(os.path.abspath(f)) for f in compose_files]
        guard = output_guard(output, files, dirs + list(rules_dir), options.excludes)
    options.compose_files, options.env_files, options.profiles = list(compose_files), list(env_files), list(profiles)
    options.jobs = jobs
    if fmt in ("json", "sarif"):  # worker processes of a large scan can then encode the findings themselves
        if fmt == "json":
            from hipaa_scan.report.jsonfmt import finding_encoder
        else:
            from hipaa_scan.report.sarif import finding_encoder
        options.finding_encoder = finding_encoder
    fail_on = fail_on or options.fail_on or "high"
    try:
        result = scan_paths(list(paths) or ([] if compose_files else ["."]), options)
    except RuleLoadError as exc:
        fail(str(exc))
    emit(result, fmt, output, no_color, quiet, fail_on, show_suppressed=show_suppressed, category=category,
         guard=guard)
    sys.exit(result.exit_code(fail_on))


def _found_config() -> Optional[str]:
    from hipaa_scan.config import find_config

    found = find_config()
    return str(found) if found else None


def _do_scan_standalone(params: dict) -> NoReturn:
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


def _define_click_commands() -> dict:
    """Define the click group `main` and its commands, and return them (and the option decorators) by name.
    Run once, on first use; this is where click is imported."""
    import click

    @click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_HELP)
    @click.version_option(__version__, "--version", prog_name="hipaa-scan")
    def main() -> None:
        """hipaa-scan: HIPAA Security Rule checks for Dockerfiles, Compose projects, env files and live Docker hosts.

        Every finding names the 45 CFR 164 safeguard it relates to. A finding relates to a safeguard; it is not a
        legal verdict.
        """

    def scan_options(func):
        options = [
            click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                         show_default=True, help="Report format."),
            click.option("--output", "-o", type=click.Path(dir_okay=False),
                         help="Write the report to FILE instead of stdout."),
            click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
                         help="Exit 1 when an unsuppressed finding is at or above this severity (default: the "
                              "configuration's fail-on, else high)."),
            click.option("--select", multiple=True, metavar="IDS",
                         help="Run only these rules: ids, id prefixes (HS4) or names; comma-separated, repeatable."),
            click.option("--ignore", multiple=True, metavar="IDS", help="Skip these rules (same forms as --select)."),
            click.option("--rules-dir", multiple=True, type=click.Path(file_okay=False),
                         help="Also load declarative YAML rules from DIR (repeatable)."),
            click.option("--category", help="SARIF runAutomationDetails.id, to keep several uploads apart."),
            click.option("--no-color", is_flag=True,
                         help="No colour (also when NO_COLOR is set or output is not a terminal)."),
            click.option("-q", "--quiet", is_flag=True,
                         help="Print only findings at or above --fail-on and errors; nothing when clean."),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    def policy_options(func):
        """Configuration, suppressions and baselines: what a team tunes."""
        options = [
            click.option("--config", "config_path", type=click.Path(dir_okay=False),
                         help="Configuration file (default: .hipaa-scan.yaml or [tool.hipaa-scan] in pyproject.toml, "
                              "found from the working directory upward)."),
            click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
                         help="Hide the findings recorded in this baseline (see `hipaa-scan baseline create`)."),
            click.option("--show-suppressed", is_flag=True, help="List suppressed findings (with their reasons) too."),
            click.option("--strict", is_flag=True, help="Report inline suppressions that suppress nothing."),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    @main.command()
    @click.argument("paths", nargs=-1, type=click.Path())
    @scan_options
    @policy_options
    @click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable).")
    @click.option("-f", "--file", "compose_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="Compose file of the project to scan, merged in order as `docker compose -f` does (repeatable). "
                       "Its Dockerfiles and env files are scanned too; PATHS then default to none.")
    @click.option("--env-file", "env_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="Interpolate Compose files with this env file instead of the project's .env (repeatable; "
                       "a later file wins).")
    @click.option("--profile", "profiles", multiple=True, metavar="NAME",
                  help="Only services without profiles or with this profile (repeatable; default: every service).")
    @click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, metavar="N",
                  help="Worker processes for large trees (0: one per CPU from 300 files on; 1: a single process). "
                       "The result is the same either way.")
    def scan(**params):
        """Scan Dockerfiles, compose files and env files under PATHS (default: the current directory).

        A directory's compose.yaml (with its override file, or COMPOSE_FILE from its .env) is scanned as the Compose
        project it defines: interpolated, merged, extended and included as `docker compose config` would."""
        do_scan(**params)

    @main.group()
    def baseline():
        """Record today's findings so that only new ones are reported."""

    @baseline.command("create")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.argument("paths", nargs=-1, type=click.Path())
    @click.option("--reason", help="Why these findings are accepted (shown as the suppression's justification).")
    @click.option("--owner", help="Who answers for them.")
    @click.option("--expires", metavar="YYYY-MM-DD", help="After this date the entries stop hiding findings.")
    @click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file.")
    @click.option("--select", multiple=True, metavar="IDS", help="Only these rules.")
    @click.option("--ignore", multiple=True, metavar="IDS", help="Not these rules.")
    @click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB.")
    @click.option("--rules-dir", multiple=True, type=click.Path(file_okay=False), help="Also load rules from DIR.")
    def baseline_create(file, paths, reason, owner, expires, config_path, select, ignore, exclude, rules_dir):
        """Scan PATHS (default .) and write every unsuppressed finding's fingerprint to FILE.

        Only rule id, path, resource and fingerprint are stored: never a message, a line or a value."""
        import json

        from hipaa_scan import baseline as baseline_mod
        from hipaa_scan.engine import scan_paths

        if expires:
            try:
                baseline_mod.parse_date(expires)
            except baseline_mod.BaselineError as exc:
                fail(str(exc))
        options = build_options(select, ignore, exclude, rules_dir, config_path)
        result = scan_paths(list(paths) or ["."], options)
        data = baseline_mod.create(result.findings, reason, owner, expires)
        try:
            with open(file, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
        except OSError as exc:
            fail(f"cannot write {file}: {exc.strerror or exc}")
        _echo_err(f"baseline {file}: {len(data['entries'])} findings recorded")
        for err in result.errors:
            _echo_err(f"hipaa-scan: {err.path}: {err.message}")
        sys.exit(2 if result.errors else 0)

    @main.command("rules")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @click.option("--rules-dir", multiple=True, type=click.Path(file_okay=False), help="Include rules from DIR.")
    def rules_cmd(fmt, rules_dir):
        """List the rule catalog."""
        from hipaa_scan.docs import catalog_json, catalog_text
        from hipaa_scan.rules import RuleLoadError, load_rules

        try:
            rules = load_rules(rules_dirs=rules_dir)
        except RuleLoadError as exc:
            fail(str(exc))
        metas = [r.meta for r in rules]
        click.echo(catalog_json(metas) if fmt == "json" else catalog_text(metas), nl=False)

    @main.command()
    @click.argument("rule")
    def explain(rule):
        """Print the documentation of RULE (an id such as HS101, or a name such as root-user)."""
        from hipaa_scan.docs import rule_page
        from hipaa_scan.rules import load_rules

        rules = load_rules()
        for r in rules:
            if rule.upper() == r.meta.id or rule == r.meta.name:
                click.echo(_visible_lines(rule_page(r.meta)), nl=False)
                return
        fail(f"no rule {rule!r}; `hipaa-scan rules` lists them")

    @main.command()
    @click.option("--host", "hosts", multiple=True, metavar="URL",
                  help="Engine to audit: unix:///path, tcp://host:port or ssh://user@host (repeatable; engines are "
                       "audited concurrently into one report). Default: DOCKER_HOST and the TLS variables.")
    @click.option("--context", "context", metavar="NAME", help="Audit the engine of this Docker CLI context.")
    @click.option("--all", "all_containers", is_flag=True, help="Also audit created and stopped containers.")
    @click.option("--container", "containers", multiple=True, metavar="NAME|ID",
                  help="Only this container (repeatable).")
    @click.option("--label", "labels", multiple=True, metavar="KEY[=VALUE]",
                  help="Only containers with this label (repeatable; all must match).")
    @click.option("--from-inspect", "from_inspect", multiple=True, type=click.Path(dir_okay=False),
                  help="Analyse saved `docker inspect` JSON (one container or a list) instead of an engine "
                       "(repeatable).")
    @click.option("--from-info", "from_info", type=click.Path(dir_okay=False),
                  help="Saved `docker info --format '{{json .}}'` output, for the engine-level checks offline.")
    @click.option("--evidence", "evidence_dir", type=click.Path(file_okay=False),
                  help="Write an evidence folder (inspect JSON with environment values masked, engine info, "
                       "reports, SHA-256 manifest). A non-empty DIR gets a new scan-<UTC time> subfolder; nothing is "
                       "overwritten.")
    @click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
                  help="Seconds an engine has to answer each request completely: connecting, the headers and "
                       "the whole answer (a slow or endless answer is cut there).")
    @click.option("--audit-timeout", type=click.FloatRange(min=0.1), default=600.0, show_default=True,
                  help="Seconds for the whole audit, every request to every engine; containers not inspected by "
                       "then are reported as not audited.")
    @scan_options
    @policy_options
    def live(hosts, context, all_containers, containers, labels, from_inspect, from_info, evidence_dir, timeout,
             audit_timeout, fmt, output, fail_on, select, ignore, rules_dir, category, no_color, quiet, config_path,
             baseline_path, show_suppressed, strict):
        """Audit the containers of live Docker engines, read-only (GET requests only), or saved inspect JSON.

        Running containers by default; every rule that applies to containers runs on each one, plus engine-level
        checks from `docker info`. See docs/live.md for the auditor workflow and the evidence folder."""
        from hipaa_scan import live as live_mod
        from hipaa_scan.rules import RuleLoadError

        offline = bool(from_inspect or from_info)
        if offline and (hosts or context):
            fail("--from-inspect/--from-info analyse saved files; do not combine them with --host or --context")
        options = build_options(select, ignore, (), rules_dir, config_path, baseline_path, strict)
        guard = output_guard(output, list(from_inspect) + [from_info, config_path or _found_config(), baseline_path],
                             list(rules_dir)) if output else None
        fail_on = fail_on or options.fail_on or "high"
        try:
            selection = live_mod.Selection(all_containers, tuple(containers), tuple(labels)).check()
            if offline:
                run = live_mod.analyse_files(from_inspect, from_info, selection)
            else:
                targets = live_mod.resolve_targets(hosts, context)
                run = live_mod.audit(targets, selection, timeout, live_mod.Progress(), audit_timeout)
            result = live_mod.scan(run, options)
            evidence = live_mod.write_evidence(evidence_dir, run, result, category) if evidence_dir else None
        except (live_mod.LiveError, RuleLoadError) as exc:
            fail(str(exc))
        if evidence is not None:
            moved = " (the folder was not empty: a new subfolder)" if evidence.redirected else ""
            _echo_err(f"hipaa-scan: evidence written to {evidence.folder}{moved}")
        if fmt == "json":
            emit(result, fmt, output, no_color, quiet, fail_on, show_suppressed=show_suppressed, category=category,
                 guard=guard)
        else:
            text = live_mod.render(result, run, fmt, color=_use_color(no_color, output), quiet=quiet, fail_on=fail_on,
                                   show_suppressed=show_suppressed, category=category, evidence=evidence)
            _write_output(output, lambda handle: handle.write(text), guard)
        sys.exit(result.exit_code(fail_on))

    return {"main": main, "scan": scan, "baseline": baseline, "baseline_create": baseline_create,
            "rules_cmd": rules_cmd, "explain": explain, "live": live, "scan_options": scan_options,
            "policy_options": policy_options}


_CLICK_NAMES = ("main", "scan", "baseline", "baseline_create", "rules_cmd", "explain", "live", "scan_options",
                "policy_options")


def _click_group():
    """The click group `main`, defining it (and importing click) on first use."""
    if "main" not in globals():
        globals().update(_define_click_commands())
    return globals()["main"]


def __getattr__(name: str):
    """`cli.main`, `cli.scan` and the other click objects are defined on first lookup (PEP 562)."""
    if name in _CLICK_NAMES:
        _click_group()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run() -> None:
    """Entry point wrapper: an unexpected error is one line and exit 2, never a traceback.

    A `scan` command line that fastcli understands runs without importing click; any other goes to click. The
    cyclic garbage collector stays on: engine.scan_paths turns it off for the scan alone."""
    try:
        from hipaa_scan import fastcli

        params = None if fastcli.click_required() else fastcli.parse_scan(sys.argv[1:])
        if params is None:
            _click_group()(standalone_mode=True)
        else:
            _do_scan_standalone(params)
    except KeyboardInterrupt:
        _echo_err("hipaa-scan: interrupted")
        sys.exit(130)
    except Exception as exc:  # pragma: no cover - last line of defence
        if os.environ.get("HIPAA_SCAN_DEBUG"):
            raise
        _echo_err(f"hipaa-scan: internal error: {type(exc).__name__} (set HIPAA_SCAN_DEBUG=1 for details)")
        sys.exit(2)
