"""Webhook URLs to Project Center must point to a public address: never the portal's own machine or network (SSRF)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from projects.services import outbound_address
from projects.services.outbound_address import UnsafeAddress, webhook_address_check
from tests.conftest import PUBLIC_ADDRESS


def resolving(monkeypatch: pytest.MonkeyPatch, **names: list[str]) -> list[tuple[str, int]]:
    """Names resolve as given (the others to a public address); answers the (host, port) pairs asked about."""
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return names.get(host, [PUBLIC_ADDRESS])

    monkeypatch.setattr(outbound_address, "resolve", resolve)
    return asked


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.20", "private"),
        ("169.254.169.254", "link-local"),  # the cloud's metadata service
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public"),  # carrier-grade NAT
        ("[::1]", "loopback"),
        ("[::]", "unspecified"),
        ("[fe80::1]", "link-local"),
        ("[fd12:3456::1]", "private"),
        ("[ff02::1]", "multicast"),
        ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped
        ("[::ffff:10.0.0.1]", "private"),
        ("[2002:7f00:1::1]", "loopback"),  # 6to4 carrying 127.0.0.1
    ],
)
def test_a_url_naming_an_address_inside_the_network_is_refused_in_words(host: str, kind: str) -> None:
    with pytest.raises(UnsafeAddress) as refused:
        webhook_address_check(f"https://{host}:8443/hooks/portal")

    assert kind in refused.value.message and "inside its own network" in refused.value.message
    assert "public https:// address" in refused.value.message  # what to do instead


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["10.0.0.7"], ["169.254.169.254"], ["::1"], ["::ffff:192.168.0.1"], [PUBLIC_ADDRESS, "10.0.0.7"]],
)
def test_a_name_resolving_to_any_address_inside_the_network_is_refused(
    monkeypatch: pytest.MonkeyPatch, addresses: list[str]
) -> None:
    asked = resolving(monkeypatch, **{"pc.attacker.example": addresses})

    with pytest.raises(UnsafeAddress, match=r"pc\.attacker\.example resolves to .*, which is"):
        webhook_address_check("https://pc.attacker.example/hooks")

    assert asked == [("pc.attacker.example", 443)]


def test_localhost_is_refused_by_what_it_resolves_to() -> None:
    with pytest.raises(UnsafeAddress, match=r"localhost resolves to 127\.0\.0\.1, which is a loopback address"):
        webhook_address_check("https://localhost/hooks")


@pytest.mark.parametrize(
    "url",
    [
        "https://pc.example.com/hooks/portal",
        f"https://{PUBLIC_ADDRESS}/hooks",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hooks",
        f"https://[::ffff:{PUBLIC_ADDRESS}]/hooks",  # IPv4-mapped public: judged as the IPv4 address
    ],
)
def test_a_public_address_is_accepted(url: str) -> None:
    webhook_address_check(url)


def test_a_host_that_cannot_be_found_is_refused_with_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(outbound_address, "resolve", unknown)

    with pytest.raises(UnsafeAddress, match=r"could not be found .* Check the URL"):
        webhook_address_check("https://pc.nowhere.example/hooks")


def test_the_setting_lets_development_and_tests_reach_a_local_project_center(settings: Any) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True

    webhook_address_check("http://127.0.0.1:8765/hooks/portal")
    webhook_address_check("https://localhost/hooks")


def test_it_is_off_by_default() -> None:
    from django.conf import settings

    assert settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE is False


def test_names_are_resolved_with_getaddrinfo_on_the_urls_port(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[Any, ...]] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append((host, port, kwargs.get("type")))
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_ADDRESS, port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1", port, 0, 0)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(outbound_address, "resolve", outbound_address._getaddrinfo)

    with pytest.raises(UnsafeAddress, match="fe80::1, which is a link-local address"):
        webhook_address_check("https://pc.example.com:8443/hooks")

    assert asked == [("pc.example.com", 8443, socket.SOCK_STREAM)]
