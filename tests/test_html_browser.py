"""The HTML report in a real browser (issue 17, item 5): Debian's headless Chromium (package `chromium`, installed
by .ci/install-docker.sh as docker.io is) renders the demo stack's page; the DOM it built is checked for the
control-by-control table, the statuses and the findings, and a screenshot is kept as a test artefact.

The browser runs with a profile in tmp_path, no network (every host name resolves to nothing, no proxy) and no
sandbox (the tests may run as root). Without a chromium binary the tests are skipped with the reason, except in CI
(CI=true), where they fail: a browser test must not vanish silently. The screenshot goes to $HIPAA_SCAN_ARTEFACTS
when set (a CI job collects that folder), else to the session's pytest temporary folder; its path is printed.
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

BROWSERS = ("chromium", "chromium-browser")
DEMO = Path(FIXTURES) / "demo-stack"
BROWSER_SECONDS = 120
EPOCH = "1764770400"  # 2025-12-03T14:00:00Z


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    reason = "no chromium binary (install Debian's chromium: sudo bash .ci/install-docker.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so the browser test may not be skipped", pytrace=False)
    pytest.skip(reason)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    command = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars", *args]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["HOME"] = str(tmp_path)  # no profile, cache or crash report outside tmp_path
    env["XDG_CONFIG_HOME"] = env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    return subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_SECONDS, env=env,
                          stdin=subprocess.DEVNULL)


class Dom(HTMLParser):
    """The browser's serialised DOM: elements with their attributes, and the text inside each element with an id
    or a data-rule (what the checks below read)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.stack: list[tuple[str, dict, list]] = []
        self.text_of: dict[str, str] = {}
        self.all_text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag not in ("meta", "br", "link", "img", "input"):
            self.stack.append((tag, attrs, []))

    def handle_endtag(self, tag):
        while self.stack:
            name, attrs, texts = self.stack.pop()
            if attrs.get("id"):
                self.text_of[attrs["id"]] = "".join(texts)
            if self.stack:
                self.stack[-1][2].extend(texts)
            if name == tag:
                break

    def handle_data(self, data):
        self.all_text.append(data)
        if self.stack:
            self.stack[-1][2].append(data)

    def having(self, tag: str, cls: str | None = None, **attrs: str) -> list[dict]:
        out = []
        for t, a in self.elements:
            if t != tag or (cls is not None and cls not in (a.get("class") or "").split()):
                continue
            if all(a.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(a)
        return out


def artefact_dir(tmp_path_factory) -> Path:
    where = os.environ.get("HIPAA_SCAN_ARTEFACTS")
    path = Path(where) if where else tmp_path_factory.getbasetemp() / "artefacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def announce(capsys, line: str) -> None:
    """Print a line past pytest's capture, so the artefact's path shows in every run's output."""
    with capsys.disabled():
        print(line)


def scan(*args: str, cwd: Path | str = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["SOURCE_DATE_EPOCH"] = EPOCH  # the HTML and JSON runs record the same time
    return subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    browser()
    folder = tmp_path_factory.mktemp("html-demo")
    page = folder / "demo-stack.html"
    html = scan("fixtures/demo-stack", "--format", "html", "--output", str(page))
    data = scan("fixtures/demo-stack", "--format", "json")
    assert html.returncode == 1 and data.returncode == 1, html.stderr + data.stderr
    return folder, page, json.loads(data.stdout)


def test_browser_dom_of_the_demo_stack_report(demo_page):
    folder, page, report = demo_page
    proc = chromium(folder, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = Dom(proc.stdout)
    # the browser built the page's structure: the sections, in order
    ids = [a["id"] for t, a in dom.elements if t == "section" and a.get("id")]
    assert ids[:4] == ["summary", "run", "controls", "findings"]
    # the control table: one row per control of the JSON view, with its status and required/addressable label
    rows = dom.having("tr", cls="control")
    assert [(r["data-citation"], r["data-status"], r["data-label"]) for r in rows] == [
        (c["citation"], c["status"], c["label"]) for c in report["controls"]]
    security = [c for c in report["controls"] if c["rule"] == "Security Rule"]
    assert len(security) >= 40 and {c["label"] for c in security} >= {"required", "addressable", "standard"}
    assert {r["data-status"] for r in rows} == {"findings", "not-assessable"}  # every rule of the catalog fires
    rule_statuses = {(a["data-rule"], a["data-status"]) for a in dom.having("span", cls="rule-status")}
    assert {("HS101", "findings"), ("HS109", "not-applicable")} <= rule_statuses  # an engine rule, a file scan
    by_cite = {r["data-citation"]: r["data-status"] for r in rows}
    assert by_cite["164.312(a)(1)"] == "findings" and by_cite["164.310(d)(1)"] == "not-assessable"
    # the findings: each once in full, grouped under safeguards, with rule links
    articles = dom.having("article")
    assert sorted(a["data-rule"] for a in articles) == sorted(f["rule_id"] for f in report["findings"])
    groups = [a["data-citation"] for a in dom.having("section", cls="safeguard")]
    assert groups == [c["citation"] for c in report["controls"] if c["findings"]]
    for article in articles:
        assert dom.text_of[article["id"]].strip(), article  # rendered with its text
    assert any("HS401" in a["href"] for a in dom.having("a", cls="rule-link"))
    # the summary and the run record as text
    summary = dom.text_of["summary"]
    assert f"{report['summary']['findings']} active findings" in " ".join(summary.split())
    run = dom.text_of["run"]
    assert report["run"]["started"] == "2025-12-03T14:00:00Z"
    for value in (report["run"]["started"], report["run"]["catalog"]["sha256"], "Effective configuration", "Scope"):
        assert value in run, value
    # nothing executable came to life
    assert not [t for t, _ in dom.elements if t in ("script", "iframe", "object", "embed", "img")]


def test_browser_screenshot_is_kept_as_an_artefact(demo_page, tmp_path_factory, capsys):
    folder, page, _ = demo_page
    shot = artefact_dir(tmp_path_factory) / "html-report-demo-stack.png"
    if shot.exists():
        shot.unlink()
    proc = chromium(folder, f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2400)
    assert len(data) > 50_000  # a rendered page, not a blank one
    announce(capsys, f"\nHTML report screenshot: {shot}")


def test_browser_runs_nothing_from_hostile_names(tmp_path):
    """A folder and a service named with markup: the browser's DOM holds them as text, no element came of them."""
    hostile = '</style><script>document.title="pwned"</script><img src=x onerror=alert(1)>'
    stack = tmp_path / "stack"
    shutil.copytree(DEMO, stack)
    odd = stack / hostile.replace("/", "_")
    odd.mkdir()
    (odd / "compose.yaml").write_text(f"services:\n  {json.dumps(hostile)}:\n    image: redis:7.2.4\n"
                                      "    privileged: true\n")
    page = tmp_path / "page.html"
    proc = scan(str(stack), "--format", "html", "--output", str(page), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    dom_proc = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom_proc.returncode == 0, dom_proc.stderr[-2000:]
    dom = Dom(dom_proc.stdout)
    assert not [t for t, _ in dom.elements if t in ("script", "img", "iframe", "object", "embed")]
    assert [a for t, a in dom.elements if t == "style"] == [{}]  # one style element: </style> in a name stayed text
    titles = [a for t, a in dom.elements if t == "title"]
    assert len(titles) == 1 and "pwned" not in "".join(dom.all_text[:5])
    assert any(hostile in text for text in dom.text_of.values())


def test_browser_prints_the_page(demo_page, tmp_path):
    """@media print: Chromium prints the page to PDF, several pages, with no header or footer of its own."""
    folder, page, _ = demo_page
    pdf = tmp_path / "report.pdf"
    proc = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))  # page objects (not the /Pages tree)
    assert pages >= 10, pages  # the control table alone runs to several pages


def test_browser_shows_rules_excluded_by_an_ignoring_config(tmp_path):
    """The issue's case: `ignore: [HS5, HS404]` and a severity override. In the browser every control row is still
    there, the excluded rules are shown as excluded with the configuration that excluded them."""
    stack = tmp_path / "stack"
    shutil.copytree(DEMO, stack)
    config = tmp_path / "hipaa.yaml"
    config.write_text("ignore: [HS5, HS404]\nseverity: {HS105: low}\n")
    page = tmp_path / "page.html"
    plain = scan(str(stack), "--format", "json", cwd=tmp_path)
    proc = scan(str(stack), "--format", "html", "--config", str(config), "--output", str(page), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    dom_proc = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom_proc.returncode == 0, dom_proc.stderr[-2000:]
    dom = Dom(dom_proc.stdout)
    rows = dom.having("tr", cls="control")
    assert [r["data-citation"] for r in rows] == [c["citation"] for c in json.loads(plain.stdout)["controls"]]
    excluded = {a["data-rule"] for a in dom.having("span", cls="rule-status", data_status="excluded")}
    assert excluded == {"HS404", "HS501", "HS502", "HS503", "HS504", "HS505", "HS506"}
    run = " ".join(dom.text_of["run"].split())
    assert f"{config}, SHA-256" in run and "HS105: low" in run and "HS5 (" in run
    assert f"ignored by configuration {config} (ignore: HS5)" in " ".join(dom.text_of["controls"].split())
