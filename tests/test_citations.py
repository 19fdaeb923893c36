"""The citation table (hipaa.py) against the rules, the reports and the docs (issue 17): every citation a rule uses
is in the table and every entry marked cited is used; required/addressable and the rule of Part 164 are printed
wherever citations are; CIS references all name v1.6.0 recommendations; HS201 judges against a retention policy."""

import json
import re

import pytest

from hipaa_scan import hipaa
from hipaa_scan.docs import catalog_json, mapping_page, rule_page
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.report import sarif, text
from hipaa_scan.rules import load_rules
from hipaa_scan.rules.hs201_audit_retention import days, is_audit_retention

METAS = [r.meta for r in load_rules(packs=False)]
BY_ID = {m.id: m for m in METAS}


def test_every_citation_a_rule_uses_is_in_the_table():
    missing = {(m.id, c) for m in METAS for c in m.hipaa if c not in hipaa.BY_CITE}
    assert not missing


def test_every_entry_marked_cited_is_used_and_every_used_one_is_marked():
    used = {c for m in METAS for c in m.hipaa}
    marked = {p.cite for p in hipaa.PROVISIONS if p.cited}
    assert marked == used, (sorted(marked - used), sorted(used - marked))


def test_the_table_is_consistent():
    for p in hipaa.PROVISIONS:
        if p.kind == hipaa.SPECIFICATION:
            assert p.requirement in (hipaa.REQUIRED, hipaa.ADDRESSABLE), p.cite
            parent = hipaa.BY_CITE[p.standard]
            assert parent.kind == hipaa.STANDARD and parent.section == p.section, p.cite
            assert p.cite.startswith(re.sub(r"\([a-z0-9]+\)$", "", parent.cite)), p.cite
        else:
            assert p.requirement is None and p.standard == p.cite, p.cite
        assert p.rule in (hipaa.SECURITY, hipaa.PRIVACY, hipaa.BREACH)
        # what no rule touches says why this tool cannot assess it; what a rule cites does not
        assert bool(p.not_assessable) != p.cited or (not p.cited and p.section not in hipaa.SECTIONS), p.cite
        assert p.title and p.text.endswith("."), p.cite
    assert len({p.cite for p in hipaa.PROVISIONS}) == len(hipaa.PROVISIONS)
    # every safeguard section has its standards
    for section in hipaa.SECTIONS:
        assert any(p.section == section and p.kind == hipaa.STANDARD for p in hipaa.PROVISIONS), section


@pytest.mark.parametrize("cite,kind,requirement,rule", [
    ("164.308(a)(1)(ii)(D)", hipaa.SPECIFICATION, hipaa.REQUIRED, hipaa.SECURITY),
    ("164.308(a)(5)(ii)(D)", hipaa.SPECIFICATION, hipaa.ADDRESSABLE, hipaa.SECURITY),
    ("164.308(a)(5)(ii)(B)", hipaa.SPECIFICATION, hipaa.ADDRESSABLE, hipaa.SECURITY),
    ("164.308(a)(7)(ii)(A)", hipaa.SPECIFICATION, hipaa.REQUIRED, hipaa.SECURITY),
    ("164.308(b)(3)", hipaa.SPECIFICATION, hipaa.REQUIRED, hipaa.SECURITY),
    ("164.310(d)(2)(iii)", hipaa.SPECIFICATION, hipaa.ADDRESSABLE, hipaa.SECURITY),
    ("164.312(a)(2)(i)", hipaa.SPECIFICATION, hipaa.REQUIRED, hipaa.SECURITY),
    ("164.312(a)(2)(iv)", hipaa.SPECIFICATION, hipaa.ADDRESSABLE, hipaa.SECURITY),
    ("164.312(b)", hipaa.STANDARD, None, hipaa.SECURITY),
    ("164.312(e)(2)(i)", hipaa.SPECIFICATION, hipaa.ADDRESSABLE, hipaa.SECURITY),
    ("164.312(e)(2)(ii)", hipaa.SPECIFICATION, hipaa.ADDRESSABLE, hipaa.SECURITY),
    ("164.314(a)(2)(i)", hipaa.SPECIFICATION, hipaa.REQUIRED, hipaa.SECURITY),
    ("164.316(b)(2)(i)", hipaa.SPECIFICATION, hipaa.REQUIRED, hipaa.SECURITY),
    ("164.306(a)(1)", hipaa.GENERAL, None, hipaa.SECURITY),
    ("164.502(e)", hipaa.STANDARD, None, hipaa.PRIVACY),
])
def test_facts_checked_against_the_regulation(cite, kind, requirement, rule):
    p = hipaa.BY_CITE[cite]
    assert (p.kind, p.requirement, p.rule) == (kind, requirement, rule)


