"""Data the rules share: the datastore catalogue (images and ports), recognised by image and container port.

Extendable from configuration: `Datastores.extended(extra)` adds products, images and ports.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

# product -> (image name patterns matched against the repository's last path components, ports)
DATASTORES: Dict[str, Tuple[Tuple[str, ...], Tuple[int, ...]]] = {
    "Redis": (("redis", "redis-stack", "redis-stack-server", "valkey", "keydb", "dragonfly", "redismod", "rejson",
               "redisearch"), (6379, 6380, 8001)),
    "MinIO": (("minio",), (9000, 9001)),
    "PostgreSQL": (("postgres", "postgresql", "postgis", "pgvector", "timescaledb", "timescaledb-ha", "supabase/postgres"),
                   (5432,)),
    "MySQL": (("mysql", "mariadb", "percona", "mysql-server"), (3306, 33060)),
    "MongoDB": (("mongo", "mongodb", "mongodb-community-server"), (27017, 27018, 27019)),
    "Elasticsearch": (("elasticsearch", "elasticsearch/elasticsearch"), (9200, 9300)),
    "OpenSearch": (("opensearch",), (9200, 9300, 9600)),
    "Kibana": (("kibana",), (5601,)),
    "etcd": (("etcd",), (2379, 2380)),
    "Milvus": (("milvus",), (19530, 9091)),
    "Memcached": (("memcached",), (11211,)),
    "RabbitMQ": (("rabbitmq",), (5672, 15672, 5671)),
    "Kafka": (("kafka", "cp-kafka", "cp-server"), (9092, 9093, 9094)),
    "ZooKeeper": (("zookeeper", "cp-zookeeper"), (2181,)),
    "Qdrant": (("qdrant",), (6333, 6334)),
    "Chroma": (("chroma", "chromadb"), (8000,)),
    "Weaviate": (("weaviate",), (8080, 50051)),
    "Neo4j": (("neo4j",), (7474, 7687)),
    "Cassandra": (("cassandra",), (9042, 7000)),
    "CouchDB": (("couchdb",), (5984,)),
    "InfluxDB": (("influxdb",), (8086,)),
    "ClickHouse": (("clickhouse-server", "clickhouse"), (8123, 9000)),
    "SQL Server": (("mssql/server", "mssql-server-linux", "azure-sql-edge"), (1433,)),
    "Oracle": (("oracle/database", "oracle-free", "oracle-xe"), (1521,)),
    "NATS": (("nats",), (4222,)),
}
# Ports distinctive enough to mark a datastore even when the image is not recognised (built locally, renamed).
DISTINCTIVE_PORTS: Dict[int, str] = {
    6379: "Redis", 5432: "PostgreSQL", 3306: "MySQL", 27017: "MongoDB", 9200: "Elasticsearch", 9300: "Elasticsearch",
    2379: "etcd", 2380: "etcd", 19530: "Milvus", 11211: "Memcached", 5672: "RabbitMQ", 15672: "RabbitMQ",
    9092: "Kafka", 2181: "ZooKeeper", 6333: "Qdrant", 7687: "Neo4j", 9042: "Cassandra", 5984: "CouchDB",
    1433: "SQL Server", 1521: "Oracle",
}


def image_repository(image: str) -> str:
    """`docker.io/bitnami/redis:7.2@sha256:…` -> `bitnami/redis` (registry host and tag dropped, lower case)."""
    ref = image.split("@", 1)[0]
    last_slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > last_slash:
        ref = ref[:colon]
    parts = ref.lower().split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts)


def image_tag(image: str) -> Tuple[Optional[str], Optional[str]]:
    """(tag, digest) of an image reference; None where absent."""
    ref, _, digest = image.partition("@")
    last_slash = ref.rfind("/")
    colon = ref.rfind(":")
    tag = ref[colon + 1:] if colon > last_slash else None
    return tag, (digest or None)


class Datastores:
    """Which images are which datastore product, and the ports that give a product away. Treated as immutable."""

    __slots__ = ("products", "distinctive", "_known")

    def __init__(self, products: Mapping[str, Tuple[Tuple[str, ...], Tuple[int, ...]]],
                 distinctive: Mapping[int, str]) -> None:
        self.products = products
        self.distinctive = distinctive
        self._known: Dict[str, Optional[str]] = {}  # image -> product: several rules ask of every service's image

    def product_of_image(self, image: Optional[str]) -> Optional[str]:
        if not image or "$" in image:
            return None
        if image in self._known:
            return self._known[image]
        if len(self._known) > 4096:
            self._known.clear()
        product = self._known[image] = self._product_of(image)
        return product

    def _product_of(self, image: str) -> Optional[str]:
        repo = image_repository(image)
        name = repo.rsplit("/", 1)[-1]
        for product, (patterns, _ports) in self.products.items():
            for pattern in patterns:
                if "/" in pattern:
                    if repo == pattern or repo.endswith("/" + pattern):
                        return product
                elif name == pattern:
                    return product
        return None

    def ports_of(self, product: str) -> Tuple[int, ...]:
        return self.products[product][1]

    def extended(self, extra: Iterable[Mapping[str, Any]]) -> "Datastores":
        products = dict(self.products)
        distinctive = dict(self.distinctive)
        for entry in extra:
            name = str(entry["name"])
            images = tuple(str(i) for i in entry.get("images", ()))
            ports = tuple(int(p) for p in entry.get("ports", ()))
            old_images, old_ports = products.get(name, ((), ()))
            products[name] = (old_images + images, old_ports + ports)
            if entry.get("distinctive"):
                for port in ports:
                    distinctive[port] = name
        return Datastores(products, distinctive)


DEFAULT_DATASTORES = Datastores(DATASTORES, DISTINCTIVE_PORTS)


def datastore_for(datastores: Datastores, image: Optional[str], container_port: Optional[int]) -> Optional[str]:
    """The datastore a published container port belongs to: by image first, else by a distinctive port."""
    if container_port is None:
        return None
    product = datastores.product_of_image(image)
    if product is not None:
        return product if container_port in datastores.ports_of(product) else None
    return datastores.distinctive.get(container_port)

