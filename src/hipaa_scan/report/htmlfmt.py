"""HTML report: one self-contained page for people, scan and live alike (`--format html`, and `report.html` in every
evidence folder).

The page holds, in order: the summary, the run record (how the report was made: times, tool and catalog, the
effective configuration, the baseline, the scope), the control-by-control table (every provision the catalog cites
and every Security Rule standard and implementation specification, with its status, required or addressable, and
the rules that assess it: controls.view), the findings grouped by safeguard, each with its rule's remediation and a
link to the rule's page, and the errors and notes.

Self-contained and inert: no external asset (no font, image, stylesheet or link to load), no script, CSS inline
only, and a Content-Security-Policy that forbids scripts and loads should any get in. It prints (`@media print`).
Every value written into the page passes `_e`: visible() (control characters, bidi controls and lone surrogates as
escapes) then html.escape with quotes, so a file name, message, label or rule text that holds `<script>`, quotes or
`</style>` stays text. The markup around the values is this module's own.

Findings are read from the result's finding stream once per safeguard that has findings (a stream may be iterated
again and again; a large scan's is merged from files as it is read), so the page is written as it is produced and
the findings are never all held. A finding relating to several safeguards is shown in full under its rule's first
(primary) citation and named with a link under the others.
"""

from __future__ import annotations

from html import escape

from hipaa_scan import hipaa
from hipaa_scan.model import SEVERITIES, SEVERITY_RANK
from hipaa_scan.visible import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, TextIO, Tuple

    from hipaa_scan.controls import Control
    from hipaa_scan.model import Finding, ScanResult
    from hipaa_scan.rules.base import RuleMeta

# No network, no script: what a browser may load for this page (inline styles only)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
LINKED_ORIGINS = ("builtin", "declarative")  # the rules whose pages docs/rules/ holds (RuleMeta.help_uri)

