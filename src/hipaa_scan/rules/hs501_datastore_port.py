"""HS501 datastore-port-published: a datastore reachable on every host interface."""

from hipaa_scan.catalog import datastore_for
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

META = meta(
    id="HS501", name="datastore-port-published", severity="high", confidence="high",
    hipaa=["164.312(e)(1)", "164.312(a)(1)"], cwe=["CWE-668", "CWE-284"], cis=["CIS Docker 1.6.0 5.14"],
    sources=["compose", "container"],
    summary=("A datastore's port (Redis, MinIO, Postgres, MySQL, MongoDB, Elasticsearch, etcd, Milvus, Kafka, "
             "Qdrant, Chroma, Weaviate, Neo4j and more), a PHI server's (Orthanc's DICOM 4242 and REST 8042, dcm4chee, "
             "FHIR servers, OpenEMR, OpenMRS) or a log collector's (Fluentd forward 24224) published on every host "
             "interface: no host address, 0.0.0.0 or [::]."),
    description=(
        "A published port without a host address listens on every interface of the host, often the internet. "
        "Datastores hold ePHI and many ship without authentication; PHI servers (PACS, FHIR servers, EHRs) serve "
        "it, most over plain HTTP or DICOM; a log collector's forward input takes log records, which carry ePHI, "
        "from anyone. Judged by the container port and the image, so `16379:6379` on a Redis image counts; "
        "loopback binds and `expose:` do not. The catalogue is the package's data/datastores.json (dated, with its "
        "sources), extended or overridden with `datastores:` in .hipaa-scan.yaml. A PHI server's HTTPS port "
        "(OpenEMR's 443, dcm4chee's 8443) is not listed: it is how users are meant to reach it."),
    remediation=(
        "Do not publish datastore ports; let services reach them over an internal network. If the host itself must "
        "connect, bind to loopback: `127.0.0.1:6379:6379`."),
)


def check(res, ctx):
    image = str(res.image.value) if res.image is not None else None
    for port in res.ports:
        if not port.on_all_interfaces:
            continue
        product = datastore_for(ctx.datastores, image, port.container_port)
        if product:
            host = f"host port {port.host_port}" if port.host_port else "an ephemeral host port"
            yield Hit(port.loc, f"{res.label} publishes {_what(ctx, product)} port {port.container_port} on all "
                                f"interfaces ({host})", key=f"port:{port.container_port}/{port.protocol}",
                      evidence=f"{port.host_ip or '0.0.0.0'}:{port.host_port or ''}->{port.container_port}/{port.protocol}",
                      element=("ports", port.mapping))
    network = res.namespaces.get("network")
    if network is not None and str(network.value).lower() == "host":
        product = ctx.datastores.product_of_image(image)
        if product:
            yield Hit(network.loc, f"{res.label} runs {_what(ctx, product)} on the host network, so its ports are on every "
                                   "host interface", key="network:host", evidence="network_mode: host")


def _what(ctx, product):
    """`Redis`; `the PHI server Orthanc`; `the log collector Fluentd`."""
    role = ctx.datastores.role_of(product)
    return product if role == "datastore" else f"the {role} {product}"
