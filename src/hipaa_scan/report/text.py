"""Terminal report (rich): findings grouped by file, severity-coloured, the offending line shown, then a summary
per HIPAA safeguard. Colour only on a terminal, never with NO_COLOR or --no-color."""

from __future__ import annotations

import io

from hipaa_scan.hipaa import cited, label, sort_key, title
from hipaa_scan.model import SEVERITIES, SEVERITY_RANK, Finding, ScanResult
from hipaa_scan.visible import markup, visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, List, Mapping, TextIO, Tuple

STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def render(result: ScanResult, color: bool = False, quiet: bool = False, fail_on: str = "high",
           show_suppressed: bool = False, width: int = 0, **_: Any) -> str:
    buffer = io.StringIO()
    write(result, buffer, color, quiet, fail_on, show_suppressed, width)
    return buffer.getvalue()


def write(result: ScanResult, buffer: TextIO, color: bool = False, quiet: bool = False, fail_on: str = "high",
          show_suppressed: bool = False, width: int = 0, **_: Any) -> None:
    """The report, written to `buffer` as it is produced (a large report is never held as one string, and its
    findings are read once, in order: they are grouped by file as they come)."""
    tally = result.tally()
    if quiet:
        threshold = SEVERITY_RANK.get(fail_on, len(SEVERITIES))
        shown = (f for f in result.findings if not f.suppressed and SEVERITY_RANK[f.severity] >= threshold)
        if not result.errors and not any(tally.by_severity[s] for s in SEVERITIES[threshold:]):
            return  # the pre-commit case: nothing to say, and rich is never imported
    else:
        shown = (f for f in result.findings if show_suppressed or not f.suppressed)
    from rich.console import Console

    if not width:
        import shutil

        width = max(100, shutil.get_terminal_size((120, 24)).columns) if color else 120
    console = Console(file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                      width=width, highlight=False, soft_wrap=True, emoji=False)  # `:smile:` stays text
    if not quiet:
        header(console, buffer, result, color)

    path = None
    for f in shown:  # sorted by file first, so one file's findings come together
        if f.location.path != path:
            if path is not None:
                buffer.write("\n")
            path = f.location.path
            if color:
                console.print(f"[bold underline]{markup(path)}[/]")
            else:
                buffer.write(f"{visible(path)}\n")
        # every text that comes from a scanned file, a file name, a rule file or a configuration goes through
        # visible() (markup() for rich): a control character in it is shown as an escape, never sent raw
        if color:
            sev = f"[{STYLE[f.severity]}]{f.severity.upper():<8}[/]"
            tag = " [dim](suppressed: " + markup(f.suppression.justification) + ")[/]" if f.suppression else ""
            console.print(f"  {markup(path + _where(f))}  {sev} [bold]{markup(f.rule_id)}[/] {markup(f.rule_name)}{tag}")
            console.print(f"      {markup(f.message)}")
            if f.snippet:
                console.print(f"      [dim]│[/] {markup(f.snippet)}")
            console.print(f"      [dim]HIPAA {markup(cited(f.hipaa))}[/]")
        else:  # the same lines without styles, written directly: rich's markup pass costs more than the scan
            tag = f" (suppressed: {visible(f.suppression.justification)})" if f.suppression else ""
            buffer.write(f"  {visible(path + _where(f))}  {f.severity.upper():<8} {visible(f.rule_id)} "
                         f"{visible(f.rule_name)}{tag}\n      {visible(f.message)}\n")
            if f.snippet:
                buffer.write(f"      │ {visible(f.snippet)}\n")
            buffer.write(f"      HIPAA {visible(cited(f.hipaa))}\n")
    if path is not None:
        buffer.write("\n")
    for err in result.errors:
        console.print(f"[bold red]error[/] {markup(err.path)}: {markup(err.message)}")
    if result.errors:
        console.print()
    if quiet:
        return

    if tally.active:
        per = {cite: (counts, tally.rules_by_safeguard[cite]) for cite, counts in tally.by_safeguard.items()}
        console.print(safeguard_table(per, "Rules", ", ".join))
    control_summary(console, buffer, result, color)
    parts = [f"{tally.by_severity[s]} {s}" for s in reversed(SEVERITIES) if tally.by_severity[s]]
    line = (f"{tally.active} finding{'s' if tally.active != 1 else ''}"
            + (f" ({', '.join(parts)})" if parts else "")
            + f" in {result.files_scanned} file{'s' if result.files_scanned != 1 else ''}"
            + f", {len(result.rules)} rule{'s' if len(result.rules) != 1 else ''}")
    if tally.suppressed:
        line += f", {tally.suppressed} suppressed"
    if result.errors:
        line += f", {len(result.errors)} error{'s' if len(result.errors) != 1 else ''}"
    console.print(line)
    for note in result.notes:
        console.print(f"[dim]{markup(note)}[/]")


def header(console: Any, buffer: TextIO, result: ScanResult, color: bool) -> None:
    """The run record's short header (runrecord.header_lines), then a blank line."""
    from hipaa_scan.runrecord import header_lines, record_of

    _lines(console, buffer, header_lines(record_of(result)), color)
    buffer.write("\n")


def control_summary(console: Any, buffer: TextIO, result: ScanResult, color: bool) -> None:
    """The control-by-control view, compact (controls.summary_lines), then a blank line."""
    from hipaa_scan.controls import summary_lines, view

    _lines(console, buffer, summary_lines(view(result)), color)
    buffer.write("\n")


def _lines(console: Any, buffer: TextIO, lines: List[str], color: bool) -> None:
    for line in lines:  # a configuration path or rule name may hold anything: shown with visible()/markup()
        if color:
            console.print(f"[dim]{markup(line)}[/]")
        else:
            buffer.write(visible(line) + "\n")


def _where(f: Finding) -> str:
    return f":{f.location.line}" if f.location.line else (f" {f.location.key}" if f.location.key else "")


def safeguard_table(per: Mapping[str, Tuple[Mapping[str, int], Iterable[str]]], last: str,
                    listed: Callable[[List[str]], str]):
    """The per-safeguard summary: each HIPAA citation with its finding count per severity, the worst of them and,
    in the column named `last`, its sorted names (rules, containers...) as `listed` writes them."""
    from rich.table import Table

    table = Table(title="Findings by HIPAA safeguard (45 CFR)", title_justify="left")
    table.add_column("Safeguard", no_wrap=True)
    table.add_column("Title")
    table.add_column("Findings", justify="right")
    table.add_column("Worst")
    table.add_column(last)
    for cite in sorted(per, key=sort_key):
        counts, names = per[cite]
        worst = max((s for s in SEVERITIES if counts[s]), key=SEVERITY_RANK.__getitem__)
        table.add_row(markup(label(cite)), markup(_titled(cite)), str(sum(counts.values())), f"[{STYLE[worst]}]{worst}[/]",
                      markup(listed(sorted(names))))
    return table


def _titled(cite: str) -> str:
    """A citation's heading, with the rule of Part 164 when it is not the Security Rule (164.502(e) is the Privacy
    Rule's)."""
    from hipaa_scan.hipaa import SECURITY, rule_of

    rule = rule_of(cite)
    return title(cite) + (f" ({rule})" if rule and rule != SECURITY else "")
