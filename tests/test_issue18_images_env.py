"""Issue 18, part B: HS307 end-of-life-image (the dated table and how tags are read), HS406 secret-in-environment
(and its overlap with HS401/HS402), and HS101 in static mode (images that run as root by default, and the "user not
determined" note). The fixtures under fixtures/rules/HS307, HS406 and HS101 give each rule's lines; these tests pin
messages, options, notes, exit codes and the live (offline inspect) source."""

import copy
import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES
from hipaa_scan import eol
from hipaa_scan.engine import ScanOptions, scan_paths
from hipaa_scan.images import default_user
from engine import docker_engine  # noqa: F401  (the shared private engine)


def _scan(path, select, **rule_options):
    result = scan_paths([str(path)], ScanOptions(select=[select], rule_options=rule_options))
    assert not result.errors, result.errors
    return result


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "hipaa_scan", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


# -- HS307 ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref,expected", [
    ("postgres:13-alpine", [("PostgreSQL", "13")]),
    ("postgres:14.2", [("PostgreSQL", "14")]),
    ("postgres:9.6.24", [("PostgreSQL", "9.6")]),
    ("python:3.8-slim-buster", [("Python", "3.8"), ("Debian", "10")]),
    ("docker.io/library/node:16-bullseye-slim", [("Node.js", "16"), ("Debian", "11")]),
    ("golang:1.19-alpine3.16", [("Go", "1.19"), ("Alpine Linux", "3.16")]),
    ("eclipse-temurin:17-jdk-focal", [("Eclipse Temurin", "17"), ("Ubuntu", "20.04")]),
    ("debian:buster-slim", [("Debian", "10")]),
    ("ubuntu:bionic-20230530", [("Ubuntu", "18.04")]),
    ("ubuntu:22.04", [("Ubuntu", "22.04")]),
    ("centos:centos7", [("CentOS", "7")]),
    ("bitnami/postgresql:11.22.0", [("PostgreSQL", "11")]),
    ("docker.elastic.co/elasticsearch/elasticsearch:7.17.22", [("Elasticsearch", "7")]),
    ("elasticsearch:8.11.1", [("Elasticsearch", "8.11")]),  # older than the oldest listed 8.x cycle
    ("mariadb:10.11.9", [("MariaDB", "10.11")]),
    ("quay.io/keycloak/keycloak:26.6.1", [("Keycloak", "26.6")]),
])
def test_tags_are_read_as_release_cycles(ref, expected):
    assert [(r.product, r.cycle) for r in eol.releases(ref)] == expected


@pytest.mark.parametrize("ref", ["postgres", "postgres:latest", "python:3", "postgres:alpine", "node:lts-alpine",
                                 "mycorp/base:1.2.3", "postgres:9.7", "postgres@sha256:" + "0" * 64,
                                 "postgres:\x00", "registry.example/postgres-exporter:0.9"])
def test_unknown_versions_are_not_judged(ref):
    assert eol.releases(ref) == []


@pytest.mark.parametrize("ref,cycle,older_than,date", [
    ("elasticsearch:8.11.1", "8.11", "8.16", "2025-04-15"),  # older than the page goes back
    ("nginx:1.11-alpine", "1.11", "1.12", "2018-04-17"),  # a development (mainline) line the table does not list
    ("nginx:1.17.10", "1.17", "1.18", "2021-04-20"),
])
def test_an_unlisted_version_ends_with_the_next_listed_cycle(ref, cycle, older_than, date):
    (release,) = eol.releases(ref)
    assert (release.cycle, release.older_than, release.eol) == (cycle, older_than, date)


def test_the_table_is_dated_and_sourced():
    table = eol.table()
    assert table["date"] == eol.table_date() == "2026-08-22"
    assert "endoflife.date" in table["source"] and len(table["commit"]) == 40
    wanted = {"postgresql", "mysql", "mariadb", "redis", "mongodb", "nodejs", "python", "debian", "ubuntu",
              "alpine-linux", "elasticsearch", "nginx", "php", "go", "eclipse-temurin", "ruby"}
    assert wanted <= set(table["products"])
    for product in table["products"].values():
        assert product["images"] and product["cycles"]
        assert all(v in ("yes", "no") or len(v) == 10 for v in product["cycles"].values())


