"""`/api/v1/webhooks/`: Project Center registers where to hear of feed growth; the secret is answered once."""

from __future__ import annotations

import json

import pytest
import responses
from django.test import Client

from connector_portal.models import AuditEvent, Firm
from projects.models import OutboundWebhook
from projects.services import outbound_address
from tests.api.conftest import bearer_client

HOOK = "https://pc.example.com/hooks/portal"


def _create(api: Client, **body: object) -> dict:
    answer = api.post("/api/v1/webhooks/", {"url": HOOK, **body}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_registering_a_webhook_answers_its_secret_once(api: Client) -> None:
    created = _create(api, description="Head office")

    assert created["secret"].startswith("whsec_") and created["active"] is True
    read = api.get(f"/api/v1/webhooks/{created['id']}/").json()
    listed = api.get("/api/v1/webhooks/").json()
    assert "secret" not in read and read["url"] == HOOK and [w["id"] for w in listed] == [created["id"]]
    assert created["secret"] not in json.dumps(list(AuditEvent.objects.values("before", "after")))


def test_replacing_the_secret_answers_the_new_one_and_the_old_one_stops_signing(api: Client) -> None:
    created = _create(api)

    rotated = api.post(f"/api/v1/webhooks/{created['id']}/secret/").json()

    assert rotated["secret"] != created["secret"]
    assert OutboundWebhook.objects.get(pk=created["id"]).secret == rotated["secret"]


def test_a_plain_http_url_is_refused_in_production(api: Client, settings: object) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = False  # type: ignore[attr-defined]

    answer = api.post("/api/v1/webhooks/", {"url": "http://pc.example.com/x"}, content_type="application/json")

    assert answer.status_code == 400 and "https://" in json.dumps(answer.json())


def test_the_same_url_twice_is_refused_in_words(api: Client) -> None:
    _create(api)

    answer = api.post("/api/v1/webhooks/", {"url": HOOK}, content_type="application/json")

    assert answer.status_code == 409 and "already registered" in answer.json()["message"]


@responses.activate
def test_send_test_answers_the_delivery_and_it_shows_in_the_log(api: Client) -> None:
    responses.post(HOOK, status=202)
    created = _create(api)

    sent = api.post(f"/api/v1/webhooks/{created['id']}/test/").json()
    log = api.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()

    assert sent["status"] == "delivered" and sent["response_status"] == 202 and sent["event"] == "test"
    assert [d["id"] for d in log] == [sent["id"]]


def test_turning_a_webhook_on_again_forgets_its_failures(api: Client) -> None:
    created = _create(api)
    OutboundWebhook.objects.filter(pk=created["id"]).update(
        active=False, consecutive_failures=8, disabled_reason="Turned off after 8 failed attempts"
    )

    answer = api.patch(f"/api/v1/webhooks/{created['id']}/", {"active": True}, content_type="application/json")

    assert answer.json()["active"] is True and answer.json()["consecutive_failures"] == 0
    assert answer.json()["disabled_reason"] == ""


def test_another_firms_webhook_is_not_found_on_every_operation(api: Client, other_firm: Firm, other_token: str) -> None:
    created = _create(api)
    other = bearer_client(other_token)

    for method, path in [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "test/"),
        ("post", "secret/"),
        ("get", "deliveries/"),
    ]:
        answer = getattr(other, method)(f"/api/v1/webhooks/{created['id']}/{path}", content_type="application/json")
        assert answer.status_code == 404, (method, path)
    assert other.get("/api/v1/webhooks/").json() == []
    assert OutboundWebhook.objects.filter(pk=created["id"]).exists()


def test_a_url_inside_the_portals_network_is_refused_with_why(api: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = {"pc.internal.example": ["::ffff:10.0.0.5"]}  # a name whose AAAA record maps a private IPv4 address
    monkeypatch.setattr(outbound_address, "resolve", lambda host, port: inside.get(host, ["127.0.0.1"]))
    for url in (
        "https://169.254.169.254/latest/meta-data/",
        "https://pc.internal.example/hooks",
        "https://localhost/x",
    ):
        answer = api.post("/api/v1/webhooks/", {"url": url}, content_type="application/json")

        body = answer.json()
        assert answer.status_code == 400, url
        assert body["code"] == "invalid" and "inside its own network" in json.dumps(body["details"]["url"])
    assert not OutboundWebhook.objects.exists()


def test_changing_the_url_to_one_inside_the_network_is_refused(api: Client) -> None:
    created = _create(api)

    answer = api.patch(
        f"/api/v1/webhooks/{created['id']}/", {"url": "https://10.20.30.40/hooks"}, content_type="application/json"
    )

    assert answer.status_code == 400 and "10.20.30.40 is a private network address" in json.dumps(answer.json())
    assert OutboundWebhook.objects.get(pk=created["id"]).url == HOOK
