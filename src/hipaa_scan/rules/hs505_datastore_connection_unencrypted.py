"""HS505 datastore-connection-unencrypted: a client connection to a datastore configured without TLS.

Judged on variables (environment, ENV, env files, a container's environment): a connection URL or DSN whose scheme
or parameters leave the link in clear text. Messages name the variable and the product, never the value.
"""

from __future__ import annotations

import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterator, List, Optional, Tuple

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS505", name="datastore-connection-unencrypted", severity="medium", confidence="high",
    hipaa=["164.312(e)(1)", "164.312(e)(2)(ii)"], cwe=["CWE-319"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("A client connection to a datastore without TLS: `redis://` (not `rediss://`), a PostgreSQL URL or "
             "DSN without `sslmode=require`/`verify-*`, `mongodb://` without `tls=true`, an `http://` endpoint of "
             "MinIO/S3, Elasticsearch/OpenSearch, Milvus or etcd, a Kafka `PLAINTEXT` listener."),
    description=(
        "ePHI read from or written to a datastore crosses a network: the Docker network between containers, the "
        "host's, or beyond. Without TLS anyone who can see that traffic (another container on the network, the "
        "host, a mirrored port) reads every record and can change it in transit. Transmission security "
        "(164.312(e)(1)) and its encryption specification (164.312(e)(2)(ii), addressable: encrypt, or document "
        "why an equivalent measure suffices) apply to every such link. The rule reads connection variables: "
        "`redis://` URLs; PostgreSQL URLs (`postgres://`, `postgresql+driver://`, `jdbc:postgresql://`) and libpq "
        "keyword DSNs (`host=... dbname=...`) without `sslmode=require`, `verify-ca` or `verify-full` (or "
        "`ssl=true`/`ssl=require`): libpq's default, `prefer`, falls back to clear text; `mongodb://` without "
        "`tls=true` or `ssl=true` (`mongodb+srv://` turns TLS on by default); `http://` URLs in a variable named "
        "after MinIO/S3, Elasticsearch/OpenSearch, Milvus or etcd, or on one of their ports; Kafka listeners "
        "(`KAFKA_LISTENERS`, `KAFKA_ADVERTISED_LISTENERS`, Bitnami's `KAFKA_CFG_*`) whose security protocol is "
        "`PLAINTEXT` or `SASL_PLAINTEXT`, directly or through `KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`. A link to "
        "loopback (`localhost`, `127.0.0.1`) never leaves the container and is not reported. A link to a service "
        "of the same Compose project (a single-label host name) is reported: it stays on a Docker network, but "
        "every container on that network and the host can read it; the message says so, and a project that "
        "accepts that risk records it as a suppression with its reason. `sslmode=disable` is reported by HS502 "
        "(TLS turned off explicitly), not again here. Unresolved values (`${REDIS_URL}`) are not judged."),
    remediation=(
        "Turn TLS on for the link: `rediss://` with a Redis TLS port, `sslmode=verify-full` (or at least "
        "`require`) with a server certificate, `mongodb://...?tls=true`, `https://` endpoints for MinIO, "
        "Elasticsearch, Milvus (`tls` in its configuration) and etcd (`--cert-file`, `--client-cert-auth`), Kafka "
        "`SSL` or `SASL_SSL` listeners. If the link stays on an isolated internal network and the risk is "
        "accepted, document it and suppress the finding with that reason."),
)

# A URL (scheme://rest) anywhere in a value, and its parts.
URL = lazy(r"(?<![\w+.])([A-Za-z][A-Za-z0-9+.-]*)://([^\s,;\"'<>]*)")
LOOPBACK = lazy(r"^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$", re.IGNORECASE)
# libpq keyword DSN: `host=db port=5432 dbname=notes user=app`
KEYWORD_DSN = lazy(r"(?:^|\s)host\s*=\s*([^\s'\"]+)")
KEYWORD_DSN_DB = lazy(r"(?:^|\s)(dbname|user)\s*=")
SSLMODE_GOOD = lazy(r"(?:^|[?&;\s])(sslmode|ssl_mode|ssl-mode)\s*=\s*['\"]?(require|verify-ca|verify-full|"
                    r"verify_ca|verify_full|required|verify_identity)\b", re.IGNORECASE)
SSLMODE_ANY = lazy(r"(?:^|[?&;\s])(sslmode|ssl_mode|ssl-mode)\s*=", re.IGNORECASE)
SSL_ON = lazy(r"(?:^|[?&;\s])(ssl|tls|usessl|use_ssl)\s*=\s*['\"]?(true|1|yes|require|required|on)\b",
              re.IGNORECASE)
POSTGRES_SCHEME = lazy(r"^(jdbc:)?(postgres|postgresql|pgsql|postgis|timescaledb|cockroachdb)(\+[\w-]+)?$",
                       re.IGNORECASE)
