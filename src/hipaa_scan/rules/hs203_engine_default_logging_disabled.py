"""HS203 engine-default-logging-disabled: the engine's default logging driver is `none`."""

from __future__ import annotations

from hipaa_scan.model import Hit
from hipaa_scan.rules.base import meta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from hipaa_scan.model import Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS203", name="engine-default-logging-disabled", severity="high", confidence="high",
    hipaa=["164.312(b)", "164.308(a)(1)(ii)(D)"], cwe=["CWE-778"], cis=["CIS Docker 1.6.0 2.13"],
    sources=["engine"],
    summary="`docker info` reports the default logging driver `none`: containers that set no driver keep no logs.",
    description=(
        "Audit controls must record activity in systems that contain or use ePHI. With the engine-wide default "
        "`none`, every container started without its own `--log-driver` writes its output nowhere: access logs, "
        "errors and application audit trails are discarded as they are written."),
    remediation=(
        "Set a default logging driver that keeps logs (`\"log-driver\": \"json-file\"` with rotation, `journald`, "
        "`syslog`, `fluentd`, `awslogs`...) in /etc/docker/daemon.json, restart the engine, and ship the logs to "
        "retained storage."),
)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    driver = res.logging_driver
    if driver is not None and str(driver.value).strip().lower() == "none":
        yield Hit(driver.loc, f"{res.label} uses the default logging driver `none`: containers without their own "
                              "driver keep no logs", key="logging_driver", evidence="LoggingDriver none")
