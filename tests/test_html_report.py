"""`--format html` (issue 17, item 5): one self-contained, inert, printable page with the summary, the run record,
the control-by-control table and the findings grouped by safeguard, for `scan` and `live`, and `report.html` in
every evidence folder. Every value is escaped: file names, service names, messages, rule texts and configuration
values are hostile input. The page is parsed here with the standard library's HTML parser; tests/test_html_browser.py
renders it in a real browser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

DEMO = Path(FIXTURES) / "demo-stack"
LIVE = Path(FIXTURES) / "live"
# The elements the page is made of: anything else in a parsed page came from a value that was not escaped
ELEMENTS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "section", "ul", "li",
            "span", "strong", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "code", "pre", "a", "br",
            "article", "div", "footer"}
HOSTILE = '</style><script>alert(1)</script>"\'><img src=x onerror=alert(2)>'


class Page(HTMLParser):
    """The parsed page: every element with its attributes, and the text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.texts: list[str] = []
        self.open: list[str] = []
        self.styles = 0
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag not in ("meta", "br"):
            self.open.append(tag)
        if tag == "style":
            self.styles += 1

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def having(self, tag: str, **attrs: str) -> list[dict]:
        """The attributes of the `tag` elements that have `attrs` (`class_`: one of its classes; `data_x`: data-x)."""
        def fits(a: dict) -> bool:
            for key, want in attrs.items():
                name = "class" if key == "class_" else key.replace("_", "-")
                got = a.get(name)
                if got is None or (want not in got.split() if name == "class" else got != want):
                    return False
            return True

        return [a for t, a in self.elements if t == tag and fits(a)]


def hipaa_scan(*args: str, cwd: Path | str = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    full["SOURCE_DATE_EPOCH"] = "1764770400"  # two runs (HTML and JSON) record the same time
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True, cwd=cwd,
                          env=full, timeout=120)