def test_every_security_rule_standard_is_in_the_table():
    standards = {p.cite for p in hipaa.PROVISIONS if p.kind == hipaa.STANDARD and p.rule == hipaa.SECURITY}
    assert standards == {
        "164.308(a)(1)(i)", "164.308(a)(2)", "164.308(a)(3)(i)", "164.308(a)(4)(i)", "164.308(a)(5)(i)",
        "164.308(a)(6)(i)", "164.308(a)(7)(i)", "164.308(a)(8)", "164.308(b)(1)",
        "164.310(a)(1)", "164.310(b)", "164.310(c)", "164.310(d)(1)",
        "164.312(a)(1)", "164.312(b)", "164.312(c)(1)", "164.312(d)", "164.312(e)(1)",
        "164.314(a)(1)", "164.314(b)(1)", "164.316(a)", "164.316(b)(1)"}
    # physical safeguards are never assessable by a configuration scanner
    assert all(p.not_assessable for p in hipaa.PROVISIONS if p.cite.startswith("164.310"))


@pytest.mark.parametrize("rule_id,has,lacks", [
    ("HS305", set(), {"164.312(b)"}),
    ("HS306", set(), {"164.312(e)(1)"}),
    ("HS106", {"164.312(a)(1)"}, {"164.312(e)(1)"}),
    ("HS401", {"164.308(a)(5)(ii)(D)"}, {"164.312(a)(2)(iv)"}),
    ("HS405", {"164.308(a)(5)(ii)(D)"}, {"164.312(a)(2)(iv)"}),
    ("HS503", {"164.308(b)(1)", "164.308(b)(3)", "164.314(a)(1)", "164.502(e)"}, {"164.312(e)(1)"}),
    ("HS303", {"164.306(a)(1)"}, {"164.308(a)(7)", "164.308(a)(7)(i)"}),
    ("HS304", {"164.306(a)(1)"}, {"164.308(a)(7)", "164.308(a)(7)(i)"}),
    ("HS201", {"164.312(b)", "164.308(a)(1)(ii)(D)", "164.316(b)(2)(i)"}, set()),
    ("HS202", {"164.312(b)", "164.308(a)(1)(ii)(D)"}, set()),
    ("HS203", {"164.312(b)", "164.308(a)(1)(ii)(D)"}, set()),
    ("HS502", {"164.312(e)(1)", "164.312(e)(2)(i)", "164.312(e)(2)(ii)"}, set()),
])
def test_the_citations_the_issue_corrected(rule_id, has, lacks):
    cites = set(BY_ID[rule_id].hipaa)
    assert has <= cites and not (lacks & cites), cites


def test_cis_references_name_v1_6_0_recommendations_that_exist():
    assert hipaa.CIS_VERSION == "CIS Docker Benchmark v1.6.0"
    sections = {}
    for number in hipaa.CIS_RECOMMENDATIONS:
        major, minor = number.split(".")
        sections.setdefault(major, []).append(int(minor))
    # sections 2, 4 and 5 of v1.6.0, complete and numbered without gaps
    assert {k: sorted(v) for k, v in sections.items()} == {
        "2": list(range(1, 19)), "4": list(range(1, 13)), "5": list(range(1, 33))}
    bad = [(m.id, ref) for m in METAS for ref in m.cis if hipaa.cis_number(ref) not in hipaa.CIS_RECOMMENDATIONS]
    assert not bad
    assert {ref for ref in BY_ID["HS103"].cis} == {"CIS Docker 1.6.0 5.32"}
    assert set(BY_ID["HS102"].cis) == {"CIS Docker 1.6.0 5.5"}
    assert set(BY_ID["HS109"].cis) == {"CIS Docker 1.6.0 2.9"}
    assert set(BY_ID["HS306"].cis) == {"CIS Docker 1.6.0 2.5"}
    assert set(BY_ID["HS504"].cis) == {"CIS Docker 1.6.0 2.7"}


def _scan(tmp_path, name, body, select, **options):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    result = scan_paths([str(path)], ScanOptions(select=select, rule_options=options))
    assert not result.errors, result.errors
    return result


def test_text_report_labels_each_citation_with_its_rule_and_requirement(tmp_path):
    result = _scan(tmp_path, ".env", "LANGCHAIN_TRACING_V2=true\nDB_PASSWORD=Zq8#vLr2pX9w\n", ["HS401", "HS503"])
    out = text.render(result)
    assert ("HIPAA Security Rule 164.312(a)(1) (standard), 164.308(a)(5)(ii)(D) (addressable), "
            "164.312(d) (standard)\n") in out
    assert ("HIPAA Security Rule 164.308(b)(1) (standard), 164.308(b)(3) (required), 164.314(a)(1) (standard); "
            "Privacy Rule 164.502(e) (standard)\n") in out
    # the per-safeguard summary names the Privacy Rule paragraph as such
    assert re.search(r"164\.502\(e\) \(standard\)\s*│\s*Disclosures to business associates \(Privacy Rule\)", out)


