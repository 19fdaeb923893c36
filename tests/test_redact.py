"""The redaction layer (redact.py): each class of leak the written form of a value used to open, with the exact
output it gives now. tests/test_planted_secrets.py plants random secrets everywhere; these pin the behaviour."""

import json
import os

import pytest

from hipaa_scan import redact
from hipaa_scan.engine import ScanOptions, scan_paths

SECRET = "Zx8qLm2Vt9Rw4Kp7"  # 16 characters, no shape: only its name or its place says it is secret


def scan(*paths, **options):
    return scan_paths([str(p) for p in paths], ScanOptions(**options))


def findings(result, rule=None):
    return [f for f in result.findings if rule is None or f.rule_id == rule]


def snippet_at(result, line, rule=None):
    found = {f.snippet for f in findings(result, rule) if f.location.line == line}
    assert len(found) == 1, (line, [(f.rule_id, f.location.line, f.snippet) for f in findings(result)])
    return found.pop()


def everything(result):
    return json.dumps([[f.message, f.evidence, f.snippet, f.fingerprint] for f in result.findings]
                      + [e.message for e in result.errors] + list(result.notes))


def assert_hidden(result, *pieces):
    text = everything(result)
    for piece in pieces:
        assert piece not in text, (piece, text)


# -- env files ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, shown", [
    ('API_TOKEN="Zx8qLm2V\\"t9Rw4Kp7"', "API_TOKEN=****(20 chars)"),  # an escaped quote
    ('API_TOKEN="Zx8qLm2V\\\\t9Rw4Kp7"', "API_TOKEN=****(20 chars)"),  # an escaped backslash
    ('API_TOKEN="Zx8qLm2V\\$t9Rw4Kp7"', "API_TOKEN=****(20 chars)"),  # an escaped dollar
    ("API_TOKEN='Zx8qLm2V t9Rw4Kp7' # rotated", "API_TOKEN=****(29 chars)"),
    ('FIREBASE_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"',
     "FIREBASE_PRIVATE_KEY=****(92 chars)"),
])
def test_env_values_are_masked_by_their_written_span(tmp_path, written, shown):
    env = tmp_path / ".env"
    env.write_text(f"NODE_ENV=production\n{written}\n")
    result = scan(env, select=["HS401"])
    assert snippet_at(result, 2) == shown
    assert_hidden(result, "Zx8qLm2V", "t9Rw4Kp7", "MIIEvQIB")


def test_crlf_and_multi_line_env_values(tmp_path):
    env = tmp_path / ".env"
    env.write_bytes(f'A=1\r\nSIGNING_SECRET="{SECRET[:8]}\r\n{SECRET[8:]}"\r\nB=2\r\n'.encode())
    result = scan(env, select=["HS401"])
    assert snippet_at(result, 2) == "SIGNING_SECRET=****(9 chars)"
    assert_hidden(result, SECRET[:8], SECRET[8:])


def test_a_malformed_env_line_is_reported_without_its_content(tmp_path):
    env = tmp_path / ".env"
    env.write_text("A=1\nAKIAIOSFODNN7ABCDEFG wJalrXUtnFEMIK7MDENG\n")
    (error,) = scan(env).errors
    assert error.message == "line 2, column 22: expected '=' after the variable name"


# -- compose -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, shown", [
    ('APP_SECRET: "Zx8q$$Lm2Vt9Rw4Kp7"', 'APP_SECRET: "****(18 chars)"'),  # `$$`
    ("APP_SECRET: 'Zx8q''Lm2Vt9Rw4Kp7'", "APP_SECRET: '****(18 chars)'"),  # `''` in single quotes
    ('APP_SECRET: "Zx8q\\x4cm2Vt9Rw4Kp7"', 'APP_SECRET: "****(19 chars)"'),  # a YAML escape
])
def test_compose_values_are_masked_by_their_written_span(tmp_path, written, shown):
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  api:\n    image: acme/api:1.0\n    environment:\n      {written}\n")
    result = scan(compose, select=["HS401"])
    assert snippet_at(result, 5) == shown
    assert_hidden(result, "Zx8qLm2V", "Lm2Vt9Rw", "t9Rw4Kp7")


@pytest.mark.parametrize("written", [
    "${UNSET_ONE:-Zx8qLm2V}t9Rw4Kp7",  # a default, then literal text
    "${PREFIX}-Zx8qLm2Vt9Rw4Kp7",
])
def test_literal_text_around_a_reference_is_masked(tmp_path, written):
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  api:\n    image: acme/api:1.0\n    environment:\n      APP_SECRET: {written}\n"
                       f"    labels: {{team: a}}\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM alpine:3.19\nARG PREFIX\nENV AUTH_TOKEN={written} NODE_ENV=development\n")
    result = scan(tmp_path)
    assert_hidden(result, "Zx8qLm2V", "Lm2Vt9Rw", "t9Rw4Kp7")


