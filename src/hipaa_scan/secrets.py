"""Recognising secret values, placeholders and default credentials, and masking them for output.

No function here returns a secret value: `mask` is the only way a value-derived string leaves this module.
"""

from __future__ import annotations

import functools
import re

from hipaa_scan.lazyre import lazy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Tuple

# Variable names that hold secrets. Matched against the upper-cased name.
SECRET_NAME = lazy(
    r"(PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS$|(^|_)PWD$|SECRET|TOKEN|API_?KEY|APIKEY|ACCESS_?KEY|PRIVATE_?KEY|"
    r"ENCRYPTION_?KEY|SIGNING_?KEY|SESSION_?KEY|MASTER_?KEY|AUTH_?KEY|CREDENTIAL|(^|_)DSN$|CONNECTION_?STRING|"
    r"(^|_)SALT$|(^|_)KEY$|(^|_)AUTH$)"
)
# Names that mention a secret but hold something else: a path, a switch, a size, a duration, a public id.
NOT_SECRET_NAME = lazy(
    r"(_FILE|_PATH|_DIR|_URL|_URI|_ENDPOINT|_HOST|_PORT|_ENABLED|_ENABLE|_DISABLED|_REQUIRED|_LENGTH|_LEN|_MIN|_MAX|"
    r"_TTL|_EXPIRY|_EXPIRE|_EXPIRES|_EXPIRATION|_TIMEOUT|_LIFETIME|_SECONDS|_MINUTES|_HOURS|_DAYS|_TYPE|_ALGORITHM|"
    r"_ALG|_NAME|_ID|_USER|_USERNAME|_HEADER|_PREFIX|_FIELD|_PARAM|_POLICY|_MODE|_LIMIT|_COUNT|_SIZE|_VERSION|"
    r"_ROTATION|_PROVIDER|_BACKEND|_STORE|_KEYS_?URL|_FORMAT|_METHOD|_SOURCE)$|^MAX_|_TOKENS$|TOKENIZER|"
    r"^(PUBLIC|PUBLISHABLE)_|_PUBLIC_?KEY|_PUBLISHABLE_?KEY|_KEY_ID$|ACCESS_KEY_ID$|^KEY$|"
    # a signing key's public fingerprint (official images' GPG_KEY), a hashing setting, a token's audience or issuer
    r"(^|_)GPG_KEYS?$|_FINGERPRINTS?$|_ENCRYPTION$|_AUDIENCE$|_ISSUER$|_SCOPES?$|_CLAIMS?$|"
    # where a service is reached (`TOKEN_SERVICE_ADDRESS`), not what it is reached with
    r"_ADDRESS$|_ADDR$"
)

