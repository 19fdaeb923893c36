"""HS406 secret-in-environment: a secret handed to the container through its environment, and compose secrets
declared for no service."""

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta, user_placeholders
from hipaa_scan.secrets import is_placeholder, secret_name
from hipaa_scan.sources.kinds import SourceKind

META = meta(
    id="HS406", name="secret-in-environment", severity="low", confidence="medium",
    hipaa=["164.312(a)(1)", "164.308(a)(5)(ii)(D)"], cwe=["CWE-526"], cis=["CIS Docker 1.6.0 4.10"],
    sources=["dockerfile", "compose"],
    summary=("A secret passed through the container's environment (`environment:` `${VAR}` or a bare name, ENV "
             "from a build argument), where a Docker secret or a `*_FILE` variable would keep it out of "
             "`docker inspect`; and compose `secrets:` that no service uses."),
    description=(
        "Environment variables are not a place for secrets: `docker inspect` shows them to anyone who may talk to "
        "the engine, they are inherited by every child process, and crash reports, debug pages and log shippers "
        "print them. A secret mounted as a file (compose `secrets:`, read from /run/secrets) is none of these. "
        "NIST SP 800-190 (4.1.4, embedded clear-text secrets; 4.4.5) asks that secrets be provided to containers "
        "at run time by the orchestrator's secret management. This rule reports a secret-named variable that "
        "reaches the environment without being written in the file: `KEY: ${KEY}` (the value arrives from the "
        "shell or a deployment tool), `- KEY` alone, a placeholder for the real value (`changeme`, `<your-key>`), "
        "or a Dockerfile `ENV KEY=${ARG}` that copies a build argument into the image's configuration. Since the "
        "value is not there to judge, the name must end with the secret itself (`_PASSWORD`, `_TOKEN`, `_SECRET`, "
        "`_KEY`, `_CONNECTION_STRING`...): `PASSWORD_SALT_HASH_ROUNDS`, `OAUTH2_ALLOWED_TOKEN_DOMAINS`, "
        "`..._TOKEN_HTTP_HEADERS`, public keys (`..._PUBLIC_API_KEY`, `NEXT_PUBLIC_...`) and the access-key id beside "
        "its secret key are not secrets. It also "
        "reports a top-level compose secret that no service lists, which usually means the service reads the same "
        "secret from its environment instead. **Overlap:** a literal secret value is HS401's (plaintext-secret) "
        "or HS402's (a vendor default), which report it where it is written, in the compose file or in the `.env` "
        "that `${VAR}` reads; HS406 does not report that element again, since removing the literal means choosing "
        "how to pass it. Not reported: `*_FILE` variables and paths (`/run/secrets/...`, key files), the id half "
        "of a key pair, an empty value, example files, a variable whose `*_FILE` twin is also set, and env files "
        "(`env_file:`), whose literals HS401 judges. Live containers are not judged: their environment holds only "
        "literal values, which HS401 reports. Low severity: not a leak by itself, but it widens who can read "
        "the secret."),
    remediation=(
        "Declare the secret in compose (`secrets: db_password: {file: ./secrets/db_password}` or `environment:` from "
        "the deployment's secret store), list it under the service's `secrets:`, and point the application at the "
        "file: most official images read `*_FILE` (`POSTGRES_PASSWORD_FILE=/run/secrets/db_password`). Remove "
        "secrets nobody uses."),
)


# With no value to look at, the name alone must say secret: it ends with the secret itself (`..._PASSWORD`,
# `..._TOKEN`, `..._API_KEY`, `..._CONNECTION_STRING`), not with what is said about one (`..._TOKEN_DOMAINS`,
# `PASSWORD_SALT_HASH_ROUNDS`, `..._TOKEN_HTTP_HEADERS`, `EXPIRE_AUTH_TOKENS_ON_RESTART`)
SECRET_TAIL = lazy(r"(PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS|(^|_)PWD|SECRET|SECRETKEY|TOKEN|(^|_)KEY|APIKEY|"
                   r"CONNECTION_?STRING|(^|_)SALT|(^|_)AUTH)(_(OVERRIDE|OVERWRITE|VALUE|B64|BASE64))?$")