STYLE = """
:root { --crit: #8b0000; --high: #c62828; --med: #b26a00; --low: #1565c0; --info: #555; --ok: #2e7d32;
        --line: #d0d4da; --soft: #f4f6f8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1b1f24; margin: 0 auto; max-width: 78rem; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
.lede { color: #444; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
tbody.section th.section { background: #e3e8ee; font-size: 1rem; }
table.controls td:nth-child(1) { width: 8.5rem; } table.controls td:nth-child(2) { width: 32%; }
table.controls td:nth-child(5) { width: 16%; } table.controls td:nth-child(6) { width: 4.5rem; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: var(--soft); border: 1px solid var(--line); padding: .4rem .6rem; white-space: pre-wrap;
      overflow-wrap: anywhere; margin: .3rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.tight { margin: .2rem 0; padding-left: 1.2rem; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0 1rem; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: .3rem; padding: .3rem .6rem; background: var(--soft); }
.sev { display: inline-block; min-width: 4.8rem; text-align: center; border-radius: .25rem; padding: 0 .3rem;
       color: #fff; font-weight: 600; font-size: .8rem; text-transform: uppercase; }
.sev.sev-critical { background: var(--crit); } .sev.sev-high { background: var(--high); }
.sev.sev-medium { background: var(--med); } .sev.sev-low { background: var(--low); }
.sev.sev-info { background: var(--info); }
.status { font-weight: 600; white-space: nowrap; }
.status-findings { color: var(--high); } .status-suppressed { color: var(--med); }
.status-passed { color: var(--ok); } .status-not-applicable, .status-excluded, .status-not-assessable { color: #555; }
tr.row-excluded td, tr.row-not-assessable td { background: #fafafa; }
tr.row-findings td:first-child { border-left: 4px solid var(--high); }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: .3rem;
           padding: .5rem .7rem; margin: .5rem 0; }
.finding.sev-critical, .finding.sev-high { border-left-color: var(--high); }
.finding.sev-medium { border-left-color: var(--med); } .finding.sev-low { border-left-color: var(--low); }
.finding.suppressed { opacity: .75; }
.finding p { margin: .2rem 0; }
.where { color: #333; }
.muted { color: #666; }
.remediation { background: #f1f8e9; border: 1px solid #c5e1a5; border-radius: .3rem; padding: .4rem .7rem; }
footer { margin-top: 2rem; color: #666; font-size: .85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; } h3 { break-after: avoid; }
  tr, .finding, .remediation { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  a.rule-link[href^="http"]::after { content: " (" attr(href) ")"; font-size: .8em; color: #555; }
  .sev, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _e(value: Any) -> str:
    """Any value as HTML text: control and bidi characters shown as escapes, then <, >, &, quotes escaped."""
    return escape(visible(str(value)), quote=True)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def write(result: ScanResult, handle: TextIO, fail_on: str = "high", show_suppressed: bool = False,
          run: Any = None, inventory: Optional[Sequence[Dict[str, Any]]] = None, **_: Any) -> None:
    """The page of `result`, written to `handle` as it is produced. `run`/`inventory`: a live run's."""
    from hipaa_scan.controls import view

    controls = view(result)
    metas = {m.id: m for m in result.rules}
    live = run is not None
    title = "hipaa-scan live audit" if live else "hipaa-scan scan report"
    handle.write(f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                 f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
                 f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                 f'<meta name="generator" content="hipaa-scan">\n<title>{_e(title)}</title>\n'
                 f'<style>{STYLE}</style>\n</head>\n<body>\n')
    handle.write(f'<header>\n<h1>{_e(title)}</h1>\n<p class="lede">Each finding relates to the HIPAA safeguard it '
                 f'names (45 CFR Part 164); it is evidence for an assessment, not a legal verdict.</p>\n</header>\n')
    _summary(result, controls, handle, fail_on, run)
    _run_record(result, handle, run, inventory)
    _controls(controls, handle)
    _findings(result, controls, metas, handle, show_suppressed)
    _problems(result, handle)
    handle.write('<footer>Written by hipaa-scan. The short texts of the regulation are the tool\'s own words; '
                 f'see {_e(hipaa.SOURCE)}.</footer>\n</body>\n</html>\n')


def render(result: ScanResult, **options: Any) -> str:
    import io

    buffer = io.StringIO()
    write(result, buffer, **options)
    return buffer.getvalue()


# --- sections ------------------------------------------------------------------------------------------------------


def _summary(result: ScanResult, controls: Sequence[Control], handle: TextIO, fail_on: str, run: Any) -> None:
    from hipaa_scan.controls import STATUS_TEXT, counts

    tally = result.tally()
    threshold = SEVERITY_RANK.get(fail_on, len(SEVERITIES))
    failing = sum(tally.by_severity.get(s, 0) for s in SEVERITIES[threshold:])
    handle.write('<section id="summary">\n<h2>Summary</h2>\n<ul class="counts">\n')
    handle.write(f'<li data-count="findings"><strong>{tally.active}</strong> active '
                 f'finding{"" if tally.active == 1 else "s"}</li>\n')
    for severity in reversed(SEVERITIES):
        n = tally.by_severity.get(severity, 0)
        handle.write(f'<li data-count="{severity}"><span class="sev sev-{severity}">{severity}</span> {n}</li>\n')
    handle.write(f'<li data-count="suppressed">{tally.suppressed} suppressed</li>\n'
                 f'<li data-count="errors">{_count(len(result.errors), "error")}</li>\n</ul>\n')
    if live_count := (len(getattr(run, "containers", {}) or {}) if run is not None else 0):
        scope = f"{_count(live_count, 'container')} audited"
    else:
        scope = f"{_count(result.files_scanned, 'file')} and {_count(result.resources_scanned, 'resource')} scanned"
    verdict = (f"{_count(failing, 'finding')} at or above the fail-on severity ({fail_on}): the command exits 1"
               if failing else f"nothing at or above the fail-on severity ({fail_on})")
    if fail_on == "never":
        verdict = "fail-on is never: findings do not change the exit code"
    if result.errors:
        verdict += f"; {_count(len(result.errors), 'error')}: the command exits 2"
    handle.write(f'<p>{_e(scope)}, {_count(len(result.rules), "rule")} run. {_e(verdict)}.</p>\n')
    handle.write('<table class="control-counts">\n<thead><tr><th>Control status</th><th>Controls</th></tr></thead>'
                 '\n<tbody>\n')
    for status, n in counts(controls).items():
        handle.write(f'<tr data-status="{_e(status)}"><td><span class="status status-{_e(status)}">'
                     f'{_e(STATUS_TEXT[status])}</span></td><td>{n}</td></tr>\n')
    handle.write('</tbody>\n</table>\n</section>\n')


