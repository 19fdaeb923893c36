"""HS401 plaintext-secret: a secret value written in a file or the container's configuration."""

import re

from hipaa_scan.model import Hit, Written
from hipaa_scan.rules.base import label_at, RuleOption, meta, user_placeholders
from hipaa_scan.lazyre import lazy
from hipaa_scan.secrets import (DEFAULT_PAIRS, URL_LABEL, default_credential, default_in_url, default_pairs, is_placeholder,
                                literal_fallback, mask,
                                may_hold_credential, secret_name, shape_of, user_list)

META = meta(
    id="HS401", name="plaintext-secret", severity="high", confidence="medium",
    hipaa=["164.312(a)(1)", "164.308(a)(5)(ii)(D)", "164.312(d)"], cwe=["CWE-798", "CWE-312"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("A secret written in plain text: by variable name (password, secret, token, API key, private key...), "
             "by value shape (cloud keys, API tokens of some 40 providers, PEM keys, JWTs, URLs with a password), or "
             "written inside text: connection strings, labels, healthchecks, logging options, command lines, `x-` "
             "blocks and inline configs."),
    description=(
        "A credential in a Dockerfile, compose file, env file or container configuration is readable by everyone "
        "with the repository, the image or `docker inspect`, and lives forever in history. It is the key to the "
        "systems that hold ePHI. Credentials are also found where they sit inside text: an HTTP header, `-u "
        "user:password`, URL userinfo, a `password=` parameter of a JDBC URL or a libpq keyword DSN (whatever the "
        "variable is called), a registry login in `DOCKER_AUTH_CONFIG`, a secret flag in a `sh -c` string, a "
        "label or logging option under a secret's name. One finding per line. Placeholders (`${VAR}`, `<...>`, "
        "`your_...`, `changeme`, `__REPLACE_ME__`, `sk-xxxx...`, empty, `/run/secrets/...`, `*_FILE` indirection, "
        "`$(cat ...)`, camel-case fillers such as `dummyKey...` or `yourApiKeyHere`) are not findings, nor are "
        "values that are not the secret their name suggests: a key file's path (`*_TLS_KEY=/certs/redis.key`), an "
        "access key's id beside its secret key, a compose secret's name (`*_PASSWORD_SECRET`), an ODBC `DSN=name`, "
        "a connection string whose password is `${VAR}`, and a URL's `user:password@` in an example file. A JSON "
        "user list (`\"RegisteredUsers\": {\"alice\": \"...\"}`, `ORTHANC__REGISTERED_USERS`) is a list of "
        "plaintext passwords. Values that are a vendor default (also `PG_PWD=postgres`, a user and password pair "
        "such as admin/admin) are reported by HS402 instead, and credentials in an image's RUN, LABEL, "
        "HEALTHCHECK or ONBUILD by HS405. One finding per written line: a line several services share through a "
        "YAML anchor, or a Dockerfile two services build, is reported once."),
    remediation=(
        "Remove the value from the file and rotate it. Supply it at run time from a secret store: compose "
        "`secrets:` (read from /run/secrets), `*_FILE` variables, or the orchestrator's secret mechanism; for builds, "
        "`RUN --mount=type=secret`."),
    options=[RuleOption("placeholder_patterns", "patterns", [],
                        "Extra regular expressions for values that are placeholders, not secrets.")],
)

def _reported_as_build_arg(var, res):
    """An image ENV that is wholly a build arg the compose service passes is located at that build arg, which the
    service's own Resource judges: report it there once, unless only the ENV's name says secret."""
    origin = var.origin or ""
    if not origin.startswith("build-arg:") or res.service is None:
        return False
    return shape_of((var.value or "").strip()) is not None or secret_name(origin.split(":", 1)[1])


# A value that names a key file rather than holding the key: `/certs/redis.key`, `./tls/client-key.pem`, `certs/es.key`
KEY_FILE_PATH = lazy(r"^(~|\.{1,2})?/?[\w.\-]+(/[\w.\-]+)*\.(pem|key|crt|cer|der|p8|p12|pfx|jks|keystore|json|asc|gpg)$|"
                     r"^(/|\./|\.\./|~/)[\w.\-]+(/[\w.\-]*)*$", re.IGNORECASE)
# A setting that holds a whole connection string or data source: judged by what is written inside it (a `DSN=name`
# or a string whose only password is `${VAR}` holds no credential)
CONTAINER_NAME = lazy(r"(CONNECTION_?STRING|(^|_)DSN)$", re.IGNORECASE)
# The public half of a key pair: an access key's id, when its secret half is set beside it
ACCESS_KEY = lazy(r"^(.*?)ACCESS_?KEY$")
STORAGE = lazy(r"(^|_)(S3|AWS|MINIO|STORAGE|GCS|OSS|COS|R2|B2|BUCKET|BLOB|OBJECT_STORE|SPACES)(_|$)")
# A compose secret's name standing for the password (`ORTHANC__POSTGRESQL__PASSWORD_SECRET: pg_password`)
SECRET_INDIRECTION = lazy(r"(PASSWORD|PASSWD|PWD|PASS)_SECRET$")
SECRET_REF_VALUE = lazy(r"^[a-z][a-z0-9_\-]{0,63}$")


def not_a_secret(var, value, names):
    """A secret-named variable whose value is something else: a key file's path, the id half of a key pair, the name
    of a compose secret."""
    upper = var.name.upper().replace("-", "_").replace(".", "_")
    fallback = literal_fallback(value)
    if fallback is not None:
        value = fallback.strip()
    if KEY_FILE_PATH.match(value):
        return True
    pair = ACCESS_KEY.match(upper)
    if pair is not None and "SECRET" not in upper:
        prefix = pair.group(1)
        if STORAGE.search(prefix) or any(n != upper and n.startswith(prefix) and "SECRET" in n[len(prefix):]
                                         for n in names):
            return True  # S3-style storage pairs an access key (the id) with a secret key
    return bool(SECRET_INDIRECTION.search(upper) and SECRET_REF_VALUE.match(value))


def check(res, ctx):
    extra = user_placeholders(ctx)
    # ENV of Dockerfile stages that do not ship (or that compose replaces) is written in the file all the same
    variables = list(res.env) + [v for v in res.build_args if v.value] + list(res.stage_env)
    example = res.example
    reported: set = set()  # one finding per line (or live key): a second credential there adds nothing to fix
    names = {v.name.upper().replace("-", "_").replace(".", "_") for v in variables}
    pairs = default_pairs((v.name, v.value) for v in res.env)  # user and password a vendor default pair: HS402's
    defined = {v.name: v for v in variables if v.value}
    for var in variables:
        value = (var.value or "").strip()
        shape = shape_of(value) if value else None
        if example and shape is not None and shape[0] == URL_LABEL:
            shape = None  # an example file's `user:password@` is local-development filler, not a real token
        if "{" in value and not example:
            users = [(u, p) for u, p in user_list(var.name, value) if p and not is_placeholder(p, extra)]
            plain = [(u, p) for u, p in users if (u.lower(), p.lower()) not in DEFAULT_PAIRS]
            if plain:  # default pairs alone are HS402's
                if _first(reported, var.loc):
                    count = f"{len(plain)} plaintext passwords" if len(plain) > 1 else "a plaintext password"
                    shown = ", ".join(mask(p) for _u, p in plain[:3])
                    yield Hit(var.loc, f"{label_at(res, var.loc)} writes {count} in a JSON user list in {var.name} "
                                       f"({shown})",
                              key=f"env:{var.name}:users", evidence=f"{var.name}: user list {shown}")
                continue
        if shape is None and (example or not secret_name(var.name) or CONTAINER_NAME.search(var.name)):
            # a connection string, a JSON registry login, an argument string: credentials inside a value whose
            # name does not say secret (`JDBC_URL=...?password=...`, `DOCKER_AUTH_CONFIG`, `REDIS_ARGS=--requirepass`)
            if value and not example and may_hold_credential(value):
                hit = _inside(res, var, value, extra)
                if hit is not None and _first(reported, hit.loc):
                    yield hit
            continue  # neither a secret's shape nor a secret's name: the common case, ruled out cheaply first
        if is_placeholder(value, extra) or default_credential(var.name, value) or _reported_as_build_arg(var, res) \
                or var.name in pairs or (shape is None and not_a_secret(var, value, names)) \
                or _defined_beside(var, value, defined, extra):
            continue
        if shape is not None and shape[0] == URL_LABEL and default_in_url(value):
            continue  # `amqp://guest:guest@...`: a vendor default, HS402's finding
        who = label_at(res, var.loc)
        _first(reported, var.loc)
        if shape is not None:
            label, visible = shape
            shown = mask(value, visible)
            if label == URL_LABEL:
                message = f"{who} puts plaintext credentials in the URL in {var.name} ({shown})"
            else:
                message = f"{who} sets {var.name} to a plaintext {label} ({shown})"
            yield Hit(var.loc, message, key=f"env:{var.name}", evidence=f"{var.name}={shown}")
        else:  # a secret's name
            shown = mask(value)
            yield Hit(var.loc, f"{who} sets the secret {var.name} in plain text ({shown})",
                      key=f"env:{var.name}", evidence=f"{var.name}={shown}")
    # text that may hold a credential inline: the command line, and text that stays in the file (or the live
    # configuration) but not in an image: labels, healthchecks, logging options, `x-` blocks, inline configs, RUN
    # lines of stages that do not ship. Texts baked into an image are HS405's.
    written = [w for w in res.written if not w.baked and _worth(w)]
    commands = any(may_hold_credential(str(t.value)) for t in res.command)
    if not written and not commands:
        return
    from hipaa_scan.rules.inline import command_texts, groups  # only when some text may hold a credential

    seen: dict = {}
    elsewhere = res.elsewhere  # reported at the env file that writes them
    for group in groups(command_texts(res.command) if commands else (), extra, elsewhere=elsewhere):
        if _first(reported, group.loc):
            key = _unique(seen, f"command:{group.what()}")
            yield Hit(group.loc, f"{label_at(res, group.loc)} passes a plaintext secret on its command line "
                                 f"({group.detail()})",
                      key=key, evidence=f"{group.what()}: {group.masked()}")
    for group in groups(written, extra, elsewhere=elsewhere):
        if _first(reported, group.loc):
            where = group.where
            key = _unique(seen, f"{group.written.loc.key or where}:{group.what()}")
            yield Hit(group.loc, f"{_who(res, group)} writes {group.credential} in {where} "
                                 f"({group.detail()})",
                      key=key, evidence=f"{where}: {group.what()} {group.masked()}")


def _worth(written):
    """Whether a text is worth reading: a value under a secret's name, or text with a credential's hint."""
    return (written.name is not None and secret_name(written.name)) or may_hold_credential(written.value)


def _inside(res, var, value, extra):
    from hipaa_scan.rules.inline import groups

    # a connection string's or a DSN's own name says secret, but only what is written inside it can be one
    name = None if CONTAINER_NAME.search(var.name) else var.name
    found = list(groups([Written("variable", name, value, var.loc)], extra))
    if not found:
        return None
    group = found[0]
    names = group.what()
    return Hit(var.loc, f"{label_at(res, var.loc)} writes a plaintext credential inside {var.name} ({names}: "
                        f"{group.masked()})", key=f"env:{var.name}", evidence=f"{var.name}: {names} {group.masked()}")


REFERENCE = lazy(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])")