def test_sarif_rules_carry_labelled_citations(tmp_path):
    result = _scan(tmp_path, ".env", "LANGCHAIN_TRACING_V2=true\n", ["HS503"])
    run = json.loads(sarif.render(result))["runs"][0]
    (rule,) = run["tool"]["driver"]["rules"]
    markdown = rule["help"]["markdown"]
    assert "**HIPAA Security Rule**\n\n- 45 CFR 164.308(b)(1) (standard): Business associate contracts" in markdown
    assert "**HIPAA Privacy Rule**\n\n- 45 CFR 164.502(e) (standard): Disclosures to business associates" in markdown
    assert "Privacy Rule 164.502(e) (standard)" in rule["help"]["text"]
    props = {c["citation"]: c for c in rule["properties"]["hipaa-citations"]}
    assert props["164.308(b)(3)"]["requirement"] == "required"
    assert props["164.502(e)"]["rule"] == "Privacy Rule" and "requirement" not in props["164.502(e)"]
    result = _scan(tmp_path, "Dockerfile", "FROM alpine:3.20\nUSER 1000\nCOPY id_rsa /root/.ssh/id_rsa\n", ["HS405"])
    (rule,) = json.loads(sarif.render(result))["runs"][0]["tool"]["driver"]["rules"]
    props = {c["citation"]: c for c in rule["properties"]["hipaa-citations"]}
    assert props["164.308(a)(5)(ii)(D)"] == {
        "citation": "164.308(a)(5)(ii)(D)", "title": "Password management", "rule": "Security Rule",
        "kind": "implementation specification", "standard": "164.308(a)(5)(i)", "requirement": "addressable"}
    assert rule["properties"]["cis"] == ["CIS Docker 1.6.0 4.10"]
    assert "- CIS Docker Benchmark v1.6.0 4.10: Do not store secrets in Dockerfiles" in rule["help"]["markdown"]


def test_docs_and_catalog_label_citations():
    page = rule_page(BY_ID["HS503"])
    assert "45 CFR 164.308(b)(3) Written contract or other arrangement (Security Rule, required)" in page
    assert "45 CFR 164.502(e) Disclosures to business associates (Privacy Rule, standard)" in page
    assert "| CIS Docker Benchmark v1.6.0 | 5.32 Do not mount the Docker socket inside containers |" in \
        rule_page(BY_ID["HS103"])
    catalog = {r["id"]: r for r in json.loads(catalog_json(METAS))}
    assert {c["citation"]: c.get("requirement") for c in catalog["HS401"]["hipaa_citations"]} == {
        "164.312(a)(1)": None, "164.308(a)(5)(ii)(D)": "addressable", "164.312(d)": None}


def test_the_crosswalk_lists_every_safeguard_with_its_status():
    page = mapping_page(METAS)
    for p in hipaa.PROVISIONS:
        if p.section in hipaa.SECTIONS:
            row = next(line for line in page.splitlines() if line.startswith(f"| {p.cite} |"))
            if p.cited:
                assert "[HS" in row, row
            else:
                assert f"not assessable by this tool ({p.not_assessable})" in row, row
    assert "| 164.308(a)(5)(ii)(D) | Password management | implementation specification | A | " in page
    assert "| 164.312(b) | Audit controls | standard | R | " in page
    assert "**45 CFR 164.502(e)** Disclosures to business associates (Privacy Rule, standard)" in page


# HS201 as policy

def _hs201(tmp_path, body, **options):
    result = _scan(tmp_path, ".env", body, ["HS201"], **({"HS201": options} if options else {}))
    return [(f.location.line, f.message, f.hipaa) for f in result.findings]


AUDIT = ("164.312(b)", "164.308(a)(1)(ii)(D)")
DOCS = AUDIT + ("164.316(b)(2)(i)",)


def test_six_years_is_below_the_policy_but_not_below_the_documentation_period(tmp_path):
    got = _hs201(tmp_path, "AUDIT_LOG_RETENTION_DAYS=2191\nAUDIT_RETENTION=P6Y\nAUDIT_LOG_TTL=2190d\n"
                           "AUDIT_KEEP_DAYS=2555\n")
    assert got == [
        (1, "env file " + str(tmp_path / ".env") + " keeps audit logs 2191 days (AUDIT_LOG_RETENTION_DAYS=2191), "
            "below the configured 2555-day retention policy", AUDIT),
        (2, "env file " + str(tmp_path / ".env") + " keeps audit logs 2191.5 days (AUDIT_RETENTION=P6Y), below the "
            "configured 2555-day retention policy", AUDIT),
        (3, "env file " + str(tmp_path / ".env") + " keeps audit logs 2190 days (AUDIT_LOG_TTL=2190d), below the "
            "configured 2555-day retention policy, and under the six years 164.316(b)(2)(i) sets for keeping "
            "Security Rule documentation", DOCS),
    ]


