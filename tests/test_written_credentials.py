"""Credentials written inside text, wherever people write them: Dockerfile RUN/LABEL/HEALTHCHECK/ONBUILD, compose
labels, healthchecks, logging options, command strings, `x-` blocks, inline configs, includes, connection strings
under any name, and the same places in live containers (HS401, HS402, HS405).

Every secret here is made at test time, unique per test, so that a leak into a message is caught by its value:
messages and evidence name the variable, label, header or flag, and never quote the value."""

import json
import os
import secrets as pyrandom
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from hipaa_scan.credentials import detect
from hipaa_scan.engine import ScanOptions, scan_documents, scan_paths
from hipaa_scan.sources.container import container_document

RULES = ["HS401", "HS402", "HS405"]


def fresh(prefix="Pw"):
    """A password nobody wrote before: letters and digits, so that no placeholder rule can take it for one."""
    return prefix + pyrandom.token_hex(8) + "Zq9"


def scan(tmp_path, name, text, rules=RULES):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    result = scan_paths([str(path)], ScanOptions(select=rules))
    assert not result.errors, result.errors
    return list(result.findings)


def hits(findings):
    return sorted((f.rule_id, f.location.line) for f in findings)


def assert_unquoted(findings, *values):
    for f in findings:
        for value in values:
            for piece in (value[i:i + 8] for i in range(0, len(value) - 7)):
                assert piece not in f.message, (f.message, value)
                assert piece not in (f.evidence or ""), (f.evidence, value)


# -- credentials.detect: the literal credentials in a text, placeholders left out ----------------------------------

FOUND = [
    ('curl -H "PRIVATE-TOKEN: {s}" https://gitlab.example.com/api/v4', "PRIVATE-TOKEN header"),
    ("curl -fsSL -u deploy:{s} https://x.example.com", "password of -u/--user"),
    ("wget --header='Authorization: Basic {s}' https://x", "Authorization header"),
    ("pip install --index-url https://ci:{s}@pypi.example.com/simple lib", "URL password"),
    ("git clone https://oauth2:{s}@gitlab.example.com/acme/app.git", "URL password"),
    ("echo '//registry.npmjs.org/:_authToken={s}' > ~/.npmrc", "_authToken"),
    ("npm config set //registry.npmjs.org/:_authToken {s}", "_authToken"),
    ("yarn config set npmAuthToken {s}", "npmAuthToken"),
    ("poetry config http-basic.private alice {s}", "http-basic password"),
    ("echo 'root:{s}' | chpasswd", "chpasswd password"),
    ("docker login -u ci -p {s} registry.example.com", "login password"),
    ("az login --service-principal -u 0000-app -p {s} --tenant t", "login password"),
    ("composer config -g http-basic.repo.example.com alice {s}", "http-basic password"),
    ("htpasswd -bc /etc/nginx/.htpasswd admin {s}", "htpasswd password"),
    ("openssl pkcs12 -export -in c.pem -passout pass:{s} -out c.p12", "openssl pass phrase"),
    ("keytool -importcert -keystore ks.jks -storepass {s} -file ca.pem", "keytool password"),
    ("mc alias set local http://minio:9000 admin {s}", "MinIO client secret key"),
    ("rabbitmqctl add_user app {s}", "rabbitmqctl password"),
    ("sqlcmd -S db -U sa -P {s} -Q 'select 1'", "sqlcmd password switch"),
    ("machine github.com\nlogin ci\npassword {s}\n", "netrc password"),
    ("jdbc:postgresql://db:5432/phi?user=app&password={s}&sslmode=disable", "password"),
    ("host=db port=5432 user=app password={s} dbname=phi", "password"),
    ("Server=tcp:db,1433;Database=phi;User Id=app;Password={s};", "Password"),
    ("redis-server --requirepass {s} --appendonly yes", "--requirepass"),
    ("jupyter lab --ServerApp.token={s} --ip=0.0.0.0", "--ServerApp.token"),
    ("redis-cli -a {s} ping", "redis-cli password switch"),
    ("mysqladmin -uroot -p{s} ping", "mysqladmin password switch"),
    ('{{"auths":{{"r.example.com":{{"auth":"{s}"}}}}}}', "auth"),
    ("PGPASSWORD={s} psql -h db", "PGPASSWORD"),
]


@pytest.mark.parametrize("template, name", FOUND)
def test_detect_finds_the_credential_and_names_its_holder(template, name):
    secret = fresh()
    text = template.format(s=secret)
    found = detect(text)
    assert len(found) == 1, found
    span, product = found[0]
    assert text[span.start:span.end] == secret
    assert span.name == name
    assert product is None