def test_a_continued_plain_scalar_and_block_scalars(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  api:\n    image: acme/api:1.0\n    environment:\n"
                       f"      DB_PASSWORD: {SECRET[:8]}\n        {SECRET[8:]}\n"
                       "      TLS_KEY: |\n        -----BEGIN EC PRIVATE KEY-----\n        MHcCAQEEIBk9xQ2wR7tY8uI0pL3m\n"
                       "        -----END EC PRIVATE KEY-----\n      NODE_ENV: development\n")
    result = scan(compose)
    assert redact.source_lines(compose.read_text(), "yaml")[5].strip() == SECRET[8:]
    assert_hidden(result, SECRET[:8], SECRET[8:], "MHcCAQEE", "BEGIN EC")


def test_a_snippet_masks_the_secret_another_key_on_its_line_holds(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  api:\n    image: acme/api:1.0\n"
                       f"    environment: {{API_KEY: {SECRET}, NODE_ENV: development}}\n")
    result = scan(compose)
    debug = [f for f in findings(result) if "NODE_ENV" in f.message]
    assert debug and debug[0].snippet == "environment: {API_KEY: ****(16 chars), NODE_ENV: development}"
    assert_hidden(result, SECRET[:8], SECRET[8:])


def test_a_value_in_an_included_file_and_credentials_in_include_urls(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "compose.yaml").write_text(
        f"services:\n  worker:\n    image: acme/w:1.0\n    environment:\n      WORKER_TOKEN: '{SECRET[:8]}''{SECRET[8:]}'\n")
    (tmp_path / "compose.yaml").write_text(
        f"include:\n  - other/compose.yaml\n  - https://ci:{SECRET}@config.example.com/base.yaml\n"
        "services:\n  api:\n    image: acme/api:1.0\n"
        "    env_file: ./envs/${DB_PASSWORD}.env\n")
    (tmp_path / ".env").write_text("DB_PASSWORD=Qw3rTy7uIoP9aSdF\n")
    result = scan(tmp_path)
    included = [f for f in findings(result, "HS401") if f.location.path.endswith("other/compose.yaml")]
    assert included and included[0].snippet == "WORKER_TOKEN: '****(18 chars)'"
    assert_hidden(result, SECRET[:8], SECRET[8:], "Qw3rTy7u", "uIoP9aSd")


# -- Dockerfiles -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, shown", [
    (f"ENV SECRET_KEY my\\ {SECRET}", "ENV SECRET_KEY ****(20 chars)"),
    (f"ENV API_TOKEN={SECRET} LOG_LEVEL=info", "ENV API_TOKEN=****(31 chars)"),
])
def test_dockerfile_env_values_are_masked_to_the_end_of_the_instruction(tmp_path, written, shown):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM alpine:3.19\nARG PREFIX\n{written}\nUSER app\n")
    result = scan(dockerfile, select=["HS401"])
    assert snippet_at(result, 3) == shown
    assert_hidden(result, SECRET[:8], SECRET[8:])


def test_a_header_continued_on_the_next_line_and_quoted_in_a_message(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine:3.19\n"
                          'RUN curl -fsSL -H "Authorization: Bearer \\\n'
                          f'    {SECRET}" https://example.com/install.sh | sh\n'
                          f'RUN curl -H "PRIVATE-TOKEN: {SECRET}" https://gitlab.example.com/i.sh | bash\nUSER app\n')
    result = scan(dockerfile, select=["HS302"])
    assert_hidden(result, SECRET[:8], SECRET[8:])
    messages = {f.location.line: f.message for f in findings(result)}
    assert messages[2].endswith('curl -fsSL -H "Authorization: Bearer ****(16 chars)" https://example.com/install.sh | sh')
    assert messages[4] == ('final stage (FROM alpine:3.19) pipes a download into an interpreter: curl -H '
                           '"PRIVATE-TOKEN: ****(16 chars)" https://gitlab.example.com/i.sh | bash')


def test_a_run_fingerprint_is_computed_from_the_redacted_command(tmp_path):
    prints = []
    for token in (SECRET, SECRET[::-1]):
        dockerfile = tmp_path / "Dockerfile"
        dockerfile.write_text(f'FROM alpine:3.19\nRUN curl -H "PRIVATE-TOKEN: {token}" https://x.example/i | sh\n')
        (finding,) = findings(scan(dockerfile, select=["HS302"]))
        prints.append(finding.fingerprint)
    assert prints[0] == prints[1]  # the token is not part of what is hashed


