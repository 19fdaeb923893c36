"""Rule options are declared in the rule (RuleOption: kind, default, description), and the configuration schema's
`rules` section is generated from the rules loaded: built-in, `--rules-dir` and pack rules alike. A configured
option takes effect; an undeclared option or a value of the wrong kind is exit 2 with one clear line."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from hipaa_scan import options
from hipaa_scan.rules import load_rules
from hipaa_scan.rules.base import RuleOption, meta

PACK = '''
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import Rule, RuleOption, meta

META = meta(
    id="ACME101", name="too-many-published-ports", severity="high", confidence="high", hipaa=["164.312(e)(1)"],
    sources=["compose"], summary="More published ports than allowed.", description="Each port is exposure.",
    remediation="Publish fewer ports.",
    options=[RuleOption("max_ports", "integer", 1, "Most ports a service may publish.", minimum=0),
             RuleOption("prefix", "string", "ports", "What the message starts with.")])


def check(res, ctx):
    if len(res.ports) > ctx.options["max_ports"]:
        yield Hit(res.anchor, f"{ctx.options['prefix']}: {res.label} publishes {len(res.ports)} ports "
                              f"(at most {ctx.options['max_ports']})", key="ports")


def rules():
    return [Rule(META, check)]
'''

RULE_FILE = """\
id: XDIR101
name: debug-flag
severity: low
confidence: high
hipaa: ["164.312(b)"]
sources: [compose]
summary: A DEBUG_FLAG variable is set.
description: Debug output may carry request data.
remediation: Unset it.
message: "{resource} sets {name}"
options:
  threshold: {kind: integer, default: 3, description: "How many flags are tolerated.", minimum: 0}
  names: {kind: strings, default: [], description: "Extra variable names."}
match:
  - env: {name: "^DEBUG_FLAG$", value: "."}
"""

COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80', '8443:443']\n    environment:\n      DEBUG_FLAG: 'on'\n"


@pytest.fixture()
def project(tmp_path):
    """A scanned folder, an installed pack (a dist-info with its entry point, on PYTHONPATH) and a rules folder."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_pack.py").write_text(PACK)
    info = site / "acme_pack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-pack\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[hipaa_scan.rules]\nacme = acme_pack:rules\n")
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "XDIR101.yaml").write_text(RULE_FILE)
    work = tmp_path / "work"
    work.mkdir()
    (work / "compose.yaml").write_text(COMPOSE)
    return tmp_path


def scan(root, config, *extra):
    (root / "work" / ".hipaa-scan.yaml").write_text(textwrap.dedent(config))
    env = dict(os.environ, PYTHONPATH=str(root / "site"), XDG_CACHE_HOME=str(root / "cache"), HOME=str(root))
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "--format", "json", "--select", "ACME,XDIR",
                           "--rules-dir", str(root / "rules"), *extra, "."], cwd=root / "work", env=env,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def messages(stdout):
    return [(f["rule_id"], f["message"]) for f in json.loads(stdout)["findings"]]


def test_a_pack_rule_reads_its_declared_defaults(project):
    code, out, err = scan(project, "select: [ACME, XDIR]\n")
    assert (code, err) == (1, "")
    assert messages(out) == [("ACME101", 'ports: service "web" publishes 2 ports (at most 1)'),
                             ("XDIR101", 'service "web" sets DEBUG_FLAG')]


def test_a_pack_rule_option_configured_takes_effect(project):
    code, out, err = scan(project, "rules:\n  ACME101: {max_ports: 2}\n")
    assert (code, err) == (0, "")
    assert messages(out) == [("XDIR101", 'service "web" sets DEBUG_FLAG')]
    code, out, err = scan(project, "rules:\n  ACME101: {max_ports: 0, prefix: box}\n  XDIR101: {threshold: 5}\n")
    assert (code, err) == (1, "")
    assert messages(out)[0] == ("ACME101", 'box: service "web" publishes 2 ports (at most 0)')


@pytest.mark.parametrize("config, line", [
    ("rules:\n  ACME101: {max_port: 2}\n", "unknown key 'max_port' in rules.ACME101"),
    ("rules:\n  XDIR101: {thresold: 2}\n", "unknown key 'thresold' in rules.XDIR101"),
    ("rules:\n  ACME101: {max_ports: two}\n", "rules.ACME101.max_ports: 'two' is not of type 'integer'"),
    ("rules:\n  ACME101: {max_ports: -1}\n", "rules.ACME101.max_ports: -1 is less than the minimum of 0"),
    ("rules:\n  XDIR101: {names: DEBUG}\n", "rules.XDIR101.names: 'DEBUG' is not of type 'array'"),
    ("rules:\n  HS102: {anything: 1}\n", "unknown key 'HS102' in rules"),  # a rule with no options
    ("rules:\n  ACME999: {max_ports: 1}\n", "unknown key 'ACME999' in rules: no rule 'ACME999' (see `hipaa-scan "
                                          "rules`)"),
])
def test_an_undeclared_option_or_a_wrong_kind_is_one_line_and_exit_2(project, config, line):
    code, out, err = scan(project, config)
    assert (code, out) == (2, "")
    assert err == f"hipaa-scan: error: {project / 'work' / '.hipaa-scan.yaml'}: {line}\n"