NOT_FOUND = [
    'curl -H "PRIVATE-TOKEN: $GITLAB_TOKEN" https://x', 'curl -H "Authorization: Bearer ${API_TOKEN}" https://x',
    'curl -H "PRIVATE-TOKEN: $(cat /run/secrets/gitlab)" https://x', "curl -u \"$USER:$PASSWORD\" https://x",
    "curl -u deploy:<password> https://x", "curl -u app:app https://x", "docker run -u 1000:1000 img",
    "git clone https://github.com/acme/app.git", "git clone git@github.com:acme/app.git",
    "git clone https://deploy@git.example.com/acme/app.git", "ssh://deployer-account@host.example.com/repo",
    "echo '//registry.npmjs.org/:_authToken=${NPM_TOKEN}' > .npmrc",
    "echo \"//registry.npmjs.org/:_authToken=\\${NPM_TOKEN}\" > .npmrc",
    "npm config set registry https://npm.example.com", "password = os.environ['DB_PASSWORD']",
    "password: /run/secrets/db_password", "password=changeme", "token: your-token-here", "api_key=__REPLACE_ME__",
    "password=dummy", "secret: <token>", "--token xxxxxxxxxxxxxxxx", "password=sk-xxxxxxxx",
    "docker build --secret id=npm,src=.npmrc .", "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci",
    "docker login -u ci --password-stdin registry.example.com", "password_file=/run/secrets/pw",
    "token_url=https://auth.example.com/token", "image: postgres:16", "curl -f http://localhost:8080/health",
    "jdbc:postgresql://db:5432/phi?user=app&sslmode=require", "--requirepass \"$(cat /run/secrets/redis)\"",
    "nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "key=550e8400-e29b-41d4-a716-446655440000x"[:0] + "request_id=550e8400-e29b-41d4-a716-446655440000",
    "token = process.env.API_TOKEN", "password: !vault |", "password: *db_password", "api_key = settings.API_KEY",
    "password: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]", "token: ${{ secrets.GITHUB_TOKEN }}",
    'password: "{{ vault_db_password }}"',
]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_detect_leaves_out_references_placeholders_and_non_credentials(text):
    assert detect(text) == [], detect(text)


def test_vendor_default_pairs_are_named_for_hs402():
    for text, product in (("curl -u elastic:changeme http://es:9200", "Elasticsearch"),
                          ("amqp://guest:guest@rabbitmq:5672/", "RabbitMQ"),
                          ("mc alias set x http://m:9000 minioadmin minioadmin", None)):
        found = detect(text)
        if product is None:
            assert all(p is None for _s, p in found)
        else:
            assert [p for _s, p in found] == [product], (text, found)


# -- Dockerfile: RUN, LABEL, HEALTHCHECK, ONBUILD -------------------------------------------------------------------

def test_dockerfile_credentials_are_hs405_on_their_own_lines_and_never_quoted(tmp_path):
    a, b, c, d, e, f, g = (fresh() for _ in range(7))
    findings = scan(tmp_path, "Dockerfile", f"""
        FROM alpine:3.20 AS build
        RUN curl -H "X-Api-Key: {a}" https://api.example.com/x
        FROM python:3.12-slim
        LABEL com.example.deploy-token="{b}"
        RUN apt-get update \\
            && curl -u ci:{c} -o /tmp/x https://x.example.com/x \\
            && echo done
        RUN <<EOT
        cat > /root/.pypirc <<'P'
        [pypi]
        password = {d}
        P
        EOT
        HEALTHCHECK CMD wget -q --header "Authorization: Bearer {e}" -O- http://localhost/ || exit 1
        ONBUILD RUN git clone https://ci:{f}@git.example.com/acme/x.git
        RUN curl -u ci:{g} -H "X-Api-Key: {a}" https://x
        RUN curl -u elastic:changeme http://es:9200
        USER 10001
        """, rules=RULES + ["HS302"])
    secret_hits = [x for x in findings if x.rule_id in RULES]
    assert hits(secret_hits) == [("HS401", 2), ("HS402", 17), ("HS405", 4), ("HS405", 6), ("HS405", 11),
                                 ("HS405", 14), ("HS405", 15), ("HS405", 16)]
    assert_unquoted(findings, a, b, c, d, e, f, g)
    by_line = {x.location.line: x for x in secret_hits}
    assert by_line[2].message == ('stage "build" writes a plaintext credential in RUN (the X-Api-Key header: '
                                  '****(21 chars))')
    assert by_line[16].message.endswith("bakes plaintext credentials into the image in RUN (the password of -u/--user "
                                        "and the X-Api-Key header: ****(21 chars), ****(21 chars))")
    assert by_line[17].message == ("final stage (FROM python:3.12-slim) uses the Elasticsearch default credential in "
                                   "RUN (the password of -u/--user)")
    assert len({x.fingerprint for x in secret_hits}) == len(secret_hits)


