"""HS503 and HS306 read hosts and addresses with urllib.parse and ipaddress, which they import only when a value
needs them (tests/test_startup.py). These tests pin the verdicts: the same as parsing every value."""

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hipaa_scan.rules import hs306_insecure_registry as hs306
from hipaa_scan.rules import hs503_third_party_tracing as hs503


def parsed_host(url):
    """HS503's host before its substring test: every value through urlsplit."""
    text = url.strip().strip("\"'")
    if "://" not in text:
        text = "//" + text
    try:
        return (urlsplit(text).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def verdicts(host):
    """All that HS503 asks of a host: which vendor's it is, whether it is Sentry's, whether each vendor's domains."""
    return (hs503._vendor_of(host), hs503._on(host, hs503.SENTRY_HOSTS),
            tuple(hs503._on(host, vendor[3]) for vendor in hs503.VENDORS))


def assert_same_as_parsed(url):
    expected = parsed_host(url)
    assert verdicts(hs503._host(url)) == verdicts(expected), url
    if any(verdicts(expected)[:2]) or any(verdicts(expected)[2]):
        assert hs503._host(url) == expected, url  # a vendor's host is named in the message


ENDPOINTS = [
    "http://langfuse-web:3000", "http://localhost:1984", "http://10.20.0.7:1984/api", "http://192.168.10.4:3000",
    "https://langsmith.internal.example.com", "http://otel-collector:4317", "http://[::1]:4318", "[fe80::1%eth0]:80",
    "https://cloud.langfuse.com", "https://us.cloud.langfuse.com", "cloud.langfuse.com", "CLOUD.LANGFUSE.COM:443",
    "https://eu.api.smith.langchain.com", "https://api.smith.langchain.com.", "https://langfuse.com.evil.example",
    "https://notlangfuse.com", "https://user:pw@cloud.langfuse.com/x", "https://cloud.langfuse.com@self.example",
    "https://self.example/?next=https://cloud.langfuse.com", "https://self.example#cloud.langfuse.com",
    "https://oai.helicone.ai/v1", "https://api.honeycomb.io", "https://otlp.nr-data.net", "https://otlp.newrelic.com",
    "https://0123@o1.ingest.us.sentry.io/45", "https://sentry.example.com/1", "https://cloud.lang\tfuse.com",
    "https://cloud.langfuse.\ncom", "\"https://cloud.langfuse.com\"", "'http://phoenix:6006'",
    "  https://app.langwatch.ai ",
    "https://[cloud.langfuse.com]", "https://cloud.langfuse.com:99999", "https://cloud.langfuse.com:port",
    "http://[::1", "https://api.\u212aangfuse.com", "https://cloud.langfuse.com\u3002", "", "   ", "://", "${HOST}",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_hs503_hosts_are_judged_as_when_every_url_is_parsed(url):
    assert_same_as_parsed(url)


FRAGMENTS = ["http://", "https://", "//", "user:pw@", "@", "cloud.", "api.smith.", "langfuse.com", "LangFuse.Com",
             "langchain.com", "sentry.io", "helicone.ai", "datadoghq.eu", ".", ":", "443", "[", "]", "::1", "\t", "\n",
             "\r", "/", "?", "#", "%", " ", "\"", "'", "x", "-", "\u212a", "\u0130", "\u3002", "\x00"]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join), st.text(max_size=40)))
def test_hs503_any_url_is_judged_as_when_parsed(url):
    assert_same_as_parsed(url)


@pytest.mark.parametrize("registry, loopback", [
    ("127.0.0.0/8", True), ("127.0.0.1", True), ("127.1.2.3/16", True), (" 127.0.0.0/8 ", True),
    ("127.0.0.1:5000", True), ("127.0.0.0/7", False), ("10.20.0.0/16", False), ("0.0.0.0/0", False),
    ("192.168.1.10:5000", False), ("::1/128", True), ("::1", True), ("[::1]", True), ("::1/127", False),
    ("::/0", False), ("fe80::/10", False), ("[fe80::1]", False), ("::ffff:127.0.0.1", False),
    ("localhost", True), ("localhost:5000", True),
    ("registry.local:5000", False), ("registry.example.com", False), ("bad/x", False), ("", False),
])
def test_hs306_loopback_registries(registry, loopback):
    assert hs306._loopback(registry) is loopback