def _facts(handle: TextIO, rows: Iterable[Tuple[str, str]], css: str = "facts") -> None:
    """A definition list of (label, already-escaped HTML) rows."""
    handle.write(f'<dl class="{css}">\n')
    for label, value in rows:
        handle.write(f"<dt>{_e(label)}</dt><dd>{value}</dd>\n")
    handle.write("</dl>\n")


def _list(items: Sequence[str]) -> str:
    """Already-escaped items as a list, or a dash."""
    if not items:
        return '<span class="muted">none</span>'
    return '<ul class="tight">' + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _code(value: Any) -> str:
    return f"<code>{_e(value)}</code>"


def _run_record(result: ScanResult, handle: TextIO, run: Any,
                inventory: Optional[Sequence[Dict[str, Any]]]) -> None:
    from hipaa_scan.runrecord import SKIP_REASONS, record_of

    record = record_of(result)  # a library caller's result: the rules that ran, no times
    handle.write('<section id="run">\n<h2>Run record</h2>\n')
    data = record.as_dict()
    config = data["configuration"]
    baseline = data["baseline"]
    scope = data["scope"]
    rows = [
        ("Command", _e(f"hipaa-scan {data['command']}")),
        ("Started (UTC)", _e(data["started"] or "not recorded")),
        ("Ended (UTC)", _e(data["ended"] or "not recorded")),
        ("Tool", _e(f"{data['tool']['name']} {data['tool']['version']}")),
        ("Rule catalog", f"{_e(_count(data['catalog']['rules'], 'rule'))}, SHA-256 "
                         f"{_code(data['catalog']['sha256'])}"),
        ("Operator", _e(data["operator"])),
        ("Working directory", _code(data["working_directory"])),
    ]
    _facts(handle, rows)
    handle.write('<h3>Effective configuration</h3>\n')
    path = config["path"]
    rows = [
        ("Configuration file", (f"{_code(path)}, SHA-256 {_code(config['sha256'] or 'unreadable')}" if path
                                else '<span class="muted">none (defaults and the command line)</span>')),
        ("Select", _list([f"{_code(s['selector'])} <span class=\"muted\">({_e(s['from'])})</span>"
                          for s in config["select"]]) if config["select"] else _e("every rule")),
        ("Ignore", _list([f"{_code(s['selector'])} <span class=\"muted\">({_e(s['from'])})</span>"
                          for s in config["ignore"]])),
        ("Severity overrides", _list([f"{_code(rule)}: {_e(sev)}" for rule, sev in config["severity"].items()])),
        ("Rule options", _list([f"{_code(rule)} {_code(name)} = {_code(_json(value))}"
                                for rule, options in config["rule_options"].items()
                                for name, value in options.items()])),
        ("Fail on", _e(config["fail_on"])),
        ("Baseline", (f"{_code(baseline['path'])}, SHA-256 {_code(baseline['sha256'] or 'unreadable')}"
                      if baseline else '<span class="muted">none</span>')),
    ]
    _facts(handle, rows)
    handle.write('<h3>Scope</h3>\n')
    skipped = [f"{_e(SKIP_REASONS.get(reason, reason))}: {n}" for reason, n in scope["skipped"].items()]
    rows = [("Roots", _list([_code(r) for r in scope["roots"]]))] if scope["roots"] or not run else []
    if scope["files_by_kind"] or not run:
        rows.append(("Files scanned", _list([f"{_e(kind)}: {n}" for kind, n in scope["files_by_kind"].items()])))
        rows.append(("Not scanned", _list(skipped)))
    if scope["engines"]:
        rows.append(("Engines", _list([_e(", ".join(f"{k}: {v}" for k, v in engine.items() if v not in (None, "")))
                                       for engine in scope["engines"]])))
    if run is not None or scope["containers"]:
        rows.append(("Containers", _e(scope["containers"])))
    rows.append(("Repositories", _list([f"{_code(r['root'])}: commit {_code(r['commit'] or 'none yet')}"
                                        + (f" ({_e(r['ref'])})" if r.get("ref") else "")
                                        for r in data["repositories"]])))
    if data["inputs"]:
        rows.append(("Offline inputs", _list([f"{_code(i['path'])} ({_e(i['kind'])}), SHA-256 "
                                              f"{_code(i['sha256'] or 'unreadable')}" for i in data["inputs"]])))
    _facts(handle, rows)
    if inventory:
        _inventory(handle, inventory)
    handle.write('</section>\n')


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _inventory(handle: TextIO, inventory: Sequence[Dict[str, Any]]) -> None:
    engines = [i for i in inventory if i.get("kind") == "engine"]
    containers = [i for i in inventory if i.get("kind") == "container"]
    handle.write('<h3>Engines and containers audited</h3>\n')
    if engines:
        handle.write('<table class="engines">\n<thead><tr><th>Engine</th><th>Host</th><th>Docker</th><th>API</th>'
                     '<th>OS</th></tr></thead>\n<tbody>\n')
        for item in engines:
            handle.write("<tr>" + "".join(f"<td>{_e(item.get(k) or '')}</td>"
                                          for k in ("name", "host", "version", "api", "os")) + "</tr>\n")
        handle.write('</tbody>\n</table>\n')
    handle.write('<table class="containers">\n<thead><tr><th>Container</th><th>Id</th><th>Image</th><th>State</th>'
                 '<th>Engine</th></tr></thead>\n<tbody>\n')
    for item in containers:
        handle.write("<tr>" + "".join(f"<td>{_e(item.get(k) or '')}</td>"
                                      for k in ("name", "id", "image", "state", "engine")) + "</tr>\n")
    if not containers:
        handle.write('<tr><td colspan="5" class="muted">no container</td></tr>\n')
    handle.write('</tbody>\n</table>\n')


