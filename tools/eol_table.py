#!/usr/bin/env python3
"""Write src/hipaa_scan/data/eol_images.json (HS307's end-of-life table) from endoflife.date's product pages.

The pages are read out of a local git mirror of github.com/endoflife-date/endoflife.date (products/<name>.md, YAML
front matter: each release cycle with its `eol`, a date, true or false), at its HEAD commit. Only the cycles that
have an end-of-life answer are kept; the table records the commit and its date, which reports print.

    python tools/eol_table.py MIRROR_GIT_DIR
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import yaml

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "hipaa_scan", "data", "eol_images.json")

# endoflife.date product -> the images that ship it (repository globs as hipaa_scan.images.split names them), and
# how their tags name the release: a prefix to drop (`centos7`), codenames (Debian's `bookworm`)
PRODUCTS: dict[str, dict] = {
    "postgresql": {"images": ["postgres", "bitnami/postgresql", "postgis/postgis"]},
    "mysql": {"images": ["mysql", "mysql/mysql-server", "bitnami/mysql"]},
    "mariadb": {"images": ["mariadb", "bitnami/mariadb"]},
    "redis": {"images": ["redis", "bitnami/redis"]},
    "mongodb": {"images": ["mongo", "bitnami/mongodb"]},
    "nodejs": {"images": ["node", "bitnami/node"]},
    "python": {"images": ["python", "bitnami/python"]},
    # Debian's long-term support keeps publishing security updates (and rebuilt images) after regular security
    # support ends: a Debian release is judged at the end of its LTS (`eoes`)
    "debian": {"images": ["debian"], "codenames": True, "until": "eoes"},
    "ubuntu": {"images": ["ubuntu"], "codenames": True},
    "alpine-linux": {"images": ["alpine"]},
    "elasticsearch": {"images": ["elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch",
                                 "bitnami/elasticsearch"]},
    "kibana": {"images": ["kibana", "docker.elastic.co/kibana/kibana"]},
    "opensearch": {"images": ["opensearchproject/opensearch"]},
    "nginx": {"images": ["nginx", "nginxinc/nginx-unprivileged"]},
    "php": {"images": ["php", "bitnami/php-fpm"]},
    "go": {"images": ["golang"]},
    "eclipse-temurin": {"images": ["eclipse-temurin"]},
    "ruby": {"images": ["ruby"]},
    "rabbitmq": {"images": ["rabbitmq", "bitnami/rabbitmq"]},
    "tomcat": {"images": ["tomcat"]},
    "centos": {"images": ["centos"], "prefix": "centos"},
    "memcached": {"images": ["memcached", "bitnami/memcached"]},
    "keycloak": {"images": ["quay.io/keycloak/keycloak", "jboss/keycloak", "keycloak/keycloak"]},
    "grafana": {"images": ["grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise"]},
    "traefik": {"images": ["traefik"]},
    "haproxy": {"images": ["haproxy"]},
}


NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "redis": "Redis", "mongodb": "MongoDB",
         "nodejs": "Node.js", "python": "Python", "debian": "Debian", "ubuntu": "Ubuntu", "alpine-linux": "Alpine Linux",
         "elasticsearch": "Elasticsearch", "kibana": "Kibana", "opensearch": "OpenSearch", "nginx": "nginx",
         "php": "PHP", "go": "Go", "eclipse-temurin": "Eclipse Temurin", "ruby": "Ruby", "rabbitmq": "RabbitMQ",
         "tomcat": "Apache Tomcat", "centos": "CentOS", "memcached": "Memcached", "keycloak": "Keycloak",
         "grafana": "Grafana", "traefik": "Traefik", "haproxy": "HAProxy"}


def front_matter(text: str) -> dict:
    _, head, _ = text.split("---", 2)
    return yaml.safe_load(head)


def main(mirror: str) -> None:
    commit = subprocess.run(["git", "-C", mirror, "rev-parse", "HEAD"], check=True, capture_output=True,
                            text=True).stdout.strip()
    stamp = subprocess.run(["git", "-C", mirror, "log", "-1", "--format=%cs", "HEAD"], check=True,
                           capture_output=True, text=True).stdout.strip()
    products = {}
    for product, how in PRODUCTS.items():
        text = subprocess.run(["git", "-C", mirror, "show", f"HEAD:products/{product}.md"], check=True,
                              capture_output=True, text=True).stdout
        cycles, codenames = {}, {}
        for release in front_matter(text).get("releases", []):
            cycle, eol = str(release["releaseCycle"]), release.get(how.get("until", "eol"))
            if eol is None:
                eol = release.get("eol")
            if isinstance(eol, (datetime.date, datetime.datetime)):
                cycles[cycle] = eol.isoformat()[:10]
            elif eol is True:
                cycles[cycle] = "yes"  # past its end of life, date not published
            elif eol is False:
                cycles[cycle] = "no"  # supported, no end date yet
            if how.get("codenames") and release.get("codename"):
                codenames[str(release["codename"]).split()[0].lower()] = cycle
        entry = {"name": NAMES[product], "images": how["images"], "cycles": cycles, "page": f"https://endoflife.date/{product}"}
        if codenames:
            entry["codenames"] = codenames
        if how.get("until"):
            entry["until"] = how["until"]
        if how.get("prefix"):
            entry["prefix"] = how["prefix"]
        products[product] = entry
    table = {
        "description": (
            "End-of-life dates of the release cycles of common base and service images (HS307). `images` are "
            "repository globs (without docker.io/ and library/); a tag's leading version (`13-alpine` -> 13, "
            "`3.8-slim-buster` -> 3.8, `14.2` -> 14) is matched to the longest cycle it starts with; `eol` is a "
            "date, `yes` (ended, no date published) or `no` (supported); for Debian, the end of its long-term support "
            "(`until`), for the others endoflife.date's end of life. A version not listed (older than the page goes "
            "back, or a development line) ended no later than the next listed cycle of its major line. An image or version not here is not judged. Extend "
            "or correct it per project with the HS307 option `eol_releases` (`IMAGE:CYCLE=YYYY-MM-DD`). "
            "Regenerate with tools/eol_table.py."),
        "source": "endoflife.date product pages, read from github.com/endoflife-date/endoflife.date",
        "commit": commit,
        "date": stamp,
        "products": products,
    }
    with open(OUT, "w", encoding="utf-8") as handle:
        json.dump(table, handle, indent=1, sort_keys=False)
        handle.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