@pytest.mark.parametrize("breaker", ["\x0c", "\x1c", "\x85", "\u2028", "\x0b"])
def test_a_line_break_python_knows_but_the_parser_does_not_shifts_no_snippet(tmp_path, breaker):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM alpine:3.19\nRUN echo a{breaker}b\n# cache {SECRET}\nENV DB_PASSWORD={SECRET}\n")
    result = scan(dockerfile, select=["HS401"])
    (finding,) = findings(result)
    assert finding.location.line == 4
    assert finding.snippet == "ENV DB_PASSWORD=****(16 chars)"


# -- messages and live ----------------------------------------------------------------------------------------------


def test_a_vendor_default_password_does_not_garble_messages(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  postgres:\n    image: postgres:latest\n    volumes:\n"
                       "      - /srv/postgres:/var/lib/postgresql/data\n"
                       "    environment:\n      POSTGRES_PASSWORD: postgres\n")
    result = scan(compose)
    texts = [f.message for f in findings(result)]
    assert 'service "postgres" uses image postgres:latest with the latest tag' in texts
    assert 'service "postgres" uses the PostgreSQL default credential in POSTGRES_PASSWORD' in texts
    assert snippet_at(result, 7, "HS402") == "POSTGRES_PASSWORD: ****(8 chars)"


def test_evidence_json_keeps_its_structure_and_masks_what_the_layer_flags():
    data = {"Config": {"Cmd": ["redis-server", "--requirepass", "ab,c+^6n]8cT"],
                       "Labels": {"com.example.db-password": SECRET, "com.example.team": "payments",
                                  "com.example.db-url": "postgres://app:Zq8@xK/9mWp2@db:5432/x"},
                       "Healthcheck": {"Test": ["CMD-SHELL", f"redis-cli -a {SECRET} ping"]}},
            "HostConfig": {"LogConfig": {"Type": "splunk", "Config": {"splunk-token": SECRET,
                                                                     "splunk-url": "https://splunk:8088"}}},
            "HttpProxy": "http://proxy:p@ss/w0rd9@proxy.example.com:3128"}
    assert redact.json_value(data) == {
        "Config": {"Cmd": ["redis-server", "--requirepass", "****(12 chars)"],
                   "Labels": {"com.example.db-password": "****(16 chars)", "com.example.team": "payments",
                              "com.example.db-url": "postgres://app:****(12 chars)@db:5432/x"},
                   "Healthcheck": {"Test": ["CMD-SHELL", "redis-cli -a ****(16 chars) ping"]}},
        "HostConfig": {"LogConfig": {"Type": "splunk", "Config": {"splunk-token": "****(16 chars)",
                                                                 "splunk-url": "https://splunk:8088"}}},
        "HttpProxy": "http://proxy:****(10 chars)@proxy.example.com:3128"}


def test_host_urls_in_live_errors_and_labels():
    from hipaa_scan import live

    target = live.Target("tcp://ops:p@ss/w0rd9@db1.example.com:2376")
    assert target.shown == "tcp://ops:****(10 chars)@db1.example.com:2376"
    assert live.host_label(target.url) == "db1.example.com:2376"


def test_spill_notes_are_masked(tmp_path):
    from hipaa_scan.scan import stream

    path = stream.spill_notes(str(tmp_path / "notes"), [f"warning: include https://ci:{SECRET}@h.example/x.yaml"])
    assert SECRET.encode() not in open(path, "rb").read()


def test_source_lines_split_where_the_parsers_do():
    text = "a\x0cb\r\nc\u2028d\x85e\rf\n"
    assert redact.source_lines(text, "dockerfile") == ["a\x0cb", "c\u2028d\x85e\rf"]
    assert redact.source_lines(text, "env") == ["a\x0cb", "c\u2028d\x85e\rf"]
    assert redact.source_lines(text, "yaml") == ["a\x0cb", "c", "d", "e", "f"]
    assert os.linesep  # (the platform's separator plays no part)


