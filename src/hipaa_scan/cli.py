"""Command line. Heavy libraries (docker, jsonschema, rich, sarif_om) are imported only on the paths that use them."""

from __future__ import annotations

import os
import sys
from typing import List, Optional, Sequence

import click

from hipaa_scan import __version__

FAIL_ON = ["critical", "high", "medium", "low", "info", "never"]
EXIT_HELP = """Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
2 usage error, unreadable path, a file that could not be parsed, or an engine error (the rest is still scanned)."""


def _split(values: Sequence[str]) -> List[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def fail(message: str) -> "NoReturn":  # type: ignore[name-defined]
    click.echo(f"hipaa-scan: error: {message}", err=True)
    sys.exit(2)


def _use_color(no_color: bool, output: Optional[str]) -> bool:
    if no_color or output or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def emit(result, fmt: str, output: Optional[str], no_color: bool, quiet: bool, fail_on: str,
         show_suppressed: bool = False, category: Optional[str] = None) -> None:
    if fmt == "json":
        from hipaa_scan.report import jsonfmt as reporter
    elif fmt == "sarif":
        from hipaa_scan.report import sarif as reporter  # type: ignore[no-redef]
    else:
        from hipaa_scan.report import text as reporter  # type: ignore[no-redef]
    text = reporter.render(result, color=_use_color(no_color, output), quiet=quiet, fail_on=fail_on,
                           show_suppressed=show_suppressed, category=category)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    elif text:
        click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_HELP)
@click.version_option(__version__, "--version", prog_name="hipaa-scan")
def main() -> None:
    """hipaa-scan: HIPAA Security Rule checks for Dockerfiles, Compose projects, env files and live Docker hosts.

    Every finding names the 45 CFR 164 safeguard it relates to. A finding relates to a safeguard; it is not a
    legal verdict.
    """


def scan_options(func):
    options = [
        click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text",
                     show_default=True, help="Report format."),
        click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to FILE instead of stdout."),
        click.option("--fail-on", type=click.Choice(FAIL_ON), default="high", show_default=True,
                     help="Exit 1 when an unsuppressed finding is at or above this severity."),
        click.option("--select", multiple=True, metavar="IDS",
                     help="Run only these rules: ids, id prefixes (HS4) or names; comma-separated, repeatable."),
        click.option("--ignore", multiple=True, metavar="IDS", help="Skip these rules (same forms as --select)."),
        click.option("--rules-dir", multiple=True, type=click.Path(file_okay=False),
                     help="Also load declarative YAML rules from DIR (repeatable)."),
        click.option("--category", help="SARIF runAutomationDetails.id, to keep several uploads apart."),
        click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set or output is not a terminal)."),
        click.option("-q", "--quiet", is_flag=True,
                     help="Print only findings at or above --fail-on and errors; nothing when clean."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_options(select, ignore, excludes, rules_dir):
    from hipaa_scan.engine import ScanOptions

    return ScanOptions(select=_split(select), ignore=_split(ignore), excludes=list(excludes),
                       rules_dirs=list(rules_dir))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@scan_options
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable).")
def scan(paths, fmt, output, fail_on, select, ignore, rules_dir, category, no_color, quiet, exclude):
    """Scan Dockerfiles, compose files and env files under PATHS (default: the current directory)."""
    from hipaa_scan.engine import scan_paths
    from hipaa_scan.rules import RuleLoadError

    options = build_options(select, ignore, exclude, rules_dir)
    try:
        result = scan_paths(list(paths) or ["."], options)
    except RuleLoadError as exc:
        fail(str(exc))
    emit(result, fmt, output, no_color, quiet, fail_on, category=category)
    sys.exit(result.exit_code(fail_on))


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rules-dir", multiple=True, type=click.Path(file_okay=False), help="Include rules from DIR.")
def rules_cmd(fmt, rules_dir):
    """List the rule catalog."""
    from hipaa_scan.docs import catalog_json, catalog_text
    from hipaa_scan.rules import RuleLoadError, load_rules

    try:
        rules, _ = load_rules(rules_dirs=rules_dir)
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

    rules, _ = load_rules()
    for r in rules:
        if rule.upper() == r.meta.id or rule == r.meta.name:
            click.echo(rule_page(r.meta), nl=False)
            return
    fail(f"no rule {rule!r}; `hipaa-scan rules` lists them")


def run() -> None:
    """Entry point wrapper: an unexpected error is one line and exit 2, never a traceback."""
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("hipaa-scan: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # pragma: no cover - last line of defence
        if os.environ.get("HIPAA_SCAN_DEBUG"):
            raise
        click.echo(f"hipaa-scan: internal error: {type(exc).__name__} (set HIPAA_SCAN_DEBUG=1 for details)", err=True)
        sys.exit(2)