def assert_inert(text: str) -> Page:
    """Self-contained and inert: one style element, no script, nothing loaded from anywhere, a CSP that forbids
    both; well-formed (every element closed where it was opened) and made only of the page's own elements."""
    low = text.lower()
    assert text.startswith("<!DOCTYPE html>\n")
    assert "<script" not in low and "javascript:" not in low and "@import" not in low and "url(" not in low
    assert low.count("<style>") == 1 and low.count("</style>") == 1
    page = Page(text)
    assert not page.open, page.open
    assert {t for t, _ in page.elements} <= ELEMENTS
    csp = [a for t, a in page.elements if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"] and "script-src" not in csp[0]["content"]
    for tag, attrs in page.elements:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "src" not in attrs and tag not in ("link", "img", "iframe", "object", "embed", "base", "form")
        href = attrs.get("href")
        if href is not None:  # in-page anchors and the rule pages only
            assert href.startswith("#") or href.startswith("https://github.com/hipaa-scan/hipaa-scan/blob/main/docs/"
                                                           "rules/HS"), href
    return page


@pytest.fixture(scope="module")
def demo():
    html = hipaa_scan("scan", "fixtures/demo-stack", "--format", "html")
    data = hipaa_scan("scan", "fixtures/demo-stack", "--format", "json")
    assert html.returncode == 1 and data.returncode == 1, html.stderr + data.stderr
    return html.stdout, json.loads(data.stdout)


def test_demo_stack_page_is_inert_and_complete(demo):
    text, report = demo
    page = assert_inert(text)
    for section in ("summary", "run", "controls", "findings"):
        assert page.having("section", id=section), section
    # every finding once in full, with its rule, severity and location
    articles = page.having("article")
    assert len(articles) == report["summary"]["findings"] == 84
    assert sorted((a["data-rule"], a["data-severity"]) for a in articles) == sorted(
        (f["rule_id"], f["severity"]) for f in report["findings"])
    assert len({a["id"] for a in articles}) == len(articles)
    for f in report["findings"]:
        where = f"{f['location']['path']}:{f['location']['line']}"
        assert where in page.text, where
    # the controls: every row of the JSON view, same status, same label, in the same order
    rows = page.having("tr", class_="control")
    assert [(r["data-citation"], r["data-status"], r["data-label"]) for r in rows] == [
        (c["citation"], c["status"], c["label"]) for c in report["controls"]]
    statuses = {r["data-citation"]: r["data-status"] for r in rows}
    assert statuses["164.312(a)(1)"] == "findings"
    assert statuses["164.310(a)(1)"] == "not-assessable"  # physical safeguards: never a vanished row
    assert {r["data-label"] for r in rows} >= {"required", "addressable", "standard"}
    # each rule's status inside its control's row
    assert {(s["data-rule"], s["data-status"]) for s in page.having("span", class_="rule-status")} >= {
        ("HS101", "findings"), ("HS109", "not-applicable")}  # an engine rule in a file scan assessed nothing
    # the run record: times, tool, catalog digest, scope
    run = report["run"]
    for value in (run["started"], run["tool"]["version"], run["catalog"]["sha256"], "fixtures/demo-stack",
                  "dockerfile: 2", "compose: 1", "env: 1", "min_days"):
        assert value in page.text, value
    # findings grouped by safeguard, each group with its rules' remediation and links to their pages
    groups = page.having("section", class_="safeguard")
    assert [g["data-citation"] for g in groups] == [c["citation"] for c in report["controls"] if c["findings"]]
    links = {a["href"] for a in page.having("a", class_="rule-link")}
    assert "https://github.com/hipaa-scan/hipaa-scan/blob/main/docs/rules/HS401.md" in links
    assert "Remediation" in page.text
    # a finding that relates to several safeguards is in full once, under its primary (first) citation, then linked
    primary: dict = {}
    for f in report["findings"]:
        primary.setdefault(f["rule_id"], set()).add(f["hipaa"][0])
    for chunk in text.split('<section class="safeguard" ')[1:]:
        cite = re.match(r'id="[^"]+" data-citation="([^"]+)"', chunk).group(1)
        for rule in re.findall(r'<article class="[^"]*" id="finding-\d+" data-rule="([^"]+)"', chunk):
            assert cite in primary[rule], (rule, cite)
    anchors = {a["href"] for t, a in page.elements if t == "a" and a.get("href", "").startswith("#finding-")}
    assert anchors and anchors <= {f"#{a['id']}" for a in articles}
    # print styles
    assert "@media print" in text
    # no secret of the demo stack
    assert "sk-proj-Fq3c9T1vQm7ZkXw2LbN8yR4sHd6JpUe0GaVo5CtI" not in text


def test_ignoring_configuration_keeps_every_row_and_says_why(tmp_path):
    """A config that ignores rules and overrides a severity: no control row vanishes; the excluded rules are listed
    as excluded with the configuration named, and the overrides are shown."""
    stack = tmp_path / "stack"
    shutil.copytree(DEMO, stack)
    config = tmp_path / "cfg.yaml"
    config.write_text("ignore: [HS5, HS404]\nseverity: {HS105: low}\nrules: {HS201: {min_days: 3000}}\n")
    plain = hipaa_scan("scan", str(stack), "--format", "json")
    proc = hipaa_scan("scan", str(stack), "--format", "html", "--config", str(config))
    assert proc.returncode == 1, proc.stderr
    page = assert_inert(proc.stdout)
    rows = page.having("tr", class_="control")
    assert [r["data-citation"] for r in rows] == [c["citation"] for c in json.loads(plain.stdout)["controls"]]
    excluded = {s["data-rule"] for s in page.having("span", class_="rule-status", data_status="excluded")}
    assert excluded == {"HS501", "HS502", "HS503", "HS504", "HS505", "HS506", "HS404"}
    assert f"ignored by configuration {config} (ignore: HS5)" in page.text
    assert not {a["data-rule"] for a in page.having("article")} & excluded
    assert str(config) in page.text and "HS105: low" in page.text and "min_days = 3000" in page.text


def _hostile_tree(root: Path) -> Path:
    folder = root / (HOSTILE.replace("/", "_") + "\u202e")
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(f"FROM python:3.12.1\nLABEL note={json.dumps(HOSTILE)}\nUSER root\n")
    (folder / "compose.yaml").write_text(
        "services:\n"
        f"  {json.dumps(HOSTILE)}:\n"
        "    image: redis:7.2.4\n"
        "    privileged: true\n"
        f"    environment:\n      {json.dumps('X' + HOSTILE)}: {json.dumps(HOSTILE)}\n")
    (folder / ".env").write_text(f"# {HOSTILE}\nAPI_TOKEN=\"s3cr3t-<b>not-shown</b>\"\nHOSTILE_FLAG=on\n")
    return folder


def test_hostile_names_and_values_stay_text(tmp_path):
    folder = _hostile_tree(tmp_path)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "HSX901.yaml").write_text(
        "id: HSX901\nname: hostile-rule\nseverity: high\nconfidence: high\nhipaa: ['164.312(a)(1)']\n"
        "sources: [env]\n"
        f"summary: {json.dumps('summary ' + HOSTILE)}\ndescription: {json.dumps('why ' + HOSTILE)}\n"
        f"remediation: {json.dumps('fix ' + HOSTILE)}\n"
        f"message: {json.dumps('msg ' + HOSTILE + ' {name}')}\n"
        "match:\n  - env: {name: '^HOSTILE_FLAG$', value: '^on$'}\n")
    proc = hipaa_scan("scan", str(folder), "--format", "html", "--rules-dir", str(rules), cwd=tmp_path)
    assert proc.returncode in (1, 2), proc.stderr
    page = assert_inert(proc.stdout)
    assert HOSTILE.replace("/", "_") in page.text  # the folder's name, as text
    assert "\u202e" not in proc.stdout and "\\u202e" in page.text  # a bidi override is shown as an escape
    assert "not-shown" not in proc.stdout  # the secret's value is masked
    rules_found = {a["data-rule"] for a in page.having("article")}
    assert {"HSX901", "HS102", "HS401"} <= rules_found, rules_found
    assert "fix " + HOSTILE in page.text and "msg " + HOSTILE + " HOSTILE_FLAG" in page.text
    assert HOSTILE in page.text  # the service name, as text


