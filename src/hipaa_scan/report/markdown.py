"""Markdown report (CommonMark with GitHub tables), for `scan` and `live`: the summary, the run record, the
control-by-control table, then the findings grouped by safeguard with each rule's remediation and a link to its
page.

Every value that comes from outside the tool (file names, messages, resource names, configuration paths, engine
answers, rule text of packs) goes through `md()`: control characters shown as escapes (visible.visible), `&`, `<`
and `>` written as HTML entities (no raw HTML can start), and every character Markdown gives a meaning inline
(emphasis, code, links, images, tables, strikethrough, math, mentions, headings and lists at a line's start)
escaped with a backslash. A value never spans lines, so it cannot end a table row or start a block.

The findings are held per safeguard to be grouped: a document, unlike the JSON and SARIF reports, is not
written finding by finding.
"""

from __future__ import annotations

from hipaa_scan import hipaa
from hipaa_scan.controls import STATUS_TEXT, STATUSES, counts, view
from hipaa_scan.model import SEVERITIES, SEVERITY_RANK, Finding, ScanResult
from hipaa_scan.runrecord import COMMAND_LINE, SKIP_REASONS, record_of
from hipaa_scan.visible import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Sequence, TextIO

    from hipaa_scan.controls import Control
    from hipaa_scan.rules.base import RuleMeta

# Characters with an inline meaning in CommonMark or GitHub's Markdown (emphasis, code, links and images, tables,
# strikethrough, math, mentions, issue references), escaped with a backslash wherever they are
_INLINE = frozenset("\\`*_[]|~$@#!")
# Characters that start a block (list, heading, quote, thematic break, setext underline) when a line or a list item
# begins with them: escaped at the start of a value
_LEADING = frozenset("-+=:")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md(value: Any) -> str:
    """`value` as text that Markdown shows as written: nothing in it can become markup, HTML, a link, a block or a
    new line."""
    text = visible(str(value))  # newlines and other controls become visible escapes: the value stays on its line
    digits = len(text) - len(text.lstrip("0123456789"))  # `1.` or `1)` would start an ordered list
    out = []
    for i, char in enumerate(text):
        entity = _ENTITIES.get(char)
        if entity is not None:
            out.append(entity)
        elif char in _INLINE or (i == 0 and char in _LEADING) or (i == digits and i and char in ".)" and text[i + 1:i + 2] in ("", " ")):
            out.append("\\" + char)
        elif i == 0 and char == " ":  # leading blanks would make an indented code block of a list item
            out.append("&#32;")
        else:
            out.append(char)
    return "".join(out)


def _url(url: str) -> str:
    """A link destination: characters that could end it or leave it percent-encoded."""
    from urllib.parse import quote

    return quote(url, safe=":/#?=&%.-_~")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |\n"


def write(result: ScanResult, handle: TextIO, show_suppressed: bool = False, run: Any = None,
          inventory: Optional[Sequence[Dict[str, Any]]] = None, **_: Any) -> None:
    record = record_of(result)
    tally = result.tally()
    controls = view(result)
    metas = {m.id: m for m in result.rules}
    live = run is not None or record.command == "live"
    title = "live audit" if live else "scan"
    handle.write(f"# hipaa-scan {title} report\n\n")
    handle.write("Findings *relate to* provisions of 45 CFR Part 164; they are not a legal verdict. "
                 "Not assessable means no Dockerfile, Compose file, env file or engine setting can show it.\n\n")

    # summary
    handle.write("## Summary\n\n")
    parts = [f"{tally.by_severity[s]} {s}" for s in reversed(SEVERITIES) if tally.by_severity[s]]
    handle.write(f"- **{_plural(tally.active, 'finding')}**" + (f" ({', '.join(parts)})" if parts else "")
                 + f" in {_plural(result.files_scanned, 'document' if live else 'file')}, "
                 f"{_plural(len(result.rules), 'rule')} run\n")
    handle.write(f"- {tally.suppressed} suppressed, {_plural(len(result.errors), 'error')}\n")
    n = counts(controls)
    handle.write("- Controls: " + ", ".join(f"{n[s]} {STATUS_TEXT[s].split(' (')[0]}" for s in STATUSES if n[s])
                 + "\n\n")

    _run_record(handle, record)
    _inventory(handle, inventory)
    _controls(handle, controls)
    _findings(handle, result, metas, show_suppressed)

    if result.errors:
        handle.write("## Errors\n\n")
        for err in result.errors:
            handle.write(f"- {md(err.path)}: {md(err.message)} ({md(err.kind)})\n")
        handle.write("\n")
    notes = list(result.notes)
    if notes:
        handle.write("## Notes\n\n")
        for note in notes:
            handle.write(f"- {md(note)}\n")
        handle.write("\n")


