"""Every Procore request the client makes is one Procore documents (../shared/reference/procore/endpoints/*.json).

The `mocked` fixture runs the same check after every provider test; this file walks all the Procore operations the
client uses in one place, and shows the check does catch an undocumented request.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.test import Client

from providers.models import ProviderAccount
from providers.registry import get_provider
from tests.providers import procore_reference
from tests.providers.conftest import PROCORE, token_answer
from tests.reference import require_reference


@pytest.fixture(autouse=True)
def _procore_reference() -> None:
    """Skipped without Procore's endpoint descriptions; in CI their absence fails (tests/reference.py)."""
    require_reference(*procore_reference.ENDPOINTS)


def test_every_procore_request_of_connect_refresh_listing_and_revoke_is_documented(
    member_client: Client, make_account: Callable[..., ProviderAccount]
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.post(f"{PROCORE}/oauth/token", json=token_answer())
        mocked.get(f"{PROCORE}/rest/v1.0/me", json={"id": 1, "login": "r@example.com", "name": "R"})
        mocked.get(f"{PROCORE}/rest/v1.0/companies", json=[{"id": 8, "name": "B", "is_active": True}])
        mocked.get(f"{PROCORE}/rest/v1.1/projects", json=[{"id": 2, "name": "P"}])
        mocked.post(f"{PROCORE}/oauth/revoke", json={})

        authorize = member_client.get("/oauth/procore/start/")["Location"]
        state = parse_qs(urlsplit(authorize).query)["state"][0]
        member_client.get("/oauth/procore/callback/", {"code": "c", "state": state})
        account = ProviderAccount.objects.get()
        provider = get_provider("procore")
        provider.refresh(refresh_token=account.refresh_token)
        provider.list_companies(account=account)
        provider.list_projects(account=account, company_id="8")
        provider.revoke(token=account.access_token)

        calls = procore_reference.procore_calls(mocked.calls, base=PROCORE)
        problems = [
            p
            for c in calls
            for p in procore_reference.problems_of(
                c.request.method, c.request.url, dict(c.request.headers), c.request, base=PROCORE
            )
        ]
    assert len(calls) == 6
    assert problems == []


def test_the_authorize_url_sends_the_documented_parameters_plus_state(member_client: Client) -> None:
    authorize = urlsplit(member_client.get("/oauth/procore/start/")["Location"])
    documented = next(op for op in procore_reference.operations() if op.name == "OauthAuthorizeGet")
    sent = set(parse_qs(authorize.query))
    # `state` is the one addition: Procore's guide requires it although this operation file does not list it.
    assert sent - documented.query == {"state"}
    assert documented.required_query <= sent


def test_the_check_catches_an_undocumented_parameter_a_missing_header_and_an_unknown_path(db: None) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(f"{PROCORE}/rest/v1.1/projects", json=[])
        mocked.get(f"{PROCORE}/rest/v9/nothing", json=[])
        params: dict[str, int | str] = {"company_id": 1, "colour": "red"}
        requests.get(f"{PROCORE}/rest/v1.1/projects", params=params, timeout=1)
        requests.get(f"{PROCORE}/rest/v9/nothing", timeout=1)
        with pytest.raises(AssertionError) as caught:
            procore_reference.assert_documented(mocked.calls, base=PROCORE)
    assert "undocumented query parameter 'colour'" in str(caught.value)
    assert "no Procore-Company-Id header" in str(caught.value)
    assert "GET /rest/v9/nothing is not a documented Procore operation" in str(caught.value)


def problems(method: str, path: str, query: str = "", body: str | None = None, company: str | None = "8") -> list[str]:
    headers = {"Content-Type": "application/json"} if body else {}
    if company is not None:
        headers["Procore-Company-Id"] = company
    return procore_reference.problems_at(method, path, query, headers, body)


def test_the_company_header_is_on_every_company_scoped_call_and_only_there() -> None:
    scoped = {op.name for op in procore_reference.operations() if op.company_scoped}
    assert "RestV10MeGet" not in scoped and "RestV10CompaniesGet" not in scoped and "OauthTokenPost" not in scoped
    assert {"RestV11ProjectsGet", "RestV10SubmittalApproversIdPatch", "RestV10WebhooksHooksPost"} <= scoped
    assert problems("GET", "/rest/v1.0/me") == [
        "RestV10MeGet (procore/endpoints/RestV10MeGet.json): Procore-Company-Id sent on a call that is not "
        "company-scoped"
    ]
    assert problems("GET", "/rest/v1.0/me", company=None) == []
    assert problems("GET", "/rest/v1.0/projects/6/rfis/7", company=None) == [
        "RestV10ProjectsProjectIdRfisIdGet (procore/endpoints/RestV10ProjectsProjectIdRfisIdGet.json): "
        "no Procore-Company-Id header"
    ]
    assert problems("GET", "/rest/v1.1/projects", "company_id=9") == [
        "RestV11ProjectsGet (procore/endpoints/RestV11ProjectsGet.json): Procore-Company-Id '8' is not the company "
        "the call names ('9')"
    ]
    assert problems("GET", "/rest/v1.1/projects", "company_id=8") == []


def test_query_values_follow_the_reference_enums_types_date_ranges_and_page_limits() -> None:
    rfis = "/rest/v1.0/projects/6/rfis"
    assert (
        problems("GET", rfis, "filters[status]=open&filters[updated_at]=2026-01-01T00:00:00Z...2026-02-01T00:00:00Z")
        == []
    )
    assert problems("GET", rfis, "filters[status]=open&page=1&per_page=2000") == []
    found = problems("GET", rfis, "filters[status]=pending&filters[updated_at]=2026-01-01T10:00...tomorrow&page=0")
    assert [p.split(": ", 1)[1] for p in found] == [
        "query 'filters[status]': 'pending' is not one of the documented values ['open', 'closed', 'draft']",
        "query 'filters[updated_at]': '2026-01-01T10:00...tomorrow' is not a date or a range start...end of dates "
        "or of date-times",
        "query 'page': 0 is below the documented minimum 1",
    ]
    assert problems("GET", "/rest/v1.1/projects", "company_id=8&per_page=301")[0].endswith(
        "query 'per_page': 301 is above the documented maximum 300"
    )
    assert problems("GET", rfis, "per_page=2001")[0].endswith(
        "query 'per_page': 2001 is above the documented maximum 2000"
    )
    approver = "/rest/v1.0/submittal_approvers/3"
    body = '{"submittal_approver": {"submittal_response_id": 4}}'
    assert problems("PATCH", approver, "project_id=6&submittal_id=x&send_emails=yes", body) == [
        f"RestV10SubmittalApproversIdPatch (procore/endpoints/RestV10SubmittalApproversIdPatch.json): query {key}"
        for key in (
            "'send_emails': 'yes' is not a boolean (true or false)",
            "'submittal_id': 'x' is not of the documented type integer",
        )
    ]


def test_body_keys_are_checked_at_every_depth_with_their_types_and_required_keys() -> None:
    replies = "/rest/v1.0/projects/6/rfis/7/replies"
    assert problems("POST", replies, body='{"reply": {"body": "Yes", "official": false}}') == []
    found = problems("POST", replies, body='{"reply": {"body": "Yes", "official": "no", "send_emails": true}}')
    assert [p.split(": ", 1)[1] for p in found] == [
        "body key 'reply.official': 'no' is not of the documented type boolean",
        "undocumented body key 'reply.send_emails'",
    ]
    found = problems(
        "PATCH", "/rest/v1.0/submittal_approvers/3", "project_id=6&submittal_id=5", '{"submittal_approver": {}}'
    )
    assert found[0].endswith("required body key 'submittal_approver.submittal_response_id' missing")
    form = "grant_type=password&client_id=a&client_secret=b&code_verifier=v"
    found = procore_reference.problems_at(
        "POST", "/oauth/token", "", {"Content-Type": "application/x-www-form-urlencoded"}, form
    )
    assert [p.split(": ", 1)[1] for p in found] == [
        "undocumented body key 'code_verifier'",
        "body key 'grant_type': 'password' is not one of the documented values "
        "['authorization_code', 'refresh_token', 'client_credentials']",
    ]
