"""HS506 phi-egress-to-llm-vendor: an LLM inference vendor's API configured, with no self-hosted or BAA-covered
endpoint in its place.

The vendors, their key and base-URL variables and their hosts are the package's data/llm_vendors.json (dated, with
its sources); a project adds to them with the rule's options.
"""

from __future__ import annotations

from hipaa_scan.images import catalogue
from hipaa_scan.model import Hit
from hipaa_scan.rules.base import RuleOption, label_at, meta
from hipaa_scan.secrets import is_placeholder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, List, Optional, Tuple

    from hipaa_scan.model import EnvVar, Resource
    from hipaa_scan.rules.base import RuleContext

META = meta(
    id="HS506", name="phi-egress-to-llm-vendor", severity="medium", confidence="medium",
    hipaa=["164.308(b)(1)", "164.308(b)(3)", "164.314(a)(1)", "164.502(e)"], cwe=["CWE-359", "CWE-201"],
    sources=["dockerfile", "compose", "env", "container"],
    summary=("An LLM inference vendor configured (OpenAI, Anthropic, Cohere, Mistral, Google AI Studio, Groq, "
             "Together and others): its API key set with no base URL naming a self-hosted or BAA-covered endpoint."),
    description=(
        "A service holding an LLM vendor's API key sends its prompts, and the patient notes, transcripts or "
        "records retrieved into them, to that vendor. Under HIPAA the vendor is then a business associate: the "
        "disclosure needs a business associate agreement signed and on record (164.308(b)(1), (b)(3) and "
        "164.314(a); 164.502(e) of the Privacy Rule). A configuration cannot show the agreement, so the finding "
        "asks for the evidence. The vendors, their SDKs' key and base-URL variables and their API hosts are the "
        "package's data/llm_vendors.json (dated, with sources). A key is not reported when a base-URL variable of "
        "the same client names another endpoint: a self-hosted model server (vLLM, Ollama, a service of the "
        "project, a private or unknown host, such as an in-house gateway) or a BAA-capable cloud platform. Azure "
        "OpenAI, Amazon Bedrock and Google Vertex AI count as BAA-capable: they are offered under the cloud "
        "provider's business associate agreement, so their keys (`AZURE_OPENAI_API_KEY`, `OPENAI_API_TYPE=azure`) "
        "and hosts are not reported; the agreement with that provider must still exist. A base URL on another "
        "vendor's host (an OpenAI client pointed at Groq) is reported as that vendor. Empty values, placeholders "
        "and example files (`.env.example`) configure nothing and are not reported; a key passed through from the "
        "deploying shell (`- OPENAI_API_KEY`, an unset `${OPENAI_API_KEY}`) is judged by the live audit, which sees "
        "the container's real environment. Google's generic `GOOGLE_API_KEY` is not read: it serves many Google "
        "APIs besides Gemini."),
    remediation=(
        "Use a self-hosted model, or a BAA-covered platform (Azure OpenAI, Amazon Bedrock, Google Vertex AI) under "
        "a signed agreement, by pointing the client's base URL at it. If the vendor itself has signed a business "
        "associate agreement with you (OpenAI and Anthropic offer one for their APIs), keep it on record and "
        "suppress this finding with that reason (`# hipaa-scan: ignore[HS506] BAA signed 2026-01-15, ref ...`, or "
        "a baseline entry with `--reason`), so the report carries the evidence."),
    options=[
        RuleOption("key_variables", "strings", [],
                   "More API key variables, each `NAME=Vendor` (e.g. `ACME_LLM_KEY=Acme AI`)."),
        RuleOption("vendor_hosts", "strings", [],
                   "More vendor API hosts, each `host=Vendor` (a host and its subdomains), for base URLs."),
    ],
)

_TABLES: Dict[Tuple[Tuple[str, ...], Tuple[str, ...]], "Tables"] = {}


class Tables:
    """data/llm_vendors.json indexed: key variable -> vendor, base-URL variables per vendor, host -> vendor."""

    __slots__ = ("keys", "base_urls", "hosts", "baa_keys", "baa_hosts", "domains")

    def __init__(self, data: Dict[str, Any], key_variables: Tuple[str, ...], vendor_hosts: Tuple[str, ...]) -> None:
        self.keys: Dict[str, str] = {}
        self.base_urls: Dict[str, List[str]] = {}
        self.hosts: List[Tuple[str, str]] = []
        for vendor in data["vendors"]:
            for key in vendor["keys"]:
                self.keys[key] = vendor["name"]
            self.base_urls[vendor["name"]] = list(vendor["base_urls"])
            self.hosts.extend((host.lower(), vendor["name"]) for host in vendor["hosts"])
        for item in key_variables:
            name, _, vendor = item.partition("=")
            if name.strip():
                self.keys[name.strip()] = vendor.strip() or name.strip()
        for item in vendor_hosts:
            host, _, vendor = item.partition("=")
            if host.strip():
                self.hosts.append((host.strip().lower(), vendor.strip() or host.strip()))
        self.baa_keys = {key: entry["name"] for entry in data["baa_capable"] for key in entry["keys"]}
        self.baa_hosts = [(host.lower(), entry["name"]) for entry in data["baa_capable"] for host in entry["hosts"]]
        # the literal parts of every host: a URL holding none of them is on none of them (no URL parsing needed)
        self.domains = tuple({part for host, _v in self.hosts + self.baa_hosts for part in host.split("*") if part})


