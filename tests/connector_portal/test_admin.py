"""Support admin: behind allauth and TOTP, tokens shown once, every change audited."""

from __future__ import annotations

import time
from urllib.parse import unquote

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client

from connector_portal.models import AuditEvent, Firm, Membership, ServiceAccountToken, User
from connector_portal.services import service_token_authenticate


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user(
        email="support@portal.example.com", password="a-long-test-password", is_staff=True, is_superuser=True
    )


@pytest.fixture
def staff_secret(staff: User) -> str:
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    return secret


@pytest.fixture
def admin_client(staff: User, staff_secret: str) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_admin_has_no_login_form_of_its_own(client: Client, db: None) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_without_two_factor_are_kept_out_of_admin(client: Client, staff: User) -> None:
    client.force_login(staff)
    response = client.get("/admin/", follow=True)
    # allauth asks for the password again before activating an authenticator
    assert "/accounts/2fa/totp/activate/" in unquote(response.redirect_chain[-1][0])
    assert b"Support admin needs two-factor authentication" in response.content
    assert client.get("/admin/connector_portal/firm/").status_code == 302


def test_staff_sign_in_with_password_and_code_then_use_admin(client: Client, staff: User, staff_secret: str) -> None:
    cache.clear()
    response = client.post("/accounts/login/", {"login": staff.email, "password": "a-long-test-password"})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302  # password alone is not enough
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(staff_secret)})
    assert client.get("/admin/").status_code == 200


def test_a_firm_user_cannot_open_admin(member_client: Client) -> None:
    response = member_client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert b"not a support staff account" in response.content


def test_creating_a_token_shows_it_once_and_stores_only_a_hash(admin_client: Client, firm: Firm) -> None:
    response = admin_client.post(
        "/admin/connector_portal/serviceaccounttoken/add/", {"firm": firm.pk, "name": "Project Center"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw_token"]
    assert raw.encode() in response.content
    token = ServiceAccountToken.objects.get(firm=firm)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM connector_portal_serviceaccounttoken")
        row = cursor.fetchall()
    assert raw not in repr(row)
    secret_part = raw.split("_", 2)[2]  # after "ncp_<prefix>_"; the secret itself may contain "_"
    assert secret_part not in repr(row)
    change_page = admin_client.get(f"/admin/connector_portal/serviceaccounttoken/{token.pk}/change/")
    assert secret_part.encode() not in change_page.content
    assert secret_part.encode() not in admin_client.get(f"/admin/connector_portal/firm/{firm.pk}/change/").content
    assert service_token_authenticate(raw=raw) == token


def test_a_revoked_token_no_longer_authenticates(admin_client: Client, firm: Firm) -> None:
    response = admin_client.post("/admin/connector_portal/serviceaccounttoken/add/", {"firm": firm.pk, "name": "PC"})
    raw = response.context["raw_token"]
    token = ServiceAccountToken.objects.get(firm=firm)
    admin_client.post(
        "/admin/connector_portal/serviceaccounttoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert service_token_authenticate(raw=raw) is None
    assert AuditEvent.objects.filter(action="service_token.revoke", firm=firm).exists()


def test_changing_a_firm_in_admin_is_audited_with_before_and_after(admin_client: Client, firm: Firm) -> None:
    admin_client.post(
        f"/admin/connector_portal/firm/{firm.pk}/change/",
        {
            "name": "Acme Architects LLP",
            "slug": firm.slug,
            "is_active": "on",
            "licence-TOTAL_FORMS": "1",
            "licence-INITIAL_FORMS": "1",
            "licence-MIN_NUM_FORMS": "0",
            "licence-MAX_NUM_FORMS": "1",
            "licence-0-id": firm.licence.pk,
            "licence-0-firm": firm.pk,
            "licence-0-procore": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "service_tokens-TOTAL_FORMS": "0",
            "service_tokens-INITIAL_FORMS": "0",
            "service_tokens-MIN_NUM_FORMS": "0",
            "service_tokens-MAX_NUM_FORMS": "1000",
        },
    )
    firm_event = AuditEvent.objects.get(action="admin.firm.change")
    assert firm_event.before is not None and firm_event.after is not None
    assert firm_event.before["name"] == "Acme Architects"
    assert firm_event.after["name"] == "Acme Architects LLP"
    assert firm_event.actor_label == "support@portal.example.com"
    assert firm_event.firm == firm
    licence_event = AuditEvent.objects.get(action="admin.licence.change")
    assert licence_event.before is not None and licence_event.after is not None
    assert licence_event.before["autodesk"] is True
    assert licence_event.after["autodesk"] is False


def test_creating_a_user_in_admin_sends_a_set_password_email_and_is_audited(
    admin_client: Client, firm: Firm, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/connector_portal/user/add/",
            {
                "email": "New.Person@Acme.example.com",
                "first_name": "New",
                "last_name": "Person",
                "memberships-TOTAL_FORMS": "1",
                "memberships-INITIAL_FORMS": "0",
                "memberships-MIN_NUM_FORMS": "0",
                "memberships-MAX_NUM_FORMS": "1000",
                "memberships-0-firm": firm.pk,
                "memberships-0-role": "member",
            },
        )
    user = User.objects.get(email="new.person@acme.example.com")
    assert not user.has_usable_password()
    assert Membership.objects.filter(user=user, firm=firm).exists()
    assert len(mail.outbox) == 1
    assert "Choose your password" in mail.outbox[0].subject
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="admin.user.create").exists()
    assert AuditEvent.objects.filter(action="admin.membership.create", firm=firm).exists()


def test_audit_events_cannot_be_changed_or_deleted(admin_client: Client, firm: Firm) -> None:
    event = AuditEvent.objects.create(firm=firm, action="test", actor_label="x")
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert (
        admin_client.post(f"/admin/connector_portal/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_sending_a_set_password_email_from_admin_is_audited(admin_client: Client, member: User) -> None:
    admin_client.post(
        "/admin/connector_portal/user/", {"action": "send_set_password_email", "_selected_action": [member.pk]}
    )
    assert len(mail.outbox) == 1
    event = AuditEvent.objects.get(action="admin.user.send_set_password_email")
    assert event.target_label == member.email
