"""Where a webhook to Project Center may point: a public address, never one inside the portal's own network.

The portal calls the URL a firm registers, from inside its own network; a URL naming (or resolving to) a loopback,
private, link-local, multicast, reserved or unspecified address would let anyone with an API token make the portal
call its database, its cloud's metadata service or other internal services (server-side request forgery). The host
is checked when the URL is registered and again before every delivery, since what a name resolves to can change.
IPv4 addresses carried inside IPv6 ones (IPv4-mapped, 6to4, Teredo) are judged as the IPv4 address they carry.

A delivery resolves the host once (`webhook_addresses`) and connects to the addresses it checked
(outbound_transport.py): were the HTTP client to resolve the name again, a host answering a public address to the
check and 169.254.169.254 to the connection would get through (DNS rebinding). The lookup is bounded by
`OUTBOUND_WEBHOOK_RESOLVE_TIMEOUT`, since registering runs in an API request thread.

`OUTBOUND_WEBHOOKS_ALLOW_PRIVATE` turns the check off for development and tests whose Project Center runs locally
(a delivery still resolves once and connects to what it found).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
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


def _resolve_in_time(host: str, port: int) -> list[str]:
    """`resolve` in a thread of its own, waited for at most OUTBOUND_WEBHOOK_RESOLVE_TIMEOUT seconds.

    getaddrinfo takes no timeout and a slow name server (perhaps the URL owner's own) would hold an API request or a
    worker for as long as it likes. A lookup given up on finishes in its daemon thread and its answer is dropped; a
    thread per lookup, rather than a shared pool, so one firm's slow DNS never delays another firm's lookups."""
    answer: list[list[str] | Exception] = []

    def lookup() -> None:
        try:
            answer.append(resolve(host, port))
        except Exception as exc:  # handed to the waiting thread, which raises it
            answer.append(exc)

    worker = threading.Thread(target=lookup, name=f"webhook-dns-{host}", daemon=True)
    worker.start()
    limit = settings.OUTBOUND_WEBHOOK_RESOLVE_TIMEOUT
    worker.join(limit)
    if not answer:
        raise UnsafeAddress(
            f"The webhook URL's host {host} could not be looked up in time (DNS gave no answer within {limit:g} "
            "seconds). Try again later; if it keeps happening, check the name servers of the URL's domain."
        )
    if isinstance(answer[0], Exception):
        raise answer[0]
    return answer[0]


def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        found = _resolve_in_time(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeAddress(
            f"The webhook URL's host {host} could not be found (DNS: {type(exc).__name__}). Check the URL: it must "
            "be the address Project Center's webhook is reachable at from the internet."
        ) from exc
    if not found:
        raise UnsafeAddress(f"The webhook URL's host {host} resolves to no address. Check the URL.")
    return found


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeAddress("The webhook URL's port is not a number between 0 and 65535.") from exc
    if not host:
        raise UnsafeAddress("The webhook URL has no host name. Give the full https:// address of the webhook.")
    return host, port


def _refuse_inside(host: str, addresses: list[str]) -> None:
    for address in addresses:
        kind = refused_kind(address)
        if kind is not None:
            shown = f"{host} is" if host == address else f"{host} resolves to {address}, which is"
            raise UnsafeAddress(
                f"The portal does not call webhooks inside its own network: {shown} {kind}. Register the public "
                "https:// address Project Center's webhook is reachable at from the internet."
            )


def webhook_addresses(url: str) -> list[str]:
    """The addresses a delivery to `url` may connect to, in the resolver's order: resolved once, every one checked.

    Raise UnsafeAddress when any is inside the portal's network (unless OUTBOUND_WEBHOOKS_ALLOW_PRIVATE), or when the
    host cannot be resolved in time."""
    host, port = _host_port(url)
    addresses = _addresses(host, port)
    if not settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE:
        _refuse_inside(host, addresses)
    return addresses


def webhook_address_check(url: str) -> None:
    """Raise UnsafeAddress unless every address the URL's host resolves to is a public one (registering a URL)."""
    if settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE:
        return
    webhook_addresses(url)
