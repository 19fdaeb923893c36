"""Terminal report (rich): findings grouped by file, severity-coloured, the offending line shown, then a summary
per HIPAA safeguard. Colour only on a terminal, never with NO_COLOR or --no-color."""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import Any, Callable, Dict, List, TextIO

from hipaa_scan.hipaa import sort_key, title
from hipaa_scan.model import SEVERITIES, SEVERITY_RANK, Finding, ScanResult

STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def render(result: ScanResult, color: bool = False, quiet: bool = False, fail_on: str = "high",
           show_suppressed: bool = False, width: int = 0, **_: Any) -> str:
    buffer = io.StringIO()
    write(result, buffer, color, quiet, fail_on, show_suppressed, width)
    return buffer.getvalue()


def write(result: ScanResult, buffer: TextIO, color: bool = False, quiet: bool = False, fail_on: str = "high",
          show_suppressed: bool = False, width: int = 0, **_: Any) -> None:
    """The report, written to `buffer` as it is produced (a large report is never held as one string)."""
    shown = [f for f in result.findings if show_suppressed or not f.suppressed]
    if quiet:
        threshold = SEVERITY_RANK.get(fail_on, len(SEVERITIES))
        shown = [f for f in shown if not f.suppressed and SEVERITY_RANK[f.severity] >= threshold]
        if not shown and not result.errors:
            return  # the pre-commit case: nothing to say, and rich is never imported
    from rich.console import Console
    from rich.markup import escape

    if not width:
        import shutil

        width = max(100, shutil.get_terminal_size((120, 24)).columns) if color else 120
    console = Console(file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                      width=width, highlight=False, soft_wrap=True)

    groups: "OrderedDict[str, List[Finding]]" = OrderedDict()
    for f in shown:
        groups.setdefault(f.location.path, []).append(f)
    if color:
        for path, findings in groups.items():
            console.print(f"[bold underline]{escape(path)}[/]")
            for f in findings:
                where = _where(f)
                sev = f"[{STYLE[f.severity]}]{f.severity.upper():<8}[/]"
                tag = " [dim](suppressed: " + escape(f.suppression.justification) + ")[/]" if f.suppression else ""
                console.print(f"  {escape(path)}{escape(where)}  {sev} [bold]{f.rule_id}[/] {escape(f.rule_name)}{tag}")
                console.print(f"      {escape(f.message)}")
                if f.snippet:
                    console.print(f"      [dim]│[/] {escape(f.snippet)}")
                console.print(f"      [dim]HIPAA {escape(', '.join(f.hipaa))}[/]")
            console.print()
    else:  # the same lines without styles, written directly: rich's markup pass costs more than the scan
        for path, findings in groups.items():
            buffer.write(f"{path}\n")
            for f in findings:
                tag = f" (suppressed: {f.suppression.justification})" if f.suppression else ""
                buffer.write(f"  {path}{_where(f)}  {f.severity.upper():<8} {f.rule_id} {f.rule_name}{tag}\n"
                             f"      {f.message}\n")
                if f.snippet:
                    buffer.write(f"      │ {f.snippet}\n")
                buffer.write(f"      HIPAA {', '.join(f.hipaa)}\n")
            buffer.write("\n")
    for err in result.errors:
        console.print(f"[bold red]error[/] {escape(err.path)}: {escape(err.message)}")
    if result.errors:
        console.print()
    if quiet:
        return

    active = result.active()
    if active:
        console.print(safeguard_table(active, "Rules", lambda f: f.rule_id, lambda names: ", ".join(names)))
    counts = {s: 0 for s in SEVERITIES}
    for f in active:
        counts[f.severity] += 1
    parts = [f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts[s]]
    suppressed = len(result.findings) - len(active)
    line = (f"{len(active)} finding{'s' if len(active) != 1 else ''}"
            + (f" ({', '.join(parts)})" if parts else "")
            + f" in {result.files_scanned} file{'s' if result.files_scanned != 1 else ''}"
            + f", {len(result.rules)} rule{'s' if len(result.rules) != 1 else ''}")
    if suppressed:
        line += f", {suppressed} suppressed"
    if result.errors:
        line += f", {len(result.errors)} error{'s' if len(result.errors) != 1 else ''}"
    console.print(line)
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/]")


def _where(f: Finding) -> str:
    return f":{f.location.line}" if f.location.line else (f" {f.location.key}" if f.location.key else "")


def safeguard_table(findings: List[Finding], last: str, label: Callable[[Finding], str],
                    listed: Callable[[List[str]], str]):
    """The per-safeguard summary: each HIPAA citation with its finding count, worst severity and, in the column
    named `last`, the sorted `label`s of its findings (rules, containers...) as `listed` writes them."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Findings by HIPAA safeguard (45 CFR)", title_justify="left")
    table.add_column("Safeguard", no_wrap=True)
    table.add_column("Title")
    table.add_column("Findings", justify="right")
    table.add_column("Worst")
    table.add_column(last)
    per: Dict[str, Any] = {}
    for f in findings:
        for cite in f.hipaa:
            counts, names = per.setdefault(cite, ({s: 0 for s in SEVERITIES}, set()))
            counts[f.severity] += 1
            names.add(label(f))
    for cite in sorted(per, key=sort_key):
        counts, names = per[cite]
        worst = max((s for s in SEVERITIES if counts[s]), key=SEVERITY_RANK.__getitem__)
        table.add_row(cite, title(cite), str(sum(counts.values())), f"[{STYLE[worst]}]{worst}[/]",
                      escape(listed(sorted(names))))
    return table
