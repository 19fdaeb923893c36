"""HS504 engine-api-unencrypted: the Docker engine API is reached over plain TCP, without TLS."""

from __future__ import annotations

from hipaa_scan.model import Hit, Location
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS504", name="engine-api-unencrypted", severity="critical", confidence="high",
    hipaa=["164.312(e)(1)", "164.312(e)(2)(ii)", "164.312(d)", "164.312(a)(1)"], cwe=["CWE-319", "CWE-306"], cis=["CIS Docker 1.6.0 2.7"],
    sources=["engine"],
    summary="The scan reached the Docker engine API over `tcp://` without TLS (a daemon listening on plain TCP).",
    description=(
        "The Docker API has no authentication of its own: TLS client certificates are its only gate. An engine "
        "that answers on plain TCP gives anyone who can reach the port root on the host, and every container, "
        "volume and secret on it, including the ePHI they hold; the traffic, inspect output and environment "
        "variables included, also crosses the network in clear text. Judged from the connection this scan used, "
        "so it is reported only for live scans, never for saved `docker info` files."),
    remediation=(
        "Do not expose the engine on TCP. Use the local socket, or `ssh://` (docker context / DOCKER_HOST="
        "ssh://user@host). If TCP is unavoidable, run dockerd with `--tlsverify` and client certificates and "
        "connect with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH."),
)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    conn = res.connection
    if not isinstance(conn, dict):
        return
    if conn.get("scheme") in ("tcp", "http") and not conn.get("tls"):
        host = str(conn.get("host") or "")
        yield Hit(Location(res.path, None, None, "Connection.TLS"),
                  f"{res.label} answers its API over plain TCP without TLS ({host})", key="connection:tls",
                  evidence=f"{host} tls=false")
