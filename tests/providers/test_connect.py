"""The connect flow a firm user walks: start → the provider's consent page → callback → account stored."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import Client
from django.utils import timezone

from connector_portal.models import AuditEvent, Connector, Firm, Licence, ProjectCenterProject, User
from projects.models import ProjectLink
from providers.connect import connect_start
from providers.models import OAuthState, ProviderAccount, ProviderApp
from tests.providers.conftest import AUTODESK, CONSTRUCTEX, PROCORE, sent_form, token_answer

WHO_AM_I = {
    "procore": (f"{PROCORE}/rest/v1.0/me", {"id": 98765432101, "login": "riley@builder.example.com", "name": "Riley"}),
    "autodesk": (f"{AUTODESK}/userinfo", {"sub": "ADSK7Q", "name": "Riley", "email": "riley@builder.example.com"}),
    "constructex": (f"{CONSTRUCTEX}/api/v1/me", {"id": "cx-42", "name": "Riley", "email": "riley@builder.example.com"}),
}
TOKEN_URL = {
    "procore": f"{PROCORE}/oauth/token",
    "autodesk": f"{AUTODESK}/authentication/v2/token",
    "constructex": f"{CONSTRUCTEX}/oauth/token",
}
AUTHORIZE_URL = {
    "procore": f"{PROCORE}/oauth/authorize",
    "autodesk": f"{AUTODESK}/authentication/v2/authorize",
    "constructex": f"{CONSTRUCTEX}/oauth/authorize",
}
NEXT = "/connect/PC-100/company/"


def start(client: Client, provider: str, **params: str) -> dict[str, str]:
    """Start connecting; returns the authorize request's query (one value per name)."""
    query = {"project": "PC-100", "next": NEXT, **params}
    response = client.get(f"/oauth/{provider}/start/", query)
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE_URL[provider]
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def form_of(call: responses.Call) -> dict[str, str]:
    return {key: values[0] for key, values in sent_form(call.request).items()}


def mock_success(mocked: responses.RequestsMock, provider: str, *, access: str = "access-new") -> None:
    mocked.post(TOKEN_URL[provider], json=token_answer(access=access, refresh="refresh-new"))
    url, body = WHO_AM_I[provider]
    mocked.get(url, json=body)


@pytest.mark.parametrize("provider", ["procore", "autodesk", "constructex"])
def test_a_member_connects_an_account_and_returns_to_the_wizard(
    provider: str, member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject, firm: Firm
) -> None:
    authorize = start(member_client, provider)
    assert authorize["response_type"] == "code"
    assert authorize["redirect_uri"] == f"http://testserver/oauth/{provider}/callback/"
    assert len(authorize["state"]) >= 40
    mock_success(mocked, provider)

    response = member_client.get(f"/oauth/{provider}/callback/", {"code": "the-code", "state": authorize["state"]})

    account = ProviderAccount.objects.get(firm=firm, provider=provider)
    assert response.status_code == 302
    assert response["Location"] == f"{NEXT}?account={account.pk}"
    assert (account.name, account.email, account.status) == ("Riley", "riley@builder.example.com", "active")
    assert (account.access_token, account.refresh_token) == ("access-new", "refresh-new")
    assert account.expires_at and account.expires_at > timezone.now() + dt.timedelta(minutes=80)
    token_call = mocked.calls[0]
    assert form_of(token_call)["redirect_uri"] == authorize["redirect_uri"]
    assert form_of(token_call)["code"] == "the-code"
    assert AuditEvent.objects.filter(action="provider_account.connect", target_id=str(account.pk)).exists()


