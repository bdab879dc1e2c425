"""Sending a webhook call to the addresses that were checked, never to what the host name resolves to later.

`requests` would resolve the URL's host again when it connects; a name answering a public address to the check and
an internal one a moment later (DNS rebinding) would then reach the portal's own network. `PinnedAdapter` makes
urllib3 connect to one checked address while the request stays the URL's: its Host header, and for https the TLS
server name (SNI) and the certificate check, name the URL's host. Redirects are not followed (a redirect may point
anywhere) and no proxy from the environment is used (it would resolve the name itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from providers.http import never_sent

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs
    from urllib3.connectionpool import ConnectionPool

# A host with many addresses is tried on this many (in the resolver's order) when a connection cannot be made:
# each costs up to the connect timeout, and the delivery holds a worker meanwhile.
ADDRESSES_TRIED = 3


class PinnedAdapter(HTTPAdapter):
    """Connects to `address` whatever the URL's host; Host header, SNI and certificate check stay the URL's host."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: str | tuple[str, str] | None = None
    ) -> tuple[_HostParams, _PoolKwargs]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        hostname = host_params["host"]
        if host_params["scheme"] == "https":  # urllib3 pool keys; the stubs list only the ones requests sets
            named = {**pool_kwargs, "server_hostname": hostname, "assert_hostname": hostname}
            pool_kwargs = cast("_PoolKwargs", named)
        return {**host_params, "host": self.address}, pool_kwargs

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: tuple[str, str] | str | None = None,
    ) -> ConnectionPool:
        return super().get_connection_with_tls_context(request, verify, None, cert)  # never through a proxy

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        # urllib3 would send the address it connects to; the endpoint (and its virtual host) expects the URL's host.
        request.headers["Host"] = urlsplit(request.url or "").netloc.rpartition("@")[2]


def _post_to(address: str, url: str, **kwargs: Any) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False  # no proxy, .netrc or CA bundle from the environment
        adapter = PinnedAdapter(address)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session.post(url, allow_redirects=False, **kwargs)


def pinned_post(
    url: str, *, addresses: list[str], data: bytes, headers: dict[str, str], timeout: Any
) -> requests.Response:
    """POST to `url` over a connection to one of `addresses` (checked ones), the next only if no connection was made."""
    tried = addresses[:ADDRESSES_TRIED]
    for address in tried[:-1]:
        try:
            return _post_to(address, url, data=data, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            if not never_sent(exc):
                raise
    return _post_to(tried[-1], url, data=data, headers=headers, timeout=timeout)
