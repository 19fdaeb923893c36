"""HS111 capabilities-not-dropped: the container keeps Docker's default capability set."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import fragment, meta
from hipaa_scan.sources.kinds import SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS111", name="capabilities-not-dropped", severity="low", confidence="high",
    hipaa=["164.312(a)(1)"], cwe=["CWE-250"], cis=["CIS Docker 1.6.0 5.4"],
    sources=["compose", "container"],
    summary="No `cap_drop: [ALL]` (`CapDrop` without ALL): the container keeps Docker's default capabilities.",
    description=(
        "Docker gives every container a default set of Linux capabilities (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, "
        "SETGID, NET_RAW, NET_BIND_SERVICE, KILL and more) that most services never use. Each is a privilege an "
        "intruder inherits: reading files regardless of their permissions, forging packets on the network, "
        "changing user. Least privilege is part of the access control standard (CIS Docker Benchmark 5.4; NIST SP "
        "800-190 4.4.3 and 5.4.3). Reported once per service, at the service (or its `cap_drop:` line when that "
        "does not drop ALL); one-shot jobs, Compose overlay fragments and privileged containers (HS102 owns those: "
        "a privileged container has every capability whatever it drops) are not."),
    remediation=(
        "Add `cap_drop: [ALL]` to the service (`--cap-drop ALL`), then add back with `cap_add:` only the "
        "capabilities it is shown to need (for example NET_BIND_SERVICE to listen below port 1024)."),
)

TRUE = ("true", "yes", "1")


def _name(cap: object) -> str:
    name = str(cap).strip().upper()
    return name[4:] if name.startswith("CAP_") else name


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    if any(_name(cap.value) == "ALL" or "${" in str(cap.value) for cap in res.cap_drop):
        return  # ALL dropped, or a variable this file alone does not set decides
    if res.privileged is not None and str(res.privileged.value).strip().lower() in TRUE:
        return
    if res.one_shot or fragment(res):
        return
    dropped = ", ".join(_name(cap.value) for cap in res.cap_drop)
    where = res.cap_drop[0].loc if res.cap_drop else res.anchor
    if res.kind == SourceKind.CONTAINER:
        said = f"drops only {dropped}" if dropped else "drops no capability"
        yield Hit(where, f"{res.label} {said}, so it keeps Docker's default capabilities: run it with "
                         "`--cap-drop ALL` and `--cap-add` for each one it needs", key="cap_drop",
                  evidence=f"CapDrop {dropped or 'empty'}")
        return
    said = f"drops only {dropped}" if dropped else "does not drop capabilities"
    yield Hit(where, f"{res.label} {said}, so it keeps Docker's default capabilities: write `cap_drop: [ALL]` and "
                     "add back with `cap_add:` only those it needs", key="cap_drop",
              evidence=f"cap_drop {dropped or 'unset'}")