def _controls(controls: Sequence[Control], handle: TextIO) -> None:
    from hipaa_scan.controls import STATUS_TEXT

    handle.write('<section id="controls">\n<h2>Control by control</h2>\n<p class="lede">Every provision the rule '
                 'catalog cites and every standard and implementation specification of the Security Rule, with the '
                 'rules that assess it. A rule kept from running by the configuration is listed as excluded, with '
                 'the reason; no row is ever left out.</p>\n')
    handle.write('<table class="controls">\n<thead><tr><th>Citation</th><th>Provision</th><th>Rule of Part 164</th>'
                 '<th>Required / addressable</th><th>Status</th><th>Findings</th><th>Rules</th></tr></thead>\n')
    section = None
    for c in controls:
        if c.section != section:
            if section is not None:
                handle.write('</tbody>\n')
            section = c.section
            handle.write(f'<tbody class="section"><tr><th class="section" colspan="7">'
                         f'{_e(section or "Other citations")}</th></tr>\n')
        rules = []
        for r in c.rules:
            reason = f' <span class="muted">({_e(r.reason)})</span>' if r.reason else ""
            count = f", {r.findings}" if r.findings else ""
            rules.append(f'<span class="rule-status" data-rule="{_e(r.id)}" data-status="{_e(r.status)}">'
                         f'{_e(r.id)} {_e(r.name)}: <span class="status status-{_e(r.status)}">{_e(r.status)}'
                         f'</span>{_e(count)}{reason}</span>')
        text = f'<strong>{_e(c.title)}</strong>' if c.title else ""
        if c.text:
            text += f"<br>{_e(c.text)}"
        why = f'<br><span class="muted">{_e(c.reason)}</span>' if c.reason else ""
        anchor = f'<a href="#safeguard-{_slug(c.citation)}">{c.findings}</a>' if c.findings else "0"
        listed = _list(rules) if rules else '<span class="muted">no rule</span>'
        handle.write(f'<tr class="control row-{_e(c.status)}" data-citation="{_e(c.citation)}" '
                     f'data-status="{_e(c.status)}" data-label="{_e(c.label)}">'
                     f'<td class="mono">{_e(c.citation)}</td><td>{text}</td><td>{_e(c.rule)}</td>'
                     f'<td>{_e(c.label)}</td><td><span class="status status-{_e(c.status)}">'
                     f'{_e(STATUS_TEXT.get(c.status, c.status))}</span>{why}</td><td>{anchor}</td>'
                     f'<td>{listed}</td></tr>\n')
    if section is not None:
        handle.write('</tbody>\n')
    handle.write('</table>\n</section>\n')


