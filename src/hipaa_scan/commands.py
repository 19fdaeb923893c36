"""The click commands of hipaa-scan, module-level and generated from the option table (options.py): each command
here is its parameters from `options.click_params` and a body that calls `actions`. click is imported here, so this
module is loaded only when a command line needs click (cli.run reads common `scan` command lines itself).
"""

from __future__ import annotations

import os
import sys

import click

from hipaa_scan import __version__, options
from hipaa_scan.actions import (EXIT_HELP, build_options, do_scan, echo_err, emit, fail, output_guard,
                                visible_lines)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_HELP)
@click.version_option(__version__, "--version", prog_name="hipaa-scan")
def main() -> None:
    """hipaa-scan: HIPAA Security Rule checks for Dockerfiles, Compose projects, env files and live Docker hosts.

    Every finding names the 45 CFR 164 safeguard it relates to. A finding relates to a safeguard; it is not a
    legal verdict.
    """



@main.command("scan", params=options.click_params("scan"))
def scan(**params: Any) -> None:
    """Scan Dockerfiles, compose files and env files under PATHS (default: the current directory).

    A directory's compose.yaml (with its override file, or COMPOSE_FILE from its .env) is scanned as the Compose
    project it defines: interpolated, merged, extended and included as `docker compose config` would."""
    do_scan(**params)


@main.group()
def baseline() -> None:
    """Record today's findings so that only new ones are reported."""


@baseline.command("create", params=options.click_params("baseline create"))
def baseline_create(file: str, paths: Tuple[str, ...], reason: Optional[str], owner: Optional[str],
                    expires: Optional[str], config_path: Optional[str], select: Tuple[str, ...],
                    ignore: Tuple[str, ...], exclude: Tuple[str, ...], rules_dir: Tuple[str, ...]) -> None:
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
    echo_err(f"baseline {file}: {len(data['entries'])} findings recorded")
    for err in result.errors:
        echo_err(f"hipaa-scan: {err.path}: {err.message}")
    sys.exit(2 if result.errors else 0)


@main.command("rules", params=options.click_params("rules"))
def rules_cmd(fmt: str, rules_dir: Tuple[str, ...]) -> None:
    """List the rule catalog."""
    from hipaa_scan.docs import catalog_json, catalog_text
    from hipaa_scan.rules import RuleLoadError, load_rules

    try:
        rules = load_rules(rules_dirs=rules_dir)
    except RuleLoadError as exc:
        fail(str(exc))
    metas = [r.meta for r in rules]
    click.echo(catalog_json(metas) if fmt == "json" else catalog_text(metas), nl=False)


@main.command("explain", params=options.click_params("explain"))
def explain(rule: str) -> None:
    """Print the documentation of RULE (an id such as HS101, or a name such as root-user)."""
    from hipaa_scan.docs import rule_page
    from hipaa_scan.rules import load_rules

    rules = load_rules()
    for r in rules:
        if rule.upper() == r.meta.id or rule == r.meta.name:
            click.echo(visible_lines(rule_page(r.meta)), nl=False)
            return
    fail(f"no rule {rule!r}; `hipaa-scan rules` lists them")


@main.command("live", params=options.click_params("live"))
def live(hosts: Tuple[str, ...], context: Optional[str], all_containers: bool, containers: Tuple[str, ...],
         labels: Tuple[str, ...], from_inspect: Tuple[str, ...], from_info: Optional[str],
         evidence_dir: Optional[str], sign_key: Optional[str], timeout: float, audit_timeout: float, fmt: str, output: Optional[str],
         fail_on: Optional[str], select: Tuple[str, ...], ignore: Tuple[str, ...], rules_dir: Tuple[str, ...],
         category: Optional[str], no_color: bool, quiet: bool, config_path: Optional[str], no_config: bool,
         baseline_path: Optional[str], show_suppressed: bool, strict: bool) -> None:
    """Audit the containers of live Docker engines, read-only (GET requests only), or saved inspect JSON.

    Running containers by default; every rule that applies to containers runs on each one, plus engine-level
    checks from `docker info`. See docs/live.md for the auditor workflow and the evidence folder."""
    from hipaa_scan import live as live_mod
    from hipaa_scan.rules import RuleLoadError

    offline = bool(from_inspect or from_info)
    if offline and (hosts or context):
        fail("--from-inspect/--from-info analyse saved files; do not combine them with --host or --context")
    if sign_key is not None and not evidence_dir:
        fail("--sign-key signs the evidence manifest: give --evidence DIR too")
    if sign_key is not None and not os.path.isfile(sign_key):
        fail(f"cannot sign the evidence manifest with {sign_key}: no such key file")
    from hipaa_scan.runrecord import RunRecord

    record = RunRecord("live")
    options = build_options(select, ignore, (), rules_dir, config_path, baseline_path, strict, no_config, record)
    guard = output_guard(output, list(from_inspect) + [from_info, options.config_path, options.baseline_path,
                                                       sign_key], list(rules_dir)) if output else None
    if options.config_path:  # a configuration changes what an audit reports: say which one, as the evidence does
        echo_err(f"hipaa-scan: configuration {options.config_path} (sha256 {options.config_sha256}); --no-config "
                 "to audit without it")
    fail_on = fail_on or options.fail_on or "high"  # (the configuration's, set by build_options)
    try:
        selection = live_mod.Selection(all_containers, tuple(containers), tuple(labels)).check()
        if offline:
            run = live_mod.analyse_files(from_inspect, from_info, selection)
        else:
            targets = live_mod.resolve_targets(hosts, context)
            run = live_mod.audit(targets, selection, timeout, live_mod.Progress(), audit_timeout)
            for cap in run.captures:  # an engine that failed is named by its error line instead
                if cap.error is None:
                    echo_err(f"hipaa-scan: audited the Docker engine at {cap.target.shown} (chosen by "
                             f"{cap.target.origin})")
        run.config = {"path": options.config_path, "sha256": options.config_sha256} if options.config_path else None
        result = live_mod.scan(run, options)
        record.fail_on = fail_on
        live_mod.record_run(record, run, from_inspect, from_info)
        result.record = record
        evidence = live_mod.write_evidence(evidence_dir, run, result, category, sign_key) if evidence_dir else None
    except (live_mod.LiveError, RuleLoadError) as exc:
        fail(str(exc))
    if evidence is not None:
        moved = " (the folder was not empty: a new subfolder)" if evidence.redirected else ""
        echo_err(f"hipaa-scan: evidence written to {evidence.folder}{moved}")
    emit(result, fmt, output, no_color, quiet, fail_on, show_suppressed=show_suppressed, category=category,
         guard=guard, **live_mod.report_options(run, evidence))
    if evidence is not None:  # last, so that it can be copied from the end of the run and recorded elsewhere
        echo_err(f"hipaa-scan: evidence manifest SHA-256 {evidence.manifest_sha256} "
                 f"({os.path.join(evidence.folder, 'MANIFEST.sha256')})")
        if evidence.signature:
            echo_err(f"hipaa-scan: evidence manifest signed: {evidence.signature}")
        elif evidence.sign_error:
            fail(f"{evidence.sign_error}; the evidence in {evidence.folder} is kept, unsigned")
    sys.exit(result.exit_code(fail_on))
