"""HS307 end-of-life-image: a base or service image whose release is past its end of life."""

from hipaa_scan import eol
from hipaa_scan.images import UNKNOWN, resolve_defaults
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import RuleOption, label_at, meta, shipped_lines

META = meta(
    id="HS307", name="end-of-life-image", severity="medium", confidence="high",
    hipaa=["164.308(a)(5)(ii)(B)", "164.312(c)(1)"], cwe=["CWE-1104"], cis=["CIS Docker 1.6.0 4.4"],
    sources=["dockerfile", "compose", "container"],
    summary=("A base image (the final stage's lineage) or a service or container image whose release is past its "
             "end of life, by a dated table shipped with the package (endoflife.date)."),
    description=(
        "A release past its end of life gets no more security fixes: every vulnerability published after that date "
        "stays open in the image, whatever is rebuilt on top of it. NIST SP 800-190 (4.1.1, image vulnerabilities) "
        "and the CIS Docker Benchmark (4.4) ask for images rebuilt on maintained, patched bases. The release is "
        "read from the tag (`postgres:13-alpine` is PostgreSQL 13, `python:3.8-slim-buster` is Python 3.8 on "
        "Debian 10, `postgres:14.2` is PostgreSQL 14; a Debian or Ubuntu codename counts, and so does an operating "
        "system named as a variant: `-buster`, `-alpine3.12`, `-focal`) and looked up in the package's "
        "data/eol_images.json: the end-of-life dates of endoflife.date's product pages (PostgreSQL, MySQL, MariaDB, "
        "Redis, MongoDB, Node.js, Python, Debian, Ubuntu, Alpine, Elasticsearch, Kibana, OpenSearch, nginx, PHP, "
        "Go, Eclipse Temurin, Ruby, RabbitMQ, Tomcat, CentOS, Memcached, Keycloak, Grafana, Traefik, HAProxy), "
        "with the date they were read (a Debian release at the end of its long-term support, whose updates the "
        "official images still receive). That date is printed in the report's notes whenever an image was judged. "
        "An image, tag or version the table does not know (`latest`, `python:3`, a variable) is not judged: "
        "HS301 speaks for floating tags. Versions are judged as of the day of the scan (or the `as_of` option); "
        "the option `eol_releases` adds or corrects cycles per project (`mycorp/base:2=2025-06-30`). In a "
        "Dockerfile only the stages the final stage is built from are judged: a builder stage does not ship."),
    remediation=(
        "Move to a supported release of the image (the product's current or long-term support line), rebuild, and "
        "test; for a base operating system, the next Debian, Ubuntu or Alpine release. Pin it (HS301) and keep a "
        "schedule for the next upgrade before that release's end of life."),
    options=[
        RuleOption("eol_releases", "strings", [],
                   "Release cycles to add or correct, as IMAGE:CYCLE=EOL (EOL: YYYY-MM-DD, yes or no), e.g. "
                   "mycorp/base:2=2025-06-30.", pattern=eol.ENTRY),
        RuleOption("as_of", "string", "", "Judge end of life as of this date (YYYY-MM-DD) instead of the scan's day.",
                   pattern=r"^(\d{4}-\d{2}-\d{2})?$"),
    ],
)


def _today(ctx):
    configured = ctx.options["as_of"]
    if configured:
        return configured
    import time  # built in: datetime would cost a one-file scan its import

    return time.strftime("%Y-%m-%d", time.localtime())


def check(res, ctx):
    refs = list(res.base_images)
    if res.image is not None and not res.builds:
        refs.append(res.image)
    shipped = shipped_lines(res)
    seen = set()
    today = None
    for ref in refs:
        if shipped is not None and ref.loc.line not in shipped:
            continue
        raw = str(ref.value).strip()
        if "$" in raw:
            raw = resolve_defaults(raw)
        if (ref.loc.line, raw) in seen:
            continue
        seen.add((ref.loc.line, raw))
        found = eol.releases(raw, ctx.options["eol_releases"])
        if not found:
            continue
        if today is None:
            today = _today(ctx)
            ctx.note(f"HS307 end-of-life-image: image releases judged as of {today} against the end-of-life table "
                     f"of {eol.table_date()} (endoflife.date, data/eol_images.json)")
        past = next((r for r in found if r.past(today)), None)
        if past is None:
            continue
        shown = raw.replace(UNKNOWN, "${…}")
        when = "" if past.eol == "yes" else f" on {past.eol}"
        what = f"{past.product} {past.cycle}"
        if past.older_than:
            what += f" (older than {past.product} {past.older_than}, which reached end of life{when})"
            tail = ""
        else:
            tail = f", which reached end of life{when}"
        yield Hit(ref.loc, f"{label_at(res, ref.loc)} uses image {shown}: {what}{tail}, and gets no more security "
                           f"fixes", key=f"eol:{ref.value}",
                  evidence=f"{shown}: {past.product} {past.cycle} end of life {past.eol} (table of "
                           f"{eol.table_date()})")