def test_pack_options_are_unknown_without_the_pack(project):
    """The schema is built from the rules loaded: without the --rules-dir folder, XDIR101's options are refused."""
    (project / "work" / ".hipaa-scan.yaml").write_text("rules:\n  XDIR101: {threshold: 5}\n")
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "-q", "."], cwd=project / "work",
                          env=dict(os.environ, XDG_CACHE_HOME=str(project / "cache"), HOME=str(project)),
                          capture_output=True, text=True, timeout=120)
    config = project / "work" / ".hipaa-scan.yaml"
    assert (proc.returncode, proc.stderr) == (2, f"hipaa-scan: error: {config}: unknown key 'XDIR101' in rules: "
                                                 "no rule 'XDIR101' (see `hipaa-scan rules`)\n")


def test_builtin_options_are_declared_once_with_kind_default_and_description():
    declared = {m.id: {o.name: (o.kind, o.default) for o in m.options}
                for m in (r.meta for r in load_rules(packs=False)) if m.options}
    assert declared == {"HS101": {"nonroot_base_images": ("strings", []), "root_images": ("strings", [])},
                        "HS201": {"min_days": ("integer", 2555)},
                        "HS307": {"as_of": ("string", ""), "eol_releases": ("strings", [])},
                        "HS401": {"placeholder_patterns": ("patterns", [])},
                        "HS506": {"key_variables": ("strings", []), "vendor_hosts": ("strings", [])}}
    schema = options.config_schema((m.id, m.options) for m in (r.meta for r in load_rules(packs=False)))
    assert schema["properties"]["rules"]["properties"]["HS201"] == {
        "type": "object", "additionalProperties": False,
        "properties": {"min_days": {"type": "integer", "minimum": 1,
                                    "description": "Your audit-log retention policy in days: shorter retention is "
                                                   "reported (default 2555)."}}}


def test_an_option_of_an_unknown_kind_is_refused_where_it_is_declared():
    with pytest.raises(ValueError, match="kind must be one of"):
        RuleOption("n", "list", [])
    assert [o.name for o in meta(id="X101", name="x", severity="low", confidence="low", hipaa=[], sources=[],
                                 summary="", description="", remediation="",
                                 options={"b": {"kind": "string", "default": ""},
                                          "a": {"kind": "integer", "default": 1}}).options] == ["a", "b"]


def test_a_bad_pattern_in_any_patterns_option_is_one_line(tmp_path):
    (tmp_path / ".hipaa-scan.yaml").write_text("rules:\n  HS401: {placeholder_patterns: ['(?<=x)y']}\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "scan", "-q", "."], cwd=tmp_path, timeout=120,
                          env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path)),
                          capture_output=True, text=True)
    assert proc.returncode == 2
    config = tmp_path / ".hipaa-scan.yaml"
    assert proc.stderr.startswith(f"hipaa-scan: error: {config}: rules.HS401.placeholder_patterns[0]: ")
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("spec, kind", [("{kind: integer, default: many}", "integer"),
                                        ("{kind: strings, default: [1, 2]}", "strings"),
                                        ("{kind: boolean, default: 0}", "boolean"),
                                        ("{kind: number, default: true}", "number")])
def test_a_rules_dir_option_whose_default_is_not_of_its_kind_is_one_line(project, spec, kind):
    rule = project / "rules" / "XDIR101.yaml"
    rule.write_text(RULE_FILE.replace("{kind: integer, default: 3, description: \"How many flags are tolerated.\", "
                                      "minimum: 0}", spec))
    code, out, err = scan(project, "select: [XDIR]\n")
    assert (code, out) == (2, "")
    assert err == f"hipaa-scan: error: {rule}: options: option threshold: the default is not of kind {kind}\n"


def test_a_pack_option_whose_default_is_not_of_its_kind_is_refused_at_declaration():
    with pytest.raises(ValueError, match="option n: the default is not of kind integer"):
        RuleOption("n", "integer", "3")
    assert RuleOption("n", "number", 3).default == 3
