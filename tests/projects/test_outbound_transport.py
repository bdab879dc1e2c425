"""A webhook call connects to the address that was checked, never to what the host resolves to a moment later."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import urllib3
from urllib3.util import connection as urllib3_connection

from connector_portal.models import Firm
from projects.models import OutboundDelivery
from projects.services import outbound, outbound_address
from projects.services.outbound_transport import PinnedAdapter, pinned_post
from tests.conftest import PUBLIC_ADDRESS
from tests.projects.conftest import T0

HOOK = "https://pc.example.com/hooks/portal"


class Seen:
    """What the local Project Center received: (path, Host header, signed?) per request."""

    requests: list[tuple[str, str, bool]] = []
    secret = ""
    redirect_to = ""


class ProjectCenter(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = outbound.signature_verify(
            secret=Seen.secret,
            timestamp=self.headers.get(outbound.TIMESTAMP_HEADER, ""),
            body=body,
            signature=self.headers.get(outbound.SIGNATURE_HEADER, ""),
            now=float(self.headers.get(outbound.TIMESTAMP_HEADER, "0")),
        )
        Seen.requests.append((self.path, self.headers.get("Host", ""), signed))
        self.send_response(302 if Seen.redirect_to else 204)
        if Seen.redirect_to:
            self.send_header("Location", Seen.redirect_to)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def project_center(settings: Any) -> Iterator[int]:
    """A Project Center listening on 127.0.0.1 only; answers its port."""
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    Seen.requests, Seen.redirect_to = [], ""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProjectCenter)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every connection urllib3 opens, recorded and refused (no test reaches the internet)."""
    opened: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(urllib3_connection, "create_connection", create_connection)
    return opened


