"""`--format markdown` (report/markdown.py): every value from outside the tool is escaped, so hostile file names,
service names and messages stay text: no HTML, no link, no emphasis, no new table cell or row, no new block. The
report is rendered with markdown-it (CommonMark with GitHub tables; it comes with rich) and the HTML checked."""

import json
import os
import re
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt

from hipaa_scan.report.markdown import md

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "fixtures", "demo-stack")
INSPECT = os.path.join(ROOT, "fixtures", "live", "inspect.json")
INFO = os.path.join(ROOT, "fixtures", "live", "info.json")

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![i](http://evil.example/x.png)",
    "a|b|c",
    "**bold** _em_ ~~gone~~ `code`",
    "&lt;not-an-entity&gt; &amp;",
    "# heading",
    "- item",
    "1. first",
    "> quote",
    "$x^2$ @someone #123",
    "line\nbreak\r\u2028sep",
    "\x1b[31mred\x1b[0m",
    "    indented code",
    "back\\slash\\",
    "<!-- comment -->",
    "http://example.com/<x>",
]


def html(text):
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_renders_as_its_own_text(value):
    """In a paragraph, a list item, a table cell and a heading, md(value) renders as exactly the text of value
    (control characters shown as escapes) and nothing else."""
    from html import unescape

    from hipaa_scan.visible import visible

    escaped = md(value)
    assert "\n" not in escaped and "\r" not in escaped
    expected = visible(value)
    for doc, tag in ((f"x {escaped}\n", "p"), (f"- {escaped}\n", "li"), (f"# {escaped}\n", "h1"),
                     (f"| a | b |\n|---|---|\n| {escaped} | z |\n", "td")):
        out = html(doc)
        assert "<script" not in out and "<img" not in out and "<a " not in out and "<em>" not in out
        assert "<strong>" not in out and "<code>" not in out and "<s>" not in out and "<!--" not in out
        assert "<blockquote>" not in out and "<ol" not in out and "<pre>" not in out and "<h2" not in out
        body = re.search(rf"<{tag}>(.*?)</{tag}>", out, re.S)
        assert body is not None, out
        inner = body.group(1)
        if tag == "p":
            inner = inner[2:]  # "x "
        if tag == "td":
            assert out.count("<td>") == 2
        shown = unescape(inner)
        assert (shown.strip() == expected.strip()) if tag in ("h1", "td") else (shown == expected), (doc, out)


def _scan_md(tmp_path, *args, cwd):
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", *args, "--format", "markdown"], capture_output=True,
                          text=True, cwd=cwd, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def _tables(out):
    """Every table row of the rendered report, as (the table's header cells, the row's cell count)."""
    rows = []
    for table in re.findall(r"<table>(.*?)</table>", out, re.S):
        head = re.findall(r"<th>(.*?)</th>", table)
        for row in re.findall(r"<tbody>(.*?)</tbody>", table, re.S)[0:1]:
            for tr in re.findall(r"<tr>(.*?)</tr>", row, re.S):
                rows.append((head, tr.count("<td>")))
    return rows


def test_hostile_file_and_service_names_stay_text(tmp_path):
    evil_dir = tmp_path / "x|y<img src=x onerror=alert(1)>[a](javascript:alert(1))*b*\nz"
    evil_dir.mkdir()
    (evil_dir / "Dockerfile").write_text("FROM alpine:latest\n")
    (tmp_path / "compose.yaml").write_text(
        'services:\n  "evil|<script>alert(1)</script>**x**":\n    image: redis:7\n    privileged: true\n'
        '    ports:\n      - "6379:6379"\n')
    out = _scan_md(tmp_path, "scan", ".", cwd=tmp_path)
    rendered = html(out)
    for bad in ("<script", "<img", 'href="javascript', "<strong>x</strong>", "<em>b</em>"):
        assert bad not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered  # shown, as text
    assert "onerror=alert(1)&gt;[a](javascript:alert(1))*b*\\nz/Dockerfile" in rendered
    rows = _tables(rendered)
    assert rows and all(count == len(head) for head, count in rows)  # no cell split, none merged
    # the findings are grouped by safeguard, each with remediation and the rule's page
    assert "<h3>164.312(a)(1) Access control (standard, Security Rule)</h3>" in rendered
    assert re.search(r'<a href="https://[^"]+/docs/rules/HS102\.md">HS102 [^<]+</a>: ', rendered)


def test_the_demo_stack_report_has_every_part(tmp_path):
    import shutil

    stack = tmp_path / "stack"
    shutil.copytree(DEMO, stack)
    (stack / ".hipaa-scan.yaml").write_text("ignore: [HS5, HS404]\n")
    out = _scan_md(tmp_path, "scan", ".", cwd=stack)
    headings = re.findall(r"^## (.+)$", out, re.M)
    assert headings[:4] == ["Summary", "Run record", "Controls", "Findings by safeguard"]
    rendered = html(out)
    assert "<td>Configuration</td>" in rendered and "<td>Rule catalog</td>" in rendered
    # rows never disappear: the ignored rules' safeguards are there, excluded, with the reason
    row = re.search(r"<tr>\s*<td>164\.502\(e\)</td>(.*?)</tr>", rendered, re.S)
    assert row and "<strong>excluded</strong>" in row.group(1) and "ignore: HS5" in row.group(1)
    cites = re.findall(r"<tr>\s*<td>(164\.[^<]+)</td>", rendered)
    from hipaa_scan import hipaa

    assert [c for c in cites if c in hipaa.BY_CITE] == [p.cite for p in hipaa.PROVISIONS
                                                        if p.rule == hipaa.SECURITY or p.cited]


def test_live_markdown_lists_the_containers(tmp_path):
    out = _scan_md(tmp_path, "live", "--from-inspect", INSPECT, "--from-info", INFO, cwd=tmp_path)
    assert out.startswith("# hipaa-scan live audit report\n")
    assert "## Containers\n" in out
    expected = json.load(open(os.path.join(ROOT, "fixtures", "live", "expected.json"), encoding="utf-8"))
    rendered = html(out)
    for name in expected:
        assert f"<td>{md(name)}</td>" in rendered or f"<td>{name}</td>" in rendered