def _slug(citation: str) -> str:
    """An id fragment for a citation: `164.312(a)(1)` -> `164-312-a-1`."""
    out = "".join(ch if ch.isalnum() else "-" for ch in citation)
    return "-".join(part for part in out.split("-") if part)


def _findings(result: ScanResult, controls: Sequence[Control], metas: Mapping[str, RuleMeta], handle: TextIO,
              show_suppressed: bool) -> None:
    """The findings, grouped by safeguard in the control table's order: one pass over the finding stream per
    safeguard that has findings to show, and one for the findings that name no safeguard of the table (a rule pack's
    rule may cite none)."""
    tally = result.tally()
    with_findings = [c for c in controls if c.findings]
    if show_suppressed and tally.suppressed:  # suppressed findings' safeguards are not counted in the controls
        cited = {cite for f in result.findings if f.suppressed for cite in f.hipaa}
        with_findings = [c for c in controls if c.findings or c.citation in cited]
    shown = {c.citation for c in with_findings}

    def home(f: Finding) -> Optional[str]:
        """Where a finding is shown in full: its first (primary) citation that has a group."""
        return next((cite for cite in f.hipaa if cite in shown), None)

    handle.write('<section id="findings">\n<h2>Findings by safeguard</h2>\n')
    if not tally.active and not (show_suppressed and tally.suppressed):
        handle.write('<p class="none">No finding.</p>\n')
    for c in with_findings:
        label = f"{c.citation} {c.title}".strip()
        handle.write(f'<section class="safeguard" id="safeguard-{_slug(c.citation)}" data-citation="{_e(c.citation)}">'
                     f'\n<h3>{_e(label)} <span class="muted">({_e(c.rule)}, {_e(c.label)})</span></h3>\n')
        seen_rules: List[str] = []
        for index, f in enumerate(result.findings):
            if c.citation not in f.hipaa or (f.suppressed and not show_suppressed):
                continue
            if f.rule_id not in seen_rules:
                seen_rules.append(f.rule_id)
            if home(f) == c.citation:
                _finding(f, index, metas.get(f.rule_id), handle)
            else:
                handle.write(f'<p class="also">Also: <a href="#finding-{index}">{_e(f.rule_id)} {_e(f.message)}</a> '
                             f'<span class="muted">({_e(_where(f))})</span></p>\n')
        _remediation(seen_rules, metas, handle)
        handle.write('</section>\n')
    seen_rules = []
    for index, f in enumerate(result.findings):  # findings of no safeguard in the table
        if home(f) is not None or (f.suppressed and not show_suppressed):
            continue
        if not seen_rules:
            handle.write('<section class="safeguard" id="safeguard-none" data-citation="">\n'
                         '<h3>Findings that name no safeguard of the table</h3>\n')
        if f.rule_id not in seen_rules:
            seen_rules.append(f.rule_id)
        _finding(f, index, metas.get(f.rule_id), handle)
    if seen_rules:
        _remediation(seen_rules, metas, handle)
        handle.write('</section>\n')
    handle.write('</section>\n')


