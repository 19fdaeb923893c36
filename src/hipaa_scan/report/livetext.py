"""Terminal report of a live audit: the engines, one section per container (findings or "no findings"), then a
per-safeguard summary naming the containers with findings under each HIPAA safeguard.

Shares report/text.py's severity styles and its quiet mode (the pre-commit style list of findings at or above
--fail-on); colour only on a terminal, never with NO_COLOR or --no-color.
"""

from __future__ import annotations

import io

from hipaa_scan.hipaa import cited
from hipaa_scan.model import SEVERITIES, SEVERITY_RANK, Finding, ScanResult
from hipaa_scan.report import text as plain
from hipaa_scan.report.text import STYLE
from hipaa_scan.visible import markup

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, TextIO

MAX_NAMES = 12  # containers named per safeguard row; the per-container sections have the rest


def render(result: ScanResult, color: bool = False, quiet: bool = False, fail_on: str = "high",
           show_suppressed: bool = False, width: int = 0, inventory: Optional[Sequence[Dict[str, Any]]] = None,
           run: Any = None, **_: Any) -> str:
    if quiet:
        return plain.render(result, color=color, quiet=True, fail_on=fail_on, width=width)
    from rich.console import Console

    if not width:
        import shutil

        width = max(100, shutil.get_terminal_size((120, 24)).columns) if color else 120
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                      width=width, highlight=False, soft_wrap=True, emoji=False)  # `:smile:` stays text
    inventory = list(inventory or [])
    engines = [i for i in inventory if i["kind"] == "engine"]
    containers = [i for i in inventory if i["kind"] == "container"]
    shown = [f for f in result.findings if show_suppressed or not f.suppressed]
    by_path: Dict[str, List[Finding]] = {}
    for f in shown:
        by_path.setdefault(f.location.path, []).append(f)

    when = ""
    if run is not None and getattr(run, "started", None) is not None:
        when = f" at {run.started.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    mode = "saved inspect JSON" if run is not None and getattr(run, "offline", False) else "live"
    console.print(f"[bold]hipaa-scan {mode} audit{markup(when)}:[/] {_count(len(containers), 'container')} on "
                  f"{_count(len(engines), 'engine') if engines else 'no engine info'}")
    console.print()
    plain.header(console, buffer, result, color)

    for item in engines:
        facts = ", ".join(x for x in (f"Docker {item['version']}" if item.get("version") else "",
                                      f"API {item['api']}" if item.get("api") else "", item.get("os") or "",
                                      item.get("host") or "") if x)
        _section(console, f'engine "{item["name"]}"', facts, by_path.pop(item["path"], []))
    for item in containers:
        facts = "  ".join(x for x in (item.get("image") or "", item.get("state") or "") if x)
        _section(console, f'container "{item["name"]}"', facts, by_path.pop(item["path"], []))
    for path, findings in by_path.items():  # findings on something not in the inventory (should not happen)
        _section(console, path, "", findings)

    for err in result.errors:
        console.print(f"[bold red]error[/] {markup(err.path)}: {markup(err.message)}")
    if result.errors:
        console.print()

    active = result.active()
    if active:
        per: Dict[str, Any] = {}
        for f in active:
            for cite in f.hipaa:
                counts, names = per.setdefault(cite, ({s: 0 for s in SEVERITIES}, set()))
                counts[f.severity] += 1
                names.add(_name(f))
        console.print(plain.safeguard_table(per, "Containers and engines with findings", _listed))

    plain.control_summary(console, buffer, result, color)
    tally = result.tally()
    parts = [f"{tally.by_severity[s]} {s}" for s in reversed(SEVERITIES) if tally.by_severity[s]]
    affected = {f.location.path for f in active if f.location.path.startswith("container://")}
    line = (f"{_count(tally.active, 'finding')}" + (f" ({', '.join(parts)})" if parts else "")
            + f" on {len(affected)} of {_count(len(containers), 'container')}"
            + (f" and {_count(len(engines), 'engine')}" if engines else "") + f", {_count(len(result.rules), 'rule')}")
    if tally.suppressed:
        line += f", {tally.suppressed} suppressed"
    if result.errors:
        line += f", {_count(len(result.errors), 'error')}"
    if run is not None and getattr(run, "seconds", None):
        line += f"; scanned in {run.seconds:.1f} s"
    console.print(line)
    for note in result.notes:
        console.print(f"[dim]note: {markup(note)}[/]")
    return buffer.getvalue()


def write(result: ScanResult, handle: TextIO, **options: Any) -> None:
    """What render() returns, written to `handle` (the report is laid out whole: its sections are grouped by
    container and its summary by safeguard)."""
    handle.write(render(result, **options))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _name(f: Finding) -> str:
    kind, _, name = f.resource.partition(":")
    return name if kind == "container" else f"engine {name}"


def _section(console, heading: str, facts: str, findings: List[Finding]) -> None:
    # names, facts and findings come from the engine and its containers: markup() shows their control characters
    # as escapes and keeps rich from reading their brackets as styles
    console.print(f"[bold underline]{markup(heading)}[/]" + (f"  [dim]{markup(facts)}[/]" if facts else ""))
    if not findings:
        console.print("  [green]no findings[/]")
    for f in sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], f.rule_id, f.location.key or "")):
        sev = f"[{STYLE[f.severity]}]{f.severity.upper():<8}[/]"
        where = f"  [dim]{markup(f.location.key)}[/]" if f.location.key else ""
        tag = " [dim](suppressed: " + markup(f.suppression.justification) + ")[/]" if f.suppression else ""
        console.print(f"  {sev} [bold]{markup(f.rule_id)}[/] {markup(f.rule_name)}{where}{tag}")
        console.print(f"      {markup(f.message)}")
        console.print(f"      [dim]HIPAA {markup(cited(f.hipaa))}[/]")
    console.print()


def _listed(names: List[str]) -> str:
    return ", ".join(names[:MAX_NAMES]) + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")
