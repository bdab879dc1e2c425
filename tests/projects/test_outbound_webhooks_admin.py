"""Support staff register a firm's webhook in admin, see its secret once, send a test and read the delivery log."""

from __future__ import annotations

import pytest
import responses
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from connector_portal.models import AuditEvent, Firm, User
from projects.models import OutboundWebhook

HOOK = "https://pc.example.com/hooks/portal"


@pytest.fixture
def staff_client(db: None) -> Client:
    user = User.objects.create_superuser(email="support@example.com", password="x")
    TOTP.activate(user, generate_totp_secret())  # admin admits only staff with two-factor authentication
    client = Client()
    client.force_login(user)
    return client


def _messages(page: object) -> list[str]:
    return [str(m) for m in page.context["messages"]]  # type: ignore[attr-defined]


def test_support_registers_a_webhook_and_sees_its_secret_once(staff_client: Client, firm: Firm) -> None:
    page = staff_client.post(
        "/admin/projects/outboundwebhook/add/",
        {"firm": firm.pk, "url": HOOK, "description": "Head office", "active": "on", **_no_inline()},
        follow=True,
    )

    webhook = OutboundWebhook.objects.get(firm=firm)
    (shown,) = [m for m in _messages(page) if "shown this once" in m]
    assert webhook.secret in shown
    assert (
        webhook.secret.encode() not in staff_client.get(f"/admin/projects/outboundwebhook/{webhook.pk}/change/").content
    )
    assert AuditEvent.objects.filter(action="webhook.create", firm=firm).count() == 1


@responses.activate
def test_support_sends_a_test_event_and_reads_it_in_the_log(staff_client: Client, firm: Firm) -> None:
    responses.post(HOOK, status=500)
    webhook = OutboundWebhook.objects.create(firm=firm, url=HOOK, secret="whsec_x", created_at="2026-03-02T09:00Z")

    page = staff_client.post(
        "/admin/projects/outboundwebhook/", {"action": "send_test", "_selected_action": [webhook.pk]}, follow=True
    )

    assert any("The endpoint answered HTTP 500." in m for m in _messages(page))
    change = staff_client.get(f"/admin/projects/outboundwebhook/{webhook.pk}/change/")
    assert b"The endpoint answered HTTP 500." in change.content


def _no_inline() -> dict[str, str]:
    return {
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
        "deliveries-MIN_NUM_FORMS": "0",
        "deliveries-MAX_NUM_FORMS": "0",
    }


def test_support_cannot_register_a_url_inside_the_portals_network(staff_client: Client, firm: Firm) -> None:
    page = staff_client.post(
        "/admin/projects/outboundwebhook/add/",
        {"firm": firm.pk, "url": "https://[::1]:8443/hooks", "active": "on", **_no_inline()},
    )

    assert page.status_code == 200 and not OutboundWebhook.objects.exists()  # the form again, with the reason
    assert "::1 is a loopback address" in page.content.decode()
