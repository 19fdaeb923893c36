"""HS402 default-credentials: a vendor's default user or password is in use."""

from hipaa_scan.catalog import image_repository
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta
from hipaa_scan.secrets import (DEFAULT_PAIRS, default_credential, default_in_url, default_pairs, may_hold_credential,
                                secret_name, user_list)

META = meta(
    id="HS402", name="default-credentials", severity="critical", confidence="high",
    hipaa=["164.312(d)", "164.312(a)(1)", "164.308(a)(5)(ii)(D)"], cwe=["CWE-1392", "CWE-798"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("Vendor default credentials: minioadmin, postgres/postgres, elastic/changeme, guest/guest, root/Milvus, "
             "admin/admin..., in variables or written as `user:password` in commands, URLs, labels and healthchecks."),
    description=(
        "Default credentials are the first thing an attacker tries and are published in every vendor's "
        "documentation. A datastore guarded by them is effectively unauthenticated. MinIO started without a root "
        "password falls back to minioadmin/minioadmin, Grafana without an admin password to admin/admin, Milvus with "
        "authorization on and no COMMON_SECURITY_DEFAULTROOTPASSWORD to root/Milvus (also a client's "
        "`MILVUS_PASSWORD=Milvus` or `MILVUS_TOKEN=root:Milvus`). A "
        "client setting named after the product it logs in to holds that product's default (`PG_PWD=postgres`, "
        "`MYSQL_PWD=root`, `ES_PWD=elastic`, `ORTHANC__POSTGRESQL__PASSWORD=postgres`), a user and password set "
        "side by side make a default pair (`spring.datasource.username=admin` with `...password=admin`), and a "
        "JSON user list may hold one (`{\"admin\": \"admin\"}`, Orthanc's orthanc/orthanc). HS402 owns these: "
        "HS401 does not report them again. Example files (`.env.example`, `.sample`, `.template`...) "
        "show what to set: a default there is the placeholder users replace, and is not reported."),
    remediation="Set a unique, generated credential from a secret store, and rotate any default that was ever deployed.",
)

GRAFANA_IMAGE = lazy(r"(^|/)grafana(-oss|-enterprise)?$")
GRAFANA_PASSWORD_VARS = ("GF_SECURITY_ADMIN_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD__FILE")
# a configuration file we cannot see may set the password (grafana.ini, or a whole /etc/grafana)
GRAFANA_CONFIG = lazy(r"^/etc/grafana/?$|grafana\.ini$")
MINIO_PASSWORD_VARS = ("MINIO_ROOT_PASSWORD", "MINIO_ROOT_PASSWORD_FILE", "MINIO_SECRET_KEY", "MINIO_SECRET_KEY_FILE")


def check(res, ctx):
    if res.example:
        return  # an example file shows what to set: its defaults are the placeholders users replace (as for HS401)
    pairs = default_pairs((v.name, v.value) for v in res.env)
    for var in res.env:
        product = default_credential(var.name, var.value) or default_in_url(var.value) or pairs.get(var.name)
        if product:
            yield Hit(var.loc, f"{label_at(res, var.loc)} uses {_default(product)} in {var.name}",
                      key=f"env:{var.name}", evidence=f"{var.name}=<vendor default>")
        elif var.value and "{" in var.value:  # `{"admin": "admin"}`: a default pair in a JSON user list
            found = next((DEFAULT_PAIRS[(u.lower(), p.lower())] for u, p in user_list(var.name, var.value)
                          if (u.lower(), p.lower()) in DEFAULT_PAIRS), None)
            if found:
                yield Hit(var.loc, f"{label_at(res, var.loc)} uses {_default(found)} in a JSON user list in "
                                   f"{var.name}", key=f"env:{var.name}:users", evidence=f"{var.name}=<vendor default>")
    # `curl -u elastic:changeme`, `amqp://guest:guest@...` in a command, a RUN line, a label or a healthcheck
    yield from _in_text(res)
    if res.kind in ("compose", "container") and res.image is not None and ctx.datastores is not None:
        if ctx.datastores.product_of_image(str(res.image.value)) == "MinIO" and \
                not any(v.name in MINIO_PASSWORD_VARS for v in res.env) and not res.env_file:
            yield Hit(res.anchor, f"{res.label} runs MinIO without a root password, so minioadmin/minioadmin applies",
                      key="minio-default", evidence="no MINIO_ROOT_PASSWORD")
    if res.kind in ("compose", "container") and res.image is not None and ctx.datastores is not None and \
            not res.builds and ctx.datastores.product_of_image(str(res.image.value)) == "Milvus":
        yield from _milvus_root(res)
    if res.kind in ("compose", "container") and res.image is not None and not res.builds and \
            GRAFANA_IMAGE.search(image_repository(str(res.image.value))) and not res.env_file and \
            not any(v.name in GRAFANA_PASSWORD_VARS for v in res.env) and \
            not any(GRAFANA_CONFIG.search(m.target or "") for m in res.mounts):
        yield Hit(res.anchor, f"{res.label} runs Grafana without an admin password, so admin/admin applies",
                  key="grafana-default", evidence="no GF_SECURITY_ADMIN_PASSWORD")


def _milvus_root(res):
    """Milvus with authorization on keeps root/Milvus unless its first boot sets another root password."""
    from hipaa_scan.rules.hs403_datastore_auth import TRUTHY, milvus_configured

    enabled = res.env_value("COMMON_SECURITY_AUTHORIZATIONENABLED")
    if enabled is None or not TRUTHY.match((enabled.value or "").strip().strip("\"'")):
        return  # authorization off is HS403's finding; root/Milvus is then not even asked for
    if res.env_file or milvus_configured(res) or res.env_value("COMMON_SECURITY_DEFAULTROOTPASSWORD") is not None:
        return  # a default root password that is set is judged as a variable above
    yield Hit(enabled.loc, f"{label_at(res, enabled.loc)} turns Milvus authorization on without "
                           "COMMON_SECURITY_DEFAULTROOTPASSWORD, so the root user keeps the Milvus default credential "
                           "(root/Milvus)", key="milvus-root-default", evidence="no COMMON_SECURITY_DEFAULTROOTPASSWORD")


def _default(product):
    """`the MinIO default credential`; a default that belongs to no one product (`admin`, `root`) is well known."""
    return "a well-known default credential" if product == "the service" else f"the {product} default credential"


def _in_text(res):
    """Vendor default pairs written in a command, a RUN line, a label or a healthcheck, one finding per line."""
    texts = [w for w in res.written if (w.name is not None and secret_name(w.name))
             or may_hold_credential(w.value)]
    commands = any(may_hold_credential(str(t.value)) for t in res.command)
    if not texts and not commands:
        return
    from hipaa_scan.rules.inline import command_texts, groups  # only when some text may hold a credential

    reported = set()
    for group in groups((command_texts(res.command) if commands else []) + texts, defaults=True):
        where = (group.loc.path, group.loc.line, group.loc.key)
        if where in reported:
            continue
        reported.add(where)
        place = "its command line" if group.written.place == "command" else group.where
        yield Hit(group.loc, f"{label_at(res, group.loc)} uses {_default(group.product)} in {place} "
                             f"({group.what()})",
                  key=f"text:{group.written.loc.key or place}:{group.what()}",
                  evidence=f"{group.what()}=<vendor default>")
