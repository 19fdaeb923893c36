"""The token-shape catalogue (secrets.SECRET_SHAPES): each provider format is recognised with its own label, the
cheap literal prefilter admits every shape, and the look-alikes real files are full of (hashes, UUIDs, digests,
paths, references, placeholders) are not secrets.

Tokens are built at test time from a seeded generator, so that no file of the repository holds a realistic key."""

import random
import string

import pytest

from hipaa_scan import credentials
from hipaa_scan.redact import mask_credentials
from hipaa_scan.secrets import SECRET_SHAPES, is_placeholder, may_hold_credential, may_hold_secret_shape, shape_of

RNG = random.Random(13)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
UPPER = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    # a digit first, so shapes that ask for one (OpenAI, Slack) always find it
    return RNG.choice(string.digits) + "".join(RNG.choice(alphabet) for _ in range(n - 1)) \
        if alphabet is not HEX else "".join(RNG.choice(alphabet) for _ in range(n))


def jwt():
    return "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI" + rand(ALNUM, 20) + "." + rand(URLSAFE, 43)


# (label, a token of that shape as the provider issues it)
GOOD = [
    ("AWS access key id", "AKIA" + "".join(RNG.choice(UPPER) for _ in range(16))),
    ("AWS access key id", "ASIA" + "".join(RNG.choice(UPPER) for _ in range(16))),
    ("Anthropic API key", "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"),
    ("OpenAI API key", "sk-" + rand(ALNUM, 48)),
    ("OpenAI API key", "sk-proj-" + rand(URLSAFE, 120)),
    ("OpenAI API key", "sk-svcacct-" + rand(URLSAFE, 60)),
    ("GitHub token", "ghp_" + rand(ALNUM, 36)),
    ("GitHub token", "gho_" + rand(ALNUM, 36)),
    ("GitHub token", "github_pat_11" + rand(ALNUM, 20) + "_" + rand(ALNUM, 59)),
    ("GitLab token", "glpat-" + rand(URLSAFE, 20)),
    ("GitLab token", "gldt-" + rand(URLSAFE, 20)),
    ("GitLab token", "glrt-" + rand(URLSAFE, 20)),
    ("GitLab token", "glptt-" + rand(HEX, 40)),
    ("Slack token", "xoxb-" + rand(string.digits, 12) + "-" + rand(string.digits, 13) + "-" + rand(ALNUM, 24)),
    ("Slack token", "xoxp-" + rand(string.digits, 12) + "-" + rand(string.digits, 12) + "-" + rand(HEX, 32)),
    ("Slack token", "xoxe-1-" + rand(ALNUM, 60)),
    ("Slack app token", "xapp-1-A" + rand(UPPER, 10) + "-" + rand(string.digits, 13) + "-" + rand(HEX, 64)),
    ("Slack webhook URL", "https://hooks.slack.com/services/T" + rand(UPPER, 8) + "/B" + rand(UPPER, 10) + "/"
     + rand(ALNUM, 24)),
    ("Discord webhook URL", "https://discord.com/api/webhooks/" + rand(string.digits, 18) + "/" + rand(URLSAFE, 68)),
    ("Stripe secret key", "sk_live_" + rand(ALNUM, 99)),
    ("Stripe secret key", "rk_live_" + rand(ALNUM, 99)),
    ("Stripe webhook secret", "whsec_" + rand(ALNUM, 32)),
    ("Google API key", "AIza" + rand(URLSAFE, 35)),
    ("Google OAuth client secret", "GOCSPX-" + rand(URLSAFE, 28)),
    ("Hugging Face token", "hf_" + rand(ALNUM, 34)),
    ("SendGrid API key", "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)),
    ("npm token", "npm_" + rand(ALNUM, 36)),
    ("PyPI token", "pypi-AgEIcHlwaS5vcmc" + rand(URLSAFE, 150)),
    ("Docker Hub token", "dckr_pat_" + rand(URLSAFE, 27)),
    ("Doppler token", "dp.st.prd." [:6] + rand(ALNUM, 43)),
    ("Databricks token", "dapi" + rand(HEX, 32)),
    ("HashiCorp Vault token", "hvs.CAESI" + rand(URLSAFE, 90)),
    ("Atlassian API token", "ATATT3xFfGF0" + rand(URLSAFE, 180)),
    ("Twilio API key", "SK" + rand(HEX, 32)),
    ("Mailgun API key", "key-" + rand(HEX, 32)),
    ("DigitalOcean token", "dop_v1_" + rand(HEX, 64)),
    ("Shopify token", "shpat_" + rand(HEX, 32)),
    ("Grafana token", "glsa_" + rand(ALNUM, 32) + "_" + rand(HEX, 8)),
    ("New Relic key", "NRAK-" + "".join(RNG.choice(UPPER) for _ in range(27))),
    ("Postman API key", "PMAK-" + rand(HEX, 24) + "-" + rand(HEX, 34)),
    ("Sentry token", "sntrys_eyJpYXQiOjE2" + rand(ALNUM, 60)),
    ("Linear API key", "lin_api_" + rand(ALNUM, 40)),
    ("Telegram bot token", rand(string.digits, 10) + ":AA" + rand(URLSAFE, 33)),
    ("age secret key", "AGE-SECRET-KEY-1" + "".join(RNG.choice(UPPER) for _ in range(58))),
    ("Azure storage account key", "AccountKey=" + rand(B64, 86) + "=="),
    ("Azure shared access key", "SharedAccessKey=" + rand(B64, 43) + "="),
    ("Azure SAS signature", "sig=" + rand(ALNUM, 40) + "%2B" + rand(ALNUM, 3) + "%3D"),
    ("private key", "-----BEGIN PRIVATE KEY-----"),
    ("private key", "-----BEGIN RSA PRIVATE KEY-----"),
    ("private key", "-----BEGIN EC PRIVATE KEY-----"),
    ("private key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    ("private key", "-----BEGIN ENCRYPTED PRIVATE KEY-----"),
    ("private key", "-----BEGIN PGP PRIVATE KEY BLOCK-----"),
    ("private key", "-----BEGIN DSA PRIVATE KEY-----"),
    ("PuTTY private key", "PuTTY-User-Key-File-3: ssh-ed25519"),
    ("JSON web token", jwt()),
]


def test_every_shape_has_a_good_example():
    assert {label for label, _p, _v in SECRET_SHAPES} == {label for label, _t in GOOD}
    assert len({label for label, _p, _v in SECRET_SHAPES}) == len(SECRET_SHAPES), "labels are unique"


@pytest.mark.parametrize("label, token", GOOD, ids=[f"{label}-{i}" for i, (label, _t) in enumerate(GOOD)])
def test_a_provider_token_is_recognised_with_its_label(label, token):
    assert may_hold_secret_shape(token)
    assert may_hold_credential(token)  # the prefilter of text read for credentials (rules.inline) admits it too
    assert shape_of(token) is not None and shape_of(token)[0] == label
    for around in ("TOKEN={}", 'url: "{}"', "curl -d {} https://x", "{};"):
        text = around.format(token)
        assert shape_of(text)[0] == label, text
        found = credentials.spans(text)
        assert found and any(s.start <= text.index(token[-12:]) < s.end for s in found), text
    # the mask keeps at most the public prefix
    masked = mask_credentials("x " + token + " y")
    assert token[-12:] not in masked


# Look-alikes and placeholders, each next to the shape it imitates; none is a secret.
BAD = [
    "550e8400-e29b-41d4-a716-446655440000",  # UUID
    "d41d8cd98f00b204e9800998ecf8427e",  # MD5
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",  # SHA-1 (a git commit)
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # SHA-256
    "nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # image digest
    "SGVsbG8sIHdvcmxkISBUaGlzIGlzIG5vdCBhIHNlY3JldCBhdCBhbGwu",  # base64 of a sentence
    "/usr/local/lib/python3.12/site-packages/sklearn/ensemble/_forest.py",
    "/opt/app/keys/sk-deploy-config/settings.yaml",
    "${OPENAI_API_KEY}", "$GITHUB_TOKEN", "${GITLAB_TOKEN:?required}",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "sk-...", "sk-your-key-here-0000000",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_************************************",
    "glpat-xxxxxxxxxxxxxxxxxxxx", "glpat-<your-personal-access-token>", "npm_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "AKIAXXXXXXXXXXXXXXXX", "AKIA0000000000000000", "xoxb-0000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx",
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "whsec_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SG.xxxxxxxxxxxxxxxxxxxxxx.yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
    "dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx", "hvs.your-vault-token-goes-here-now", "AIzaxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "your-token-here", "<token>", "changeme", "__REPLACE_ME__", "dummy",
    "sk-learn-compatible-estimator-wrapper",  # kebab-case words after sk-
    "task-runner-configuration-file-name",
    "xoxo-hugs-and-kisses-forever",
    "skeleton-key-generator-service",
    "SKIP_TESTS_WHEN_BUILDING_IMAGES_FOR_CI_RUNS",
    "key-value-store-cluster-address",
    "global-patterns-and-glossary-terms",
    "-----BEGIN CERTIFICATE-----", "-----BEGIN PUBLIC KEY-----", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG user@host",
    "eyJhbGciOiJub25lIn0",  # a JWT header alone
    "hooks.slack.com/services/",  # the endpoint without its secret path
    "https://discord.com/api/webhooks/",
    "sig=abc",  # a short parameter
    "AccountKey=${AZURE_KEY}",
]


@pytest.mark.parametrize("text", BAD)
def test_look_alikes_and_placeholders_are_not_secrets(text):
    assert shape_of(text) is None, text


@pytest.mark.parametrize("text", ["your-token-here", "<token>", "changeme", "__REPLACE_ME__", "dummy", "_CHANGEME_",
                                  "${TOKEN}", "sk-xxxxxxxx", "REPLACE_ME", "<your-api-key>"])
def test_placeholders_are_placeholders(text):
    assert is_placeholder(text)


@pytest.mark.parametrize("label, token", GOOD[:3] + GOOD[-3:])
def test_shapes_are_linear_on_long_hostile_input(label, token):
    """No shape backtracks: a long run of almost-matching characters is scanned in linear time."""
    import time

    for pattern in [p for _l, p, _v in SECRET_SHAPES]:
        for filler in ("a" * 20000, "a-" * 10000, "0" * 20000, "eyJ" + "a" * 20000 + ".", "-----BEGIN " + "A " * 5000):
            started = time.perf_counter()
            pattern.search(filler)
            assert time.perf_counter() - started < 0.5, pattern.pattern


# A near miss for each shape without a public prefix: the structure without its secret part.
NEAR_MISS = {
    "Slack webhook URL": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "Discord webhook URL": "https://discord.com/api/webhooks/<webhook-id>/<webhook-token>",
    "Telegram bot token": "123456789:AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "private key": "-----BEGIN PUBLIC KEY-----",
    "PuTTY private key": "PuTTY-User-Key-File: ",
    "JSON web token": "eyJhbGciOiJIUzI1NiJ9.payload.signature",
}


@pytest.mark.parametrize("label, token", GOOD, ids=[f"{label}-{i}" for i, (label, _t) in enumerate(GOOD)])
def test_each_shape_filled_with_filler_is_a_placeholder(label, token):
    """The bad case of every shape: its public prefix followed by filler (`glpat-xxxx...`, `AKIA0000...`), or, for a
    shape without a prefix, the structure without its secret. Neither a shape nor an inline credential."""
    visible = next(v for name, _p, v in SECRET_SHAPES if name == label)
    if label in NEAR_MISS:
        fake = NEAR_MISS[label]
    else:
        fake = token[:visible] + "x" * (len(token) - visible)
    assert shape_of(fake) is None, fake
    assert credentials.detect(fake) == [], fake
    fake_zero = token[:visible] + "0" * (len(token) - visible)
    if label not in NEAR_MISS:
        assert shape_of(fake_zero) is None, fake_zero
