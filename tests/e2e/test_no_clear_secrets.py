"""A full flow in Chromium against the sandbox (sign in, Procore OAuth, connect, first sync, a webhook delivery, the API
with the firm's token, staff two-factor), then every value of every column of the database and every line the portal's
own log handlers wrote (root and Django's, at DEBUG): no secret of the flow appears in clear in either."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from playwright.sync_api import expect

from connector_portal.models import Firm, User
from connector_portal.services import service_token_create
from projects.models import ProjectLink
from projects.services.webhooks import link_webhook_prepare
from providers.models import ProviderAccount

from .conftest import PASSWORD, Steps
from .test_connect_flow import choose_project, save_and_check_connected, sign_in_at_provider, sign_in_to_portal

LOGGERS = ("", "django", "django.server", "django.request", "django_q")


@pytest.fixture
def written_logs() -> Iterator[io.StringIO]:
    """What the configured handlers write (after their filters), at DEBUG, in one buffer."""
    buffer = io.StringIO()
    swapped: list[tuple[logging.StreamHandler, object]] = []
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    for name in LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and not type(handler).__module__.startswith("_pytest"):
                swapped.append((handler, handler.setStream(buffer)))
    assert len(swapped) >= 2  # the root console and Django's request log at least
    try:
        yield buffer
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)
        root.setLevel(level)


def every_stored_value() -> list[str]:
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values += [str(cell) for row in cursor.fetchall() for cell in row if cell is not None]
    return values


@pytest.mark.browser
def test_no_secret_of_a_full_flow_is_stored_or_logged_in_clear(
    portal: str, firm_user: User, browser_page: Steps, written_logs: io.StringIO
) -> None:
    steps, page = browser_page, browser_page.page
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/oauth/procore/callback/" in r.url else None)

    sign_in_to_portal(steps, portal, firm_user)
    sign_in_at_provider(steps, "Procore")
    expect(page.get_by_role("heading", name="Choose the Procore company")).to_be_visible()
    page.get_by_label("Summit Builders").check()
    page.get_by_role("button", name="Continue").click()
    choose_project(steps, "P-1001 Riverside Medical Center", "riverside")
    save_and_check_connected(steps, "Riverside Medical Center")

    link = ProjectLink.objects.get()
    hook_url, hook_authorization = link_webhook_prepare(link=link)
    link.refresh_from_db()
    delivery = {
        "ulid": "01HZ0000000000000000000001",
        "resource_name": "Submittals",
        "resource_id": 1,
        "reason": "update",
    }
    hooked = requests.post(
        portal + urlsplit(hook_url).path, json=delivery, headers={"Authorization": hook_authorization}, timeout=10
    )
    firm = Firm.objects.get()
    api_token = service_token_create(firm=firm)[1]
    feed = requests.get(
        f"{portal}/api/v1/feed/?token={api_token}", headers={"Authorization": f"Bearer {api_token}"}, timeout=10
    )
    staff = User.objects.create_user(email="support@portal.example.com", password="x" * 20, is_staff=True)
    totp_secret = generate_totp_secret()
    TOTP.activate(staff, totp_secret)

    (callback,) = callbacks
    query = parse_qs(urlsplit(callback).query)
    account = ProviderAccount.objects.get()
    secrets = {
        "OAuth code": query["code"][0],
        "OAuth state": query["state"][0],
        "access token": account.access_token,
        "refresh token": account.refresh_token,
        "API token": api_token,
        "webhook secret": hook_authorization.removeprefix("Bearer "),
        "TOTP seed": totp_secret,
        "provider app secret": "sandbox-procore-secret",
        "password": PASSWORD,
    }
    assert (hooked.status_code, feed.status_code) == (200, 200)
    assert all(len(value) >= 8 for value in secrets.values()), secrets

    stored = every_stored_value()
    in_database = sorted(name for name, value in secrets.items() if any(value in cell for cell in stored))
    logged = written_logs.getvalue()
    # The webhook token names the link in its URL (stored to find it); in the logs it is a secret like the others.
    in_logs = sorted(
        name for name, value in {**secrets, "webhook token": link.webhook_token}.items() if value in logged
    )

    # The flow's own lines were read: requests to the provider and the portal (the live server writes no request log of
    # its own; Django's and gunicorn's request logs are tested in tests/connector_portal/test_log_redaction.py).
    assert "/procore/oauth/token" in logged and "/api/v1/feed/?token=[redacted]" in logged
    assert in_database == [] and in_logs == [], f"in clear: database {in_database}, logs {in_logs}"
