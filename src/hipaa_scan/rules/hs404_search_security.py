"""HS404 elasticsearch-security-disabled: Elasticsearch or OpenSearch answering without authentication."""

import re

from hipaa_scan.catalog import image_repository, image_tag
from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta, shorten

META = meta(
    id="HS404", name="elasticsearch-security-disabled", severity="critical", confidence="high",
    hipaa=["164.312(d)", "164.312(a)(1)", "164.312(e)(1)"], cwe=["CWE-306", "CWE-319"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("Elasticsearch with `xpack.security.enabled=false` (environment or `-E` argument), Elasticsearch 7 "
             "or older without `xpack.security.enabled=true` (security is off by default there), or the OpenSearch "
             "security plugin disabled."),
    description=(
        "With security off, Elasticsearch and OpenSearch accept every request without authentication and without "
        "TLS: anyone who can reach port 9200 can read, change or delete every index, including the logs and "
        "documents that hold ePHI. Before version 8, Elasticsearch starts with security off unless "
        "`xpack.security.enabled=true` is set: the open clusters behind many breaches ran that default."),
    remediation=(
        "Leave security enabled (the default since Elasticsearch 8; on 7.x set `xpack.security.enabled=true`), set "
        "passwords from a secret store and keep TLS on the HTTP and transport layers. For OpenSearch, keep the "
        "security plugin and replace the demo certificates."),
)

ES_SWITCH = lazy(r"^(xpack\.security\.enabled|XPACK_SECURITY_ENABLED)$", re.IGNORECASE)
OPENSEARCH_OFF = lazy(r"^(DISABLE_SECURITY_PLUGIN|DISABLE_SECURITY_DASHBOARDS_PLUGIN|plugins\.security\.disabled"
                      r"|PLUGINS_SECURITY_DISABLED)$", re.IGNORECASE)
COMMAND_OFF = lazy(r"xpack\.security\.enabled=false|plugins\.security\.disabled=true")
COMMAND_ON = lazy(r"xpack\.security\.enabled=true")
ELASTICSEARCH_IMAGES = {"elasticsearch", "elasticsearch/elasticsearch"}  # Bitnami's has its own switch


def _flag(value) -> str:
    return str(value).strip().strip("'\"").lower()


def check(res, ctx):
    hits = list(_explicit(res))
    yield from hits
    if not hits:
        yield from _old_default(res)


def _explicit(res):
    """Security switched off in the environment or on the command line."""
    for var in res.env:
        if var.value is None:
            continue
        if ES_SWITCH.match(var.name):
            if _flag(var.value) == "false":
                yield Hit(var.loc, f"{label_at(res, var.loc)} disables search-engine security "
                                   f"({var.name}={_flag(var.value)})", key=f"env:{var.name}",
                          evidence=f"{var.name}={_flag(var.value)}")
        elif OPENSEARCH_OFF.match(var.name) and _flag(var.value) == "true":
            yield Hit(var.loc, f"{label_at(res, var.loc)} disables search-engine security ({var.name}=true)",
                      key=f"env:{var.name}", evidence=f"{var.name}=true")
    if res.command:
        joined = " ".join(str(t.value) for t in res.command)
        if COMMAND_OFF.search(joined):
            at = next((t for t in res.command if COMMAND_OFF.search(str(t.value))), res.command[0])
            text = shorten(joined)
            yield Hit(at.loc, f"{label_at(res, at.loc)} starts the search engine with security disabled "
                              f"({COMMAND_OFF.search(joined).group(0)})", key="command", evidence=text)


def _old_default(res):
    """Elasticsearch 7 and older, with nothing that turns security on: its default is off."""
    if res.kind == "dockerfile":  # the image the final stage is built from
        base = res.base_image
        image = next((v for v in reversed(res.base_images) if v.value == base), None) if base else None
    else:
        image = None if res.builds else res.image  # `image:` beside `build:` names the output
    if image is None or res.env_file:
        return  # an env_file we cannot see may hold the switch: no verdict
    if any(ES_SWITCH.match(v.name) and _flag(v.value) == "true" for v in res.env if v.value is not None) or \
            COMMAND_ON.search(" ".join(str(t.value) for t in res.command)):
        return
    ref = str(image.value)
    if image_repository(ref) not in ELASTICSEARCH_IMAGES:
        return
    tag, _digest = image_tag(ref)
    major = re.match(r"^(\d+)\.", (tag or "") + ".")
    if major is None or int(major.group(1)) >= 8:
        return  # 8 and later (and `latest`) start with security on
    yield Hit(image.loc, f"{label_at(res, image.loc)} runs Elasticsearch {tag}, whose security is off unless "
                             "xpack.security.enabled=true is set", key="version-default",
              evidence=f"image {ref}, no xpack.security.enabled=true")