def test_html_reporter_escapes_every_value_it_is_given():
    """In-process, with hostile text in every field of a finding, rule, error, note and run record."""
    from hipaa_scan.model import Finding, Location, ScanError, ScanResult
    from hipaa_scan.report import get
    from hipaa_scan.rules.base import RuleMeta
    from hipaa_scan.runrecord import RunRecord

    h = HOSTILE
    meta = RuleMeta("HS101", "root-user", "high", "high", ("164.312(a)(1)",), ("compose",), "s " + h, "d " + h,
                    "fix " + h)
    finding = Finding("HS101", "root-user", "high", "high", "msg " + h, Location(h, 3, 1, "key " + h),
                      "res " + h, ("164.312(a)(1)",), "0" * 64, evidence="ev " + h, snippet="snip " + h)
    result = ScanResult([finding], [ScanError(h, "parse", "err " + h)], 1, 1, [meta], notes=["note " + h])
    record = RunRecord("scan")
    record.set_catalog([meta])
    record.config_path = h
    record.select = [(h, "command line")]
    record.ignore = [(h, h)]
    record.severity = {"HS101": "high"}
    record.roots = [h]
    record.files_by_kind = {h: 1}
    record.skipped = {h: 2}
    record.repositories = [{"root": h, "commit": h, "ref": h}]
    record.inputs = [{"path": h, "kind": h, "sha256": h}]
    record.end()
    result.record = record
    text = get("html").render(result)
    page = assert_inert(text)
    for value in ("msg " + h, "fix " + h, "err " + h, "note " + h, "snip " + h, "key " + h, "res " + h):
        assert value in page.text, value
    assert len(page.having("article")) == 1


