"""Issue 18, part C: clear-text datastore links (HS505), LLM vendors (HS506), and the datastore / PHI-server
catalogue (data/datastores.json) behind HS402, HS403 and HS501: live offline fixtures, messages that never
quote values, the dated data files and their overrides in .hipaa-scan.yaml."""

import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from hipaa_scan.catalog import CATALOGUE, DEFAULT_DATASTORES
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.images import catalogue

RULES = os.path.join(FIXTURES, "rules")
LIVE = os.path.join(FIXTURES, "live", "catalogue", "inspect.json")


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def findings(proc):
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["findings"]


# -- live: the same facts from docker inspect --------------------------------------------------------------------

def test_live_inspect_fixture_gives_exactly_these_findings():
    proc = cli("live", "--from-inspect", LIVE, "--format", "json", "--select", "HS402,HS403,HS501,HS505,HS506")
    got = {(f["rule_id"], f["resource"], f["location"].get("key")) for f in findings(proc)}
    assert got == {
        ("HS505", "container:n3-links", "Config.Env[0]"),  # redis://
        ("HS505", "container:n3-links", "Config.Env[1]"),  # postgresql:// without sslmode
        ("HS505", "container:n3-links", "Config.Env[2]"),  # Kafka PLAINTEXT listener
        ("HS506", "container:n3-links", "Config.Env[3]"),  # an OpenAI key, no base URL
        ("HS403", "container:n3-milvus", None),  # Milvus without authorizationEnabled
        ("HS501", "container:n3-orthanc", "NetworkSettings.Ports.8042/tcp"),  # 4242 is on loopback
    }


# -- messages name the variable, never the value -----------------------------------------------------------------

@pytest.mark.parametrize("rule_id", ["HS505", "HS506"])
def test_messages_and_evidence_never_quote_values(rule_id):
    path = os.path.join(RULES, rule_id, "bad", ".env")
    values = [line.split("=", 1)[1] for line in open(path, encoding="utf-8")
              if "=" in line and not line.startswith("#")]
    proc = cli("scan", path, "--select", rule_id, "--format", "json")
    out = findings(proc)
    assert len(out) == len(values)
    for finding in out:
        for value in values:
            for text in (finding["message"], finding.get("evidence") or ""):
                assert value.strip() not in text
                assert value.strip()[8:24] not in text  # nor a piece of it (host, key)


def test_hs505_messages_name_variable_product_and_where():
    result = scan_paths([os.path.join(RULES, "HS505", "bad", ".env")], ScanOptions(select=["HS505"]))
    by_line = {f.location.line: f.message for f in result.findings}
    assert by_line[3].endswith("connects to Redis without TLS: REDIS_URL uses redis://, not rediss:// (to a service "
                               "on a Docker network: the traffic stays on the Docker networks, readable by every "
                               "container on them and by the host)")
    # a host with a domain is not said to stay on a Docker network
    assert by_line[5].endswith("connects to Redis without TLS: CELERY_BROKER_URL uses redis://, not rediss://")
    assert "connects to PostgreSQL without TLS: PG_DSN is a libpq DSN without sslmode" in by_line[13]
    assert "connects to MongoDB without TLS: MONGO_URL uses mongodb:// without tls=true" in by_line[15]
    assert "connects to Milvus without TLS: VECTOR_STORE uses an http:// endpoint" in by_line[29]  # by its port


def test_hs506_message_names_the_vendor_and_the_evidence_asked_for():
    result = scan_paths([os.path.join(RULES, "HS506", "bad", "compose.yaml")], ScanOptions(select=["HS506"]))
    messages = sorted(f.message for f in result.findings)
    assert messages[0] == (
        'service "agent" configures OpenAI (OPENAI_API_KEY is set) and no OPENAI_BASE_URL or OPENAI_API_BASE names '
        "a self-hosted or BAA-covered endpoint: prompts, and any PHI in them, go to OpenAI, which needs a business "
        "associate agreement on record")
    assert messages[1].startswith('service "proxied" configures OpenAI (OPENAI_API_KEY is set, OPENAI_BASE_URL '
                                  "points at OpenAI's API)")
    assert messages[2].startswith('service "router" configures Groq (OPENAI_API_KEY is set, OPENAI_BASE_URL points '
                                  "at Groq's API)")
    assert len(messages) == 4
    assert all(f.evidence.endswith(" set") for f in result.findings)