def render(result: ScanResult, **options: Any) -> str:
    import io

    buffer = io.StringIO()
    write(result, buffer, **options)
    return buffer.getvalue()


def _digest(value: Optional[str]) -> str:
    return f"SHA-256 `{value}`" if value else "SHA-256 unavailable (unreadable)"


def _selectors(items: Sequence[Any]) -> str:
    return ", ".join(f"{md(s)} ({'command line' if src == COMMAND_LINE else 'configuration ' + md(src)})"
                     for s, src in items) or "none"


def _run_record(handle: TextIO, record: Any) -> None:
    handle.write("## Run record\n\n")
    rows = [
        ("Command", md(record.command)),
        ("Started (UTC)", md(record.started or "not recorded")),
        ("Ended (UTC)", md(record.ended or "not recorded")),
        ("Tool", f"hipaa-scan {md(record.version)}"),
        ("Rule catalog", f"{_digest(record.digest)}, {len(record.catalog)} rules"),
        ("Configuration", f"{md(record.config_path)}, {_digest(record.config_sha256)}" if record.config_path
         else "none (defaults)"),
        ("Select", _selectors(record.select) if record.select else "every rule"),
        ("Ignore", _selectors(record.ignore)),
        ("Severity overrides", ", ".join(f"{md(k)}: {md(v)}" for k, v in sorted(record.severity.items()))
         or "none"),
        ("Rule options", "; ".join(f"{md(rule)}.{md(k)} = {md(v)}" for rule, opts in
                                   sorted(record.rule_options.items()) for k, v in sorted(opts.items())) or "none"),
        ("Fail on", md(record.fail_on)),
        ("Baseline", f"{md(record.baseline_path)}, {_digest(record.baseline_sha256)}" if record.baseline_path
         else "none"),
    ]
    if record.roots:
        rows.append(("Scanned", ", ".join(md(r) for r in record.roots)))
    if record.files_by_kind:
        rows.append(("Files by kind", ", ".join(f"{md(k)}: {v}" for k, v in sorted(record.files_by_kind.items()))))
    if record.command == "scan":
        rows.append(("Skipped", "; ".join(f"{md(SKIP_REASONS.get(k, k))}: {v}" for k, v in
                                          sorted(record.skipped.items())) or "nothing"))
    if record.engines:
        rows.append(("Engines", "; ".join(
            f"{md(e.get('label'))}" + (f" at {md(e['host'])}" if e.get("host") else "")
            + (f", Docker {md(e['server_version'])}" if e.get("server_version") else "")
            + f", {_plural(int(e.get('containers') or 0), 'container')}"
            + (f", error: {md(e['error'])}" if e.get("error") else "") for e in record.engines)))
        rows.append(("Containers", str(record.containers)))
    for item in record.inputs:
        rows.append((f"Input ({md(item['kind'])})", f"{md(item['path'])}, {_digest(item['sha256'])}"))
    for repo in record.repositories:
        commit = f"`{repo['commit']}`" if repo.get("commit") else "no commit yet"
        rows.append(("Git commit", f"{commit} ({md(repo['ref']) if repo.get('ref') else 'detached HEAD'}) in "
                                   f"{md(repo['root'])}"))
    rows += [("Operator", md(record.operator)), ("Working directory", md(record.working_directory))]
    handle.write("| Field | Value |\n|---|---|\n")
    for name, value in rows:
        handle.write(_row((name, value)))
    handle.write("\n")