def _defined_beside(var, value, defined, extra):
    """`OB_SYS_PASSWORD=${OCEANBASE_PASSWORD:-pw}` where the same file defines OCEANBASE_PASSWORD with a secret: the
    value used is the one reported at that variable's own line."""
    match = REFERENCE.match(value)
    if match is None or match.group(1) == var.name:
        return False
    other = defined.get(match.group(1))
    if other is None or other.loc == var.loc:
        return False
    source = (other.value or "").strip()
    return secret_name(other.name) and not is_placeholder(source, extra) and literal_fallback(source) is None


def _first(reported, loc):
    """True the first time a line (or a live key path) is reported."""
    where = (loc.path, loc.line) if loc.line else (loc.path, loc.key)
    if where in reported:
        return False
    reported.add(where)
    return True


def _unique(seen, key):
    """Fingerprint keys without line numbers, made distinct when the same credential name recurs."""
    count = seen.get(key, 0) + 1
    seen[key] = count
    return key if count == 1 else f"{key}#{count}"


def _who(res, group):
    """The service, stage or container; a Compose file's own `x-` blocks, configs and includes belong to no service."""
    key = group.written.loc.key or ""
    if res.kind == "compose" and key and not key.startswith("services."):
        return f"the Compose file {group.loc.path}"
    return label_at(res, group.loc)