def _tables(ctx: RuleContext) -> Tables:
    options = (tuple(ctx.options.get("key_variables", ())), tuple(ctx.options.get("vendor_hosts", ())))
    tables = _TABLES.get(options)
    if tables is None:
        if len(_TABLES) > 16:
            _TABLES.clear()
        tables = _TABLES[options] = Tables(catalogue("llm_vendors.json"), *options)
    return tables


def _host(url: str, tables: Tables) -> str:
    """The URL's host name in lower case; "" when it has none or cannot be on any known host."""
    text = url.strip().strip("\"'")
    folded = text.lower()
    if not any(domain in folded for domain in tables.domains):
        return ""
    from urllib.parse import urlsplit

    if "://" not in text:
        text = "//" + text
    try:
        return (urlsplit(text).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _on(host: str, pattern: str) -> bool:
    if "*" in pattern:
        from fnmatch import fnmatchcase

        return fnmatchcase(host, pattern)
    return host == pattern or host.endswith("." + pattern)


def _vendor_of(host: str, pairs: List[Tuple[str, str]]) -> Optional[str]:
    return next((vendor for pattern, vendor in pairs if host and _on(host, pattern)), None)


def _configured(value: Optional[str]) -> bool:
    """A key that is there: not empty, not unresolved, not a placeholder."""
    if value is None:
        return False
    text = value.strip().strip("\"'")
    return bool(text) and "$" not in text and not is_placeholder(text)


def check(res: Resource, ctx: RuleContext) -> Iterator[Hit]:
    if res.example:
        return  # an example file shows what to set; it configures nothing
    extra = ctx.options.get("key_variables") or ()
    # every key variable of the table ends so; the table is loaded only when some variable could be one
    candidates = [v for v in res.env if v.name.endswith(("KEY", "TOKEN")) or extra]
    if not candidates:
        return
    tables = _tables(ctx)
    candidates = [v for v in candidates if v.name in tables.keys and _configured(v.value)]
    if not candidates:
        return
    runtime: Dict[str, EnvVar] = {}
    for var in res.runtime_env or res.env:  # the container's environment: the last definition wins
        runtime[var.name] = var
    reported = set()
    for var in candidates:
        if var.name in reported:
            continue
        reported.add(var.name)
        hit = _judge(res, var, tables.keys[var.name], tables, runtime)
        if hit is not None:
            yield hit


def _judge(res: Resource, var: EnvVar, vendor: str, tables: Tables, runtime: Dict[str, EnvVar]) -> Optional[Hit]:
    who = label_at(res, var.loc)
    if vendor == "OpenAI":
        api_type = runtime.get("OPENAI_API_TYPE")
        if api_type is not None and (api_type.value or "").strip().strip("\"'").lower().startswith("azure"):
            return None  # the OpenAI SDK talking to Azure OpenAI
    names = tables.base_urls.get(vendor, [])
    base = next((runtime[n] for n in names if n in runtime and (runtime[n].value or "").strip()), None)
    if base is None:
        unset = f"no {' or '.join(names[:2])} names" if names else "no base URL can name"
        return Hit(var.loc, f"{who} configures {vendor} ({var.name} is set) and {unset} a self-hosted or "
                            f"BAA-covered endpoint: prompts, and any PHI in them, go to {vendor}, which needs a "
                            "business associate agreement on record", key=f"env:{var.name}",
                   evidence=f"{var.name} set")
    value = base.value or ""
    if "$" in value:
        return Hit(var.loc, f"{who} configures {vendor} ({var.name} is set), and {base.name} (not resolved here) "
                            f"may not name a self-hosted or BAA-covered endpoint: prompts, and any PHI in them, "
                            f"may go to {vendor}, which needs a business associate agreement on record",
                   key=f"env:{var.name}", evidence=f"{var.name} set")
    host = _host(value, tables)
    if _vendor_of(host, tables.baa_hosts) is not None:
        return None
    other = _vendor_of(host, tables.hosts)
    if other is None:
        return None  # a self-hosted server or an in-house gateway
    return Hit(var.loc, f"{who} configures {other} ({var.name} is set, {base.name} points at {other}'s API): "
                        f"prompts, and any PHI in them, go to {other}, which needs a business associate agreement "
                        "on record", key=f"env:{var.name}", evidence=f"{var.name} set")