def test_a_mapping_where_a_path_belongs_is_named_never_printed(tmp_path):
    (tmp_path / "compose.yaml").write_text(
        "include:\n  - path:\n      token: Tt5Xq9Zr7Lm3Wp5T\n"
        "services:\n  api:\n    image: a:1\n"
        "    build:\n      context: .\n      dockerfile: {password: Ww8Xq9Zr7Lm3Wp5W}\n"
        "    env_file: {path: {secret: Yy0Xq9Zr7Lm3Wp5Y}}\n"
        "    extends:\n      file: {password: Vv7Xq9Zr7Lm3Wp5V}\n      service: b\n")
    result = scan(tmp_path)
    assert [e.message for e in result.errors] == ["vanished before it could be read"]
    assert result.errors[0].path.endswith("/(a mapping)")
    assert_hidden(result, "Xq9Zr7Lm3Wp5")


def test_an_inline_suppression_reason_is_redacted(tmp_path):
    env = tmp_path / ".env"
    env.write_text(f"# hipaa-scan: ignore[HS401] rotated, the old one was ghp_{SECRET}{SECRET}{SECRET[:4]}\n"
                   f"API_TOKEN={SECRET}\n")
    (finding,) = findings(scan(env, select=["HS401"]))
    assert finding.suppression.justification == "rotated, the old one was ghp_****(40 chars)"


def test_switches_and_references_are_not_masked(tmp_path):
    """Over-masking garbles: `ALLOW_EMPTY_PASSWORD=yes` and a URL's `${PG_PASSWORD}` hold no secret."""
    (tmp_path / "Dockerfile").write_text("FROM bitnami/redis:7.2\nENV ALLOW_EMPTY_PASSWORD=yes \\\n    A=1\nUSER 1001\n")
    (tmp_path / ".env").write_text('DATABASE_URL="postgresql://app:${PG_PASSWORD}@db:5432/phi?sslmode=disable"\n')
    result = scan(tmp_path / "Dockerfile", tmp_path / ".env")
    shown = {(f.rule_id, f.snippet, f.evidence) for f in findings(result) if f.rule_id in ("HS403", "HS502")}
    assert shown == {
        ("HS403", "ENV ALLOW_EMPTY_PASSWORD=yes \\", "ALLOW_EMPTY_PASSWORD=yes"),
        ("HS502", 'DATABASE_URL="postgresql://app:${PG_PASSWORD}@db:5432/phi?sslmode=disable"',
         "DATABASE_URL=postgresql://app:${PG_PASSWORD}@db:5432/phi?sslmode=disable"),
    }


def test_a_list_item_with_literal_text_around_a_reference(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  api:\n    image: acme/api:1.0\n    environment:\n"
                       f"      - API_TOKEN=${{UNSET_ONE:-{SECRET[:8]}}}{SECRET[8:]}\n      - NODE_ENV=development\n")
    result = scan(compose)
    assert_hidden(result, SECRET[:8], SECRET[8:])
    layer = redact.Redactor(regions=scan_regions(compose))
    assert layer.snippet(str(compose), 5, compose.read_text().split("\n")[4]) == "- API_TOKEN=****(30 chars)"


def scan_regions(compose):
    from hipaa_scan.sources.compose import parse_compose

    return parse_compose(compose.read_text(), str(compose)).regions


@pytest.mark.parametrize("line, shown", [
    ('    test: ["CMD", "curl", "-u", "admin:' + SECRET + '", "http://localhost/health"]',
     'test: ["CMD", "curl", "-u", "admin:****(16 chars)", "http://localhost/health"]'),
    ("CMD ['app', '--api-key', '" + SECRET + "', '--port', '80']",
     "CMD ['app', '--api-key', '****(16 chars)', '--port', '80']"),
    ('ENTRYPOINT ["redis-server","--requirepass","' + SECRET + '"]',
     'ENTRYPOINT ["redis-server","--requirepass","****(16 chars)"]'),
])
def test_a_one_line_exec_list_is_read_as_words(line, shown):
    """Quotes and commas stand between a flag and its value in an exec-form list (a healthcheck test, a JSON CMD)."""
    assert redact.Redactor().snippet("x", 1, line) == shown


def test_text_past_the_scanned_bound_is_masked_whole():
    """Past credentials.MAX_TEXT nothing is looked for, so nothing there is shown: evidence, messages and free text
    end in one mask; a snippet is masked on a bounded prefix and cut to its length."""
    from hipaa_scan.credentials import MAX_TEXT
    long = "a " * (MAX_TEXT // 2) + "--token " + SECRET
    assert redact.Redactor().evidence(long).endswith(f"****({len(long) - MAX_TEXT} chars)")
    assert SECRET not in redact.Redactor().message(long) and SECRET not in redact.text(long)
    line = "RUN x " + "y" * 200 + " --token " + SECRET + " " + "z" * 10_000
    assert SECRET[:8] not in redact.Redactor().snippet("x", 1, line, limit=300)
