"""Tokens and secrets stay secret: encrypted columns, quiet logs, admin that never shows them, key rotation."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import responses
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import Client

from connector_portal.models import Connector, ProjectCenterProject, User
from providers.models import OAuthState, ProviderAccount, ProviderApp
from providers.registry import get_provider
from providers.services import account_get_access_token
from tests.providers.conftest import PROCORE, token_answer

SECRETS = (
    "access-secret-AAA",
    "refresh-secret-BBB",
    "rotated-access-CCC",
    "rotated-refresh-DDD",
    "sandbox-procore-secret",
)


def raw_column(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(table)}")
        return [row[0] for row in cursor.fetchall()]


def test_a_raw_sql_read_of_the_token_columns_shows_no_token(make_account: Callable[..., ProviderAccount]) -> None:
    make_account(access_token="access-secret-AAA", refresh_token="refresh-secret-BBB")
    ProviderApp.objects.create(provider=Connector.AUTODESK, client_id="id", client_secret="client-secret-EEE")

    stored = raw_column("providers_provideraccount", "access_token") + raw_column(
        "providers_provideraccount", "refresh_token"
    )
    stored += raw_column("providers_providerapp", "client_secret")

    assert len(stored) == 3
    assert all(value.startswith("gAAAAA") for value in stored)  # Fernet tokens
    assert not any(secret in value for value in stored for secret in (*SECRETS, "client-secret-EEE"))
    assert ProviderAccount.objects.get().access_token == "access-secret-AAA"


def test_the_pkce_verifier_is_stored_encrypted_too(member_client: Client, mocked: responses.RequestsMock) -> None:
    member_client.get("/oauth/autodesk/start/")
    verifier = OAuthState.objects.get().code_verifier
    assert verifier and verifier not in raw_column("providers_oauthstate", "code_verifier")[0]


def test_a_debug_log_of_connect_refresh_and_listing_shows_no_token_or_secret(
    member_client: Client,
    mocked: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    firm: object,
    member: User,
) -> None:
    caplog.set_level(logging.DEBUG)
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="P")  # type: ignore[misc]
    mocked.post(f"{PROCORE}/oauth/token", json=token_answer(access="access-secret-AAA", refresh="refresh-secret-BBB"))
    mocked.get(f"{PROCORE}/rest/v1.0/me", json={"id": 5, "login": "r@example.com", "name": "R"})
    start = member_client.get("/oauth/procore/start/", {"project": "PC-1"})
    state = start["Location"].split("state=")[1].split("&")[0]
    member_client.get("/oauth/procore/callback/", {"code": "code-secret-FFF", "state": state})
    account = ProviderAccount.objects.get()

    mocked.post(f"{PROCORE}/oauth/token", json=token_answer(access="rotated-access-CCC", refresh="rotated-refresh-DDD"))
    ProviderAccount.objects.filter(pk=account.pk).update(expires_at=None)
    account_get_access_token(account_id=account.pk)
    mocked.get(f"{PROCORE}/rest/v1.0/companies", json=[{"id": 1, "name": "B"}])
    mocked.get(f"{PROCORE}/rest/v1.1/projects", json=[{"id": 2, "name": "P"}])
    get_provider("procore").list_companies(account=account)
    get_provider("procore").list_projects(account=account, company_id="1")

    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "rest/v1.1/projects" in logged  # the capture did see the traffic
    assert not [secret for secret in (*SECRETS, "code-secret-FFF", state) if secret in logged]


def test_admin_never_shows_a_client_secret_or_a_token(
    support_client: Client, make_account: Callable[..., ProviderAccount]
) -> None:
    app = ProviderApp.objects.create(provider=Connector.PROCORE, client_id="id", client_secret="client-secret-EEE")
    account = make_account(access_token="access-secret-AAA", refresh_token="refresh-secret-BBB")
    pages = [
        support_client.get("/admin/providers/providerapp/"),
        support_client.get(f"/admin/providers/providerapp/{app.pk}/change/"),
        support_client.get("/admin/providers/provideraccount/"),
        support_client.get(f"/admin/providers/provideraccount/{account.pk}/change/"),
    ]
    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    for page in pages:
        html = page.content.decode()
        assert "client-secret-EEE" not in html
        assert "access-secret-AAA" not in html
        assert "refresh-secret-BBB" not in html


def test_saving_an_app_in_admin_without_a_new_secret_keeps_the_old_one(support_client: Client, db: None) -> None:
    app = ProviderApp.objects.create(provider=Connector.PROCORE, client_id="id", client_secret="client-secret-EEE")
    response = support_client.post(
        f"/admin/providers/providerapp/{app.pk}/change/",
        {
            "provider": "procore",
            "environment": "production",
            "client_id": "id-2",
            "client_secret": "",
            "is_enabled": "on",
        },
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.client_id, app.client_secret) == ("id-2", "client-secret-EEE")


def test_key_rotation_keeps_every_secret_readable_after_the_old_key_is_removed(
    settings: object, make_account: Callable[..., ProviderAccount]
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]  # type: ignore[attr-defined]
    account = make_account(access_token="access-secret-AAA", refresh_token="refresh-secret-BBB")
    app = ProviderApp.objects.create(provider=Connector.PROCORE, client_id="id", client_secret="client-secret-EEE")
    updated_at = ProviderAccount.objects.get().updated_at

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]  # type: ignore[attr-defined]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # type: ignore[attr-defined]

    account = ProviderAccount.objects.get(pk=account.pk)
    assert (account.access_token, account.refresh_token) == ("access-secret-AAA", "refresh-secret-BBB")
    assert ProviderApp.objects.get(pk=app.pk).client_secret == "client-secret-EEE"
    assert account.updated_at == updated_at


def test_without_rotation_removing_the_old_key_makes_secrets_unreadable(
    settings: object, make_account: Callable[..., ProviderAccount]
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # type: ignore[attr-defined]
    make_account()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        ProviderAccount.objects.get()