def test_procore_gets_its_client_credentials_in_the_form_and_no_pkce(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    assert "code_challenge" not in authorize  # Procore documents no PKCE parameters
    mock_success(mocked, "procore")
    member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    form = form_of(mocked.calls[0])
    assert form["client_id"] == "portal-procore"
    assert form["client_secret"] == "sandbox-procore-secret"
    assert form["grant_type"] == "authorization_code"
    assert "Procore-Company-Id" not in mocked.calls[1].request.headers  # /me is not company-scoped


def test_autodesk_gets_basic_auth_scopes_and_a_pkce_verifier_matching_the_challenge(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "autodesk")
    assert authorize["code_challenge_method"] == "S256"
    assert set(authorize["scope"].split()) >= {"data:read", "data:write", "data:create", "account:read"}
    mock_success(mocked, "autodesk")
    member_client.get("/oauth/autodesk/callback/", {"code": "c", "state": authorize["state"]})

    token_request = mocked.calls[0].request
    form = form_of(mocked.calls[0])
    assert "client_id" not in form and "client_secret" not in form  # Autodesk answers 400 to both
    expected = base64.b64encode(b"portal-autodesk:sandbox-autodesk-secret").decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    digest = hashlib.sha256(form["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == authorize["code_challenge"]


def test_reconnecting_updates_the_same_account_and_its_links_keep_working(
    member_client: Client,
    mocked: responses.RequestsMock,
    pc_project: ProjectCenterProject,
    make_account: Callable[..., ProviderAccount],
    firm: Firm,
) -> None:
    account = make_account(
        "procore", provider_user_id="98765432101", status="needs_reauth", last_error="Reconnect please."
    )
    link = ProjectLink.objects.create(
        firm=firm,
        project=pc_project,
        provider="procore",
        account=account,
        provider_project_id="1",
        provider_project_name="P",
    )
    authorize = start(member_client, "procore")
    mock_success(mocked, "procore", access="access-after-reconnect")

    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})

    assert response["Location"] == f"{NEXT}?account={account.pk}"
    assert ProviderAccount.objects.count() == 1
    account.refresh_from_db()
    link.refresh_from_db()
    assert (account.status, account.last_error, account.access_token) == ("active", "", "access-after-reconnect")
    assert link.account_id == account.pk
    assert AuditEvent.objects.filter(action="provider_account.reconnect").count() == 1


def test_the_next_url_keeps_its_own_query_and_an_outside_next_url_is_ignored(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore", next="https://evil.example.com/steal")
    mock_success(mocked, "procore")
    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert response["Location"].startswith("/?account=")

    authorize = start(member_client, "procore", next="/connect/PC-100/?step=2&account=old")
    mock_success(mocked, "procore")
    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    account = ProviderAccount.objects.get()
    assert response["Location"] == f"/connect/PC-100/?step=2&account={account.pk}"


def test_the_state_remembers_the_project_center_project_it_was_started_for(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    start(member_client, "procore")
    assert OAuthState.objects.get().next_url == f"/connect/{pc_project.pc_project_id}/company/"  # the wizard's step


def test_a_state_started_with_an_outside_next_url_still_comes_back_to_the_portal(
    member_client: Client, mocked: responses.RequestsMock, firm: Firm, member: User
) -> None:
    authorize_url = connect_start(  # a caller that forgot to check its URL
        firm=firm,
        user=member,
        session_key=member_client.session.session_key or "",
        provider="procore",
        redirect_uri="http://testserver/oauth/procore/callback/",
        next_url="https://evil.example.com/steal",
    )
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    mock_success(mocked, "procore")

    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": state})

    assert response["Location"] == f"/?account={ProviderAccount.objects.get().pk}"


# -- refusals: a clear page, and nothing saved -------------------------------------------------------------------------


def assert_refused(response: object, text: str, mocked: responses.RequestsMock, *, token_called: bool = False) -> None:
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert text in response.content.decode()  # type: ignore[attr-defined]
    assert "Nothing was saved" in response.content.decode()  # type: ignore[attr-defined]
    assert ProviderAccount.objects.count() == 0
    assert any(TOKEN_URL["procore"] == c.request.url for c in mocked.calls) is token_called


def test_denied_consent_shows_what_happened_and_saves_nothing(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    response = member_client.get("/oauth/procore/callback/", {"error": "access_denied", "state": authorize["state"]})
    assert_refused(response, "You pressed Deny on Procore", mocked)


def test_after_a_deny_try_again_starts_the_providers_sign_in_again_for_the_same_step(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    denied = member_client.get("/oauth/procore/callback/", {"error": "access_denied", "state": authorize["state"]})

    again = re.search(r'<a class="button primary" href="([^"]+)">Try again</a>', denied.content.decode())
    assert again is not None
    restarted = member_client.get(again.group(1).replace("&amp;", "&"))
    assert restarted.status_code == 302 and restarted["Location"].startswith(AUTHORIZE_URL["procore"])
    state = OAuthState.objects.order_by("-id").first()
    assert state is not None and state.next_url == NEXT


def test_try_again_after_a_deny_asks_again_to_sign_in_as_someone_else_when_that_was_asked(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "autodesk", switch="1")
    denied = member_client.get("/oauth/autodesk/callback/", {"error": "access_denied", "state": authorize["state"]})

    again = re.search(r'<a class="button primary" href="([^"]+)">Try again</a>', denied.content.decode())
    assert again is not None
    restarted = member_client.get(again.group(1).replace("&amp;", "&"))
    assert restarted.status_code == 302
    assert parse_qs(urlsplit(restarted["Location"]).query)["prompt"] == ["login"]


def test_another_refusal_than_a_deny_offers_no_try_again(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    refused = member_client.get("/oauth/procore/callback/", {"error": "server_error", "state": authorize["state"]})
    assert "Try again" not in refused.content.decode()


def test_sign_in_as_someone_else_asks_autodesk_to_prompt_for_the_account(
    member_client: Client, pc_project: ProjectCenterProject
) -> None:
    assert start(member_client, "autodesk", switch="1")["prompt"] == "login"
    assert "prompt" not in start(member_client, "autodesk")


def test_sign_in_as_someone_else_sends_procore_no_undocumented_prompt(
    member_client: Client, pc_project: ProjectCenterProject
) -> None:
    assert "prompt" not in start(member_client, "procore", switch="1")


def test_a_callback_without_state_is_refused(member_client: Client, mocked: responses.RequestsMock) -> None:
    response = member_client.get("/oauth/procore/callback/", {"code": "c"})
    assert_refused(response, "did not say which connection it belongs to", mocked)


def test_an_unknown_state_is_refused(member_client: Client, mocked: responses.RequestsMock) -> None:
    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": "made-up"})
    assert_refused(response, "not one the portal started", mocked)


def test_it_rejects_a_reused_state(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    mocked.post(TOKEN_URL["procore"], json={"error": "invalid_grant"}, status=400)
    member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    calls_before = len(mocked.calls)

    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})

    assert "already used" in response.content.decode()
    assert len(mocked.calls) == calls_before  # the token endpoint was not called again
    assert ProviderAccount.objects.count() == 0


def test_an_expired_state_is_refused(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    OAuthState.objects.update(created_at=timezone.now() - dt.timedelta(minutes=11))
    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert_refused(response, "has expired", mocked)


def test_a_state_started_in_someone_elses_session_is_refused(
    member_client: Client,
    mocked: responses.RequestsMock,
    pc_project: ProjectCenterProject,
    firm: Firm,
    make_member: Callable[..., User],
) -> None:
    authorize = start(member_client, "procore")
    colleague = Client()
    colleague.force_login(make_member(firm))
    response = colleague.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert_refused(response, "started by someone else or in another browser session", mocked)


def test_a_state_used_by_a_member_of_another_firm_is_refused(
    member_client: Client,
    mocked: responses.RequestsMock,
    pc_project: ProjectCenterProject,
    other_firm: Firm,
    make_member: Callable[..., User],
) -> None:
    authorize = start(member_client, "procore")
    outsider = Client()
    outsider.force_login(make_member(other_firm))
    response = outsider.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert_refused(response, "started by someone else", mocked)
    assert OAuthState.objects.get().used_at is None  # the owner can still finish


def test_a_state_from_another_browser_session_of_the_same_user_is_refused(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject, member: User
) -> None:
    authorize = start(member_client, "procore")
    other_browser = Client()
    other_browser.force_login(member)
    response = other_browser.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert_refused(response, "another browser session", mocked)


def test_a_state_started_for_another_provider_is_refused(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "autodesk")
    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert_refused(response, "started for Autodesk, not Procore", mocked)


def test_invalid_grant_at_the_token_endpoint_is_refused_without_saving(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    mocked.post(TOKEN_URL["procore"], json={"error": "invalid_grant"}, status=400)
    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert_refused(response, "Reconnect your Procore account", mocked, token_called=True)
    assert len([c for c in mocked.calls if c.request.url == TOKEN_URL["procore"]]) == 1  # not retried


def test_a_token_endpoint_that_is_down_is_explained_and_nothing_is_saved(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    mocked.post(TOKEN_URL["procore"], status=503, headers={"Retry-After": "600"})
    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert_refused(response, "Procore is not answering right now", mocked, token_called=True)


def test_a_who_am_i_answer_that_is_not_json_saves_nothing(
    member_client: Client, mocked: responses.RequestsMock, pc_project: ProjectCenterProject
) -> None:
    authorize = start(member_client, "procore")
    mocked.post(TOKEN_URL["procore"], json=token_answer())
    mocked.get(WHO_AM_I["procore"][0], body="{not json", content_type="application/json")
    response = member_client.get("/oauth/procore/callback/", {"code": "c", "state": authorize["state"]})
    assert_refused(response, "could not understand", mocked, token_called=True)


# -- who may start -------------------------------------------------------------------------------------------------


def test_starting_needs_a_signed_in_user(client: Client, db: None) -> None:
    response = client.get("/oauth/procore/start/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_firm_without_the_connector_in_its_licence_cannot_start(
    member_client: Client, firm: Firm, mocked: responses.RequestsMock
) -> None:
    Licence.objects.filter(firm=firm).update(procore=False)
    response = member_client.get("/oauth/procore/start/")
    assert response.status_code == 403
    assert "licence does not include the Procore connector" in response.content.decode()
    assert OAuthState.objects.count() == 0


def test_a_provider_without_an_app_is_not_available_contact_support(
    member_client: Client, settings: object, mocked: responses.RequestsMock
) -> None:
    settings.PROVIDER_SANDBOX = False  # type: ignore[attr-defined]
    response = member_client.get("/oauth/procore/start/")
    assert response.status_code == 503
    assert "not available in the connector portal yet — contact support" in response.content.decode()
    assert OAuthState.objects.count() == 0


def test_a_production_app_uses_the_real_hosts_and_the_registered_redirect_uri(
    member_client: Client, settings: object, db: None
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example.com"  # type: ignore[attr-defined]
    ProviderApp.objects.create(provider=Connector.PROCORE, client_id="prod-id", client_secret="prod-secret")
    response = member_client.get("/oauth/procore/start/")
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://login.procore.com/oauth/authorize"
    assert query["redirect_uri"] == ["https://portal.example.com/oauth/procore/callback/"]
    assert query["client_id"] == ["prod-id"]


def test_another_firms_project_cannot_be_named_at_start(
    member_client: Client, other_firm: Firm, mocked: responses.RequestsMock
) -> None:
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="THEIRS", name="Theirs")
    response = member_client.get("/oauth/procore/start/", {"project": "THEIRS"})
    assert response.status_code == 404
    assert OAuthState.objects.count() == 0


def test_an_unknown_provider_is_not_found(member_client: Client) -> None:
    assert member_client.get("/oauth/myspace/start/").status_code == 404
