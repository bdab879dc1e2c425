"""Where a webhook to Project Center may point: a public address, never one inside the portal's own network.

The portal calls the URL a firm registers, from inside its own network; a URL naming (or resolving to) a loopback,
private, link-local, multicast, reserved or unspecified address would let anyone with an API token make the portal
call its database, its cloud's metadata service or other internal services (server-side request forgery). The host
is checked when the URL is registered and again before every delivery, since what a name resolves to can change.
IPv4 addresses carried inside IPv6 ones (IPv4-mapped, 6to4, Teredo) are judged as the IPv4 address they carry.

`OUTBOUND_WEBHOOKS_ALLOW_PRIVATE` turns the check off for development and tests whose Project Center runs locally.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _getaddrinfo(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


# host, port -> the addresses it resolves to (raises OSError when it does not); tests replace it, so none uses DNS.
resolve: Callable[[str, int], list[str]] = _getaddrinfo

# The first property that holds names the kind of address refused, in the words the error uses.
_KINDS = (
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address (this machine)"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private network address"),
)


class UnsafeAddress(Exception):
    """The URL's host is, or resolves to, an address the portal never calls; `message` says which and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _carried(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (IPv4-mapped, 6to4, Teredo's client), or the address itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return ip


def refused_kind(address: str) -> str | None:
    """Why the portal never calls this address (e.g. "a private network address"), or None when it is public."""
    ip = _carried(ipaddress.ip_address(address.split("%", 1)[0]))  # an IPv6 zone ("fe80::1%eth0") names no host
    for prop, words in _KINDS:
        if getattr(ip, prop):
            return words
    return None if ip.is_global else "not a public internet address"


def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeAddress(
            f"The webhook URL's host {host} could not be found (DNS: {type(exc).__name__}). Check the URL: it must "
            "be the address Project Center's webhook is reachable at from the internet."
        ) from exc
    if not found:
        raise UnsafeAddress(f"The webhook URL's host {host} resolves to no address. Check the URL.")
    return found


def webhook_address_check(url: str) -> None:
    """Raise UnsafeAddress unless every address the URL's host resolves to is a public one."""
    if settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE:
        return
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeAddress("The webhook URL's port is not a number between 0 and 65535.") from exc
    if not host:
        raise UnsafeAddress("The webhook URL has no host name. Give the full https:// address of the webhook.")
    for address in _addresses(host, port):
        kind = refused_kind(address)
        if kind is not None:
            shown = f"{host} is" if host == address else f"{host} resolves to {address}, which is"
            raise UnsafeAddress(
                f"The portal does not call webhooks inside its own network: {shown} {kind}. Register the public "
                "https:// address Project Center's webhook is reachable at from the internet."
            )
