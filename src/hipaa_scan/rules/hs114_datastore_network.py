"""HS114 datastore-network-not-isolated: a datastore shares all its networks with services that publish ports."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterator, List

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS114", name="datastore-network-not-isolated", severity="medium", confidence="high",
    hipaa=["164.312(a)(1)", "164.312(e)(1)"], cwe=["CWE-668"], cis=["CIS Docker 1.6.0 2.2"],
    sources=["compose"],
    summary=("A datastore or PHI server in a Compose project is on no `internal: true` network, and each of its "
             "networks is shared with a service that publishes ports."),
    description=(
        "A flat network lets whatever faces the outside reach the datastores directly: one compromised web front "
        "end, proxy or agent is one hop from the ePHI. Putting datastores on an `internal: true` network that only "
        "the services needing them join separates traffic by sensitivity (NIST SP 800-190 4.3.3 and 5.3.3, 4.4.2; "
        "CIS Docker Benchmark 2.2). The datastore catalogue (catalog.py, extendable with `datastores:` in the "
        "configuration) names the datastores and PHI servers, by image; a service built from source, Kibana (a "
        "user interface meant to be reached), one whose `network_mode` decides its network, and one on an "
        "`external: true` network (made elsewhere: whether it is internal is not written here) are not judged. A "
        "port published on loopback only (`127.0.0.1:8080:80`) is not a way in from outside. One finding per "
        "datastore, at its `networks:` entry or at the service when it names none (the project's `default` "
        "network)."),
    remediation=(
        "Declare a back-end network with `internal: true` (`networks: {backend: {internal: true}}`), put the "
        "datastore on it alone, and let only the services that talk to it join both it and a front-end network."),
)

NOT_JUDGED = frozenset(("Kibana",))
JUDGED_ROLES = frozenset(("datastore", "PHI server"))


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    topology = res.topology
    if topology is None or not res.networks or res.builds or res.image is None or ctx.datastores is None:
        return
    product = ctx.datastores.product_of_image(str(res.image.value))
    if product is None or product in NOT_JUDGED:
        return
    # the catalogue may give products a role (datastore, PHI server, log collector): only the first two are judged
    role_of = getattr(ctx.datastores, "role_of", None)
    if role_of is not None and role_of(product) not in JUDGED_ROLES:
        return
    me = res.name.partition(":")[2]
    shared: Dict[str, List[str]] = {}
    for net in res.networks:
        name = str(net.value)
        if name in topology.internal or name in topology.external:
            return  # isolated, or made elsewhere (`external: true`), where it may well be internal
        publishers = [s for s in topology.members.get(name, ()) if s != me and s in topology.publishing]
        if not publishers:
            return
        shared[name] = publishers
    names = ", ".join(shared)
    publishers = list(dict.fromkeys(s for found in shared.values() for s in found))
    services = ", ".join(publishers[:3]) + (f" and {len(publishers) - 3} more" if len(publishers) > 3 else "")
    where = res.networks[0].loc
    yield Hit(where, f"{res.label} ({product}) shares every network it is on ({names}) with services that publish "
                     f"ports ({services}), and none is `internal: true`: put it on an internal back-end network",
              key="networks", evidence=f"networks {names}; published by {services}")