# Value shapes that are secrets whatever the variable is called: (label, pattern, visible prefix length).
# Each pattern is linear (no nested quantifiers; a lookahead is bounded) and anchored on a provider's own prefix or
# structure, so that hashes, UUIDs, image digests, paths and base64 of ordinary data do not match. A shape whose
# value is filler after the prefix (`sk-xxxxxxxx`, `AKIAXXXXXXXXXXXXXXXX`) is a placeholder (`is_filler`).
# The visible prefix is the token type, public by design (`ghp_`); it is shown only on long values (`mask`).
SECRET_SHAPES: Tuple[Tuple[str, "re.Pattern[str]", int], ...] = (
    ("AWS access key id", lazy(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), 4),
    ("Anthropic API key", lazy(r"\bsk-ant-[A-Za-z0-9_\-]{20,}"), 7),
    # OpenAI: sk-, sk-proj-, sk-svcacct-, sk-admin-; a digit within the first characters rules out kebab-case words
    ("OpenAI API key", lazy(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?(?=[A-Za-z_\-]{0,40}[0-9])[A-Za-z0-9_\-]{20,}"),
     3),
    ("GitHub token", lazy(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"), 4),
    ("GitLab token", lazy(r"\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ffct|imt|agent|ft|wt)-[A-Za-z0-9_\-]{20,}"), 6),
    ("Slack token", lazy(r"\bxox[a-z]-(?=[A-Za-z\-]{0,20}[0-9])[A-Za-z0-9\-]{10,}"), 5),
    ("Slack app token", lazy(r"\bxapp-[0-9]-[A-Z0-9]{6,}-[0-9]{6,}-[a-f0-9]{20,}"), 5),
    ("Slack webhook URL", lazy(r"\bhooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Z0-9]{6,}/"
                               r"[A-Za-z0-9]{16,}"), 0),
    ("Discord webhook URL", lazy(r"\bdiscord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_\-]{50,}"), 0),
    ("Stripe secret key", lazy(r"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}"), 8),
    ("Stripe webhook secret", lazy(r"\bwhsec_[A-Za-z0-9+/=]{24,}"), 6),
    ("Google API key", lazy(r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"), 4),
    ("Google OAuth client secret", lazy(r"\bGOCSPX-[A-Za-z0-9_\-]{28}(?![A-Za-z0-9_\-])"), 7),
    ("Hugging Face token", lazy(r"\bhf_[A-Za-z0-9]{30,}\b"), 3),
    ("SendGrid API key", lazy(r"\bSG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{32,64}"), 3),
    ("npm token", lazy(r"\bnpm_[A-Za-z0-9]{36}\b"), 4),
    ("PyPI token", lazy(r"\bpypi-Ag[A-Za-z0-9_\-]{60,}"), 5),
    ("Docker Hub token", lazy(r"\bdckr_(?:pat|oat)_[A-Za-z0-9_\-]{20,}"), 9),
    ("Doppler token", lazy(r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}"), 6),
    ("Databricks token", lazy(r"\bdapi[a-f0-9]{32}(?:-[0-9])?\b"), 4),
    ("HashiCorp Vault token", lazy(r"\bhv[sbr]\.[A-Za-z0-9_\-]{24,}"), 4),
    ("Atlassian API token", lazy(r"\bATATT3[A-Za-z0-9_\-=]{50,}"), 6),
    ("Twilio API key", lazy(r"\bSK[a-f0-9]{32}\b"), 2),
    ("Mailgun API key", lazy(r"\bkey-[a-f0-9]{32}\b"), 4),
    ("DigitalOcean token", lazy(r"\bdo[opr]_v1_[a-f0-9]{64}\b"), 7),
    ("Shopify token", lazy(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"), 6),
    ("Grafana token", lazy(r"\b(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})"), 4),
    ("New Relic key", lazy(r"\bNRAK-[A-Z0-9]{27}\b"), 5),
    ("Postman API key", lazy(r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"), 5),
    ("Sentry token", lazy(r"\bsntry[su]_[A-Za-z0-9+/=_]{40,}"), 7),
    ("Linear API key", lazy(r"\blin_api_[A-Za-z0-9]{40}\b"), 8),
    ("Telegram bot token", lazy(r"\b[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}(?![A-Za-z0-9_\-])"), 0),
    ("age secret key", lazy(r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b"), 15),
    ("Azure storage account key", lazy(r"\bAccountKey=[A-Za-z0-9+/]{40,}={0,2}"), 11),
    ("Azure shared access key", lazy(r"\bSharedAccessKey=[A-Za-z0-9+/]{40,}={0,2}"), 16),
    ("Azure SAS signature", lazy(r"\bsig=[A-Za-z0-9%+/]{30,}(?:%3[Dd]|=){0,2}"), 4),
    ("private key", lazy(r"-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----"), 0),
    ("PuTTY private key", lazy(r"PuTTY-User-Key-File-[23]: "), 0),
    ("JSON web token", lazy(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), 0),
)
# The header of a private key block of any PEM type (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK)
PEM_BEGIN = lazy(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
# scheme://user:password@host with a literal password
URL_LABEL = "credentials in a URL"
URL_CREDENTIAL = lazy(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)([^:/?#@\s]*):([^@/?#\s]+)@")

PLACEHOLDER = lazy(
    r"^(|\s+|"
    r"\$\{?[A-Za-z_][A-Za-z0-9_]*.*|"  # ${VAR}, $VAR, ${VAR:-x}
    r"<[^>]*>|\[[^\]]*\]|\{\{.*\}\}|%\(.*\)s|"  # <your-key>, [token], {{ template }}
    r"your.*|(insert|enter|replace|put)[_\-\s\.].*|.*[_\-\s](here|goes_here)|"
    r"change[_\-\s]?(me|it|this)|replace[_\-\s]?me|todo|tbd|fixme|none|null|nil|undefined|n/?a|"
    r"x{3,}|\*{3,}|\.{3,}|-+|0+|"
    # a token type's prefix and filler: sk-xxxxxxxx, sk-proj-..., ghp_****, AKIAXXXXXXXXXXXXXXXX, eyJ...
    r"((sk|pk|rk|ghp|gho|ghs|ghu|ghr|hf|xox[abposr])[_\-]([a-z0-9]+[_\-])*|akia|asia|aiza|eyj)(x{3,}|\*{3,}|\.{3,})|"
    r"(dummy|fake|example|sample|placeholder|test|testing|redacted|secret_?here|not[_\-]?set|unset|default)"
    r"([_\-].*)?|"
    r"/run/secrets/.*|/var/run/secrets/.*|file:.*|vault:.*|secretsmanager:.*|ssm:.*|arn:aws:.*|"
    r"true|false|yes|no|on|off|\d{1,6})$",
    re.IGNORECASE,
)
# camel case placeholders, which the case-blind pattern above cannot tell from words: `dummyKeyWithMinimumLength`,
# `yourApiKeyHere`, `exampleSecret`, `changeMe` (a lower-case filler word, then an upper-case letter or a digit)
CAMEL_PLACEHOLDER = lazy(r"^(dummy|fake|example|sample|placeholder|your|insert|enter|replace|change)"
                         r"[A-Z0-9]")

# Vendor default credentials: variable name pattern, default values, product.
DEFAULT_CREDENTIALS: Tuple[Tuple["re.Pattern[str]", Tuple[str, ...], str], ...] = (
    (lazy(r"^MINIO_(ROOT_USER|ROOT_PASSWORD|ACCESS_KEY|SECRET_KEY)$"), ("minioadmin",), "MinIO"),
    (lazy(r"^(AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|MINIO_ACCESS_KEY_ID|MINIO_SECRET_ACCESS_KEY)$"),
     ("minioadmin",), "MinIO"),
    (lazy(r"^(POSTGRES_PASSWORD|PGPASSWORD|POSTGRESQL_PASSWORD|DB_PASSWORD|DATABASE_PASSWORD)$"),
     ("postgres", "password", "admin", "root"), "PostgreSQL"),
    (lazy(r"^(ELASTIC_PASSWORD|ELASTICSEARCH_PASSWORD|KIBANA_PASSWORD)$"), ("changeme", "elastic"),
     "Elasticsearch"),
    (lazy(r"^OPENSEARCH_INITIAL_ADMIN_PASSWORD$|^OPENSEARCH_PASSWORD$"), ("admin",), "OpenSearch"),
    (lazy(r"^RABBITMQ_DEFAULT_(USER|PASS)$"), ("guest",), "RabbitMQ"),
    (lazy(r"^(MYSQL_ROOT_PASSWORD|MYSQL_PASSWORD|MARIADB_ROOT_PASSWORD|MARIADB_PASSWORD)$"),
     ("root", "mysql", "password", "admin"), "MySQL/MariaDB"),
    (lazy(r"^(MONGO_INITDB_ROOT_PASSWORD|MONGODB_ROOT_PASSWORD|ME_CONFIG_BASICAUTH_PASSWORD)$"),
     ("admin", "password", "mongo", "root"), "MongoDB"),
    (lazy(r"^GF_SECURITY_ADMIN_PASSWORD$"), ("admin",), "Grafana"),
    (lazy(r"^(REDIS_PASSWORD|REDIS_PASS)$"), ("redis", "password"), "Redis"),
    (lazy(r"^NEO4J_AUTH$"), ("neo4j/neo4j", "neo4j/password"), "Neo4j"),
    (lazy(r"^PGADMIN_DEFAULT_PASSWORD$"), ("admin", "password"), "pgAdmin"),
    (lazy(r"^(ETCD_ROOT_PASSWORD)$"), ("root", "password"), "etcd"),
    (lazy(r"(^|_)(ADMIN_PASSWORD|ROOT_PASSWORD)$"), ("admin", "password", "root", "123456", "changeme"),
     "the service"),
    # a client's setting named after the product it logs in to, holding that product's own default:
    # `PG_PWD=postgres`, `ORTHANC__POSTGRESQL__PASSWORD=postgres`, `MYSQL_PWD=root`, `ES_PWD=elastic`
    (lazy(r"(^|_)(PG|POSTGRES|POSTGRESQL)_+(\w*_)?(PASSWORD|PASS|PWD)$"), ("postgres",), "PostgreSQL"),
    (lazy(r"(^|_)(MYSQL|MARIADB)_+(\w*_)?(PASSWORD|PASS|PWD)$"), ("root",), "MySQL/MariaDB"),
    (lazy(r"(^|_)(ES|ELASTIC|ELASTICSEARCH)_+(\w*_)?(PASSWORD|PASS|PWD)$"), ("elastic", "changeme"), "Elasticsearch"),
    (lazy(r"(^|_)ORTHANC_+(\w*_)?(PASSWORD|PASS|PWD)$"), ("orthanc",), "Orthanc"),
    # OpenEMR's documented first login (admin/pass)
    (lazy(r"^(OE_PASS|OPENEMR_ADMIN_PASS(WORD)?)$"), ("pass",), "OpenEMR"),
    # Milvus's root password (`Milvus`), as the server's first-boot setting or a client's password or token
    (lazy(r"^COMMON_SECURITY_DEFAULTROOTPASSWORD$|(^|_)MILVUS_+(\w*_)?(PASSWORD|PASS|PWD)$"), ("milvus",), "Milvus"),
    (lazy(r"(^|_)MILVUS_+(\w*_)?TOKEN$"), ("root:milvus",), "Milvus"),
)


# Account and password pairs that vendors ship as defaults, written together (`curl -u elastic:changeme`,
# `amqp://guest:guest@rabbitmq`): (account, password) -> product.
DEFAULT_PAIRS = {
    ("elastic", "changeme"): "Elasticsearch", ("elastic", "elastic"): "Elasticsearch",
    ("guest", "guest"): "RabbitMQ", ("minioadmin", "minioadmin"): "MinIO", ("admin", "admin"): "the service",
    ("neo4j", "neo4j"): "Neo4j", ("postgres", "postgres"): "PostgreSQL", ("root", "root"): "the service",
    ("admin", "password"): "the service", ("root", "password"): "the service", ("sa", "sa"): "the service",
    ("kibana", "changeme"): "Kibana", ("admin", "changeme"): "the service", ("grafana", "admin"): "Grafana",
    ("orthanc", "orthanc"): "Orthanc", ("root", "milvus"): "Milvus",
}


def default_in_url(value: Optional[str]) -> Optional[str]:
    """The product whose default account and password a URL's userinfo holds (`amqp://guest:guest@host`)."""
    if not value or "@" not in value or "://" not in value:
        return None
    for match in URL_CREDENTIAL.finditer(value):
        product = DEFAULT_PAIRS.get((match.group(2).lower(), match.group(3).lower()))
        if product is not None:
            return product
    return None


SECRET_FLAG = lazy(r"^--?(requirepass|masterauth|password|passwd|pass|token|api-?key|secret|auth-token|"
                   r"client-secret)(=(.*))?$", re.IGNORECASE)


def secret_arguments(args: List[str]) -> List[Tuple[int, str, str]]:
    """(index, flag, value) for each command-line argument that passes a secret (`--requirepass x`, `--token=x`)."""
    out = []
    for i, arg in enumerate(args):
        match = SECRET_FLAG.match(arg)
        if not match:
            continue
        value = match.group(3) if match.group(2) else (args[i + 1] if i + 1 < len(args) else None)
        if value:
            out.append((i, arg.split("=", 1)[0], value))
    return out


# `${VAR:-fallback}` or `${VAR-fallback}`: the fallback is a literal written in the file, used whenever VAR is unset.
FALLBACK = lazy(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^${}]*)\}$")


def literal_fallback(value: Optional[str]) -> Optional[str]:
    """The literal default of a value that is one `${VAR:-default}` reference, else None."""
    if value is None or "${" not in value:
        return None
    match = FALLBACK.match(value.strip().strip("'\""))
    return match.group(1) if match else None


# The checks below are pure functions of a name and a value, and a tree repeats the same variables again and
# again (the same .env shapes, the same defaults): their answers are remembered, up to a bound. The values that
# recur are few (on the benchmark's 10,000-file tree, 1,024 entries get as many hits as 8,192), and a small bound
# keeps a worker's memory from growing with the files it has seen.
_REMEMBERED = 1024


def is_placeholder(value: Optional[str], extra: Iterable["re.Pattern[str]"] = ()) -> bool:
    if value is None:
        return True
    if not extra:
        return _is_placeholder(value)
    return _placeholder_with(value, extra)


@functools.lru_cache(maxsize=_REMEMBERED)
def _is_placeholder(value: str) -> bool:
    return _placeholder_with(value, ())


def _placeholder_with(value: str, extra: Iterable["re.Pattern[str]"]) -> bool:
    fallback = literal_fallback(value)
    if fallback is not None:  # a reference is a placeholder only if its written fallback is one too
        return is_placeholder(fallback, extra)
    v = value.strip().strip("'\"")
    if PLACEHOLDER.match(v) or (v[:1] == "_" and PLACEHOLDER.match(v.strip("_"))) or CAMEL_PLACEHOLDER.match(v):
        return True
    return any(p.search(v) for p in extra)


@functools.lru_cache(maxsize=4096)  # the same variable names recur in every file of a tree
def secret_name(name: str) -> bool:
    upper = name.upper().replace("-", "_").replace(".", "_")
    return bool(SECRET_NAME.search(upper)) and not NOT_SECRET_NAME.search(upper)


# One pass to rule out the common case (no secret shape at all) before trying the shapes one by one.
ANY_SHAPE = lazy("|".join(f"(?:{p.pattern})" for _l, p, _v in SECRET_SHAPES) + "|" + URL_CREDENTIAL.pattern)
# Literals every shape above contains: a cheap `in` test rules most text out before any regular expression runs.
SHAPE_LITERALS = ("AKIA", "ASIA", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
                  "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-", "glsoat-", "glffct-", "glimt-",
                  "glagent-", "glft-", "glwt-", "xox", "xapp-", "hooks.slack.com/", "/api/webhooks/", "_live_",
                  "whsec_", "AIza", "GOCSPX-", "hf_", "npm_", "pypi-", "dckr_", "dapi", "hvs.", "hvb.", "hvr.",
                  "ATATT3", "_v1_", "shpat_", "shpca_", "shppa_", "shpss_", "glsa_", "glc_", "NRAK-", "PMAK-",
                  "sntrys_", "sntryu_", "lin_api_", ":AA", "AGE-SECRET-KEY-", "AccountKey=", "SharedAccessKey=",
                  "sig=", "PRIVATE KEY", "PuTTY-User-Key-File-", "eyJ", "://")
# Shapes whose prefix is too common a string to rule text out on its own (`SK` in TASK, `key-` in api-key-header,
# `SG.` in MSG.): a few characters of the shape's own alphabet make the test as cheap and far more selective.
# (first character, pattern of the rest)
SHAPE_PIECES = (("S", r"K[0-9a-f]{4}"), ("k", r"ey-[0-9a-f]{4}"), ("S", r"G\.[A-Za-z0-9_\-]{4}"),
                ("d", r"p\.[a-z]{2,5}\."))


def _first_char_alternation(literals: Iterable[str], pieces: Iterable[Tuple[str, str]] = ()) -> str:
    """One alternative per first character (`a(?:bc|de)|x(?:y)`): Python's engine tries an alternation branch by
    branch at each position, and a flat list of sixty literals costs ten times what this grouping does."""
    by_first: Dict[str, Any] = {}
    for literal in literals:
        by_first.setdefault(literal[0], []).append(re.escape(literal[1:]))
    for first, rest in pieces:
        by_first.setdefault(first, []).append(rest)
    return "|".join(re.escape(first) + ("(?:" + "|".join(sorted(set(rests))) + ")" if any(rests) else "")
                    for first, rests in sorted(by_first.items()))


_SHAPE_LITERAL = lazy(_first_char_alternation(SHAPE_LITERALS, SHAPE_PIECES))


def may_hold_secret_shape(text: str) -> bool:
    return _SHAPE_LITERAL.search(text) is not None


# Words that make a token-shaped value an example rather than a key: `sk-your-key-here0`, `glpat-<token>...`.
_FILLER_WORDS = ("xxxx", "****", "...", "<", ">", "{{", "${", "your", "here", "replace", "placeholder", "changeme",
                 "redacted", "dummy", "insert", "token_goes")


def is_filler(token: str, visible: int = 0) -> bool:
    """Whether a value of a secret's shape is a placeholder: after its public prefix, the same few characters over
    and over (`sk-xxxxxxxxxxxxxxxxxxxx`, `AKIA0000000000000000`) or an example's words."""
    body = token[visible:] if visible else token
    distinct = set(body.lower()) - set("-_.=/+:")
    if len(distinct) <= 4:
        return True
    low = body.lower()
    return any(word in low for word in _FILLER_WORDS)


# Words one of which a text holding a credential almost always contains (lower-cased), besides a token shape: texts
# with none are ruled out before any other regular expression runs, and before the credentials module is loaded. A
# client's password switch (`redis-cli -a`, `mysql -p`) is found through the client's name.
# Every credential context of credentials.py needs one of these words (a secret name, a flag, a client, a tool, the
# `@` of URL userinfo) or a secret shape's literal: the one prefilter of detection and redaction alike.
_CREDENTIAL_HINTS = lazy(_first_char_alternation((
    "pass", "pwd", "token", "secret", "key", "auth", "cookie", "@", "-u", "sig", "cred", "login", "private",
    "session", "chpasswd", "mc ", "config", "-cli", "mysql", "mariadb", "mongo", "sqlcmd", "dsn", "salt",
    "connection", "hooks", "rabbitmqctl", "http-basic")))


_SHAPE_LITERAL_BUT_URL = lazy(_first_char_alternation([literal for literal in SHAPE_LITERALS if literal != "://"],
                                                      SHAPE_PIECES))


@functools.lru_cache(maxsize=4096)  # asked by three rules of the same texts, and a tree repeats its lines
def may_hold_credential(text: str) -> bool:
    """Whether `text` could hold a credential written inline (credentials.spans); False rules it out cheaply."""
    # a URL's `://` alone is no hint: its credentials need an `@`, which is one
    return _SHAPE_LITERAL_BUT_URL.search(text) is not None or _CREDENTIAL_HINTS.search(text.lower()) is not None


ALL_DEFAULTS = frozenset(v for _p, values, _product in DEFAULT_CREDENTIALS for v in values)


MAX_SHAPE_TEXT = 65536


@functools.lru_cache(maxsize=_REMEMBERED)
def shape_of(value: str) -> Optional[Tuple[str, int]]:
    """The kind of secret a value looks like, with how many leading characters are safe to show (judged on the
    value's first MAX_SHAPE_TEXT characters: a token is short, and a hostile multi-megabyte value must stay cheap)."""
    if len(value) > MAX_SHAPE_TEXT:
        value = value[:MAX_SHAPE_TEXT]
    if not may_hold_secret_shape(value) or not ANY_SHAPE.search(value):
        return None
    for label, pattern, visible in SECRET_SHAPES:
        match = pattern.search(value)
        if match and not is_filler(match.group(0), visible):
            return label, visible
    match = URL_CREDENTIAL.search(value)
    if match and not is_placeholder(match.group(3)):
        return URL_LABEL, 0
    return None


@functools.lru_cache(maxsize=_REMEMBERED)
def default_credential(name: str, value: Optional[str]) -> Optional[str]:
    """The product whose vendor default this is, if the variable holds one."""
    if not value:
        return None
    fallback = literal_fallback(value)
    v = (value if fallback is None else fallback).strip().strip("'\"").lower()
    if v not in ALL_DEFAULTS:
        return None
    upper = name.upper().replace("-", "_").replace(".", "_")  # `spring.datasource.password`, `es-password`
    for pattern, defaults, product in DEFAULT_CREDENTIALS:
        if pattern.search(upper) and v in defaults:
            return product
    return None


_USER_NAME = lazy(r"^(.*?)(USER|USERNAME|LOGIN|ACCOUNT)$")
_PASSWORD_NAME = lazy(r"^(.*?)(PASSWORD|PASS|PWD)$")


def default_pairs(names_values: Iterable[Tuple[str, Optional[str]]]) -> Dict[str, str]:
    """{password variable: product} for a user and a password set side by side under one prefix that together
    make a vendor default pair (`spring.datasource.username=admin` with `spring.datasource.password=admin`)."""
    users: Dict[str, str] = {}
    passwords: List[Tuple[str, str, str]] = []
    for name, value in names_values:
        if not value:
            continue
        fallback = literal_fallback(value)
        v = (value if fallback is None else fallback).strip().strip("'\"").lower()
        upper = name.upper().replace("-", "_").replace(".", "_")
        user = _USER_NAME.match(upper)
        if user is not None:
            users[user.group(1)] = v
            continue
        password = _PASSWORD_NAME.match(upper)
        if password is not None:
            passwords.append((name, password.group(1), v))
    out: Dict[str, str] = {}
    for name, prefix, v in passwords:
        product = DEFAULT_PAIRS.get((users.get(prefix, ""), v))
        if product is not None:
            out[name] = product
    return out


# A JSON user list: an object mapping user names to passwords, under a key that says so (Orthanc's
# `"RegisteredUsers": {"alice": "pw"}`), or the whole value of a variable named so (`ORTHANC__REGISTERED_USERS`)
USER_LIST_NAME = lazy(r"(^|_)(REGISTERED_?USERS|BASIC_?AUTH_?USERS|HTTP_?USERS|USERS)$")
USER_LIST_KEY = lazy(r'"(RegisteredUsers|BasicAuthUsers|HttpUsers|Users|users|registered_users|basic_auth_users)"'
                     r'\s*:\s*\{([^{}]*)\}')
JSON_PAIR = lazy(r'"([^"\\\n]{1,256})"\s*:\s*"([^"\\\n]{0,256})"')


def user_list(name: str, value: str) -> List[Tuple[str, str]]:
    """The (user, password) pairs of the JSON user lists written in a value; comment lines (`//`) are skipped."""
    if "{" not in value:
        return []
    text = value[:MAX_SHAPE_TEXT]
    if "//" in text:
        text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    bodies = [m.group(2) for m in USER_LIST_KEY.finditer(text)]
    upper = name.upper().replace("-", "_").replace(".", "_")
    stripped = text.strip()
    if not bodies and USER_LIST_NAME.search(upper) and stripped.startswith("{") and stripped.endswith("}") and \
            "{" not in stripped[1:-1]:
        bodies = [stripped[1:-1]]
    return [(m.group(1), m.group(2)) for body in bodies for m in JSON_PAIR.finditer(body)]


def mask(value: Optional[str], visible: int = 0) -> str:
    """A masked rendering: at most a short, non-secret prefix (a token type such as `sk-`) and the length."""
    if not value:
        return "(empty)"
    shown = value[:visible] if visible and len(value) > visible * 3 else ""
    return f"{shown}****({len(value)} chars)"


def mask_url(value: str) -> str:
    masked: str = URL_CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}:****@", value)
    return masked


def sensitive_values(names_values: Iterable[Tuple[str, Optional[str]]], defaults: bool = True) -> List[str]:
    """Every value that output must never show: secret-named variables, secret shapes, URL passwords, and (with
    `defaults`) vendor default passwords, which are public words like `postgres` that also name things."""
    every, not_defaults = classify_sensitive(names_values)
    return every if defaults else not_defaults


def classify_sensitive(names_values: Iterable[Tuple[str, Optional[str]]]) -> Tuple[List[str], List[str]]:
    """sensitive_values with and without vendor defaults, in one pass."""
    every: List[str] = []
    not_defaults: List[str] = []
    for name, value in names_values:
        if not value:
            continue
        v = value.strip()
        is_default = default_credential(name, v) is not None
        if is_default or shape_of(v) or (secret_name(name) and not is_placeholder(v)):
            found = [v] if len(v) >= 3 else []
            unquoted = v.strip("'\"")
            if unquoted != v and len(unquoted) >= 3:
                found.append(unquoted)
            fallback = literal_fallback(v)  # `${VAR:-literal}`: the literal may turn up on its own elsewhere
            if fallback and len(fallback.strip()) >= 3:
                found.append(fallback.strip())
            every.extend(found)
            if not is_default:
                not_defaults.extend(found)
        if "{" in v:  # a JSON user list's passwords (`{"alice": "pw"}`)
            for user, password in user_list(name, v):
                if len(password) >= 3 and not is_placeholder(password):
                    every.append(password)
                    if (user.lower(), password.lower()) not in DEFAULT_PAIRS:  # a default is a public word
                        not_defaults.append(password)
        if "@" in v and "://" in v:
            for match in URL_CREDENTIAL.finditer(v):
                if len(match.group(3)) >= 3:
                    every.append(match.group(3))
                    if not is_default:
                        not_defaults.append(match.group(3))
    return every, not_defaults