def test_one_finding_per_line_whatever_rules_run(tmp_path):
    """The same credential is never reported by two rules, nor twice for one line."""
    token = fresh()
    findings = scan(tmp_path, "Dockerfile", f"""
        FROM python:3.12-slim
        RUN curl -u ci:{token} https://x/{token} -H "Authorization: Bearer {token}"
        ENV DATABASE_URL=postgres://app:{token}@db/phi
        CMD ["redis-server", "--requirepass", "{token}", "--masterauth", "{token}"]
        ARG GITHUB_TOKEN={token}
        ARG NPM_TOKEN
        """, rules=None)
    secret_hits = [x for x in findings if x.rule_id in RULES]
    # a secret-named ARG with a literal default: HS401 (the value), not HS405 as well; without a default: HS405
    assert hits(secret_hits) == [("HS401", 3), ("HS401", 4), ("HS401", 5), ("HS405", 2), ("HS405", 6)]
    assert_unquoted(findings, token)


# -- compose ---------------------------------------------------------------------------------------------------------

def test_compose_texts(tmp_path):
    s = [fresh() for _ in range(10)]
    findings = scan(tmp_path, "compose.yaml", f"""
        x-db: &db
          password: {s[0]}
        x-env: &env
          API_SECRET: {s[1]}
        services:
          api:
            image: ghcr.io/acme/api:1.0.0
            environment:
              <<: *env
              JDBC_URL: jdbc:mysql://db/phi?user=a&password={s[2]}
            labels:
              - "com.example.token={s[3]}"
            healthcheck:
              test: curl -fsS -u monitor:{s[4]} http://localhost/health
            logging:
              driver: loki
              options:
                loki-url: https://tenant:{s[5]}@loki.example.com/loki/api/v1/push
            command: ["sh", "-c", "exec app --api-key {s[6]}"]
            x-deploy:
              registry_password: {s[7]}
            build:
              context: .
              dockerfile_inline: |
                FROM alpine:3.20
                RUN curl -H "PRIVATE-TOKEN: {s[8]}" https://gitlab.example.com/api
        configs:
          app:
            content: |
              user=app
              password={s[9]}
        """)
    assert hits(findings) == [("HS401", n) for n in (2, 4, 10, 12, 14, 18, 19, 21, 26, 31)]
    assert_unquoted(findings, *s)
    messages = {f.location.line: f.message for f in findings}
    assert messages[2] == "the Compose file compose.yaml writes a plaintext credential in x-db password (****(21 chars))" \
        or messages[2].endswith("writes a plaintext credential in x-db password (****(21 chars))")
    assert messages[4].startswith('service "api" sets the secret API_SECRET in plain text')  # once, by `environment`
    assert messages[10] == 'service "api" writes a plaintext credential inside JDBC_URL (the password value: ****(21 chars))'
    assert messages[12] == 'service "api" writes a plaintext credential in label com.example.token (****(21 chars))'
    assert "logging option loki-url (the URL password" in messages[18]
    assert "build.dockerfile_inline (the PRIVATE-TOKEN header" in messages[26]
    assert "configs.app.content (the password value" in messages[31]


def test_compose_project_remote_include_is_noted_by_index_and_its_credentials_reported(tmp_path):
    password = fresh()
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(f"""
        include:
          - https://deploy:{password}@git.example.com/acme/shared.git
        services:
          api:
            image: ghcr.io/acme/api:1.0.0
        """).lstrip())
    result = scan_paths([str(tmp_path)], ScanOptions(select=["HS401"]))
    assert not result.errors
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("HS401", 2)]
    notes = list(result.notes)
    assert any("include[0] is a remote project" in n for n in notes), notes
    assert not any(password in n for n in notes)
    assert_unquoted(result.findings, password)