def _remediation(rule_ids: Sequence[str], metas: Mapping[str, RuleMeta], handle: TextIO) -> None:
    notes = [metas[rid] for rid in rule_ids if rid in metas and metas[rid].remediation]
    if notes:
        handle.write('<div class="remediation"><strong>Remediation</strong>\n<ul class="tight">\n')
        for meta in notes:
            handle.write(f'<li>{_rule_link(meta)}: {_e(meta.remediation)}</li>\n')
        handle.write('</ul>\n</div>\n')


def _where(f: Finding) -> str:
    loc = f.location
    out = loc.path
    if loc.line is not None:
        out += f":{loc.line}"
        if loc.column is not None:
            out += f":{loc.column}"
    if loc.key:
        out += f" {loc.key}"
    return out


def _rule_link(meta: RuleMeta) -> str:
    text = f"{_e(meta.id)} {_e(meta.name)}"
    if meta.origin in LINKED_ORIGINS:
        return f'<a class="rule-link" href="{_e(meta.help_uri)}">{text}</a>'
    return text


def _finding(f: Finding, index: int, meta: Optional[RuleMeta], handle: TextIO) -> None:
    css = f"finding sev-{_e(f.severity)}" + (" suppressed" if f.suppressed else "")
    rule = _rule_link(meta) if meta is not None else f"{_e(f.rule_id)} {_e(f.rule_name)}"
    handle.write(f'<article class="{css}" id="finding-{index}" data-rule="{_e(f.rule_id)}" '
                 f'data-severity="{_e(f.severity)}">\n'
                 f'<p><span class="sev sev-{_e(f.severity)}">{_e(f.severity)}</span> {rule}</p>\n'
                 f'<p class="message">{_e(f.message)}</p>\n'
                 f'<p class="where"><code>{_e(_where(f))}</code> <span class="muted">resource '
                 f'{_e(f.resource)}</span></p>\n')
    if f.snippet:
        handle.write(f'<pre class="snippet">{_e(f.snippet)}</pre>\n')
    handle.write(f'<p class="cites muted">{_e(hipaa.cited(f.hipaa))}</p>\n')
    if f.suppression is not None:
        handle.write(f'<p class="suppression">Suppressed ({_e(f.suppression.kind)}): '
                     f'{_e(f.suppression.justification)}</p>\n')
    handle.write('</article>\n')


def _problems(result: ScanResult, handle: TextIO) -> None:
    if result.errors:
        handle.write('<section id="errors">\n<h2>Errors</h2>\n<table>\n<thead><tr><th>Where</th><th>Kind</th>'
                     '<th>Message</th></tr></thead>\n<tbody>\n')
        for e in result.errors:
            handle.write(f'<tr><td><code>{_e(e.path)}</code></td><td>{_e(e.kind)}</td><td>{_e(e.message)}</td>'
                         f'</tr>\n')
        handle.write('</tbody>\n</table>\n</section>\n')
    first = True
    for note in result.notes:
        if first:
            handle.write('<section id="notes">\n<h2>Notes</h2>\n<ul>\n')
            first = False
        handle.write(f'<li>{_e(note)}</li>\n')
    if not first:
        handle.write('</ul>\n</section>\n')