def test_live_offline_page_and_evidence_report_html(tmp_path):
    out = tmp_path / "audit"
    proc = hipaa_scan("live", "--from-inspect", str(LIVE / "inspect.json"), "--from-info", str(LIVE / "info.json"),
                      "--format", "html", "--evidence", str(out))
    assert proc.returncode == 1, proc.stderr
    page = assert_inert(proc.stdout)
    assert page.having("table", class_="containers") and "hs-redis" in page.text
    assert page.having("tr", class_="control", data_citation="164.312(a)(1)", data_status="findings")
    report = out / "report.html"
    assert report.is_file()
    assert "report.html" in (out / "MANIFEST.sha256").read_text().split()
    evidence = assert_inert(report.read_text())
    assert len(evidence.having("article")) == len(page.having("article")) > 0
    assert subprocess.run(["sha256sum", "-c", "--quiet", "--strict", "MANIFEST.sha256"], cwd=out).returncode == 0


def test_html_is_a_format_of_scan_and_live():
    from hipaa_scan.report import REPORTERS, names

    assert "html" in names("scan") and "html" in names("live")
    assert REPORTERS["html"].suffix == "html" and REPORTERS["html"].evidence
    assert REPORTERS["html"].finding_encoder is None  # the page groups findings itself


def test_html_does_not_load_at_start_up_of_other_formats():
    code = ("import sys, hipaa_scan.cli, hipaa_scan.report; "
            "print('hipaa_scan.report.htmlfmt' in sys.modules, 'html' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_every_finding_is_on_the_page_once_whatever_it_cites():
    """A finding citing nothing (a pack's rule may), one citing only a provision outside the table, and one citing
    two: each is shown in full exactly once, and the suppressed one only with show_suppressed."""
    from hipaa_scan.model import Finding, Location, ScanResult, Suppression
    from hipaa_scan.report import get
    from hipaa_scan.rules.base import RuleMeta

    def meta(rule_id, cites):
        return RuleMeta(rule_id, f"rule-{rule_id.lower()}", "high", "high", cites, ("env",), "s", "d", "fix it",
                        origin="pack:acme")

    metas = [meta("AC101", ()), meta("AC102", ("164.999(z)",)), meta("AC103", ("164.312(b)", "164.312(a)(1)"))]
    findings = [Finding(m.id, m.name, "high", "high", f"msg {m.id}", Location("a.env", i + 1), "env:a.env",
                        m.hipaa, f"{i}" * 64) for i, m in enumerate(metas)]
    hidden = Finding("AC103", "rule-ac103", "high", "high", "hidden one", Location("a.env", 9), "env:a.env",
                     ("164.312(b)",), "9" * 64, suppression=Suppression("inline", "accepted"))
    result = ScanResult(findings + [hidden], [], 1, 1, metas)
    text = get("html").render(result)
    page = assert_inert(text)
    assert sorted(a["data-rule"] for a in page.having("article")) == ["AC101", "AC102", "AC103"]
    assert "hidden one" not in text
    # the two-citation finding in full under its first citation, linked under the second
    full = text.index('id="finding-2"')
    assert text.rfind('data-citation="164.312(b)"', 0, full) > text.rfind('data-citation="164.312(a)(1)"', 0, full)
    assert text.count('href="#finding-2"') == 1
    assert "Findings that name no safeguard of the table" in page.text
    assert not page.having("a", class_="rule-link")  # a pack's rules have no page in docs/rules
    with_suppressed = assert_inert(get("html").render(result, show_suppressed=True))
    assert sorted(a["data-rule"] for a in with_suppressed.having("article")) == ["AC101", "AC102", "AC103", "AC103"]
    assert "Suppressed (inline): accepted" in with_suppressed.text