def test_env_file_connection_strings(tmp_path):
    a, b = fresh(), fresh()
    findings = scan(tmp_path, ".env", f"""
        JDBC_URL=jdbc:sqlserver://db:1433;databaseName=phi;user=app;password={a}
        REDIS_ARGS=--requirepass {b}
        SAFE_JDBC=jdbc:sqlserver://db:1433;databaseName=phi;user=app;password=${{DB_PASSWORD}}
        """)
    assert hits(findings) == [("HS401", 1), ("HS401", 2)]
    assert_unquoted(findings, a, b)


# -- live containers --------------------------------------------------------------------------------------------------

def inspect_with(**config):
    host = config.pop("HostConfig", {})
    return {"Id": "c0ffee", "Name": "/app", "State": {"Running": True, "Status": "running"},
            "Config": {"Image": "ghcr.io/acme/app:1.0.0", **config}, "HostConfig": host}


def test_live_container_places(tmp_path):
    s = [fresh() for _ in range(5)]
    doc = container_document(inspect_with(
        Labels={"com.example.token": s[0], "com.docker.compose.config-hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"},
        Healthcheck={"Test": ["CMD-SHELL", f"curl -u monitor:{s[1]} http://localhost/"]},
        Cmd=["sh", "-c", f"redis-server --requirepass {s[2]}"],
        HostConfig={"LogConfig": {"Type": "splunk", "Config": {"splunk-token": s[3], "splunk-url": "https://s:8088"}}},
        Env=[f"JDBC_URL=jdbc:postgresql://db/phi?password={s[4]}"]))
    result = scan_documents([doc], ScanOptions(select=RULES))
    keys = sorted(f.location.key for f in result.findings)
    assert keys == ["Config.Cmd", "Config.Env[0]", "Config.Healthcheck.Test", "Config.Labels.com.example.token",
                    "HostConfig.LogConfig.Config.splunk-token"]
    assert {f.rule_id for f in result.findings} == {"HS401"}
    assert_unquoted(result.findings, *s)


def test_live_placeholders_and_plain_values_are_not_findings():
    doc = container_document(inspect_with(
        Labels={"com.example.token-url": "https://auth/token", "maintainer": "ops@example.com"},
        Healthcheck={"Test": ["CMD", "redis-cli", "-a", "$REDIS_PASSWORD", "ping"]},
        Cmd=["redis-server", "--requirepass", "${REDIS_PASSWORD}"]))
    assert list(scan_documents([doc], ScanOptions(select=RULES)).findings) == []


def test_live_engine_container_credentials(docker_engine):
    """Against the real private engine: a container whose labels, healthcheck and command carry credentials."""
    s = [fresh() for _ in range(3)]
    name = "hs-written-" + pyrandom.token_hex(3)
    container = docker_engine.client.containers.create(
        "hs-busybox:1.0", ["sh", "-c", f"sleep 3600 # --requirepass {s[0]}"], name=name,
        labels={"com.example.api-token": s[1]},
        healthcheck={"test": ["CMD-SHELL", f"wget -q --header 'X-Api-Key: {s[2]}' -O- http://localhost/ || true"],
                     "interval": 30_000_000_000})
    try:
        container.start()
        proc = subprocess.run([sys.executable, "-m", "hipaa_scan", "live", "--host", docker_engine.host, "--container",
                               name, "--select", ",".join(RULES), "--format", "json"], capture_output=True,
                              text=True, cwd=ROOT, timeout=120,
                              env={k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")})
        report = json.loads(proc.stdout)
        keys = sorted(f["location"]["key"] for f in report["findings"])
        assert keys == ["Config.Cmd", "Config.Healthcheck.Test", "Config.Labels.com.example.api-token"], proc.stdout
        for f in report["findings"]:
            for value in s:
                assert value not in f["message"] and value not in (f.get("evidence") or "")
    finally:
        container.remove(force=True)


def test_compose_project_remote_extends_file_is_noted_and_its_credentials_reported(tmp_path):
    password = fresh()
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(f"""
        services:
          api:
            extends:
              file: https://deploy:{password}@git.example.com/acme/base.yaml
              service: base
            image: ghcr.io/acme/api:1.0.0
        """).lstrip())
    result = scan_paths([str(tmp_path)], ScanOptions(select=["HS401"]))
    assert not result.errors, result.errors  # was an io error naming the URL
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("HS401", 4)]
    notes = list(result.notes)
    assert any("extends a service of a remote file" in n for n in notes) and not any(password in n for n in notes)
    assert_unquoted(result.findings, password)