def test_hs506_fix_is_a_suppression_with_its_reason(tmp_path):
    env = tmp_path / ".env"
    env.write_text("# hipaa-scan: ignore[HS506] BAA with OpenAI signed 2026-01-15, contract C-881\n"
                   "OPENAI_API_KEY=sk-proj-Qz7w3Lk9Tb2Xn5Vr8Mc4Hd1Fy6Ja0Sp\n")
    proc = cli("scan", str(env), "--select", "HS506", "--format", "json", "--show-suppressed")
    (finding,) = json.loads(proc.stdout)["findings"]
    assert finding["suppressed"] is True and proc.returncode == 0, proc.stderr


# -- options and configuration overrides --------------------------------------------------------------------------

def test_hs506_options_add_key_variables_and_vendor_hosts(tmp_path):
    env = tmp_path / ".env"
    env.write_text("ACME_LLM_CREDENTIAL=Qz7w3Lk9Tb2Xn5Vr8Mc4Hd1Fy6Ja0Sp\n"
                   "OPENAI_API_KEY=Tq8Rw2Zy6Xk4Vn1Mb9Lc3Hf7Jd5Gs0Pa\nOPENAI_BASE_URL=https://api.acme-ai.example/v1\n")
    assert findings(cli("scan", str(env), "--select", "HS506", "--format", "json")) == []
    config = tmp_path / "cfg.yaml"
    config.write_text('rules:\n  HS506:\n    key_variables: ["ACME_LLM_CREDENTIAL=Acme AI"]\n'
                      '    vendor_hosts: ["acme-ai.example=Acme AI"]\n')
    out = findings(cli("scan", str(env), "--select", "HS506", "--format", "json", "--config", str(config)))
    assert [(f["location"]["line"], f["message"].split(" configures ")[1][:7]) for f in out] == [
        (1, "Acme AI"), (2, "Acme AI")]


def test_datastore_roles_and_replacement_from_configuration(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  pacs:\n    image: acme/pacs:1.0.0\n    ports: ['104:104']\n"
                       "  viewer:\n    image: openemr/openemr:7.0.2\n    ports: ['80:80']\n")
    config = tmp_path / "cfg.yaml"
    config.write_text("datastores:\n  - {name: AcmePACS, role: PHI server, images: [acme/pacs], ports: [104]}\n"
                      "  - {name: OpenEMR, replace: true}\n")
    out = findings(cli("scan", str(tmp_path), "--select", "HS501", "--format", "json", "--config", str(config)))
    assert [f["message"] for f in out] == [
        'service "pacs" publishes the PHI server AcmePACS port 104 on all interfaces (host port 104)']
    config.write_text("datastores:\n  - {name: AcmePACS, role: patient records, ports: [104]}\n")
    proc = cli("scan", str(tmp_path), "--select", "HS501", "--config", str(config))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_replace_keeps_other_products_and_drops_distinctive_ports():
    replaced = DEFAULT_DATASTORES.extended([{"name": "Orthanc", "replace": True, "images": ["acme/orthanc"],
                                             "ports": [9042]}])
    assert replaced.products["Orthanc"] == (("acme/orthanc",), (9042,))
    assert 8042 not in replaced.distinctive and replaced.distinctive[6379] == "Redis"
    assert replaced.role_of("Orthanc") == "PHI server" and DEFAULT_DATASTORES.products["Orthanc"][1] == (4242, 8042)


# -- the data files ----------------------------------------------------------------------------------------------

def test_data_files_are_dated_and_sourced():
    for data in (CATALOGUE, catalogue("llm_vendors.json")):
        assert data["retrieved"] == "2026-12-03"
        assert len(data["source"]) > 40 and data["description"]
    roles = {entry["role"] for entry in CATALOGUE["products"]}
    assert roles == {"datastore", "PHI server", "log collector"}
    names = {entry["name"] for entry in CATALOGUE["products"]}
    assert {"Milvus", "Qdrant", "Weaviate", "Chroma", "Neo4j", "Fluentd", "Orthanc", "dcm4chee", "HAPI FHIR",
            "OpenEMR", "OpenMRS"} <= names
    vendors = {v["name"] for v in catalogue("llm_vendors.json")["vendors"]}
    assert {"OpenAI", "Anthropic", "Cohere", "Mistral AI", "Google AI Studio (Gemini API)", "Groq",
            "Together AI"} <= vendors
    assert {b["name"] for b in catalogue("llm_vendors.json")["baa_capable"]} == {
        "Azure OpenAI", "Amazon Bedrock", "Google Vertex AI"}


def test_every_key_variable_belongs_to_one_vendor():
    seen = {}
    data = catalogue("llm_vendors.json")
    for vendor in data["vendors"] + data["baa_capable"]:
        for key in vendor["keys"]:
            assert key not in seen, (key, seen.get(key), vendor["name"])
            assert key.endswith(("KEY", "TOKEN"))  # the rule's prefilter before it loads the table
            seen[key] = vendor["name"]