def test_hs307_message_evidence_and_the_notes_carry_the_table_date(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres:9.6\n")
    result = _scan(tmp_path / "compose.yaml", "HS307")
    (finding,) = result.findings
    assert (finding.rule_id, finding.location.line, finding.severity) == ("HS307", 3, "medium")
    assert finding.message == ('service "db" uses image postgres:9.6: PostgreSQL 9.6, which reached end of life on '
                               "2021-11-11, and gets no more security fixes")
    assert finding.evidence == "postgres:9.6: PostgreSQL 9.6 end of life 2021-11-11 (table of 2026-08-22)"
    (note,) = [n for n in result.notes if n.startswith("HS307")]
    assert "end-of-life table of 2026-08-22" in note


def test_no_note_when_no_image_was_judged(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    image: mycorp/app:1.0.0\n")
    assert not [n for n in _scan(tmp_path / "compose.yaml", "HS307").notes if n.startswith("HS307")]


def test_as_of_decides_which_releases_are_past(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres:14.13\n")  # EOL 2026-11-12
    before = _scan(tmp_path / "compose.yaml", "HS307", HS307={"as_of": "2026-11-11"})
    after = _scan(tmp_path / "compose.yaml", "HS307", HS307={"as_of": "2026-11-12"})
    assert (len(before.findings), len(after.findings)) == (0, 1)
    assert any("as of 2026-11-11" in n for n in before.notes)


def test_eol_releases_adds_and_corrects_cycles(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    image: acme/base:2.4.1\n"
                                           "  db:\n    image: postgres:17.2\n")
    result = _scan(tmp_path / "compose.yaml", "HS307",
                   HS307={"eol_releases": ["acme/base:2=2025-06-30", "postgres:17=2025-01-01"]})
    assert [(f.location.line, f.message.split(":", 2)[-1].strip()) for f in result.findings] == [
        (3, "acme/base 2, which reached end of life on 2025-06-30, and gets no more security fixes"),
        (5, "PostgreSQL 17, which reached end of life on 2025-01-01, and gets no more security fixes")]


def test_a_malformed_eol_release_is_one_line_and_exit_2(tmp_path):
    (tmp_path / ".hipaa-scan.yaml").write_text("rules:\n  HS307: {eol_releases: ['postgres 12 ended']}\n")
    (tmp_path / "Dockerfile").write_text("FROM postgres:12.20\nUSER postgres\n")
    proc = _cli("scan", "-q", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "HS307" in proc.stderr or "eol_releases" in proc.stderr


def test_hs307_does_not_block_a_commit_under_the_default_fail_on(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.8.18-slim\nUSER 10001\nHEALTHCHECK CMD true\n")
    proc = _cli("scan", "-q", "--select", "HS307", "Dockerfile", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = _cli("scan", "-q", "--select", "HS307", "--fail-on", "medium", "Dockerfile", cwd=tmp_path)
    assert proc.returncode == 1


def _container(image, user="", env=()):
    with open(os.path.join(FIXTURES, "live", "inspect.json"), encoding="utf-8") as handle:
        base = next(c for c in json.load(handle) if c["Name"] == "/hs-redis")
    out = copy.deepcopy(base)
    out["Name"] = "/eol-db"
    out["Config"]["Image"] = image
    out["Config"]["User"] = user
    out["Config"]["Env"] = list(env)
    return out


def test_live_container_images_are_judged_from_inspect(tmp_path):
    (tmp_path / "inspect.json").write_text(json.dumps([_container("postgres:9.6.24")]))
    proc = _cli("live", "--from-inspect", "inspect.json", "--format", "json", "--select", "HS307", cwd=tmp_path)
    report = json.loads(proc.stdout)
    assert [(f["rule_id"], f["location"]["key"]) for f in report["findings"]] == [("HS307", "Config.Image")]
    assert "PostgreSQL 9.6, which reached end of life on 2021-11-11" in report["findings"][0]["message"]
    assert any("end-of-life table of 2026-08-22" in n for n in report["notes"])


# -- HS101 in static mode ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref,verdict", [
    ("minio/minio:RELEASE.2024-06-13T22-53-53Z", "root"), ("milvusdb/milvus:v2.4.5", "root"),
    ("quay.io/coreos/etcd:v3.5.14", "root"), ("nginx:1.27.0", "root"), ("orthancteam/orthanc:24.6.2", "root"),
    ("qdrant/qdrant:v1.12.4", "root"), ("qdrant/qdrant:v1.12.4-unprivileged", "nonroot"),
    ("postgres:17.2", "steps-down"), ("redis:7.2.5", "steps-down"), ("mongo:7.0.12", "steps-down"),
    ("docker.elastic.co/elasticsearch/elasticsearch:8.15.0", "nonroot"), ("bitnami/redis:7.2", "nonroot"),
    ("hapiproject/hapi:v7.4.0", "nonroot"), ("mycorp/app:1.0", None), ("\x00", None),
])
def test_default_users_of_images(ref, verdict):
    assert default_user(ref) == verdict


def test_compose_root_by_default_message_and_undetermined_note(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  minio:\n    image: minio/minio:RELEASE.2024-06-13T22-53-53Z\n"
        "  app:\n    image: mycorp/app:1.0.0\n  db:\n    image: postgres:17.2\n")
    result = _scan(tmp_path / "compose.yaml", "HS101")
    assert [(f.location.line, f.message) for f in result.findings] == [
        (2, 'service "minio" sets no user and runs image minio/minio:RELEASE.2024-06-13T22-53-53Z, which runs as '
            "root by default")]
    shown = result.findings[0].location.path
    assert [n for n in result.notes if n.startswith("HS101")] == [
        f'HS101 root-user: user not determined for service "app" at {shown}:4 (image mycorp/app:1.0.0 is in '
        "no catalogue of default users; set user: or list it under rules.HS101)"]


def test_hs101_project_options_extend_the_catalogues(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: mycorp/app:1.0.0\n  minio:\n    image: minio/minio:RELEASE.2024-06-13\n")
    result = _scan(tmp_path / "compose.yaml", "HS101",
                   HS101={"root_images": ["mycorp/*"], "nonroot_base_images": ["minio/minio"]})
    assert [f.location.line for f in result.findings] == [2]
    assert not [n for n in result.notes if n.startswith("HS101")]


def test_live_hs101_still_reads_config_user_for_steps_down_images(tmp_path):
    (tmp_path / "inspect.json").write_text(json.dumps([_container("postgres:17.2")]))
    proc = _cli("live", "--from-inspect", "inspect.json", "--format", "json", "--select", "HS101", cwd=tmp_path)
    assert [f["rule_id"] for f in json.loads(proc.stdout)["findings"]] == ["HS101"]


# -- HS406 ---------------------------------------------------------------------------------------------------------

def test_hs406_message_names_how_and_never_the_value(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: mycorp/api:1.0.0\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n"
        "      API_KEY: <your-api-key>\n")
    result = _scan(tmp_path / "compose.yaml", "HS406")
    assert [(f.location.line, f.severity, f.message) for f in result.findings] == [
        (5, "low", 'service "api" passes the secret DB_PASSWORD through its environment (a variable set when the '
                   "project starts), where docker inspect shows it; mount it as a Docker secret or use "
                   "DB_PASSWORD_FILE (value via DB_PASSWORD is unset)"),  # (judged inside its project: the variable's source)
        (6, "low", 'service "api" passes the secret API_KEY through its environment (a placeholder to be replaced), '
                   "where docker inspect shows it; mount it as a Docker secret or use API_KEY_FILE")]
    assert {f.evidence for f in result.findings} == {"DB_PASSWORD passed through the environment",
                                                     "API_KEY passed through the environment"}


@pytest.mark.parametrize("compose,env,owner", [
    # a literal in compose: HS401's
    ("      DB_PASSWORD: Zq8vN2mX4rT7wP1k\n", None, "HS401"),
    # a vendor default: HS402's
    ("      MINIO_ROOT_PASSWORD: minioadmin\n", None, "HS402"),
    # `${VAR}` that .env writes as a literal: HS401 at the .env line
    ("      DB_PASSWORD: ${DB_PASSWORD}\n", "DB_PASSWORD=Zq8vN2mX4rT7wP1k\n", "HS401"),
])
def test_hs406_leaves_literals_to_hs401_and_hs402(tmp_path, compose, env, owner):
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    image: mycorp/api:1.0.0\n    environment:\n"
                                           + compose)
    if env:
        (tmp_path / ".env").write_text(env)
    result = scan_paths([str(tmp_path)], ScanOptions(select=["HS401", "HS402", "HS406"]))
    assert [f.rule_id for f in result.findings] == [owner]
    assert "Zq8vN2mX4rT7wP1k" not in json.dumps([f.message + str(f.evidence) + str(f.snippet)
                                                 for f in result.findings])


def test_hs406_unused_secret_in_a_project_counts_every_profile(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: mycorp/app:1.0.0\n  tools:\n    image: mycorp/tools:1.0.0\n"
        "    profiles: [debug]\n    secrets: [debug_token]\nsecrets:\n  debug_token:\n    file: ./t\n"
        "  orphan:\n    file: ./o\n")
    result = scan_paths([str(tmp_path)], ScanOptions(select=["HS406"]))
    assert [(f.location.line, f.message) for f in result.findings] == [
        (11, 'compose secret "orphan" is declared but no service uses it')]


@pytest.mark.parametrize("name,reported", [
    ("DATABASE_PASSWORD", True), ("POSTGRES_PWD", True), ("JWT_AUTH_TOKEN_SECRET", True), ("AWS_SESSION_TOKEN", True),
    ("AZURE_BLOB_STORAGE_CONNECTION_STRING", True), ("FLOWISE_EE_LICENSE_KEY", True), ("OPENAI_API_KEY", True),
    ("ORTHANC__POSTGRESQL__PASSWORD", True), ("SECRETKEY_AWS_SECRET_KEY", True), ("SALT", True),
    ("REDIS_AUTH", True), ("FLOWISE_SECRETKEY_OVERWRITE", True), ("JWT_SECRET_B64", True),
    ("PASSWORD_RESET_TOKEN_EXPIRY_IN_MINS", False), ("PASSWORD_SALT_HASH_ROUNDS", False),
    ("EXPIRE_AUTH_TOKENS_ON_RESTART", False), ("OAUTH2_ALLOWED_TOKEN_DOMAINS", False), ("SECRETKEY_AWS_REGION", False),
    ("POSTHOG_PUBLIC_API_KEY", False), ("NEXT_PUBLIC_SITE_KEY", False), ("SECRETKEY_AWS_ACCESS_KEY", False),
    ("ORTHANC__AUTHORIZATION__TOKEN_HTTP_HEADERS", False), ("GOOGLE_APPLICATION_CREDENTIALS", False),
    ("SENTRY_DSN", False), ("DB_PASSWORD_FILE", False),
])
def test_hs406_judges_a_reference_by_its_name_alone(tmp_path, name, reported):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: mycorp/app:1.0.0\n    environment:\n"
        f"      {name}: ${{{name}}}\n      SECRETKEY_AWS_SECRET_KEY_X: ${{X}}\n")
    found = [f for f in _scan(tmp_path / "compose.yaml", "HS406").findings if f.location.line == 5]
    assert bool(found) == reported


@pytest.mark.parametrize("ref,verdict", [
    ("postgres:\x00", "steps-down"), ("temporalio/auto-setup:\x00", "nonroot"), ("nginx:\x00-alpine", "root"),
    ("\x00/postgres:16", None), ("bitnamilegacy/redis-cluster:7.2", "nonroot"), ("valkey/valkey:8.0.1", "steps-down"),
])
def test_a_variable_tag_still_names_its_repository(ref, verdict):
    assert default_user(ref) == verdict


def test_live_engine_container_on_an_end_of_life_image(docker_engine, tmp_path):
    """A real private engine: a container whose image is tagged `postgres:9.6.24` (the busybox test image under
    that name) is reported by HS307 at Config.Image, with the table's date in the notes."""
    client = docker_engine.client
    client.images.get("hs-busybox:1.0").tag("postgres", "9.6.24")
    container = client.containers.create("postgres:9.6.24", ["sleep", "3600"], name="hs-eol-postgres",
                                         labels={"hs-issue18": "eol"})
    try:
        proc = _cli("live", "--host", docker_engine.host, "--container", "hs-eol-postgres", "--select", "HS307",
                    "--format", "json", cwd=tmp_path)
        report = json.loads(proc.stdout)
        assert [(f["rule_id"], f["resource"], f["location"]["key"]) for f in report["findings"]] == [
            ("HS307", "container:hs-eol-postgres", "Config.Image")], proc.stderr
        assert "PostgreSQL 9.6, which reached end of life on 2021-11-11" in report["findings"][0]["message"]
        assert any("end-of-life table of 2026-08-22" in n for n in report["notes"])
    finally:
        container.remove(force=True)
        client.images.remove("postgres:9.6.24")