def test_live_volume_driver_options():
    password = fresh()
    doc = container_document(inspect_with(HostConfig={"Mounts": [{"Type": "volume", "Source": "scans", "Target": "/s",
        "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": {
            "type": "cifs", "o": f"addr=files,username=svc,password={password}", "device": "//files/scans"}}}}]}))
    result = scan_documents([doc], ScanOptions(select=RULES))
    assert [f.location.key for f in result.findings] == ["HostConfig.Mounts[0].VolumeOptions.DriverConfig.Options.o"]
    assert_unquoted(result.findings, password)


# Lines from real-world Dockerfiles and compose files that name keys, passwords and tokens without holding one:
# official images' GPG fingerprints, hashing settings, secret mounts, key files, htpasswd hashes, digests.
CLEAN_DOCKERFILE = 'FROM python:3.12-slim\nENV GPG_KEY 7169605F62C751356D054A26A821E680E5FA6305\nENV PYTHON_GET_PIP_SHA256 6fb7b781206356f45ad79efbb19322caa6c2a5ad39092d0d44d0fec94117e118\nRUN set -eux; key=\'B42F6819007F00F88E364FD4036A9C25BF357DD4\'; export GNUPGHOME="$(mktemp -d)"; \\\n    gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys "$key"; \\\n    gpg --batch --verify /usr/local/bin/gosu.asc /usr/local/bin/gosu\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gnupg \\\n    && curl -fsSL https://packages.example.com/gpg.key | gpg --dearmor -o /usr/share/keyrings/example.gpg \\\n    && echo "deb [signed-by=/usr/share/keyrings/example.gpg] https://apt.example.com stable main" > /etc/apt/sources.list.d/x.list \\\n    && rm -rf /var/lib/apt/lists/*\nRUN groupadd -r app && useradd -r -g app -u 10001 app && chown -R app:app /app\nRUN npm config set fund false && git config --global user.email "ci@example.com"\nRUN echo "password_encryption = scram-sha-256" >> /etc/postgresql/postgresql.conf \\\n    && echo "ssl_key_file = \'/etc/ssl/private/server.key\'" >> /etc/postgresql/postgresql.conf\nRUN curl -fsS -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat /run/secrets/token)" https://api.example.com\nRUN --mount=type=ssh git clone git@github.com:acme/x.git && ssh-keyscan github.com >> ~/.ssh/known_hosts\nRUN pip install --no-cache-dir -r requirements.txt --trusted-host pypi.example.com\nRUN python -c "import secrets; print(secrets.token_hex(32))" > /dev/null\nRUN sed -i \'s/^#\\?PasswordAuthentication .*/PasswordAuthentication no/\' /etc/ssh/sshd_config\nRUN echo "auth required pam_unix.so" >> /etc/pam.d/common-auth && echo \'session optional pam_systemd.so\' >> x\nRUN openssl req -x509 -nodes -days 365 -newkey rsa:2048 -keyout /etc/ssl/private/key.pem -out /etc/ssl/cert.pem -subj "/CN=localhost"\nRUN wget -q https://github.com/acme/tool/releases/download/v1.2.3/tool_1.2.3_linux_amd64.tar.gz\nLABEL org.opencontainers.image.authors="ops@example.com" org.opencontainers.image.revision="da39a3ee5e6b4b0d3255bfef95601890afd80709"\nHEALTHCHECK CMD mysqladmin ping -h localhost -p${MYSQL_ROOT_PASSWORD} || exit 1\nCMD ["gunicorn", "--keyfile", "/certs/key.pem", "--certfile", "/certs/cert.pem", "app:app"]\n'

CLEAN_COMPOSE = 'services:\n  db:\n    image: postgres:16.3\n    command: ["postgres", "-c", "password_encryption=scram-sha-256", "-c", "ssl_key_file=/certs/server.key"]\n    environment:\n      POSTGRES_HOST_AUTH_METHOD: scram-sha-256\n      POSTGRES_PASSWORD_FILE: /run/secrets/pg\n      TOKEN_AUDIENCE: api://default\n      JAVA_OPTS: -Xmx512m -Djava.security.egd=file:/dev/./urandom\n      CORS_ORIGINS: https://a.example.com,https://b.example.com\n      AUTH_PROVIDER: keycloak\n      SESSION_COOKIE_SECURE: "true"\n      KEYCLOAK_URL: https://auth.example.com/realms/phi\n    healthcheck:\n      test: ["CMD-SHELL", "pg_isready -U postgres"]\n    labels:\n      traefik.http.middlewares.auth.basicauth.users: "admin:$$apr1$$H6uskkkW$$IgXLP6ewTrSuBkTrqE8wj/"\n      com.centurylinklabs.watchtower.enable: "true"\n      org.label-schema.vcs-ref: "da39a3ee5e6b4b0d3255bfef95601890afd80709"\n  mysql:\n    image: mysql:8.4\n    command: --default-authentication-plugin=mysql_native_password --ssl-key=/certs/key.pem\n  api:\n    image: ghcr.io/acme/api@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n    command: ["--token-auth-file=/etc/tokens.csv", "--api-key-header", "X-Api-Key", "--password-file", "/run/secrets/pw"]\n    logging:\n      driver: json-file\n      options:\n        max-size: 10m\n        labels: "com.example.service"\n'