PUBLIC = lazy(r"(^|_)(PUBLIC|PUBLISHABLE|NEXT_PUBLIC|VITE|REACT_APP)(_|$)")
ID_HALF = lazy(r"^(.*?)ACCESS_?KEY$")


def _names_a_secret(name, names):
    """Whether a variable's name alone says it holds a secret (see SECRET_TAIL), and not the public or id half of
    a pair (`POSTHOG_PUBLIC_API_KEY`, `..._ACCESS_KEY` beside `..._SECRET_KEY`)."""
    upper = name.upper().replace("-", "_").replace(".", "_")
    while "__" in upper:
        upper = upper.replace("__", "_")
    if not secret_name(name) or not SECRET_TAIL.search(upper) or PUBLIC.search(upper):
        return False
    pair = ID_HALF.match(upper)
    if pair is not None and not upper.endswith("SECRET_ACCESS_KEY"):
        prefix = pair.group(1)
        if any(n != upper and n.startswith(prefix) and "SECRET" in n[len(prefix):] for n in names):
            return False
    return True


def _is_path(value):
    from hipaa_scan.rules.hs401_plaintext_secret import KEY_FILE_PATH

    return bool(KEY_FILE_PATH.match(value)) or value.startswith("/run/secrets/")


def _how(res, var, extra):
    """How a secret-named variable reaches the environment without its value written in the file, or None."""
    value = var.value
    if res.kind == SourceKind.DOCKERFILE:
        written = res.env_written.get(var.loc)
        if written is None or "$" not in written:
            return None  # a literal ENV value is HS401's (or HS405's), an empty one passes nothing
        value = (value or "").strip()
        if value and "$" not in value and not is_placeholder(value, extra):
            return None  # the build argument's literal default: HS401 reports it at the ARG
        return "a build argument copied into the image's ENV"
    if value is None:
        return "passed through from the shell that starts it"
    value = value.strip()
    if not value:
        return None
    if "$" in value and is_placeholder(value, extra):
        return "a variable set when the project starts"
    if var.loc.path != res.path and var.origin == "environment":
        # `${VAR}` read from the project's `.env`: a literal there is HS401's; a placeholder is filled in later
        return "a placeholder in the project's .env" if is_placeholder(value, extra) else None
    if is_placeholder(value, extra):
        return "a placeholder to be replaced"
    return None  # a literal: HS401 or HS402 report it


def check(res, ctx):
    if res.example:
        return
    extra = user_placeholders(ctx)
    if res.kind == SourceKind.COMPOSE:
        for secret in res.unused_secrets:
            yield Hit(secret.loc, f"compose secret \"{secret.value}\" is declared but no service uses it",
                      key=f"secret:{secret.value}", evidence=f"secrets.{secret.value}: no service lists it")
    origin = "ENV" if res.kind == SourceKind.DOCKERFILE else "environment"
    variables = [v for v in res.env if v.origin == origin]
    names = {v.name.upper() for v in res.env}
    from hipaa_scan.rules.hs401_plaintext_secret import not_a_secret

    for var in variables:
        if not _names_a_secret(var.name, names) or f"{var.name.upper()}_FILE" in names or f"{var.name.upper()}__FILE" in names:
            continue
        value = (var.value or "").strip()
        if value and (_is_path(value) or not_a_secret(var, value, names)):
            continue
        how = _how(res, var, extra)
        if how is None:
            continue
        yield Hit(var.loc, f"{label_at(res, var.loc)} passes the secret {var.name} through its environment ({how}), "
                           f"where docker inspect shows it; mount it as a Docker secret or use {var.name}_FILE",
                  key=f"env:{var.name}", evidence=f"{var.name} passed through the environment")
