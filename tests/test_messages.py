"""What findings say, beyond where they are (tests/test_fixtures.py checks the places): the stage an instruction is
written in, the image behind a compose service named by the path the scan was given, one finding per service when
compose replaces the image's ENV, and the wording of rules whose verdict depends on more than one value."""

import os
import shutil

import pytest

from conftest import FIXTURES
from hipaa_scan.engine import ScanOptions, scan_paths

RULES = os.path.join(FIXTURES, "rules")


def scan(*paths, **options):
    result = scan_paths(list(paths), ScanOptions(**options))
    assert not result.errors, result.errors
    return result


def messages(result, rule=None, suppressed=False):
    return [f.message for f in result.findings if (rule is None or f.rule_id == rule) and f.suppressed == suppressed]


def test_an_instruction_in_a_builder_stage_names_that_stage():
    result = scan(os.path.join(RULES, "HS302", "bad", "Dockerfile.builder-stage"), select=["HS302"])
    (message,) = messages(result)
    assert message.startswith('stage "buildbase" pipes a download into an interpreter: curl'), message
    assert "final stage" not in message


def test_global_args_builder_stages_and_base_stages_are_named(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "ARG NPM_TOKEN\n"
        "FROM golang:1.22 AS build\n"
        "ARG GITHUB_TOKEN\n"
        "COPY .env .\n"
        "FROM python:3.12-slim AS base\n"
        "ENV FLASK_ENV=development\n"
        "FROM base\n"
        "ENV DATABASE_URL=postgres://app:S3cr3tPa55@db:5432/phi\n"
        "USER 10001\n")
    result = scan(str(dockerfile), select=["HS305", "HS401", "HS405"])
    by_line = {f.location.line: f.message for f in result.findings}
    assert by_line[1].startswith("global ARG (before the first FROM) takes the secret NPM_TOKEN"), by_line[1]
    assert by_line[3].startswith('stage "build" takes the secret GITHUB_TOKEN'), by_line[3]
    assert by_line[4].startswith('stage "build" copies .env into the image'), by_line[4]
    assert by_line[6] == 'stage "base" (base of the final stage) enables debug mode (FLASK_ENV=development)'
    assert by_line[8].startswith("final stage (FROM base) puts plaintext credentials in the URL in DATABASE_URL ")


def test_credentials_in_a_url_are_worded_as_such():
    result = scan(os.path.join(RULES, "HS401", "bad", "compose.yaml"), select=["HS401"])
    url = [m for m in messages(result) if "DATABASE_URL" in m or "CACHE_URL" in m]
    assert url and all(" puts plaintext credentials in the URL in " in m for m in url), url
    assert not any("a plaintext credentials" in m for m in messages(result))


def _copy(case, tmp_path):
    target = tmp_path / "projects" / case
    shutil.copytree(os.path.join(RULES, "HS305", "bad", case), target)
    return target


def test_compose_environment_replaces_the_image_env_one_finding_per_service(tmp_path, monkeypatch):
    _copy("project-environment-wins", tmp_path)
    monkeypatch.chdir(tmp_path)
    result = scan("projects", select=["HS305"])
    assert [(f.location.path, f.location.line) for f in result.findings] == \
        [("projects/project-environment-wins/compose.yaml", 14)]
    assert messages(result) == ['service "backend" enables debug mode (NODE_ENV=development)']


def test_an_env_only_the_image_sets_names_the_variable_and_the_dockerfile_as_given(tmp_path, monkeypatch):
    _copy("project-build-arg", tmp_path)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the scanned tree is outside the working directory
    result = scan("../projects", select=["HS305", "HS101"])
    (debug,) = messages(result, "HS305")
    assert debug == ('service "backend" (image built from ../projects/project-build-arg/backend/Dockerfile, target '
                     'development) enables debug mode (NODE_ENV=development)'), debug
    for message in messages(result):
        assert str(tmp_path) not in message, message  # no absolute path the user did not write


@pytest.mark.usefixtures("in_root")
def test_what_compose_replaces_says_where_in_the_suppression():
    result = scan(os.path.join("fixtures", "rules", "HS305", "good", "project-overrides"), select=["HS305"])
    assert not messages(result)
    reasons = {f.location.line: f.suppression.justification for f in result.findings}
    base = "fixtures/rules/HS305/good/project-overrides"
    assert reasons == {
        2: f'not what the Compose project runs: service "api" overrides it at {base}/api.env:1',
        3: f'not what the Compose project runs: service "api" overrides it at {base}/compose.yaml:7',
        4: f'not what the Compose project runs: service "api" overrides it at {base}/compose.yaml:8',
        6: f'not what the Compose project runs: service "api" overrides it at {base}/compose.yaml:10',
    }


def test_the_official_redis_image_ignoring_redis_password_is_said(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  cache:\n    image: redis:7.2.4\n"
                       "    environment:\n      REDIS_PASSWORD: s3cr3t-pa55\n")
    result = scan(str(compose), select=["HS403"])
    (message,) = messages(result)
    assert "the redis image ignores REDIS_PASSWORD" in message, message


def test_etcd_client_certificates_do_not_cover_plain_http(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  etcd:\n    image: quay.io/coreos/etcd:v3.5.14\n"
                       "    command: etcd --listen-client-urls http://0.0.0.0:2379 --client-cert-auth\n")
    (message,) = messages(scan(str(compose), select=["HS403"]))
    assert "(http://0.0.0.0:2379)" in message and "checks only HTTPS clients" in message, message


def test_tracing_messages_say_where_traces_go(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n"
        "  hosted:\n    image: a:1\n    environment:\n      LANGCHAIN_TRACING_V2: 'true'\n"
        "  vendor:\n    image: a:1\n    environment:\n      LANGCHAIN_TRACING_V2: 'true'\n"
        "      LANGCHAIN_ENDPOINT: https://eu.api.smith.langchain.com\n"
        "  inhouse:\n    image: a:1\n    environment:\n      LANGCHAIN_TRACING_V2: 'true'\n"
        "      LANGCHAIN_ENDPOINT: http://langsmith-backend:1984\n")
    result = scan(str(compose), select=["HS503"])
    assert sorted(f.resource for f in result.findings) == ["service:hosted", "service:vendor", "service:vendor"]
    hosted = next(f.message for f in result.findings if f.resource == "service:hosted")
    assert "LangSmith's hosted service" in hosted and "LANGCHAIN_TRACING_V2=true" in hosted, hosted
