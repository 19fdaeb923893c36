"""HS503 third-party-tracing-enabled: LLM tracing or telemetry that ships prompts to an outside vendor.

A tracing switch is judged together with the endpoint variable that says where traces go: LangSmith tracing
(LANGCHAIN_TRACING_V2=true) with LANGCHAIN_ENDPOINT or LANGSMITH_ENDPOINT on a self-hosted address (a compose
service, localhost, a private or any non-vendor host) keeps the traces in house and is no finding; with no endpoint,
or a vendor's, it is. An endpoint variable on its own is a finding only when it names a vendor's host.
"""

import re

from hipaa_scan.lazyre import lazy
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import label_at, meta, shorten
from hipaa_scan.secrets import mask, mask_url, secret_name

META = meta(
    id="HS503", name="third-party-tracing-enabled", severity="high", confidence="medium",
    hipaa=["164.308(b)(1)", "164.308(b)(3)", "164.314(a)(1)", "164.502(e)"], cwe=["CWE-359", "CWE-201"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("LLM tracing or telemetry that ships prompts and payloads to an outside vendor (LANGCHAIN_TRACING_V2=true "
             "with no self-hosted LANGCHAIN_ENDPOINT, LANGFUSE_HOST=https://cloud.langfuse.com and the like)."),
    description=(
        "LLM tracing services record every prompt, retrieved document and completion. When prompts carry ePHI, "
        "turning tracing on sends PHI outside the organisation's boundary, to a vendor that must then be a business "
        "associate under a signed agreement (164.308(b)(1) and (b)(3), 164.314(a); the disclosure itself is governed by "
        "the Privacy Rule, 164.502(e)). The traces usually travel over TLS: the concern is who receives them, not "
        "the transport. A tracing switch is judged with its endpoint variable: tracing to a "
        "self-hosted collector (a compose service, localhost, a private or other non-vendor host in "
        "LANGCHAIN_ENDPOINT, LANGSMITH_ENDPOINT, LANGFUSE_HOST, PHOENIX_COLLECTOR_ENDPOINT, HELICONE_BASE_URL, "
        "TRACELOOP_BASE_URL...) is not a finding; no endpoint means the vendor's hosted default."),
    remediation=(
        "Turn vendor tracing off in environments that handle ePHI, or send traces only to a self-hosted collector "
        "(set the endpoint variable to it), or confirm a business associate agreement with the vendor and document "
        "it (then suppress this finding with that justification)."),
)

TRUTHY = lazy(r"^\s*[\"']?(true|1|yes|on)[\"']?\s*$", re.IGNORECASE)

# vendor, its switches, its endpoint variables (the first set wins), its hosts, its hosted default ("" : none)
VENDORS = (
    ("LangSmith", ("LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING", "LANGSMITH_TRACING", "LANGSMITH_TRACING_V2",
                   "LANGCHAIN_TRACING_ENABLED"),
     ("LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT"), ("langchain.com", "langsmith.com"), "api.smith.langchain.com"),
    ("Langfuse", (), ("LANGFUSE_BASE_URL", "LANGFUSE_HOST"), ("langfuse.com",), ""),
    ("Arize Phoenix", (), ("PHOENIX_COLLECTOR_ENDPOINT",), ("arize.com",), ""),
    ("Helicone", (), ("HELICONE_BASE_URL",), ("helicone.ai",), ""),
    ("Traceloop", ("TRACELOOP_TRACE_CONTENT", "OPENLLMETRY_TRACE_CONTENT"), ("TRACELOOP_BASE_URL",),
     ("traceloop.com",), "api.traceloop.com"),
    ("Weights & Biases", ("WANDB_LOG_MODEL",), ("WANDB_BASE_URL",), ("wandb.ai",), "api.wandb.ai"),
    ("LangWatch", ("LANGWATCH_ENABLED",), ("LANGWATCH_ENDPOINT",), ("langwatch.ai",), "app.langwatch.ai"),
    ("AgentOps", ("AGENTOPS_ENABLED",), ("AGENTOPS_API_ENDPOINT",), ("agentops.ai",), "api.agentops.ai"),
    ("Datadog", ("DD_LLMOBS_ENABLED",), (), ("datadoghq.com", "datadoghq.eu", "ddog-gov.com"), "Datadog"),
)
# Endpoint variables of generic clients that a vendor's host turns into tracing (a proxy such as Helicone's, or an
# OpenTelemetry exporter pointed at a SaaS backend).
GENERIC_ENDPOINTS = ("OPENAI_BASE_URL", "OPENAI_API_BASE", "OTEL_EXPORTER_OTLP_ENDPOINT",
                     "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
OTHER_HOSTS = (("Honeycomb", ("honeycomb.io",)), ("New Relic", ("newrelic.com",)), ("Lightstep", ("lightstep.com",)))
SENTRY_HOSTS = ("sentry.io",)

SWITCHES = {name: vendor for vendor in VENDORS for name in vendor[1]}
ENDPOINTS = {name: vendor for vendor in VENDORS for name in vendor[2]}
VENDOR_HOSTS = tuple((v[0], v[3]) for v in VENDORS) + OTHER_HOSTS
WATCHED = set(SWITCHES) | set(ENDPOINTS) | set(GENERIC_ENDPOINTS) | {"SENTRY_DSN"}
# Every domain the rule looks for. A URL whose text holds none of them has none of them as its host: most
# self-hosted endpoints are told so without urllib.parse, which is loaded (with ipaddress) only for the others.
KNOWN_DOMAINS = tuple(d for _vendor, domains in VENDOR_HOSTS for d in domains) + SENTRY_HOSTS


def _host(url):
    """The URL's host name in lower case; "" when it has none, or when it cannot be on any of KNOWN_DOMAINS."""
    text = url.strip().strip("\"'")
    # urlsplit drops tabs and line breaks, then takes the host name from what is left, and it is lower-cased
    folded = text.lower().replace("\t", "").replace("\r", "").replace("\n", "")
    if not any(domain in folded for domain in KNOWN_DOMAINS):
        return ""
    from urllib.parse import urlsplit

    if "://" not in text:
        text = "//" + text
    try:
        return (urlsplit(text).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _on(host, domains):
    return any(host == d or host.endswith("." + d) for d in domains)


def _vendor_of(host):
    for vendor, domains in VENDOR_HOSTS:
        if _on(host, domains):
            return vendor
    return None




def _shown(var):
    return mask(var.value) if secret_name(var.name) else shorten(mask_url(var.value))


def check(res, ctx):
    variables = [v for v in res.env if v.name in WATCHED and v.value is not None]
    if not variables:
        return
    runtime = {}
    for var in res.runtime_env or res.env:  # the container's environment: the last definition wins
        runtime[var.name] = var
    for var in variables:
        who = label_at(res, var.loc)
        if var.name in SWITCHES:
            if TRUTHY.match(var.value):
                hit = _switch(who, var, SWITCHES[var.name], runtime)
                if hit is not None:
                    yield hit
            continue
        host = _host(var.value)
        if var.name == "SENTRY_DSN":
            if _on(host, SENTRY_HOSTS):
                yield Hit(var.loc, f"{who} sends error events (which carry request data) to Sentry's hosted service "
                                   f"({var.name})", key=f"env:{var.name}", evidence=f"{var.name}={_shown(var)}")
            continue
        vendor = _vendor_of(host)
        if vendor is not None:
            yield Hit(var.loc, f"{who} sends LLM traces to a third party, {vendor} ({var.name}={_shown(var)})",
                      key=f"env:{var.name}", evidence=f"{var.name}={_shown(var)}")


def _switch(who, var, vendor, runtime):
    """A tracing switch that is on: a finding unless its endpoint is self-hosted."""
    name, _switches, endpoints, domains, default = vendor
    setting = f"{var.name}={_shown(var)}"
    endpoint = next((runtime[e] for e in endpoints if e in runtime and (runtime[e].value or "").strip()), None)
    if endpoint is None:
        where = f"{name}'s hosted service" if default else name
        unset = f", and no {' or '.join(endpoints)} names a self-hosted endpoint" if endpoints else ""
        return Hit(var.loc, f"{who} sends LLM traces to a third party, {where} ({setting}{unset})",
                   key=f"env:{var.name}", evidence=setting)
    value = endpoint.value or ""
    if "$" in value:  # not resolved here: it may be the vendor's
        return Hit(var.loc, f"{who} sends LLM traces to a third party unless {endpoint.name} (not resolved here) "
                            f"names a self-hosted endpoint ({setting})", key=f"env:{var.name}", evidence=setting)
    host = _host(value)
    if _on(host, domains) or _vendor_of(host) is not None:
        return Hit(var.loc, f"{who} sends LLM traces to a third party, {_vendor_of(host) or name} ({setting}, "
                            f"{endpoint.name} points at {host})", key=f"env:{var.name}", evidence=setting)
    return None  # a self-hosted collector: the traces stay in house