def test_the_policy_is_configurable_and_named(tmp_path):
    got = _hs201(tmp_path, "AUDIT_LOG_RETENTION_DAYS=2600\nAUDIT_RETENTION=P10Y\n", min_days=3000)
    assert [(line, cites) for line, _, cites in got] == [(1, AUDIT)]
    assert got[0][1].endswith("(AUDIT_LOG_RETENTION_DAYS=2600), below the configured 3000-day retention policy")
    got = _hs201(tmp_path, "AUDIT_LOG_RETENTION_DAYS=400\n", min_days=365)
    assert got == []


@pytest.mark.parametrize("value,expected", [
    ("P6Y", 2191.5), ("P2555D", 2555), ("P7Y6M", 7 * 365.25 + 6 * 365.25 / 12),
    ("P1Y2M10D", 365.25 + 2 * 365.25 / 12 + 10), ("P52W", 364), ("PT8760H", 365), ("P1DT12H", 1.5),
    ("p6y", 2191.5), ("7y", 7 * 365.25), ("2555d", 2555), ("90 days", 90), ("720h", 30), ("8760h0m0s", 365),
    ("1y6m", 1.5 * 365.25), ("2 years and 6 months", 2.5 * 365.25), ("7 yrs", 7 * 365.25), ("2,555", 2555),
    ("\"365\"", 365), ("36 months", 3 * 365.25), ("1.5y", 1.5 * 365.25), ("0", 0),
    ("forever", None), ("-1", None), ("P", None), ("PT", None), ("P1H", None), ("7 parsecs", None), ("", None),
])
def test_durations(value, expected):
    got = days("AUDIT_LOG_RETENTION", value)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_units_in_the_name():
    assert days("AUDIT_LOG_RETENTION_HOURS", "720") == 30
    assert days("AUDIT_LOG_RETENTION_WEEKS", "52") == 364
    assert days("AUDIT_LOG_RETENTION_MS", "604800000") == pytest.approx(7)
    assert days("AUDIT_LOG_RETENTION_M", "3") is None  # minutes or months


@pytest.mark.parametrize("name", [
    "AUDIT_LOG_RETENTION_DAYS", "AUDIT_RETENTION", "AUDITLOG_MAXAGE", "AUDIT_TRAIL_TTL", "audit.log.retention",
    "AUDIT_HISTORY_DAYS", "AUDIT_LOG_KEEP_DAYS", "PHI_ACCESS_AUDIT_MAX_AGE", "AUDIT_LOG_DELETE_AFTER",
    "AUDIT_EVENTS_EXPIRY"])
def test_audit_named_settings_count(name):
    assert is_audit_retention(name)


@pytest.mark.parametrize("name", [
    "REQUEST_LOG_RETENTION_DAYS", "ACCESS_LOG_RETENTION_DAYS", "APP_LOG_RETENTION", "LOG_RETENTION_DAYS",
    "TRACE_HISTORY_DAYS", "REQUEST_HISTORY_TTL", "APP_HISTORY_DAYS", "KAFKA_LOG_RETENTION_HOURS",
    "DATA_RETENTION_DAYS", "AUDIT_RETENTION_ENABLED", "AUDIT_LOG_RETENTION_SIZE_MB", "AUDIT_KEEPALIVE",
    "AUDIT_LOG_RETENTION_CHECK_INTERVAL", "AUDIT_LOG_MAX_BACKUPS", "AUDIT_TRACE_RETENTION"])
def test_other_logs_and_settings_do_not(name):
    assert not is_audit_retention(name)


def test_command_line_flags(tmp_path):
    result = _scan(tmp_path, "compose.yaml", "services:\n  api:\n    image: registry.k8s.io/kube-apiserver:v1.30.2\n"
                   "    command: [kube-apiserver, --audit-log-maxage=30, --audit-log-maxbackup=10, --access-log-maxage=1]\n"
                   "  gw:\n    image: acme/gw:1.0.0\n    command: gw --audit-retention P7Y --audit-log-max-age 2190d\n",
                   ["HS201"])
    assert [(f.location.line, f.message, f.hipaa) for f in result.findings] == [
        (4, 'service "api" keeps audit logs 30 days (--audit-log-maxage=30), below the configured 2555-day retention '
            "policy, and under the six years 164.316(b)(2)(i) sets for keeping Security Rule documentation", DOCS),
        (7, 'service "gw" keeps audit logs 2190 days (--audit-log-max-age=2190d), below the configured 2555-day '
            "retention policy, and under the six years 164.316(b)(2)(i) sets for keeping Security Rule documentation",
         DOCS),
    ]
