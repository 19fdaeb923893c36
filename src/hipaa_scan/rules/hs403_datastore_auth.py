"""HS403 datastore-auth-disabled: a datastore accepts clients without authenticating them."""

import re

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

META = meta(
    id="HS403", name="datastore-auth-disabled", severity="high", confidence="high",
    hipaa=["164.312(d)", "164.312(a)(1)"], cwe=["CWE-306"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("Authentication switched off: POSTGRES_HOST_AUTH_METHOD=trust, ALLOW_EMPTY_PASSWORD, "
             "MYSQL_ALLOW_EMPTY_PASSWORD, Redis without --requirepass or with --protected-mode no, MongoDB without a "
             "root user, etcd serving plain HTTP on 0.0.0.0 without client certificates."),
    description=(
        "A datastore that lets any client in turns every container on its network, and anything that can reach a "
        "published port, into a reader and writer of the ePHI it holds."),
    remediation=(
        "Enable authentication: a password from a secret store (`--requirepass` via a config file, "
        "`POSTGRES_PASSWORD_FILE`), scram-sha-256 instead of trust, client certificates for etcd."),
)

TRUTHY = re.compile(r"^(yes|true|1|on)$", re.IGNORECASE)
ENV_CHECKS = (
    (re.compile(r"^POSTGRES_HOST_AUTH_METHOD$"), re.compile(r"^(trust|password)$", re.IGNORECASE),
     "lets clients in without a (hashed) password"),
    (re.compile(r"^(ALLOW_EMPTY_PASSWORD|MYSQL_ALLOW_EMPTY_PASSWORD|MARIADB_ALLOW_EMPTY_ROOT_PASSWORD|"
                r"MARIADB_ALLOW_EMPTY_PASSWORD|ALLOW_NONE_AUTHENTICATION|ALLOW_ANONYMOUS_LOGIN)$"), TRUTHY,
     "allows an empty password"),
    (re.compile(r"^(ETCD_AUTH_TOKEN_DISABLED|REDIS_DISABLE_AUTH|AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED)$"), TRUTHY,
     "turns authentication off"),
)
CONF_ARG = re.compile(r"\.conf$")
LISTEN = re.compile(r"^--?listen-client-urls(?:=(.*))?$")
# `--requirepass` with a value: an empty one (`--requirepass ""`) leaves Redis without a password
REQUIREPASS = re.compile(r"--requirepass(=|\s+)(?![\"']{2}(\s|$))\S")


def _arg(tokens, flag_re):
    for i, token in enumerate(tokens):
        match = flag_re.match(str(token.value))
        if match:
            value = match.group(1) if match.group(1) is not None else (
                str(tokens[i + 1].value) if i + 1 < len(tokens) else "")
            return token, value
    return None, None


def check(res, ctx):
    for var in res.env:
        for name_re, value_re, what in ENV_CHECKS:
            if var.value is not None and name_re.match(var.name) and value_re.match(var.value.strip()):
                yield Hit(var.loc, f"{res.label} sets {var.name}={var.value.strip()}, which {what}",
                          key=f"env:{var.name}", evidence=f"{var.name}={var.value.strip()}")
    if res.kind not in ("compose", "container") or ctx.datastores is None:
        return
    product = ctx.datastores.product_of_image(str(res.image.value)) if res.image is not None else None
    args = [str(t.value) for t in res.command]
    env = {v.name for v in res.env}
    if product == "Redis":
        yield from _redis(res, args, env)
    elif product == "MongoDB" and not env & {"MONGO_INITDB_ROOT_PASSWORD", "MONGO_INITDB_ROOT_PASSWORD_FILE",
                                             "MONGODB_ROOT_PASSWORD", "MONGODB_ROOT_PASSWORD_FILE"}:
        if "--auth" not in args and not res.extra.get("env_file"):
            yield Hit(res.anchor, f"{res.label} runs MongoDB without a root user, so authentication is off",
                      key="mongo-auth", evidence="no MONGO_INITDB_ROOT_PASSWORD")
    token, listen = _arg(res.command, LISTEN)
    if listen is None:
        var = res.env_value("ETCD_LISTEN_CLIENT_URLS")
        token, listen = (var, var.value) if var is not None and var.value else (None, None)
    if listen and "0.0.0.0" in listen and "https://" not in listen:
        cert_auth = "--client-cert-auth" in " ".join(args) or "-client-cert-auth" in args or any(
            v.name == "ETCD_CLIENT_CERT_AUTH" and TRUTHY.match(v.value or "") for v in res.env)
        if not cert_auth:
            yield Hit(token.loc, f"{res.label} serves etcd over plain HTTP on 0.0.0.0 without client certificate auth",
                      key="etcd-auth", evidence=f"listen-client-urls {listen}")


def _redis(res, args, env):
    joined = " ".join(args)
    has_password = REQUIREPASS.search(joined) or env & {"REDIS_PASSWORD", "REDIS_PASSWORD_FILE", "REDIS_ARGS"} \
        or any(CONF_ARG.search(a) for a in args) or res.extra.get("env_file")
    protected_off = re.search(r"--protected-mode(\s+|=)no\b", joined)
    if protected_off and not has_password:
        where = next((t.loc for t in res.command if "protected-mode" in str(t.value)), res.anchor)
        yield Hit(where, f"{res.label} runs Redis with --protected-mode no and no password", key="redis-auth",
                  evidence="--protected-mode no")
    elif not has_password:
        where = res.command[0].loc if res.command else res.anchor
        yield Hit(where, f"{res.label} runs Redis without --requirepass: any client can read and write",
                  key="redis-auth", evidence="no requirepass")
