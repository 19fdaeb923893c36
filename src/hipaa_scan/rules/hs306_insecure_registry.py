"""HS306 insecure-registry-allowed: the engine pulls from registries over plain HTTP or unverified TLS."""

from hipaa_scan.model import Hit, Location
from hipaa_scan.rules.base import meta

META = meta(
    id="HS306", name="insecure-registry-allowed", severity="medium", confidence="high",
    hipaa=["164.312(c)(1)", "164.308(a)(5)(ii)(B)"], cwe=["CWE-295", "CWE-494"],
    cis=["CIS Docker 1.6.0 2.5"], sources=["engine"],
    summary="`docker info` lists an insecure registry (RegistryConfig.InsecureRegistryCIDRs or an index with Secure false) beyond loopback.",
    description=(
        "Images pulled from an insecure registry travel without verified TLS: anyone on the path can replace them "
        "with images of their choosing, which then run next to ePHI. Loopback registries (127.0.0.0/8, ::1) are "
        "the engine's default and are not reported."),
    remediation=(
        "Remove the entry from `insecure-registries` in /etc/docker/daemon.json and give the registry a "
        "certificate the engine trusts (/etc/docker/certs.d/<registry>/ca.crt)."),
)


def _loopback(text):
    import ipaddress  # here: only an engine's registries need it, and a file scan never checks them

    host = text.strip().strip("[]")
    try:
        return ipaddress.IPv4Network(host, strict=False).subnet_of(ipaddress.IPv4Network("127.0.0.0/8")) if ":" not in host \
            else ipaddress.ip_network(host, strict=False) == ipaddress.ip_network("::1/128")
    except ValueError:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return name in ("localhost", "127.0.0.1", "::1")


def check(res, ctx):
    registry = res.registry
    if not isinstance(registry, dict):
        return
    cidrs = registry.get("InsecureRegistryCIDRs")
    for i, cidr in enumerate(cidrs if isinstance(cidrs, list) else []):
        if isinstance(cidr, str) and cidr and not _loopback(cidr):
            yield Hit(Location(res.path, None, None, f"RegistryConfig.InsecureRegistryCIDRs[{i}]"),
                      f"{res.label} pulls from registries in {cidr} without verified TLS", key=f"registry:{cidr}",
                      evidence=f"insecure-registries {cidr}")
    indexes = registry.get("IndexConfigs")
    indexes = indexes if isinstance(indexes, dict) else {}
    for name in sorted(indexes):
        entry = indexes[name]
        if isinstance(entry, dict) and entry.get("Secure") is False and not _loopback(str(name)):
            yield Hit(Location(res.path, None, None, f"RegistryConfig.IndexConfigs.{name}.Secure"),
                      f"{res.label} pulls from registry {name} without verified TLS", key=f"registry:{name}",
                      evidence=f"insecure-registries {name}")
