"""Issue 15's precision classes that a fixture's `# expect:` markers cannot hold, because they are about how many
findings one written element gives and under which rule: one finding per element (a YAML anchor, a Dockerfile two
services build, a `- X=${VAR}` list entry whose value a `.env` line writes, an env-file `${VAR:-same}`), and one
rule per problem (HS402 owns a vendor default, HS401 the rest of the line)."""

import os

from conftest import FIXTURES
from hipaa_scan.engine import ScanOptions, scan_paths

PASSWORDS = ("Alice-Pacs-2024", "Bob-Pacs-2024", "Svc-Pwd-4411", "Kx82mQpL0vZr5TnW", "Mn7rT2wQ9zX4cV8b")


def _findings(path, rules):
    result = scan_paths([str(path)], ScanOptions(select=list(rules)))
    assert not result.errors, result.errors
    return [f for f in result.findings if not f.suppressed]


def _where(findings, root):
    return sorted((f.rule_id, os.path.relpath(str(f.location.path), str(root)), f.location.line) for f in findings)


def test_a_line_shared_through_an_anchor_is_reported_once():
    path = os.path.join(FIXTURES, "rules", "HS401", "bad", "compose.user-lists.yaml")
    at_anchor = [f for f in _findings(path, ["HS401"]) if f.location.line == 4]
    assert len(at_anchor) == 1, [f.message for f in at_anchor]
    assert at_anchor[0].message.startswith('service "worker" sets the secret API_SIGNING_SECRET in plain text'), \
        at_anchor[0].message


def test_a_dockerfile_two_services_build_is_reported_once(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.12.3-slim\nENV API_TOKEN=Kx82mQpL0vZr5TnW\nUSER 10001\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    build: .\n  worker:\n    build: .\n    command: [python, worker.py]\n")
    assert _where(_findings(tmp_path, ["HS401"]), tmp_path) == [("HS401", "Dockerfile", 2)]


def test_a_list_entry_whose_value_an_env_file_writes_is_reported_at_the_env_file_only(tmp_path):
    (tmp_path / ".env").write_text("DB_PASSWORD=Mn7rT2wQ9zX4cV8b\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16.4\n    environment:\n      - POSTGRES_PASSWORD=${DB_PASSWORD}\n"
        "  api:\n    image: ghcr.io/acme/api:1.4.2\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n")
    assert _where(_findings(tmp_path, ["HS401"]), tmp_path) == [("HS401", ".env", 1)]


def test_a_fallback_to_a_variable_the_same_env_file_defines_is_not_reported_again(tmp_path):
    (tmp_path / "deploy.env").write_text(
        "OCEANBASE_PASSWORD=Mn7rT2wQ9zX4cV8b\nOB_SYS_PASSWORD=${OCEANBASE_PASSWORD:-Mn7rT2wQ9zX4cV8b}\n"
        "OTHER_PASSWORD=${UNDEFINED_HERE:-Kx82mQpL0vZr5TnW}\n")
    assert _where(_findings(tmp_path / "deploy.env", ["HS401"]), tmp_path) == [
        ("HS401", "deploy.env", 1), ("HS401", "deploy.env", 3)]


def test_a_vendor_default_belongs_to_hs402_and_the_rest_of_its_line_to_hs401(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  pacs:\n    image: orthancteam/orthanc:24.2.3\n    environment:\n"
        "      PG_PWD: postgres\n"
        "      ORTHANC__REGISTERED_USERS: '{\"admin\": \"admin\", \"svc\": \"Svc-Pwd-4411\"}'\n"
        "      ORTHANC_JSON: '{\"RegisteredUsers\": {\"orthanc\": \"orthanc\"}}'\n")
    found = _findings(tmp_path / "compose.yaml", ["HS401", "HS402"])
    assert _where(found, tmp_path) == [("HS401", "compose.yaml", 6), ("HS402", "compose.yaml", 5),
                                       ("HS402", "compose.yaml", 6), ("HS402", "compose.yaml", 7)]
    messages = {(f.rule_id, f.location.line): f.message for f in found}
    assert messages[("HS401", 6)] == ('service "pacs" writes a plaintext password in a JSON user list in '
                                      "ORTHANC__REGISTERED_USERS (****(12 chars))")
    assert messages[("HS402", 7)] == ('service "pacs" uses the Orthanc default credential in a JSON user list in '
                                      "ORTHANC_JSON")


def test_user_list_passwords_never_reach_the_report():
    path = os.path.join(FIXTURES, "rules", "HS401", "bad", "compose.user-lists.yaml")
    for finding in _findings(path, ["HS401", "HS402"]):
        shown = " ".join(str(part) for part in (finding.message, finding.evidence, finding.snippet))
        assert not any(p in shown for p in PASSWORDS), shown