def _inventory(handle: TextIO, inventory: Optional[Sequence[Dict[str, Any]]]) -> None:
    containers = [i for i in inventory or () if i.get("kind") == "container"]
    if not containers:
        return
    handle.write("## Containers\n\n| Container | Image | State | Engine |\n|---|---|---|---|\n")
    for item in containers:
        handle.write(_row((md(item.get("name") or ""), md(item.get("image") or ""), md(item.get("state") or ""),
                           md(item.get("engine") or ""))))
    handle.write("\n")


def _controls(handle: TextIO, controls: Sequence[Control]) -> None:
    handle.write("## Controls\n\nEvery provision the rule catalog cites and every Security Rule standard and "
                 "implementation specification, in the regulation's order.\n\n")
    handle.write("| Citation | Title | Part 164 rule | Kind | Status | Rules | Notes |\n"
                 "|---|---|---|---|---|---|---|\n")
    for c in controls:
        rules = ", ".join(f"{md(r.id)} ({md(r.status)}{', ' + str(r.findings) if r.findings else ''})"
                          for r in c.rules) or "none"
        note = c.reason
        if c.status == "findings" and c.worst:
            note = f"{c.findings} active, worst {c.worst}"
        handle.write(_row((md(c.citation), md(c.title), md(c.rule), md(c.label), f"**{md(c.status)}**", rules,
                           md(note))))
    handle.write("\n")


def _where(f: Finding) -> str:
    loc = f.location
    if loc.line:
        return f"{loc.path}:{loc.line}"
    return f"{loc.path} {loc.key}" if loc.key else loc.path


def _findings(handle: TextIO, result: ScanResult, metas: Dict[str, RuleMeta], show_suppressed: bool) -> None:
    grouped: Dict[str, List[Finding]] = {}
    for f in result.findings:
        if f.suppressed and not show_suppressed:
            continue
        for cite in f.hipaa or ("(no citation)",):
            grouped.setdefault(cite, []).append(f)
    handle.write("## Findings by safeguard\n\n")
    if not grouped:
        handle.write("No findings.\n\n")
        return
    order = {p.cite: i for i, p in enumerate(hipaa.PROVISIONS)}
    for cite in sorted(grouped, key=lambda c: (order.get(c, len(order)), hipaa.sort_key(c))):
        findings = sorted(grouped[cite], key=lambda f: (-SEVERITY_RANK[f.severity], f.rule_id, f.sort_key()))
        p = hipaa.provision(cite)
        heading = f"{md(cite)} {md(p.title)} ({md(p.label())}, {md(p.rule)})" if p else md(cite)
        handle.write(f"### {heading}\n\n")
        handle.write("| Severity | Rule | Location | Resource | Message |\n|---|---|---|---|---|\n")
        for f in findings:
            message = md(f.message)
            if f.suppression is not None:
                message += f" (suppressed, {md(f.suppression.kind)}: {md(f.suppression.justification)})"
            handle.write(_row((f.severity.upper(), f"{md(f.rule_id)} {md(f.rule_name)}", md(_where(f)),
                               md(f.resource), message)))
        handle.write("\nRemediation:\n\n")
        for rule_id in dict.fromkeys(f.rule_id for f in findings):
            meta = metas.get(rule_id)
            if meta is None:
                continue
            handle.write(f"- [{md(meta.id)} {md(meta.name)}](<{_url(meta.help_uri)}>): {md(meta.remediation)}\n")
        handle.write("\n")
