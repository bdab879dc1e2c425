"""Provider sessions read the proxy environment once (providers.http.provider_session): without a proxy variable
they stop looking before each request, and keep the CA bundle requests would have read; with one they keep
requests' own per-request reading, which decides NO_PROXY host by host."""

from __future__ import annotations

import pytest
import requests

from providers.http import HttpClient, provider_session

ENVIRONMENT = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
)


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*ENVIRONMENT, "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def test_without_a_proxy_the_environment_is_not_read_again_at_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    session = provider_session()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")  # set later: a made session no longer looks
    settings = session.merge_environment_settings("https://api.example.com/files/1", {}, None, None, None)
    assert settings["proxies"] == {}
    assert requests.Session().merge_environment_settings("https://api.example.com/files/1", {}, None, None, None)[
        "proxies"
    ] == {"https": "http://proxy.invalid:3128"}  # what a default session would have done: the check can tell


def test_the_ca_bundle_requests_reads_from_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/company-ca.pem")
    assert provider_session().verify == "/etc/ssl/certs/company-ca.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert provider_session().verify is True


def test_with_a_proxy_configured_requests_keeps_reading_it_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "storage.example.com")
    session = provider_session()
    through_proxy = session.merge_environment_settings("https://api.example.com/x", {}, None, None, None)
    assert through_proxy["proxies"]["https"] == "http://proxy.internal:3128"
    direct = session.merge_environment_settings("https://storage.example.com/x", {}, None, None, None)
    assert "https" not in direct["proxies"]  # NO_PROXY still applies host by host


def test_provider_clients_use_such_a_session_by_default() -> None:
    assert HttpClient().session.trust_env is False
