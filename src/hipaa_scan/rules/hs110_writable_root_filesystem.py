"""HS110 writable-root-filesystem: the container can write anywhere in its own file system."""

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
    id="HS110", name="writable-root-filesystem", severity="low", confidence="high",
    hipaa=["164.312(c)(1)", "164.312(a)(1)"], cwe=["CWE-732"], cis=["CIS Docker 1.6.0 5.13"],
    sources=["compose", "container"],
    summary="A service or container without `read_only: true` (`ReadonlyRootfs`): its root file system is writable.",
    description=(
        "With a writable root file system, an intruder can change the application's code, drop tools and persist "
        "in the container, and nothing shows which files it was meant to write. A read-only root file system, with "
        "volumes and tmpfs mounts for the paths that must change, protects the integrity of the software that "
        "handles ePHI (CIS Docker Benchmark 5.13; NIST SP 800-190 4.4.3 and 5.4.4). Reported once per service, at "
        "the service (or its `read_only: false` line); one-shot jobs (jobs.py), Compose overlay fragments with "
        "neither `image` nor `build`, and a `read_only: ${VAR}` a file scanned alone cannot resolve are not."),
    remediation=(
        "Add `read_only: true` to the service (`--read-only` for `docker run`), and give the paths it writes a "
        "volume or a `tmpfs:` mount (`tmpfs: [/tmp, /run]`)."),
)

TRUE = ("true", "yes", "1")


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    value = res.read_only
    if value is not None and (str(value.value).strip().lower() in TRUE or "${" in str(value.value)):
        return  # read-only, or decided by a variable this file alone does not set
    if res.one_shot or fragment(res):
        return
    if res.kind == SourceKind.CONTAINER:
        yield Hit(value.loc if value is not None else res.anchor,
                  f"{res.label} has a writable root file system (ReadonlyRootfs is false): run it with `--read-only` "
                  "and tmpfs or volumes for the paths it writes", key="read_only", evidence="ReadonlyRootfs false")
        return
    where = value.loc if value is not None else res.anchor
    said = "sets `read_only: false`" if value is not None else "does not set `read_only: true`"
    yield Hit(where, f"{res.label} {said}, so its root file system is writable: write `read_only: true` and a "
                     "`tmpfs:` or volume for each path it writes", key="read_only",
              evidence=f"read_only {value.value if value is not None else 'unset'}")