MONGO_SCHEME = lazy(r"^mongodb$", re.IGNORECASE)
# Products judged by an http:// endpoint: the variable's name, or the URL's port, says which.
HTTP_PRODUCTS: Tuple[Tuple[str, "re.Pattern[str]", Tuple[int, ...]], ...] = (
    ("MinIO/S3", lazy(r"(^|_)(MINIO|S3|AWS_ENDPOINT|AWS_S3|OBJECT_STORE|OBJECT_STORAGE|STORAGE_ENDPOINT)"),
     (9000,)),
    ("Elasticsearch/OpenSearch", lazy(r"(^|_)(ELASTIC|ELASTICSEARCH|ES|OPENSEARCH|OS)_(URL|URLS|URI|HOST|HOSTS|"
                                      r"ENDPOINT|ENDPOINTS|ADDR|ADDRESS|NODES?|SERVER)$|ELASTICSEARCH|OPENSEARCH"),
     (9200,)),
    ("Milvus", lazy(r"MILVUS"), (19530,)),
    ("etcd", lazy(r"(^|_)ETCD"), (2379,)),
)
KAFKA_LISTENERS = lazy(r"^KAFKA_(CFG_)?(LISTENERS|ADVERTISED_LISTENERS)$")
KAFKA_MAP = ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "KAFKA_CFG_LISTENER_SECURITY_PROTOCOL_MAP")
PLAIN_PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT")


def _host_port(rest: str) -> Tuple[str, Optional[int]]:
    """The host (lower case) and port of a URL's remainder after `scheme://`; the first host of a list."""
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    authority = authority.rsplit("@", 1)[-1].split(",", 1)[0]
    if authority.startswith("["):
        end = authority.find("]")
        host, tail = authority[:end + 1], authority[end + 1:]
    else:
        host, _, tail = authority.partition(":")
        tail = ":" + tail if tail else ""
    port = None
    if tail.startswith(":") and tail[1:].isdigit():
        port = int(tail[1:])
    return host.lower(), port


def _where(host: str) -> str:
    """How a message describes the other end, without quoting the value."""
    if "." not in host and ":" not in host and host and "$" not in host:
        return (" (to a service on a Docker network: the traffic stays on the Docker networks, readable by every "
                "container on them and by the host)")
    return ""


def _urls(value: str) -> Iterator[Tuple[str, str]]:
    """(scheme, what follows `://`) of each URL in a value whose host is resolved and not loopback."""
    for match in URL.finditer(value):
        scheme, rest = match.group(1), match.group(2)
        host, _port = _host_port(rest)
        if not host or "$" in host or host.startswith("{") or LOOPBACK.match(host):
            continue
        yield scheme, rest


def _problem(name: str, value: str) -> Optional[Tuple[str, str, str]]:
    """(product, what is wrong, host) for the first clear-text datastore link in a variable's value."""
    upper = name.upper().replace("-", "_").replace(".", "_")
    for scheme, rest in _urls(value):
        low = scheme.lower()
        host, port = _host_port(rest)
        if low == "redis":
            return "Redis", "uses redis://, not rediss://", host
        if POSTGRES_SCHEME.match(low):
            if SSLMODE_GOOD.search(rest) or SSL_ON.search(rest):
                continue
            if SSLMODE_ANY.search(rest) and re.search(r"sslmode\s*=\s*['\"]?disable\b", rest, re.IGNORECASE):
                continue  # HS502 reports sslmode=disable
            return "PostgreSQL", "has no sslmode=require or verify-* (the driver then falls back to clear text)", host
        if MONGO_SCHEME.match(low):
            if SSL_ON.search(rest):
                continue
            return "MongoDB", "uses mongodb:// without tls=true", host
        if low == "http":
            for product, name_re, ports in HTTP_PRODUCTS:
                if name_re.search(upper) or (port is not None and port in ports):
                    return product, "uses an http:// endpoint, not https://", host
    if "host" in value and "=" in value and "://" not in value:
        match = KEYWORD_DSN.search(value)
        if match and KEYWORD_DSN_DB.search(value) and not SSLMODE_ANY.search(value) and not SSL_ON.search(value):
            host = match.group(1).lower()
            if not LOOPBACK.match(host) and "$" not in host and not host.startswith("/"):
                return "PostgreSQL", "is a libpq DSN without sslmode=require or verify-* (libpq then falls back " \
                                     "to clear text)", host
    return None


def _kafka(res: Resource) -> Iterator[Hit]:
    protocols: Dict[str, str] = {}
    for name in KAFKA_MAP:
        var = res.env_value(name)
        if var is not None and var.value:
            for pair in var.value.split(","):
                listener, _, protocol = pair.strip().partition(":")
                if protocol:
                    protocols[listener.strip().upper()] = protocol.strip().upper()
    for var in res.env:
        if not KAFKA_LISTENERS.match(var.name) or not var.value or "$" in var.value:
            continue
        plain: List[str] = []
        for item in var.value.split(","):
            listener, sep, rest = item.strip().partition("://")
            if not sep:
                continue
            host, _port = _host_port(rest)
            if host and LOOPBACK.match(host):
                continue
            protocol = protocols.get(listener.upper(), listener.upper())
            if protocol in PLAIN_PROTOCOLS:
                plain.append(listener)
        if plain:
            names = ", ".join(sorted(set(plain)))
            yield Hit(var.loc, f"{label_at(res, var.loc)} declares Kafka listeners without TLS in {var.name} "
                               f"({names}: PLAINTEXT or SASL_PLAINTEXT): messages and credentials cross the "
                               "network in clear text", key=f"env:{var.name}", evidence=f"{var.name}: {names}")


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    seen = set()
    for var in res.env:
        value = var.value
        if not value or var.name in seen:
            continue
        if "://" not in value and "host" not in value:
            continue
        found = _problem(var.name, value)
        if found is None:
            continue
        seen.add(var.name)
        product, what, host = found
        yield Hit(var.loc, f"{label_at(res, var.loc)} connects to {product} without TLS: {var.name} {what}"
                           f"{_where(host)}", key=f"env:{var.name}", evidence=f"{var.name}: {product}, no TLS")
    yield from _kafka(res)
