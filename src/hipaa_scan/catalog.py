"""Data the rules share: the datastore catalogue (datastores, PHI servers and log collectors: their images, ports
and role), recognised by image and container port. The table is the package's data/datastores.json (dated, with its
sources), read once at import.

Extendable from configuration (`datastores` in .hipaa-scan.yaml): `Datastores.extended(extra)` adds products,
images and ports, or with `replace: true` replaces a product's images and ports (an empty list of both removes it).
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "datastores.json")
ROLES = ("datastore", "PHI server", "log collector")


def _load() -> Dict[str, Any]:
    with open(_DATA, encoding="utf-8") as handle:
        data: Dict[str, Any] = json.load(handle)
        return data


# data/datastores.json: each product's image name patterns (matched against the repository's last path
# components), its container ports, the ports distinctive enough to mark it whatever the image, and its role.
CATALOGUE: Dict[str, Any] = _load()
DATASTORES: Dict[str, Tuple[Tuple[str, ...], Tuple[int, ...]]] = {
    entry["name"]: (tuple(entry["images"]), tuple(entry["ports"])) for entry in CATALOGUE["products"]}
DISTINCTIVE_PORTS: Dict[int, str] = {
    port: entry["name"] for entry in CATALOGUE["products"] for port in entry.get("distinctive", ())}
PRODUCT_ROLES: Dict[str, str] = {entry["name"]: entry.get("role", "datastore") for entry in CATALOGUE["products"]}


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

    __slots__ = ("products", "distinctive", "roles", "_known")

    def __init__(self, products: Mapping[str, Tuple[Tuple[str, ...], Tuple[int, ...]]],
                 distinctive: Mapping[int, str], roles: Optional[Mapping[str, str]] = None) -> None:
        self.products = products
        self.distinctive = distinctive
        self.roles: Mapping[str, str] = roles if roles is not None else {}
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

    def role_of(self, product: str) -> str:
        """`datastore`, `PHI server` or `log collector`."""
        return self.roles.get(product, "datastore")

    def extended(self, extra: Iterable[Mapping[str, Any]]) -> "Datastores":
        products = dict(self.products)
        distinctive = dict(self.distinctive)
        roles = dict(self.roles)
        for entry in extra:
            name = str(entry["name"])
            images = tuple(str(i) for i in entry.get("images", ()))
            ports = tuple(int(p) for p in entry.get("ports", ()))
            if entry.get("replace"):
                distinctive = {port: owner for port, owner in distinctive.items() if owner != name}
                if not images and not ports:
                    products.pop(name, None)
                    roles.pop(name, None)
                    continue
                products[name] = (images, ports)
            else:
                old_images, old_ports = products.get(name, ((), ()))
                products[name] = (old_images + images, old_ports + ports)
            if entry.get("role"):
                roles[name] = str(entry["role"])
            if entry.get("distinctive"):
                for port in ports:
                    distinctive[port] = name
        return Datastores(products, distinctive, roles)


DEFAULT_DATASTORES = Datastores(DATASTORES, DISTINCTIVE_PORTS, PRODUCT_ROLES)


def datastore_for(datastores: Datastores, image: Optional[str], container_port: Optional[int]) -> Optional[str]:
    """The datastore a published container port belongs to: by image first, else by a distinctive port."""
    if container_port is None:
        return None
    product = datastores.product_of_image(image)
    if product is not None:
        return product if container_port in datastores.ports_of(product) else None
    return datastores.distinctive.get(container_port)