def test_realistic_files_without_credentials_give_no_finding(tmp_path):
    (tmp_path / "Dockerfile").write_text(CLEAN_DOCKERFILE)
    (tmp_path / "compose.yaml").write_text(CLEAN_COMPOSE)
    result = scan_paths([str(tmp_path)], ScanOptions(select=RULES))
    assert not result.errors
    assert [(f.rule_id, f.location.line, f.message) for f in result.findings] == []


def test_a_secret_env_variable_used_through_interpolation_is_reported_once_at_its_env_line(tmp_path):
    """`.env` writes REDIS_PASSWORD (a secret's name): reported there; the healthcheck, label and command that use it
    through `${REDIS_PASSWORD}` are not reported again. A value under a name that does not say secret (REDIS_PHRASE)
    is judged where it is used, as before."""
    password, auth = fresh(), fresh()
    (tmp_path / ".env").write_text(f"REDIS_PASSWORD={password}\nREDIS_PHRASE={auth}\n")
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        services:
          redis:
            image: redis:7.2.4
            command: ["sh", "-c", "redis-server --requirepass ${REDIS_PASSWORD}"]
            labels:
              com.example.redis-password: ${REDIS_PASSWORD}
            healthcheck:
              test: redis-cli -a ${REDIS_PASSWORD} ping
          replica:
            image: redis:7.2.4
            command: redis-server --masterauth ${REDIS_PHRASE}
        """).lstrip())
    result = scan_paths([str(tmp_path)], ScanOptions(select=["HS401"]))
    assert not result.errors
    got = sorted((os.path.basename(f.location.path), f.location.line) for f in result.findings)
    assert got == [(".env", 1), ("compose.yaml", 11)]
    assert_unquoted(result.findings, password, auth)


def test_a_vendor_default_pair_in_a_url_is_hs402_only(tmp_path):
    findings = scan(tmp_path, ".env", """
        CELERY_BROKER_URL=amqp://guest:guest@rabbitmq:5672//
        CACHE_URL=redis://default:Rd9sLp2xQwZ@redis:6379/0
        """)
    assert hits(findings) == [("HS401", 2), ("HS402", 1)]
    assert findings[0].message.endswith("uses the RabbitMQ default credential in CELERY_BROKER_URL") or \
        any(f.message.endswith("uses the RabbitMQ default credential in CELERY_BROKER_URL") for f in findings)


@pytest.mark.parametrize("unit", ["login ", "sqlcmd ", "login a ", "config set ", "X-Token: ", "-u ", "https://a:",
                                  "password=", "--token ", "htpasswd -b ", "mc alias set ", "echo a:b ", "docker login -u "])
def test_detection_is_linear_on_hostile_text(unit):
    """A text made of one credential context repeated (a lazy scan per occurrence was quadratic): bounded time."""
    import time

    text = unit * 20000
    started = time.perf_counter()
    detect(text)
    assert time.perf_counter() - started < 3.0


def test_a_list_item_that_is_not_key_value_is_not_named_by_its_text(tmp_path):
    """`x-` list items and labels that are not `KEY=value` (a URL with a query) are judged whole and never named by a
    piece of their text, which could hold the credential."""
    password = fresh()
    findings = scan(tmp_path, "compose.yaml", f"""
        x-mirrors:
          - https://mirror:{password}@mirror.example.com/simple?region=eu
        services:
          api:
            image: ghcr.io/acme/api:1.0.0
            labels:
              - "https://bot:{password}@hooks.example.com/x?a=b"
        """)
    assert hits(findings) == [("HS401", 2), ("HS401", 7)]
    assert_unquoted(findings, password)
    assert all(password[:6] not in f.message for f in findings)
