"""HS403 datastore-auth-disabled: a datastore accepts clients without authenticating them."""

import re

from hipaa_scan.catalog import image_repository, image_tag
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta

META = meta(
    id="HS403", name="datastore-auth-disabled", severity="high", confidence="high",
    hipaa=["164.312(d)", "164.312(a)(1)"], cwe=["CWE-306"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("Authentication switched off: POSTGRES_HOST_AUTH_METHOD=trust, ALLOW_EMPTY_PASSWORD, "
             "MYSQL_ALLOW_EMPTY_PASSWORD, Redis without a password (the official image ignores REDIS_PASSWORD) or "
             "with --protected-mode no, MongoDB without a root user, etcd serving clients over plain HTTP beyond "
             "loopback, Orthanc (a PACS) with AuthenticationEnabled false, NEO4J_AUTH=none, PgBouncer AUTH_TYPE "
             "trust, Grafana's anonymous Admin, Milvus without common.security.authorizationEnabled, Qdrant without an "
             "API key, Weaviate with anonymous access, Chroma without an auth provider, dcm4chee's archive image "
             "without its -secure variant."),
    description=(
        "A datastore that lets any client in turns every container on its network, and anything that can reach a "
        "published port, into a reader and writer of the ePHI it holds. Redis is judged by its image's own "
        "mechanism: the official image (and Valkey, KeyDB) takes a password only from `--requirepass` or a "
        "configuration file, Bitnami's from REDIS_PASSWORD, Redis Stack's from REDIS_ARGS. A configuration file we "
        "cannot see is given the benefit of the doubt. etcd checks client certificates only on HTTPS: a plain "
        "`http://` client URL on anything but loopback is unauthenticated whatever `--client-cert-auth` says. "
        "Orthanc serves DICOM studies, ePHI, over its REST API: `AuthenticationEnabled` false (the "
        "`ORTHANC__AUTHENTICATION_ENABLED` switch, or in a JSON value such as `ORTHANC_JSON`) is reported unless "
        "the authorization plugin is configured beside it (`ORTHANC__AUTHORIZATION__*`, an `Authorization` "
        "block, a mounted `auth*.json`), which authenticates every request itself. Vector stores hold the "
        "documents (clinical notes, reports) a RAG stack retrieves: Milvus authenticates only with "
        "`COMMON_SECURITY_AUTHORIZATIONENABLED=true` (judged on the standalone server and the proxy), Qdrant only "
        "with `QDRANT__SERVICE__API_KEY`, Weaviate only with an API-key or OIDC method (anonymous access otherwise), "
        "Chroma only with `CHROMA_SERVER_AUTHN_PROVIDER`; a mounted configuration file (`/milvus/configs`, "
        "`/qdrant/config`) is given the benefit of the doubt. dcm4chee-arc-light's archive images without `-secure` "
        "in their tag serve the archive UI and REST API without any login. HAPI FHIR and other FHIR servers take "
        "their authentication from code (interceptors) or a proxy in front, which a configuration does not show: "
        "they are judged only by HS501, when published."),
    remediation=(
        "Enable authentication: a password from a secret store (`--requirepass` via a config file, "
        "`POSTGRES_PASSWORD_FILE`), scram-sha-256 instead of trust, HTTPS client URLs with client certificates for "
        "etcd."),
)

TRUTHY = lazy(r"^(yes|true|1|on)$", re.IGNORECASE)
ENV_CHECKS = (
    (lazy(r"^POSTGRES_HOST_AUTH_METHOD$"), lazy(r"^(trust|password)$", re.IGNORECASE),
     "lets clients in without a (hashed) password"),
    (lazy(r"^(ALLOW_EMPTY_PASSWORD|MYSQL_ALLOW_EMPTY_PASSWORD|MARIADB_ALLOW_EMPTY_ROOT_PASSWORD|"
          r"MARIADB_ALLOW_EMPTY_PASSWORD|ALLOW_NONE_AUTHENTICATION|ALLOW_ANONYMOUS_LOGIN)$"), TRUTHY,
     "allows an empty password"),
    (lazy(r"^(ETCD_AUTH_TOKEN_DISABLED|REDIS_DISABLE_AUTH|AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED)$"), TRUTHY,
     "turns authentication off"),
    (lazy(r"^NEO4J_AUTH$"), lazy(r"^none$", re.IGNORECASE), "turns authentication off"),
    (lazy(r"^PGBOUNCER_AUTH_TYPE$"), lazy(r"^(trust|any)$", re.IGNORECASE),
     "lets clients in without a password"),
)
FALSY = lazy(r"^(no|false|0|off)$", re.IGNORECASE)
# Orthanc (a PACS: DICOM images and reports, ePHI) with its HTTP authentication off, as an environment switch or
# inside a JSON configuration value (`ORTHANC_JSON`, any variable holding JSON); a `//` comment line is not a setting
ORTHANC_AUTH_SWITCH = lazy(r"^ORTHANC__AUTHENTICATION_ENABLED$")
JSON_AUTH_OFF = lazy(r"^[^/]*?\"AuthenticationEnabled\"\s*:\s*false\b", re.MULTILINE)
# The authorization plugin authenticates every request itself: with it, AuthenticationEnabled false is its setting
AUTHORIZATION_PLUGIN = lazy(r"^ORTHANC__AUTHORIZATION__")
JSON_AUTHORIZATION = lazy(r"^[^/]*?\"Authorization\"\s*:\s*\{", re.MULTILINE)
AUTH_CONFIG_MOUNT = lazy(r"auth[\w.\-]*\.jsonc?$", re.IGNORECASE)
CONF_ARG = lazy(r"\.conf$")
# `--requirepass` with a value: an empty one (`--requirepass ""`) leaves Redis without a password
REQUIREPASS = lazy(r"--requirepass(=|\s+)(?![\"']{2}(\s|$))\S")

# Redis images by how they take a password.
OFFICIAL_REDIS = {"redis", "valkey", "valkey/valkey", "eqalpha/keydb", "keydb", "dragonflydb/dragonfly",
                  "dragonfly"}  # --requirepass or a configuration file only (Dragonfly also DFLY_requirepass)
BITNAMI_PASSWORD_VARS = ("REDIS_PASSWORD", "REDIS_PASSWORD_FILE", "VALKEY_PASSWORD", "VALKEY_PASSWORD_FILE",
                         "KEYDB_PASSWORD", "KEYDB_PASSWORD_FILE")
OTHER_PASSWORD_VARS = ("REDIS_PASSWORD", "REDIS_PASSWORD_FILE", "REDIS_ARGS")
IGNORED_BY_OFFICIAL = ("REDIS_PASSWORD", "REDIS_PASSWORD_FILE", "REDIS_PASS", "VALKEY_PASSWORD", "REDIS_ARGS")

# etcd client URLs: flags (`--listen-client-urls=URLS`, `-listen-client-urls URLS`, inside a shell string too)
ETCD_FLAG = lazy(r"^--?(listen|advertise)-client-urls(?:=(.*))?$")
ETCD_FLAG_IN_TEXT = lazy(r"(?:^|\s)--?(listen|advertise)-client-urls(?:=|\s+)[\"']?([^\s\"']+)")
ETCD_ENV = {"listen": "ETCD_LISTEN_CLIENT_URLS", "advertise": "ETCD_ADVERTISE_CLIENT_URLS"}
CLIENT_CERT_AUTH = lazy(r"(^|\s)--?client-cert-auth(=true)?(\s|$)")
LOOPBACK = lazy(r"^(localhost|127(\.\d{1,3}){3}|::1|0*:(0*:)*0*1)$", re.IGNORECASE)


def check(res, ctx):
    for var in res.env:
        for name_re, value_re, what in ENV_CHECKS:
            if var.value is not None and name_re.match(var.name) and value_re.match(var.value.strip()):
                yield Hit(var.loc, f"{label_at(res, var.loc)} sets {var.name}={var.value.strip()}, which {what}",
                          key=f"env:{var.name}", evidence=f"{var.name}={var.value.strip()}")
    yield from _etcd(res)
    yield from _orthanc(res)
    yield from _grafana_anonymous_admin(res)
    pgbouncer = res.image is not None and "pgbouncer" in image_repository(str(res.image.value))
    auth_type = res.env_value("AUTH_TYPE") if pgbouncer else None
    if auth_type is not None and (auth_type.value or "").strip().lower() in ("trust", "any"):
        yield Hit(auth_type.loc, f"{label_at(res, auth_type.loc)} sets AUTH_TYPE={auth_type.value.strip()} on "
                                 "PgBouncer, which lets clients in without a password",
                  key="env:AUTH_TYPE", evidence=f"AUTH_TYPE={auth_type.value.strip()}")
    if res.kind not in ("compose", "container") or ctx.datastores is None or res.builds:
        return  # a service built from a Dockerfile: its `image:` names the result, not what it is built from
    image = str(res.image.value) if res.image is not None else None
    product = ctx.datastores.product_of_image(image)
    args = [str(t.value) for t in res.command]
    env = {v.name for v in res.env}
    if product in VECTOR_STORES:
        yield from VECTOR_STORES[product](res, args)
    elif product == "dcm4chee":
        yield from _dcm4chee(res, image)
    elif product == "Redis":
        yield from _redis(res, image, args)
    elif product == "MongoDB" and not env & {"MONGO_INITDB_ROOT_PASSWORD", "MONGO_INITDB_ROOT_PASSWORD_FILE",
                                             "MONGODB_ROOT_PASSWORD", "MONGODB_ROOT_PASSWORD_FILE"}:
        if "--auth" not in args and not res.env_file:
            yield Hit(res.anchor, f"{res.label} runs MongoDB without a root user, so authentication is off",
                      key="mongo-auth", evidence="no MONGO_INITDB_ROOT_PASSWORD")


# -- Vector stores (Milvus, Qdrant, Weaviate, Chroma) and dcm4chee -------------------------------------------------

MILVUS_CONFIG = lazy(r"^/milvus/configs(/|$)")
MILVUS_WORKER = lazy(r"\b(querynode|datanode|indexnode|querycoord|datacoord|indexcoord|rootcoord|mixcoord|"
                     r"streamingnode)\b")
QDRANT_CONFIG = lazy(r"^/qdrant/config(/|$)")


def _on(var):
    return var is not None and bool(TRUTHY.match((var.value or "").strip().strip("\"'")))


def _off(var):
    return var is not None and bool(FALSY.match((var.value or "").strip().strip("\"'")))


def milvus_configured(res):
    """A Milvus configuration file we cannot see (milvus.yaml, user.yaml under /milvus/configs) may set anything."""
    return any(MILVUS_CONFIG.match(m.target or "") for m in res.mounts)


def _milvus(res, args):
    """Milvus serves clients without authentication unless common.security.authorizationEnabled is on (off by
    default). Judged on the standalone server and the proxy, which take client connections."""
    if any(MILVUS_WORKER.search(a) for a in args):
        return
    switch = res.env_value("COMMON_SECURITY_AUTHORIZATIONENABLED")
    if _on(switch) or res.env_file or milvus_configured(res):
        return
    if switch is not None and switch.value is None:
        return  # passed through from the deploying shell: not known here
    if _off(switch):
        yield Hit(switch.loc, f"{label_at(res, switch.loc)} sets COMMON_SECURITY_AUTHORIZATIONENABLED="
                              f"{switch.value.strip()}: Milvus then lets any client read and write its collections",
                  key="milvus-auth", evidence="common.security.authorizationEnabled off")
    elif switch is None:
        yield Hit(res.anchor, f"{res.label} runs Milvus without COMMON_SECURITY_AUTHORIZATIONENABLED=true "
                              "(common.security.authorizationEnabled is off by default): any client can read and "
                              "write its collections", key="milvus-auth", evidence="no authorizationEnabled")


def _qdrant(res, args):
    key = res.env_value("QDRANT__SERVICE__API_KEY")
    if res.env_file or any(QDRANT_CONFIG.match(m.target or "") for m in res.mounts) or \
            any(a.startswith("--config-path") for a in args):
        return
    if key is not None and (key.value is None or key.value.strip().strip("\"'")):
        return
    where = key.loc if key is not None else res.anchor
    yield Hit(where, f"{label_at(res, where)} runs Qdrant without an API key (QDRANT__SERVICE__API_KEY"
                     f"{' is empty' if key is not None else ' is not set'}): any client can read and write its "
                     "collections", key="qdrant-auth", evidence="no QDRANT__SERVICE__API_KEY")


WEAVIATE_METHODS = ("AUTHENTICATION_APIKEY_ENABLED", "AUTHENTICATION_OIDC_ENABLED")


def _weaviate(res, args):
    if res.env_file or any(_on(res.env_value(n)) for n in WEAVIATE_METHODS):
        return
    if any(res.env_value(n) is not None and res.env_value(n).value is None for n in WEAVIATE_METHODS):
        return  # passed through from the deploying shell
    if _on(res.env_value("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED")):
        return  # reported on that variable (ENV_CHECKS)
    yield Hit(res.anchor, f"{res.label} runs Weaviate with no authentication method enabled "
                          "(AUTHENTICATION_APIKEY_ENABLED or AUTHENTICATION_OIDC_ENABLED): anonymous clients can "
                          "read and write", key="weaviate-auth", evidence="no authentication method")


CHROMA_AUTH = ("CHROMA_SERVER_AUTHN_PROVIDER", "CHROMA_SERVER_AUTH_PROVIDER", "CHROMA_SERVER_AUTHN_CREDENTIALS_FILE",
               "CHROMA_SERVER_AUTH_CREDENTIALS_FILE", "CHROMA_SERVER_AUTHN_CREDENTIALS",
               "CHROMA_SERVER_AUTH_CREDENTIALS")


def _chroma(res, args):
    if res.env_file:
        return
    for name in CHROMA_AUTH:
        var = res.env_value(name)
        if var is not None and (var.value is None or var.value.strip().strip("\"'")):
            return
    yield Hit(res.anchor, f"{res.label} runs Chroma without an authentication provider (CHROMA_SERVER_AUTHN_PROVIDER "
                          "and its credentials): any client can read and write its collections",
              key="chroma-auth", evidence="no CHROMA_SERVER_AUTHN_PROVIDER")


VECTOR_STORES = {"Milvus": _milvus, "Qdrant": _qdrant, "Weaviate": _weaviate, "Chroma": _chroma}


def _dcm4chee(res, image):
    """dcm4chee-arc-light's archive images come in two variants: `-secure` tags protect the UI and REST API with
    Keycloak; the others take no login at all."""
    repo = image_repository(image)
    if not repo.rsplit("/", 1)[-1].startswith("dcm4chee-arc"):
        return  # the LDAP or database image of the archive
    tag = image_tag(image)[0] or "latest"
    if "$" in tag or "secure" in tag.lower():
        return
    where = res.image.loc if res.image is not None else res.anchor
    yield Hit(where, f"{res.label} runs the dcm4chee archive without its -secure variant: the archive's web UI and "
                     "REST API (studies, reports, patient data) take no login", key="dcm4chee-auth",
              evidence="dcm4chee-arc image without -secure")


# -- Orthanc, Grafana ----------------------------------------------------------------------------------------------

def _orthanc(res):
    """Orthanc's HTTP authentication switched off, unless the authorization plugin is configured beside it."""
    hits = []
    plugin = False
    for var in res.env:
        value = var.value or ""
        if AUTHORIZATION_PLUGIN.match(var.name) or ("Authorization" in value and JSON_AUTHORIZATION.search(value)):
            plugin = True
        if ORTHANC_AUTH_SWITCH.match(var.name) and FALSY.match(value.strip().strip("\"'")):
            hits.append((var, f"sets {var.name}={value.strip()}"))
        elif "AuthenticationEnabled" in value and JSON_AUTH_OFF.search(value):
            hits.append((var, f"sets \"AuthenticationEnabled\": false in {var.name}"))
    if not hits or plugin or any(AUTH_CONFIG_MOUNT.search(m.source or "") for m in res.mounts):
        return
    for var, what in hits:
        yield Hit(var.loc, f"{label_at(res, var.loc)} {what}: Orthanc then serves its REST API and viewer, and the "
                           "medical images they hold, to any client without a login",
                  key=f"env:{var.name}:orthanc-auth", evidence=what)


def _grafana_anonymous_admin(res):
    enabled = res.env_value("GF_AUTH_ANONYMOUS_ENABLED")
    role = res.env_value("GF_AUTH_ANONYMOUS_ORG_ROLE")
    if enabled is None or role is None or not TRUTHY.match((enabled.value or "").strip()):
        return
    if (role.value or "").strip().lower() != "admin":
        return
    yield Hit(enabled.loc, f"{label_at(res, enabled.loc)} lets anonymous visitors into Grafana with the Admin role "
                        "(GF_AUTH_ANONYMOUS_ENABLED with GF_AUTH_ANONYMOUS_ORG_ROLE=Admin)",
              key="env:GF_AUTH_ANONYMOUS_ORG_ROLE", evidence="anonymous Admin")


# -- Redis -------------------------------------------------------------------------------------------------------

def _family(image):
    repo = image_repository(image)
    for prefix in ("docker/library/", "library/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix):]
    owner = repo.split("/")[0] if "/" in repo else ""
    if owner.startswith("bitnami"):  # bitnami/redis, bitnami/valkey, bitnamilegacy/redis...
        return "bitnami"
    if repo.rsplit("/", 1)[-1] in ("redis-stack", "redis-stack-server"):
        return "stack"
    if repo in OFFICIAL_REDIS:
        return "official"
    return "other"


def _set(res, names):
    """The first of `names` the container gets with a value (one inherited from the shell counts)."""
    for name in names:
        var = res.env_value(name)
        if var is not None and (var.value is None or var.value.strip().strip("\"'")):
            return var
    return None


def _redis(res, image, args):
    joined = " ".join(args)
    family = _family(image)
    requirepass = REQUIREPASS.search(joined)
    config_file = any(CONF_ARG.search(a) for a in args)  # a configuration file we cannot see: no verdict
    if family == "bitnami":
        # the image sets the password from REDIS_PASSWORD and refuses to start without one unless
        # ALLOW_EMPTY_PASSWORD=yes (reported above)
        has_password = requirepass or config_file or _set(res, BITNAMI_PASSWORD_VARS) or res.env_file
        if not has_password:
            return
    elif family == "stack":
        stack_args = res.env_value("REDIS_ARGS")
        has_password = requirepass or config_file or (stack_args is not None and (
            stack_args.value is None or REQUIREPASS.search(stack_args.value))) or res.env_file
    elif family == "official":
        has_password = requirepass or config_file or (
            "dragonfly" in image_repository(image) and _set(res, ("DFLY_requirepass", "DFLY_REQUIREPASS")))
    else:  # an image we do not know: a password variable may be honoured
        has_password = requirepass or config_file or _set(res, OTHER_PASSWORD_VARS) or res.env_file
    if has_password:
        return
    protected_off = re.search(r"--protected-mode(\s+|=)no\b", joined)
    ignored = _set(res, IGNORED_BY_OFFICIAL) if family in ("official", "stack") else None
    if protected_off:
        where = next((t.loc for t in res.command if "protected-mode" in str(t.value)), res.anchor)
        yield Hit(where, f"{res.label} runs Redis with --protected-mode no and no password", key="redis-auth",
                  evidence="--protected-mode no")
    elif ignored is not None:
        how = "REDIS_ARGS=--requirepass" if family == "stack" else "--requirepass in its command or a config file"
        where = res.command[0].loc if res.command else ignored.loc
        yield Hit(where, f"{res.label} runs Redis without a password: the {image_repository(image)} image ignores "
                         f"{ignored.name} (it takes one only from {how}), so any client can read and write",
                  key="redis-auth", evidence=f"{ignored.name} set, no requirepass")
    else:
        where = res.command[0].loc if res.command else res.anchor
        yield Hit(where, f"{res.label} runs Redis without --requirepass: any client can read and write",
                  key="redis-auth", evidence="no requirepass")


# -- etcd --------------------------------------------------------------------------------------------------------

def _etcd_urls(res):
    """{"listen"|"advertise": (location, URL list)}: a command-line flag wins over its environment variable."""
    found = {}
    tokens = res.command
    for i, token in enumerate(tokens):
        text = str(token.value)
        match = ETCD_FLAG.match(text)
        if match:
            value = match.group(2) if match.group(2) is not None else (
                str(tokens[i + 1].value) if i + 1 < len(tokens) else "")
            found[match.group(1)] = (token.loc, value)
            continue
        for embedded in ETCD_FLAG_IN_TEXT.finditer(text):  # `sh -c "etcd --listen-client-urls ..."`
            found[embedded.group(1)] = (token.loc, embedded.group(2))
    for kind, name in ETCD_ENV.items():
        var = res.env_value(name)
        if kind not in found and var is not None and var.value:
            found[kind] = (var.loc, var.value)
    return found


def _plain_http(urls):
    """The plain-HTTP URLs of a comma-separated list that are not on loopback (unresolved ones are not judged)."""
    out = []
    for url in urls.split(","):
        url = url.strip().strip("\"'")
        scheme, sep, rest = url.partition("://")
        if not sep or scheme.lower() != "http" or "$" in rest:
            continue
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        if host.startswith("["):
            host = host[1:host.find("]")] if "]" in host else host[1:]
        else:
            host = host.split(":", 1)[0]
        if not LOOPBACK.match(host):
            out.append(url)
    return out


def _etcd(res):
    found = _etcd_urls(res)
    cert_auth = bool(CLIENT_CERT_AUTH.search(" ".join(str(t.value) for t in res.command))) or any(
        v.name == "ETCD_CLIENT_CERT_AUTH" and TRUTHY.match((v.value or "").strip()) for v in res.env)
    note = " (--client-cert-auth checks only HTTPS clients)" if cert_auth else ""
    for kind in ("listen", "advertise"):
        if kind not in found:
            continue
        loc, urls = found[kind]
        plain = _plain_http(urls)
        if not plain:
            continue
        who = label_at(res, loc)
        if kind == "listen":
            message = f"{who} serves etcd clients over plain HTTP beyond loopback ({plain[0]}): no TLS and no " \
                      f"client authentication{note}"
        else:
            message = f"{who} advertises a plain-HTTP etcd client URL beyond loopback ({plain[0]}): clients " \
                      f"connect without TLS or client authentication{note}"
        yield Hit(loc, message, key="etcd-auth", evidence=f"{kind}-client-urls {urls}")
        return
