"""HS204 log-rotation-missing: json-file logs with no size limit."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta
from hipaa_scan.sources.kinds import SourceKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS204", name="log-rotation-missing", severity="low", confidence="high",
    hipaa=["164.306(a)(1)", "164.312(b)"], cwe=["CWE-400"], cis=["CIS Docker 1.6.0 2.13"],
    sources=["compose", "container"],
    summary=("`json-file` logging without `max-size` (or `max-size: -1`), or `local` logging with `max-size: -1`: "
             "the container's log grows without bound."),
    description=(
        "The `json-file` driver keeps everything a container writes in one file on the host, with no size limit "
        "unless `max-size` is set: a noisy or attacked service fills the disk, and the services that store and "
        "serve ePHI stop with it (availability, 164.306(a)(1)), while the audit trail itself is lost when the host "
        "runs out of space (164.312(b)). `max-file` alone rotates nothing. The `local` driver rotates by default "
        "(20 MB, 5 files), so it is reported only when `max-size` is set to -1 (unlimited). Read from a Compose "
        "service's `logging:` (when it names its driver) and a live container's `HostConfig.LogConfig`, which "
        "holds the engine's default options merged in; `docker info` does not show the engine's default options, "
        "so an engine is judged through its containers."),
    remediation=(
        "Set a size limit and a file count: `logging: {driver: json-file, options: {max-size: \"10m\", max-file: "
        "\"5\"}}`, or for all containers `\"log-opts\": {\"max-size\": \"10m\", \"max-file\": \"5\"}` in "
        "/etc/docker/daemon.json; and ship the logs to retained storage."),
)

UNLIMITED = ("-1",)


def _option(options: Any, name: str) -> Optional[str]:
    if options is None or not hasattr(options, "get"):
        return None
    value = options.get(name)
    return None if value is None or isinstance(value, (dict, list)) else str(value).strip()


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    driver = res.logging_driver
    if driver is None or res.kind not in (SourceKind.COMPOSE, SourceKind.CONTAINER):
        return
    name = str(driver.value).strip().lower()
    size = _option(res.logging_options, "max-size")
    if name == "json-file" and (size is None or size in UNLIMITED or size == ""):
        said = "without `max-size`" if not size else f"with `max-size: {size}` (unlimited)"
    elif name == "local" and size in UNLIMITED:
        said = f"with `max-size: {size}` (unlimited)"
    else:
        return
    if res.kind == SourceKind.CONTAINER:
        fix = "set `--log-opt max-size=10m --log-opt max-file=5`, or `log-opts` in the engine's daemon.json"
    else:
        fix = "write `logging.options: {max-size: \"10m\", max-file: \"5\"}`"
    yield Hit(driver.loc, f"{res.label} logs with the `{name}` driver {said}, so its log grows until the disk is "
                          f"full: {fix}", key="log-rotation", evidence=f"logging driver {name}, max-size {size or 'unset'}")
