"""credentials.spans / redact: where a credential sits in free text, and only the value is masked."""

import pytest

from hipaa_scan.redact import mask_credentials as redact

CASES = [
    ('RUN curl -H "PRIVATE-TOKEN: glpat-abcdefgh12345678" https://gitlab.com/api',
     'RUN curl -H "PRIVATE-TOKEN: ****(22 chars)" https://gitlab.com/api'),
    ("RUN curl -u admin:S3cr3tPassw0rd https://x", "RUN curl -u admin:****(14 chars) https://x"),
    ("RUN wget --header='Authorization: Bearer abcdefghijklmnop1234' http://x",
     "RUN wget --header='Authorization: Bearer ****(20 chars)' http://x"),
    ("pip install --index-url https://user:hunter2hunter@pypi.example.com/simple x",
     "pip install --index-url https://user:****(13 chars)@pypi.example.com/simple x"),
    ("git clone https://abcdef0123456789abcdef@github.com/x/y", "git clone https://****(22 chars)@github.com/x/y"),
    ("git clone git@github.com:x/y.git", "git clone git@github.com:x/y.git"),
    ("jupyter lab --ServerApp.token=abc123def456 --ip=0.0.0.0", "jupyter lab --ServerApp.token=****(12 chars) --ip=0.0.0.0"),
    ('sh -c "redis-server --requirepass Xyzzy12345 --port 6379"',
     'sh -c "redis-server --requirepass ****(10 chars) --port 6379"'),
    ("jdbc:postgresql://db:5432/app?user=app&password=Sup3rS3cret&sslmode=disable",
     "jdbc:postgresql://db:5432/app?user=app&password=****(11 chars)&sslmode=disable"),
    ("host=db port=5432 user=app password=Sup3rS3cret dbname=x", "host=db port=5432 user=app password=****(11 chars) dbname=x"),
    ("echo '//registry.npmjs.org/:_authToken=abcdefghijklmnop1234' > .npmrc",
     "echo '//registry.npmjs.org/:_authToken=****(20 chars)' > .npmrc"),
    ("redis-cli -a MyRedisPass123 ping", "redis-cli -a ****(14 chars) ping"),
    ("mysql -uroot -pMyPass123 -e 'select 1'", "mysql -uroot -p****(9 chars) -e 'select 1'"),
    ("AccountName=x;AccountKey=abcd1234efgh5678==;EndpointSuffix=core.windows.net",
     "AccountName=x;AccountKey=****(18 chars);EndpointSuffix=core.windows.net"),
    ('K="-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXk\\n-----END OPENSSH PRIVATE KEY-----"', 'K="****(87 chars)"'),
    ('{"password": "hunter2hunter", "user": "x"}', '{"password": "****(13 chars)", "user": "x"}'),
    # a password with `@` or `/` in it, not percent-encoded: the userinfo runs to the last `@` a host follows
    ("DOCKER_HOST=tcp://admin:p@ss/w0rd9@docker.example.com:2376",
     "DOCKER_HOST=tcp://admin:****(10 chars)@docker.example.com:2376"),
    ("postgres://app:Zq8@xK/9mWp2@db:5432/app?sslmode=disable", "postgres://app:****(12 chars)@db:5432/app?sslmode=disable"),
    ("npm install https://registry.npmjs.org/@scope/pkg", "npm install https://registry.npmjs.org/@scope/pkg"),
    ("curl -X POST https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdEFGH1234ijklMNOP5678 -d @m.json",
     "curl -X POST https://****(69 chars) -d @m.json"),
    ("WEBHOOK=https://discord.com/api/webhooks/123456789012345678/AbCdEf-GhIjKl_MnOp",
     "WEBHOOK=https://discord.com/api/webhooks/****(37 chars)"),
    # a flag's value is a shell word: commas and brackets are part of it
    ('sh -c "redis-server --requirepass ab,c+^6n]8cT --port 6379"',
     'sh -c "redis-server --requirepass ****(12 chars) --port 6379"'),
    ("mysql -uroot -pab,cd}ef -e 'select 1'", "mysql -uroot -p****(8 chars) -e 'select 1'"),
    # nothing to mask: variables, placeholders, plain commands and images
    ("POSTGRES_PASSWORD=${DB_PASSWORD}", "POSTGRES_PASSWORD=${DB_PASSWORD}"),
    ("--password=$PASS --token <tok>", "--password=$PASS --token <tok>"),
    ("image: postgres:16", "image: postgres:16"),
    ("curl -f http://localhost:8080/health", "curl -f http://localhost:8080/health"),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_redact_masks_only_the_credential_value(text, expected):
    assert redact(text) == expected


# Credentials in a tool's own syntax (credentials._WRITTEN): masked by redact as they are found by detection.
WRITTEN_CASES = [
    ("machine github.com\nlogin ci\npassword Netrc0Passw0rd\n", "machine github.com\nlogin ci\npassword ****(14 chars)\n"),
    ("npm config set //registry.npmjs.org/:_authToken Abc123Def456Ghi", "npm config set //registry.npmjs.org/:_authToken ****(15 chars)"),
    ("poetry config http-basic.private alice S3cretPw1", "poetry config http-basic.private alice ****(9 chars)"),
    ("echo 'root:Docker0Pw!' | chpasswd", "echo 'root:****(10 chars)' | chpasswd"),
    ("docker login -u bob -p Hunter22x registry.io", "docker login -u bob -p ****(9 chars) registry.io"),
    ("htpasswd -bc /etc/nginx/.htpasswd admin Adm1nPw", "htpasswd -bc /etc/nginx/.htpasswd admin ****(7 chars)"),
    ("openssl rsa -in k -passin pass:Ph1rase9", "openssl rsa -in k -passin pass:****(8 chars)"),
    ("keytool -importcert -storepass Chang3d9 -file x", "keytool -importcert -storepass ****(8 chars) -file x"),
    ("mc alias set local http://minio:9000 admin SKEY12345", "mc alias set local http://minio:9000 admin ****(9 chars)"),
    ("rabbitmqctl add_user app R4bbitPw", "rabbitmqctl add_user app ****(8 chars)"),
    ("sqlcmd -S db -U sa -P Passw0rd1 -Q x", "sqlcmd -S db -U sa -P ****(9 chars) -Q x"),
    ("aws configure set aws_secret_access_key wJalrXUtnFEMIK7MDENG", "aws configure set aws_secret_access_key ****(20 chars)"),
    ("npm config set registry https://r.example.com", "npm config set registry https://r.example.com"),
    ("docker run -p 80:80 nginx", "docker run -p 80:80 nginx"),
]


@pytest.mark.parametrize("text, expected", WRITTEN_CASES)
def test_redact_masks_credentials_written_in_a_tools_syntax(text, expected):
    assert redact(text) == expected


def test_every_tool_syntax_passes_the_one_prefilter():
    """credentials.spans runs only on text secrets.may_hold_credential admits: each tool syntax's literal must pass."""
    from hipaa_scan import credentials
    from hipaa_scan.secrets import may_hold_credential

    for literal, *_rest in credentials._WRITTEN:
        assert may_hold_credential(f"run {literal} x y"), literal
