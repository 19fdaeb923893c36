"""HS201 audit-retention-too-short: audit logs are kept for less than the required time."""

import functools
import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, RuleOption, meta

META = meta(
    id="HS201", name="audit-retention-too-short", severity="medium", confidence="medium",
    hipaa=["164.312(b)", "164.316(b)(2)(i)"], cwe=["CWE-778"],
    sources=["dockerfile", "compose", "env", "container"],
    summary="An audit-log retention setting (AUDIT_LOG_RETENTION_DAYS and the like) is below the minimum (2555 days).",
    description=(
        "Audit controls record activity in systems that hold ePHI, and HIPAA documentation must be kept six years; "
        "organisations commonly keep audit trails six to seven years. A shorter retention silently destroys the "
        "evidence an investigation or an assessor will ask for. Data-retention and compaction settings are not "
        "audit retention and are not judged."),
    remediation="Set the audit-log retention to at least the minimum (option `min_days`, default 2555) or archive audit logs to storage that keeps them that long.",
    options=[RuleOption("min_days", "integer", 2555, "Minimum audit-log retention in days (default 2555).",
                        minimum=1)],
)

# Names that set how long audit logs are kept. Data retention and compaction are something else, and so is a
# Kafka broker's "log" (its topic data: KAFKA_LOG_RETENTION_HOURS, KAFKA_CFG_LOG_RETENTION_MS).
AUDIT = lazy(r"AUDIT", re.IGNORECASE)
LOGS = lazy(r"(^|[_.\-])(LOG|LOGS|LOGGING)([_.\-]|$)", re.IGNORECASE)
RETENTION = lazy(r"RETENTION|RETAIN|(^|[_.\-])TTL([_.\-]|$)|MAX[_.\-]?AGE|KEEP[_.\-]?(DAYS|FOR)?|EXPIR", re.IGNORECASE)
NOT_AUDIT = lazy(r"COMPACTION|DATA[_.\-]RETENTION|CACHE|SESSION|TOKEN|BACKUP|SNAPSHOT|METRIC|TRACE"
                 r"|KEEP[_.\-]?ALIVE|^KAFKA_(CFG_)?LOG_", re.IGNORECASE)
UNIT_IN_NAME = lazy(r"(MILLISECONDS|MILLIS|_MS|SECONDS|SECS|SEC|MINUTES|MINS|HOURS|HRS|DAYS|WEEKS|MONTHS|YEARS"
                    r"|_S|_M|_H|_D|_W|_Y)$", re.IGNORECASE)
VALUE = lazy(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
DAYS_PER = {
    "ms": 1 / 86400000, "millis": 1 / 86400000, "milliseconds": 1 / 86400000,
    "s": 1 / 86400, "sec": 1 / 86400, "secs": 1 / 86400, "second": 1 / 86400, "seconds": 1 / 86400,
    "m": 1 / 1440, "min": 1 / 1440, "mins": 1 / 1440, "minute": 1 / 1440, "minutes": 1 / 1440,
    "h": 1 / 24, "hr": 1 / 24, "hrs": 1 / 24, "hour": 1 / 24, "hours": 1 / 24,
    "d": 1, "day": 1, "days": 1, "w": 7, "week": 7, "weeks": 7,
    "mo": 30.4375, "mon": 30.4375, "month": 30.4375, "months": 30.4375,
    "y": 365.25, "yr": 365.25, "yrs": 365.25, "year": 365.25, "years": 365.25,
}


@functools.lru_cache(maxsize=4096)  # the same variable names recur in every file of a tree
def is_audit_retention(name):
    return (bool(AUDIT.search(name)) or bool(LOGS.search(name))) and bool(RETENTION.search(name)) \
        and not NOT_AUDIT.search(name)


def days(name, value):
    """The retention in days, or None when the value is not a duration."""
    match = VALUE.match(value or "")
    if not match:
        return None
    amount, unit = float(match.group(1)), match.group(2).lower()
    if not unit:
        name_unit = UNIT_IN_NAME.search(name)
        unit = name_unit.group(1).lower().lstrip("_") if name_unit else "d"
    if unit == "m" and not match.group(2):  # a name ending in _M is minutes or months: too ambiguous to judge
        return None
    factor = DAYS_PER.get(unit)
    return amount * factor if factor is not None else None


def check(res, ctx):
    minimum = float(ctx.options["min_days"])
    for var in res.env:
        if var.value is None or not is_audit_retention(var.name):
            continue
        value_days = days(var.name, var.value)
        if value_days is None or value_days <= 0:  # 0 and negatives often mean "keep forever"
            continue
        if value_days < minimum:
            yield Hit(var.loc, f"{label_at(res, var.loc)} keeps audit logs {_fmt(value_days)} "
                               f"({var.name}={var.value.strip()}), below the {int(minimum)}-day minimum",
                      key=f"env:{var.name}",
                      evidence=f"{var.name}={var.value.strip()}")


def _fmt(days_):
    """A duration for people: days, or hours when under a day."""
    if days_ < 1:
        hours = days_ * 24
        return f"{hours:.3g} hours"
    return f"{int(days_)} days" if days_ == int(days_) else f"{days_:.1f} days"