def _resolving(monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> list[str]:
    """The resolver gives these answers in turn (the last one from then on); answers the hosts asked about."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), len(answers)) - 1]

    monkeypatch.setattr(outbound_address, "resolve", resolve)
    return asked


def test_a_host_rebinding_to_the_metadata_service_after_the_check_is_never_connected_to(
    firm: Firm, monkeypatch: pytest.MonkeyPatch, connections: list[tuple[str, int]]
) -> None:
    # Given a webhook whose name answers a public address once, then the cloud's metadata service to every lookup
    hook, _ = outbound.webhook_create(firm=firm, url=HOOK, now=T0)
    asked = _resolving(monkeypatch, [PUBLIC_ADDRESS], ["169.254.169.254"])
    system_lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:  # the system resolver rebinds too
        system_lookups.append(host)
        return real_getaddrinfo("169.254.169.254" if host == "pc.example.com" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    # When its test event is sent
    delivery = outbound.webhook_send_test(webhook=hook, now=T0)

    # Then the one connection went to the checked public address; the name was not looked up again
    assert connections == [(PUBLIC_ADDRESS, 443)]
    assert asked == ["pc.example.com"] and "pc.example.com" not in system_lookups
    assert delivery.status == OutboundDelivery.Status.FAILED and "Could not reach" in delivery.error


def test_a_name_answering_a_public_then_a_private_address_is_refused_without_any_connection(
    firm: Firm, monkeypatch: pytest.MonkeyPatch, connections: list[tuple[str, int]]
) -> None:
    hook, _ = outbound.webhook_create(firm=firm, url=HOOK, now=T0)
    _resolving(monkeypatch, [PUBLIC_ADDRESS, "10.0.0.7"])

    delivery = outbound.webhook_send_test(webhook=hook, now=T0)

    assert connections == []
    assert delivery.status == OutboundDelivery.Status.FAILED
    assert delivery.error.startswith("Not sent: ") and "resolves to 10.0.0.7" in delivery.error


def test_the_pinned_connection_reaches_project_center_with_its_host_and_path_and_no_proxy(
    firm: Firm, monkeypatch: pytest.MonkeyPatch, project_center: int
) -> None:
    # Given a name no DNS knows, resolving (for the portal) to the local Project Center, and a proxy in the environment
    url = f"http://pc.portal-test.invalid:{project_center}/hooks/portal?v=1"
    monkeypatch.setattr(outbound_address, "resolve", lambda host, port: ["127.0.0.1"])
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    hook, Seen.secret = outbound.webhook_create(firm=firm, url=url, now=T0)

    delivery = outbound.webhook_send_test(webhook=hook, now=T0)

    assert delivery.status == OutboundDelivery.Status.DELIVERED and delivery.response_status == 204
    assert Seen.requests == [("/hooks/portal?v=1", f"pc.portal-test.invalid:{project_center}", True)]


def test_an_ipv6_address_is_pinned_too() -> None:
    class ProjectCenter6(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    Seen.requests, Seen.redirect_to = [], ""
    try:
        server = ProjectCenter6(("::1", 0), ProjectCenter)
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    host = f"pc.portal-test.invalid:{server.server_address[1]}"
    try:
        answer = pinned_post(f"http://{host}/hooks", addresses=["::1"], data=b"{}", headers={}, timeout=(3, 3))
    finally:
        server.shutdown()
        server.server_close()

    assert answer.status_code == 204 and [seen[:2] for seen in Seen.requests] == [("/hooks", host)]


def test_a_redirect_is_not_followed(firm: Firm, project_center: int) -> None:
    Seen.redirect_to = f"http://127.0.0.1:{project_center}/elsewhere"
    hook, Seen.secret = outbound.webhook_create(firm=firm, url=f"http://127.0.0.1:{project_center}/hooks", now=T0)

    delivery = outbound.webhook_send_test(webhook=hook, now=T0)

    assert delivery.status == OutboundDelivery.Status.FAILED and "answered HTTP 302" in delivery.error
    assert [path for path, _, _ in Seen.requests] == ["/hooks"]


def test_the_next_checked_address_is_tried_only_when_no_connection_could_be_made(project_center: int) -> None:
    # 127.0.0.2 is this machine too, but Project Center listens on 127.0.0.1 only: that connection is refused
    url = f"http://pc.portal-test.invalid:{project_center}/hooks"

    answer = pinned_post(url, addresses=["127.0.0.2", "127.0.0.1"], data=b"{}", headers={}, timeout=(3, 3))

    assert answer.status_code == 204 and len(Seen.requests) == 1


def test_only_the_first_addresses_are_tried(connections: list[tuple[str, int]]) -> None:
    addresses = [f"93.184.215.{n}" for n in range(10, 16)]

    with pytest.raises(requests.ConnectionError):
        pinned_post("https://pc.example.com/h", addresses=addresses, data=b"{}", headers={}, timeout=(3, 3))

    assert connections == [(address, 443) for address in addresses[:3]]


def test_https_connects_to_the_address_but_names_and_verifies_the_urls_host() -> None:
    adapter = PinnedAdapter(PUBLIC_ADDRESS)
    request = requests.Request("POST", "https://pc.example.com:8443/hooks").prepare()

    pool = adapter.get_connection_with_tls_context(request, True, proxies={"https": "http://proxy.example:3128"})

    assert isinstance(pool, urllib3.HTTPSConnectionPool) and pool.proxy is None
    assert (pool.host, pool.port) == (PUBLIC_ADDRESS, 8443)
    assert pool.conn_kw["server_hostname"] == "pc.example.com"  # TLS SNI
    assert pool.assert_hostname == "pc.example.com" and pool.cert_reqs == "CERT_REQUIRED"  # the certificate check


def test_a_lookup_slower_than_the_limit_is_refused_in_words(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.OUTBOUND_WEBHOOK_RESOLVE_TIMEOUT = 0  # the lookup below never answers in time: no waiting on the clock
    answered = threading.Event()
    monkeypatch.setattr(outbound_address, "resolve", lambda host, port: answered.wait(5) and [PUBLIC_ADDRESS])
    try:
        with pytest.raises(outbound_address.UnsafeAddress, match=r"could not be looked up in time .* Try again later"):
            outbound_address.webhook_address_check("https://pc.slow-dns.example/hooks")
    finally:
        answered.set()
