"""The provider clients against the local provider sandbox over real HTTP: the whole connect flow through the
sandbox's sign-in and consent pages, then companies/hubs and projects, for each provider.

The portal's Procore traffic is recorded and checked against Procore's published operations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from connector_portal.models import User
from providers.models import ProviderAccount
from providers.registry import get_provider
from providers.services import account_revoke
from sandbox.constants import SANDBOX_CLIENTS
from sandbox.testing import RunningSandbox, running_sandbox
from tests.providers import procore_reference

pytestmark = pytest.mark.sandbox
TIMEOUT = (2, 5)


@pytest.fixture
def sandbox(tmp_path: Path, settings: object) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path / "sandbox.sqlite3", seed=True) as handle:
        settings.SANDBOX_URL = handle.base_url  # type: ignore[attr-defined]
        yield handle


@pytest.fixture
def browser(member: User) -> Client:
    # The sandbox only redirects back to 127.0.0.1 / localhost, like a registered development callback.
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(member)
    return client


def consent(sandbox: RunningSandbox, authorize_url: str, *, decision: str = "allow") -> str:
    """Sign in at the sandbox's authorize page as the seeded reviewer and answer; returns the callback URL."""
    page = requests.get(authorize_url, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    action = sandbox.base_url + re.search(r"action='([^']+)'", page.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    signed_in = requests.post(
        action, data={"step": "sign_in", "login": "reviewer@sandbox.test", "password": "sandbox"}, timeout=TIMEOUT
    )
    ticket = re.search(r"name='ticket' value='([^']+)'", signed_in.text).group(1)  # type: ignore[union-attr]
    answer = requests.post(
        action, data={"step": "consent", "ticket": ticket, "decision": decision}, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def connect(browser: Client, sandbox: RunningSandbox, provider: str) -> ProviderAccount:
    start = browser.get(f"/oauth/{provider}/start/", {"next": "/connect/x/"})
    assert start.status_code == 302
    callback = urlsplit(consent(sandbox, start["Location"]))
    assert callback.path == f"/oauth/{provider}/callback/"
    done = browser.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.content.decode()
    account = ProviderAccount.objects.get(provider=provider)
    assert done["Location"] == f"/connect/x/?account={account.pk}"
    return account


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[SimpleNamespace]:
    """Every request sent, except the browser's visits to the sign-in pages (not the client's doing)."""
    calls: list[SimpleNamespace] = []
    send = requests.Session.send

    def recording_send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        response = send(session, request, **kwargs)
        if "/authorize" not in (request.url or ""):
            calls.append(SimpleNamespace(request=request, response=response))
        return response

    monkeypatch.setattr(requests.Session, "send", recording_send)
    return calls


@pytest.mark.parametrize("provider", ["procore", "autodesk", "constructex"])
def test_a_member_connects_and_lists_projects_on_the_sandbox(
    provider: str, browser: Client, sandbox: RunningSandbox, recorded: list[SimpleNamespace]
) -> None:
    account = connect(browser, sandbox, provider)
    module = get_provider(provider)
    companies = module.list_companies(account=account)
    company_id = companies[0].id if module.needs_company_choice else ""
    projects = module.list_projects(account=account, company_id=company_id)
    tokens = module.refresh(refresh_token=account.refresh_token)
    module.revoke(token=tokens.access_token if module.revokes == "access" else tokens.refresh_token)
    calls = list(recorded)

    assert account.status == "active" and account.provider_user_id and account.email == "reviewer@sandbox.test"
    assert bool(companies) is module.needs_company_choice
    assert projects, f"the seeded reviewer sees no {provider} project"
    if provider == "procore":
        assert len(procore_reference.procore_calls(calls, base=sandbox.url("procore", ""))) == 6
        procore_reference.assert_documented(calls, base=sandbox.url("procore", ""))


def test_disconnecting_procore_revokes_the_access_token_and_with_it_the_refresh_token(
    browser: Client, sandbox: RunningSandbox
) -> None:
    account = connect(browser, sandbox, "procore")
    access, refresh = account.access_token, account.refresh_token
    account_revoke(account=account)
    me = requests.get(
        sandbox.url("procore", "/rest/v1.0/me"), headers={"Authorization": f"Bearer {access}"}, timeout=TIMEOUT
    )
    assert me.status_code == 401, "Procore's revoke takes the access token; sending the refresh token revokes nothing"
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": SANDBOX_CLIENTS["procore"][0]}
    form["client_secret"] = SANDBOX_CLIENTS["procore"][1]
    assert requests.post(sandbox.url("procore", "/oauth/token"), data=form, timeout=TIMEOUT).status_code == 400


def test_denying_consent_on_the_sandbox_saves_nothing(browser: Client, sandbox: RunningSandbox) -> None:
    start = browser.get("/oauth/autodesk/start/")
    callback = urlsplit(consent(sandbox, start["Location"], decision="deny"))
    response = browser.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 400
    assert "You pressed Deny on Autodesk" in response.content.decode()
    assert ">Try again<" in response.content.decode()
    assert ProviderAccount.objects.count() == 0


def test_signing_in_as_someone_else_at_autodesk_prompts_for_the_account_and_connects_them(
    browser: Client, sandbox: RunningSandbox
) -> None:
    start = browser.get("/oauth/autodesk/start/", {"next": "/connect/x/", "switch": "1"})
    page = requests.get(start["Location"], timeout=TIMEOUT)
    assert page.status_code == 200 and "Choose the account to sign in with" in page.text  # prompt=login accepted
    callback = urlsplit(consent(sandbox, start["Location"]))
    done = browser.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302 and ProviderAccount.objects.filter(provider="autodesk").count() == 1


def test_try_again_after_a_deny_reaches_the_sandbox_sign_in_again(browser: Client, sandbox: RunningSandbox) -> None:
    start = browser.get("/oauth/procore/start/", {"next": "/connect/x/"})
    callback = urlsplit(consent(sandbox, start["Location"], decision="deny"))
    denied = browser.get(f"{callback.path}?{callback.query}").content.decode()
    again = re.search(r'<a class="button primary" href="([^"]+)">Try again</a>', denied)
    assert again is not None
    restarted = browser.get(again.group(1).replace("&amp;", "&"))
    assert requests.get(restarted["Location"], timeout=TIMEOUT).status_code == 200  # the sign-in page, not an error
