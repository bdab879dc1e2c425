"""Connected accounts at work: refresh ahead of expiry, access problems in words, and listing companies and projects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import requests
import responses
from django.utils import timezone

from connector_portal.models import AuditEvent
from providers.autodesk import api_id
from providers.errors import AccessBlocked, NeedsReauthorization, ProviderUnavailable, RateLimited, UnexpectedAnswer
from providers.models import ProviderAccount, ProviderApp
from providers.registry import get_provider
from providers.services import account_get_access_token, account_revoke
from providers.types import ProjectFacts
from tests.providers.conftest import AUTODESK, CONSTRUCTEX, PROCORE, sent_form, token_answer

TOKEN = f"{PROCORE}/oauth/token"
PROJECTS = f"{PROCORE}/rest/v1.1/projects"
COMPANIES = f"{PROCORE}/rest/v1.0/companies"
MakeAccount = Callable[..., ProviderAccount]


def token_calls(mocked: responses.RequestsMock, url: str = TOKEN) -> list[responses.Call]:
    return [call for call in mocked.calls if call.request.url == url]


# -- refresh ---------------------------------------------------------------------------------------------------------


def test_a_token_far_from_expiry_is_used_as_it_is(mocked: responses.RequestsMock, make_account: MakeAccount) -> None:
    account = make_account(expires_in=3600)
    assert account_get_access_token(account_id=account.pk) == "procore-access-old"
    assert token_calls(mocked) == []


def test_a_token_about_to_expire_is_refreshed_and_the_rotated_pair_saved(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account(expires_in=120)
    mocked.post(TOKEN, json=token_answer(access="access-2", refresh="refresh-2"))

    assert account_get_access_token(account_id=account.pk) == "access-2"

    account.refresh_from_db()
    assert (account.access_token, account.refresh_token) == ("access-2", "refresh-2")
    assert account.expires_at and account.expires_at > timezone.now() + dt.timedelta(minutes=80)
    form = {key: values[0] for key, values in sent_form(token_calls(mocked)[0].request).items()}
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "procore-refresh-old",
        "client_id": "portal-procore",
        "client_secret": "sandbox-procore-secret",
    }


def test_invalid_grant_asks_for_reconnection_records_it_and_is_not_retried(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account(expires_in=0)
    mocked.post(TOKEN, json={"error": "invalid_grant", "error_description": "revoked"}, status=400)

    with pytest.raises(NeedsReauthorization) as caught:
        account_get_access_token(account_id=account.pk)
    with pytest.raises(NeedsReauthorization):
        account_get_access_token(account_id=account.pk)  # asks nobody: the account waits for its user

    account.refresh_from_db()
    assert account.status == ProviderAccount.Status.NEEDS_REAUTH
    assert account.last_error == caught.value.message
    assert "Reconnect your Procore account" in account.last_error
    assert account.refresh_token == "procore-refresh-old"  # nothing half-saved
    assert len(token_calls(mocked)) == 1
    assert AuditEvent.objects.filter(action="provider_account.needs_reauth", target_id=str(account.pk)).count() == 1


def test_a_refresh_that_times_out_changes_nothing_and_is_not_resent(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account(expires_in=0)
    mocked.post(TOKEN, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ProviderUnavailable):
        account_get_access_token(account_id=account.pk)
    account.refresh_from_db()
    assert (account.status, account.refresh_token) == ("active", "procore-refresh-old")
    assert len(token_calls(mocked)) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_a_refresh_answered_by_a_gateway_error_is_not_resent_and_keeps_the_account_usable(
    mocked: responses.RequestsMock, make_account: MakeAccount, status: int
) -> None:
    # Procore may have rotated the pair before the gateway failed; sending the old refresh token again would be
    # refused (invalid_grant) and force the user to reconnect.
    account = make_account(expires_in=0)
    mocked.post(TOKEN, status=status)
    mocked.post(TOKEN, json={"error": "invalid_grant"}, status=400)
    with pytest.raises(ProviderUnavailable):
        account_get_access_token(account_id=account.pk)
    account.refresh_from_db()
    assert account.status == ProviderAccount.Status.ACTIVE
    assert len(token_calls(mocked)) == 1


# -- access problems on API calls ------------------------------------------------------------------------------------


def test_a_401_before_the_app_is_installed_says_the_company_does_not_allow_outside_apps(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account()
    mocked.get(PROJECTS, status=401, json={"errors": "Unauthorized"})
    mocked.post(TOKEN, json=token_answer(access="access-2", refresh="refresh-2"))

    with pytest.raises(AccessBlocked) as caught:
        get_provider("procore").list_projects(account=account, company_id="8")

    assert "does not allow connections from outside applications" in caught.value.message
    assert len(token_calls(mocked)) == 1  # one refresh, one retry, then the answer stands
    account.refresh_from_db()
    assert account.status == "active"  # reconnecting would not help: a company administrator must act
    assert account.last_error == caught.value.message
    assert account.access_token == "access-2"


def test_a_403_app_not_connected_says_an_administrator_disconnected_the_app(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account()
    mocked.get(PROJECTS, status=403, json={"errors": "App is not connected to this company"})
    with pytest.raises(AccessBlocked) as caught:
        get_provider("procore").list_projects(account=account, company_id="8")
    assert "disconnected the connector app from this company" in caught.value.message
    account.refresh_from_db()
    assert (account.status, account.last_error) == ("active", caught.value.message)


def test_a_401_on_a_call_that_needs_no_company_means_reconnect(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account()
    mocked.get(COMPANIES, status=401)
    mocked.post(TOKEN, json=token_answer())
    with pytest.raises(NeedsReauthorization):
        get_provider("procore").list_companies(account=account)
    account.refresh_from_db()
    assert account.status == ProviderAccount.Status.NEEDS_REAUTH


def test_a_429_with_a_distant_rate_limit_reset_is_raised_and_the_account_stays_usable(
    mocked: responses.RequestsMock, make_account: MakeAccount, clock: float, sleeps: list[float]
) -> None:
    account = make_account()
    mocked.get(PROJECTS, status=429, headers={"X-Rate-Limit-Reset": str(int(clock) + 600)})
    with pytest.raises(RateLimited) as caught:
        get_provider("procore").list_projects(account=account, company_id="8")
    assert caught.value.retry_after == 600
    assert "10 minutes" in caught.value.message
    assert sleeps == []
    account.refresh_from_db()
    assert (account.status, account.last_error) == ("active", "")


def test_a_503_with_retry_after_is_raised_as_unavailable(
    mocked: responses.RequestsMock, make_account: MakeAccount, sleeps: list[float]
) -> None:
    account = make_account()
    mocked.get(COMPANIES, status=503, headers={"Retry-After": "300"})
    with pytest.raises(ProviderUnavailable) as caught:
        get_provider("procore").list_companies(account=account)
    assert caught.value.retry_after == 300
    account.refresh_from_db()
    assert account.status == "active"


def test_a_listing_that_times_out_is_unavailable(
    mocked: responses.RequestsMock, make_account: MakeAccount, sleeps: list[float]
) -> None:
    account = make_account()
    mocked.get(COMPANIES, body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(ProviderUnavailable):
        get_provider("procore").list_companies(account=account)
    assert len(sleeps) == 3


def test_malformed_json_in_a_listing_is_an_unexpected_answer(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account()
    mocked.get(COMPANIES, body='[{"id": 1,', content_type="application/json")
    with pytest.raises(UnexpectedAnswer):
        get_provider("procore").list_companies(account=account)


def test_autodesk_403_says_the_account_admin_must_add_the_app_under_custom_integrations(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account("autodesk")
    mocked.get(f"{AUTODESK}/project/v1/hubs/b.acct/projects", status=403, json={"errorCode": "NO_ACCESS"})
    with pytest.raises(AccessBlocked) as caught:
        get_provider("autodesk").list_projects(account=account, company_id="b.acct")
    assert "Custom Integrations" in caught.value.message


# -- listing -----------------------------------------------------------------------------------------------------------


def test_procore_lists_every_active_company_and_picks_none(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account()
    mocked.get(
        COMPANIES,
        json=[
            {"id": 9007199254740993, "name": "Builder One", "is_active": True},
            {"id": 2, "name": "Builder Two", "is_active": True},
            {"id": 3, "name": "Gone", "is_active": False},
        ],
    )
    provider = get_provider("procore")
    companies = provider.list_companies(account=account)
    assert provider.needs_company_choice is True
    assert [(c.id, c.name) for c in companies] == [("9007199254740993", "Builder One"), ("2", "Builder Two")]


def test_procore_projects_follow_every_page_with_the_company_header(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account()
    page2 = f"{PROJECTS}?company_id=8&page=2&per_page=300"
    mocked.get(
        PROJECTS,
        json=[{"id": 1, "name": "Harbour Library", "project_number": "100"}],
        headers={"Link": f'<{page2}>; rel="next", <{page2}>; rel="last"', "Total": "2"},
        match=[responses.matchers.query_param_matcher({"company_id": "8", "page": "1", "per_page": "300"})],
    )
    mocked.get(page2, json=[{"id": 2, "name": "Depot"}], headers={"Link": f'<{PROJECTS}?page=1>; rel="first"'})

    projects = get_provider("procore").list_projects(account=account, company_id="8")

    assert [(p.id, p.name, p.number, p.company_id) for p in projects] == [
        ("1", "Harbour Library", "100", "8"),
        ("2", "Depot", "", "8"),
    ]
    assert all(call.request.headers["Procore-Company-Id"] == "8" for call in mocked.calls)


def test_no_projects_is_explained_as_not_being_on_a_project_team(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account()
    mocked.get(PROJECTS, json=[])
    provider = get_provider("procore")
    assert provider.list_projects(account=account, company_id="8") == []
    assert "add you to the project's team" in provider.no_projects_message


def test_autodesk_lists_construction_hubs_and_every_page_of_projects(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account("autodesk")
    mocked.get(
        f"{AUTODESK}/project/v1/hubs",
        json={
            "data": [
                {
                    "id": "b.acct",
                    "attributes": {"name": "Builder ACC", "extension": {"type": "hubs:autodesk.bim360:Account"}},
                },
                {
                    "id": "a.personal",
                    "attributes": {"name": "Mine", "extension": {"type": "hubs:autodesk.a360:PersonalHub"}},
                },
            ],
            "links": {"self": {"href": f"{AUTODESK}/project/v1/hubs"}},
        },
    )
    page2 = f"{AUTODESK}/project/v1/hubs/b.acct/projects?page%5Bnumber%5D=1&page%5Blimit%5D=200"
    mocked.get(
        f"{AUTODESK}/project/v1/hubs/b.acct/projects",
        json={
            "data": [{"id": "b.p1", "attributes": {"name": "Tower", "extension": {"data": {"projectType": "ACC"}}}}],
            "links": {"next": {"href": page2}},
        },
        match=[responses.matchers.query_param_matcher({"page[number]": "0", "page[limit]": "200"})],
    )
    mocked.get(
        page2,
        json={
            "data": [{"id": "b.p2", "attributes": {"name": "Clinic", "extension": {"data": {"projectType": "BIM360"}}}}]
        },
    )
    mocked.get(f"{AUTODESK}/project/v1/hubs/b.acct", json={"data": {"id": "b.acct", "attributes": {"region": "EMEA"}}})
    provider = get_provider("autodesk")

    hubs = provider.list_companies(account=account)
    projects = provider.list_projects(account=account, company_id="b.acct")

    assert [(h.id, h.name) for h in hubs] == [("b.acct", "Builder ACC")]
    assert [(p.id, p.name, p.supports_submittals) for p in projects] == [
        ("b.p1", "Tower", True),
        ("b.p2", "Clinic", False),
    ]
    assert api_id(projects[0].id) == "p1"
    # What later calls need is carried with each project (and kept on its link): type and the hub's region.
    assert [p.facts for p in projects] == [
        ProjectFacts(project_type="ACC", region="EMEA"),
        ProjectFacts(project_type="BIM360", region="EMEA"),
    ]


def test_constructex_projects_follow_the_cursor(mocked: responses.RequestsMock, make_account: MakeAccount) -> None:
    account = make_account("constructex")
    url = f"{CONSTRUCTEX}/api/v1/projects"
    mocked.get(url, json={"results": [{"id": "x1", "name": "Pier", "number": "7"}], "next_cursor": "abc"})
    mocked.get(
        url,
        json={"results": [{"id": "x2", "name": "Quay", "number": "8"}], "next_cursor": None},
        match=[responses.matchers.query_param_matcher({"cursor": "abc"})],
    )
    projects = get_provider("constructex").list_projects(account=account)
    assert [p.id for p in projects] == ["x1", "x2"]
    assert get_provider("constructex").needs_company_choice is False


def test_disconnected_accounts_make_no_provider_call(mocked: responses.RequestsMock, make_account: MakeAccount) -> None:
    account = make_account(status=ProviderAccount.Status.REVOKED, last_error="Disconnected.")
    with pytest.raises(NeedsReauthorization, match=r"Disconnected\."):
        get_provider("procore").list_companies(account=account)
    assert len(mocked.calls) == 0


def test_disconnecting_while_the_providers_app_is_disabled_still_forgets_the_tokens(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account(expires_in=3600)
    ProviderApp.objects.create(provider="procore", client_id="portal-procore", client_secret="s", is_enabled=False)

    account_revoke(account=account)

    account.refresh_from_db()
    assert (account.access_token, account.refresh_token, account.status) == ("", "", ProviderAccount.Status.REVOKED)
    assert [c.request.url for c in mocked.calls] == []  # nothing could be sent: the app is off
