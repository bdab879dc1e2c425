"""Signing in: email and password, no sign-up, inactive firms refused with the reason, rate limits, password emails."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from connector_portal.models import Firm, User


@pytest.fixture(autouse=True)
def _clear_rate_limits(db: None) -> None:
    cache.clear()


def login(client: Client, email: str, password: str = "a-long-test-password"):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_a_member_signs_in_with_email_and_password(client: Client, member: User) -> None:
    response = login(client, member.email)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client: Client, member: User) -> None:
    response = login(client, member.email, "wrong-password")
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert client.get("/").status_code == 302


def test_there_is_no_open_sign_up(client: Client, db: None) -> None:
    response = client.post("/accounts/signup/", {"email": "new@example.com", "password1": "a-long-test-password"})
    assert not User.objects.filter(email="new@example.com").exists()
    assert response.status_code in (200, 403)
    assert b"Sign Up Closed" in response.content or response.status_code == 403


def test_the_login_page_does_not_offer_sign_up(client: Client, db: None) -> None:
    assert b"/accounts/signup/" not in client.get("/accounts/login/").content


def test_a_deactivated_firms_user_is_refused_with_the_reason(client: Client, firm: Firm, member: User) -> None:
    firm.is_active = False
    firm.save()
    response = login(client, member.email)
    assert response.status_code == 200
    assert b"access to the connector portal has been deactivated" in response.content
    assert client.get("/").status_code == 302


def test_a_user_signed_in_when_the_firm_is_deactivated_is_signed_out(member_client: Client, firm: Firm) -> None:
    assert member_client.get("/").status_code == 200
    Firm.objects.filter(pk=firm.pk).update(is_active=False)
    response = member_client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert b"has been deactivated" in response.content


def test_a_user_of_two_firms_keeps_working_when_one_is_deactivated(
    client: Client, firm: Firm, other_firm: Firm, member: User
) -> None:
    other_firm.memberships.create(user=member)
    firm.is_active = False
    firm.save()
    assert login(client, member.email).status_code == 302
    assert other_firm.name.encode() in client.get("/").content


def test_repeated_failed_logins_are_rate_limited(client: Client, member: User) -> None:
    for _ in range(5):
        login(client, member.email, "wrong-password")
    response = login(client, member.email)  # even the right password is held back now
    assert response.status_code in (200, 429)
    assert client.get("/").status_code == 302


def test_password_reset_sends_a_working_link(client: Client, member: User) -> None:
    client.post("/accounts/password/reset/", {"email": member.email})
    assert len(mail.outbox) == 1
    found = re.search(r"http://\S+/accounts/password/reset/key/\S+", str(mail.outbox[0].body))
    assert found is not None, mail.outbox[0].body
    link = found.group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else "/" + path
    client.post(form_url, {"password1": "another-long-password-1", "password2": "another-long-password-1"})
    assert login(client, member.email, "another-long-password-1").status_code == 302


def test_the_firm_switcher_changes_the_current_firm(
    member_client: Client, member: User, firm: Firm, make_firm: Callable[..., Firm]
) -> None:
    second = make_firm("Second Studio")
    second.memberships.create(user=member)
    response = member_client.post("/firm/switch/", {"firm": second.slug, "next": "/"}, follow=True)
    assert b"You are now working in Second Studio" in response.content
    assert b'<option value="%s" selected>' % second.slug.encode() in response.content


def test_the_firm_switcher_refuses_a_firm_the_user_is_not_in(
    member_client: Client, other_firm: Firm, firm: Firm
) -> None:
    response = member_client.post("/firm/switch/", {"firm": other_firm.slug}, follow=True)
    assert b"You are not a member of that firm" in response.content
    assert b"Acme Architects" in response.content
