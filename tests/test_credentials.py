"""credentials.spans / redact: where a credential sits in free text, and only the value is masked."""

import pytest

from hipaa_scan.credentials import redact

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
     "curl -X POST https://hooks.slack.com/services/****(44 chars) -d @m.json"),
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
