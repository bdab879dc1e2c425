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
