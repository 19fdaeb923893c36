"""HS201 audit-retention-too-short: audit logs are kept for less than the organisation's retention policy.

HIPAA sets no retention period for audit logs: 164.312(b) asks for audit controls, not a period. The threshold is
therefore the organisation's policy (option `min_days`, 2,555 days, seven years, by default: a common state-law and
organisational figure). The six years of 164.316(b)(2)(i) apply to the Security Rule's documentation, which records
of activities such as audit trails are commonly held to include; a finding cites it only when the retention is
below six years (2,191 days). Only settings named for audit logs count: request, access, application and trace logs
are not audit logs.
"""

import functools
import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, RuleOption, meta

META = meta(
    id="HS201", name="audit-retention-too-short", severity="medium", confidence="medium",
    hipaa=["164.312(b)", "164.308(a)(1)(ii)(D)", "164.316(b)(2)(i)"], cwe=["CWE-778"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("An audit-log retention setting (AUDIT_LOG_RETENTION_DAYS, AUDIT_RETENTION=P6Y and the like) is below "
             "the organisation's retention policy (option `min_days`, default 2555 days)."),
    description=(
        "Audit controls (164.312(b)) and the review of system activity (164.308(a)(1)(ii)(D)) need the audit trail "
        "to exist when an investigation or an assessor asks for it. HIPAA itself sets no retention period for audit "
        "logs; the threshold is your retention policy, seven years (2555 days) by default, a common organisational "
        "and state-law figure. Security Rule documentation must be kept six years (164.316(b)(2)(i)), so a "
        "retention under six years (2191 days) is also cited against that paragraph. Values are read as days, as "
        "the unit the name gives (`_HOURS`, `_WEEKS`...), as a duration (`7y`, `2555d`, `90 days`, `720h`) or as an "
        "ISO 8601 duration (`P6Y`, `P2555D`, `P7Y6M`, `PT8760H`), in variables and in command-line flags such as "
        "kube-apiserver's `--audit-log-maxage`. Only settings named for audit logs count: request, "
        "access, application and trace logs, data retention and compaction are not audit retention and are not "
        "judged; 0 and negative values (often \"keep forever\") are left alone."),
    remediation=("Set the audit-log retention to at least your retention policy (option `min_days`, default 2555 "
                 "days), or archive audit logs to storage that keeps them that long."),
    options=[RuleOption("min_days", "integer", 2555,
                        "Your audit-log retention policy in days: shorter retention is reported (default 2555).",
                        minimum=1)],
)

# Names that set how long audit logs are kept: the name says audit (AUDIT_LOG_RETENTION_DAYS, AUDITLOG_MAX_AGE,
# audit.retention), and a retention word. Request, access, application and trace logs are not audit logs, and data
# retention, compaction, sizes, counts, intervals and switches are not a retention period.
AUDIT = lazy(r"AUDIT", re.IGNORECASE)
RETENTION = lazy(r"RETENTION|RETAIN|(^|[_.\-])TTL([_.\-]|$)|MAX[_.\-]?AGE|KEEP([_.\-]?(DAYS|FOR|HOURS|WEEKS|MONTHS"
                 r"|YEARS))?([_.\-]|$)|EXPIR|HISTORY[_.\-]?(DAYS|HOURS|WEEKS|MONTHS|YEARS)|(PURGE|DELETE)[_.\-]?AFTER",
                 re.IGNORECASE)
NOT_AUDIT = lazy(r"COMPACTION|DATA[_.\-]RETENTION|CACHE|SESSION|TOKEN|BACKUP|SNAPSHOT|METRIC|TRACE"
                 r"|KEEP[_.\-]?ALIVE|^KAFKA_(CFG_)?LOG_|INTERVAL|FREQUENCY|TIMEOUT|DELAY|FLUSH|SIZE|BYTES"
                 r"|(^|[_.\-])(KB|MB|GB|COUNT|FILES|NUM|NUMBER|PERCENT|PCT|RATIO)([_.\-]|$)|ENABLE|DISABLE|CHECK",
                 re.IGNORECASE)
UNIT_IN_NAME = lazy(r"(?:^|[_.\-])(MILLISECONDS|MILLIS|MS|SECONDS|SECS|SEC|MINUTES|MINS|HOURS|HRS|DAYS|WEEKS|MONTHS"
                    r"|YEARS|S|M|H|D|W|Y)$", re.IGNORECASE)
NUMBER = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
BARE = lazy(rf"^\s*({NUMBER})\s*$")
# `7y`, `2555d`, `90 days`, `720h`, `8760h0m0s`, `1y 6mo`, `2 years and 6 months`
PART = lazy(rf"\s*(?:,|and)?\s*({NUMBER})\s*([a-z]+)\.?", re.IGNORECASE)
# ISO 8601: P6Y, P2555D, P7Y6M, P1Y2M10D, P52W, PT8760H, P1Y2M10DT2H30M
ISO = lazy(r"^\s*P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?"
           r"(?:T(?=\d)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?\s*$", re.IGNORECASE)
YEAR, MONTH = 365.25, 365.25 / 12
ISO_DAYS = (YEAR, MONTH, 7, 1, 1 / 24, 1 / 1440, 1 / 86400)
DAYS_PER = {
    "ms": 1 / 86400000, "millis": 1 / 86400000, "millisecond": 1 / 86400000, "milliseconds": 1 / 86400000,
    "s": 1 / 86400, "sec": 1 / 86400, "secs": 1 / 86400, "second": 1 / 86400, "seconds": 1 / 86400,
    "m": 1 / 1440, "min": 1 / 1440, "mins": 1 / 1440, "minute": 1 / 1440, "minutes": 1 / 1440,
    "h": 1 / 24, "hr": 1 / 24, "hrs": 1 / 24, "hour": 1 / 24, "hours": 1 / 24,
    "d": 1, "day": 1, "days": 1, "w": 7, "wk": 7, "wks": 7, "week": 7, "weeks": 7,
    "mo": MONTH, "mon": MONTH, "mos": MONTH, "month": MONTH, "months": MONTH,
    "y": YEAR, "yr": YEAR, "yrs": YEAR, "year": YEAR, "years": YEAR,
}
SIX_YEARS = 2191  # 164.316(b)(2)(i): documentation is retained six years
DOCUMENTATION = "164.316(b)(2)(i)"


@functools.lru_cache(maxsize=4096)  # the same variable names recur in every file of a tree
def is_audit_retention(name):
    return bool(AUDIT.search(name)) and bool(RETENTION.search(name)) and not NOT_AUDIT.search(name)


def _number(text):
    return float(text.replace(",", "")) if "," not in text or len(text.split(",")[-1]) == 3 else \
        float(text.replace(",", "."))


def days(name, value):
    """The retention in days, or None when the value is not a duration this rule can read."""
    value = (value or "").strip().strip("\"'")
    if not value or len(value) > 64:
        return None
    iso = ISO.match(value)
    if iso:
        return sum(_number(part) * factor for part, factor in zip(iso.groups(), ISO_DAYS) if part)
    bare = BARE.match(value)
    if bare:
        name_unit = UNIT_IN_NAME.search(name)
        unit = name_unit.group(1).lower() if name_unit else "d"
        if unit == "m":  # a name ending in _M is minutes or months: too ambiguous to judge
            return None
        return _number(bare.group(1)) * DAYS_PER[unit]
    total, at, previous = 0.0, 0, ""
    for match in PART.finditer(value):
        if match.start() != at:
            return None
        unit = match.group(2).lower()
        if unit == "and":
            return None
        if unit == "m" and previous in ("y", "yr", "yrs", "year", "years"):
            unit = "mo"  # `1y6m`: months after years; otherwise minutes, as in `1h30m`
        factor = DAYS_PER.get(unit)
        if factor is None:
            return None
        total += _number(match.group(1)) * factor
        at, previous = match.end(), unit
    return total if at and at == len(value.rstrip()) else None


def check(res, ctx):
    policy = float(ctx.options["min_days"])
    for var in res.env:
        if var.value is not None and is_audit_retention(var.name):
            yield from _judge(res, var.name, var.value, var.loc, f"env:{var.name}", policy, var.name)
    for name, value, loc in _flags(res.command):
        yield from _judge(res, name, value, loc, f"arg:{name}", policy, "--" + name)


def _flags(tokens):
    """Audit retention given as a command-line flag: `--audit-log-maxage=30` (kube-apiserver, in days) or
    `--audit-log-maxage 30`."""
    for i, token in enumerate(tokens):
        word = str(token.value)
        if not word.startswith("-"):
            continue
        name, eq, value = word.partition("=")
        name = name.lstrip("-")
        if not name or not is_audit_retention(name):
            continue
        if not eq:
            if i + 1 >= len(tokens) or str(tokens[i + 1].value).startswith("-"):
                continue
            value = str(tokens[i + 1].value)
        yield name, value, token.loc


def _judge(res, name, value, loc, key, policy, shown):
    value_days = days(name, value)
    if value_days is None or value_days <= 0:  # 0 and negatives often mean "keep forever"
        return
    if value_days < policy:
        written = f"{shown}={value.strip()}"
        message = (f"{label_at(res, loc)} keeps audit logs {_fmt(value_days)} ({written}), below the "
                   f"configured {_int(policy)}-day retention policy")
        cites = ["164.312(b)", "164.308(a)(1)(ii)(D)"]
        if value_days < SIX_YEARS:
            message += f", and under the six years {DOCUMENTATION} sets for keeping Security Rule documentation"
            cites.append(DOCUMENTATION)
        yield Hit(loc, message, key=key, evidence=written, hipaa=tuple(cites))


def _int(number):
    return f"{int(number)}" if number == int(number) else f"{number:g}"


def _fmt(days_):
    """A duration for people: days, or hours when under a day."""
    if days_ < 1:
        hours = days_ * 24
        return f"{hours:.3g} hours"
    return f"{int(days_)} days" if days_ == int(days_) else f"{days_:.1f} days"
