"""The suite-wide check (tests/provider_requests.py): what the portal sends to Procore and Autodesk during any test is
checked against ../shared/reference, an undocumented request fails the test that sent it, requests a test sends itself
are not the portal's, and the session's figures count what was checked."""

from __future__ import annotations

import pytest
import requests
import responses
from django.conf import settings

from providers import http
from providers.errors import UnexpectedAnswer
from tests import provider_requests
from tests.providers import autodesk_reference, procore_reference
from tests.reference import require_reference


@pytest.fixture(autouse=True)
def _references() -> None:
    require_reference(*procore_reference.ENDPOINTS)
    require_reference(*autodesk_reference.FOLDER, autodesk_reference.CONSTRUCTION)


def refuse(response: requests.Response, attempt: http.Attempt) -> UnexpectedAnswer:
    return UnexpectedAnswer("refused", detail=str(response.status_code))


def test_a_request_the_portal_sends_is_recorded_and_checked_and_one_a_test_sends_itself_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = provider_requests.Recorder()
    sent = recorder.install(monkeypatch, "this test")
    procore = f"{settings.SANDBOX_URL}/procore"
    autodesk = f"{settings.SANDBOX_URL}/autodesk"
    with responses.RequestsMock() as mocked:
        mocked.get(f"{procore}/rest/v1.1/projects", json=[])
        mocked.get(f"{autodesk}/construction/submittals/v2/projects/p1/items", json={})
        client = http.HttpClient()
        client.send(
            "GET",
            f"{procore}/rest/v1.1/projects",
            params={"company_id": 8, "colour": "red"},
            headers={"Procore-Company-Id": "8"},
            classify=refuse,
        )
        client.send(
            "GET",
            f"{autodesk}/construction/submittals/v2/projects/p1/items",
            params={"limit": 50, "filter[updatedAt]": "2026-01-01T00:00:00Z..2026-02-01T00:00:00Z"},
            classify=refuse,
        )
        requests.get(f"{procore}/rest/v1.1/projects", params={"flavour": "mint"}, timeout=1)  # not the portal's

    assert [(one.provider, one.method, one.path) for one in sent] == [
        ("procore", "GET", "/rest/v1.1/projects"),
        ("autodesk", "GET", "/construction/submittals/v2/projects/p1/items"),
    ]
    assert sent[0].problems == (
        "RestV11ProjectsGet (procore/endpoints/RestV11ProjectsGet.json): undocumented query parameter 'colour'",
    )
    assert sent[1].problems == (
        "acc-submittals-v2-items (autodesk/construction.json, "
        "https://aps.autodesk.com/en/docs/acc/v1/reference/http/submittals-items-GET): query 'filter[updatedAt]': "
        "'2026-01-01T00:00:00Z..2026-02-01T00:00:00Z' does not match the documented pattern "
        r"^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$",
    )
    summary = "\n".join(recorder.summary())
    assert "Procore: 1 requests, 1 checked (1 documented operations), 1 undocumented (1 problems)" in summary
    assert "Autodesk: 1 requests, 1 checked (1 documented operations), 1 undocumented (1 problems)" in summary


def test_an_undocumented_request_fails_the_test_that_sent_it_naming_operation_problem_and_reference_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = provider_requests.Recorder()
    teardown = provider_requests.recording(monkeypatch, "a test", recorder)
    sent = next(teardown)
    with responses.RequestsMock() as mocked:
        url = f"{settings.SANDBOX_URL}/autodesk/construction/rfis/v3/projects/p1/rfis/r1/responses"
        mocked.post(url, json={})
        http.HttpClient().send("POST", url, json={"content": "Approved"}, classify=refuse)
    assert len(sent) == 1
    with pytest.raises(pytest.fail.Exception) as failed:
        next(teardown)
    text = str(failed.value)
    assert "POST /construction/rfis/v3/projects/p1/rfis/r1/responses" in text
    assert "acc-rfis-v3-response-create (autodesk/construction.json" in text
    assert "undocumented body key 'content'" in text
    assert "required body key 'text' missing" in text and "required body key 'status' missing" in text


def test_requests_are_told_apart_by_provider_on_the_sandbox_and_on_the_real_hosts() -> None:
    attribute = provider_requests.attribute
    assert attribute("http://127.0.0.1:8123/procore/rest/v1.0/me") == ("procore", "/rest/v1.0/me")
    assert attribute("http://127.0.0.1:8123/autodesk/project/v1/hubs") == ("autodesk", "/project/v1/hubs")
    assert attribute("https://api.procore.com/rest/v1.0/me") == ("procore", "/rest/v1.0/me")
    assert attribute("https://login.procore.com/oauth/token") == ("procore", "/oauth/token")
    assert attribute("https://developer.api.autodesk.com/project/v1/hubs") == ("autodesk", "/project/v1/hubs")
    assert attribute("https://api.userprofile.autodesk.com/userinfo") == ("autodesk", "/userinfo")
    assert attribute("http://127.0.0.1:8123/constructex/api/v1/projects") == ("", "/constructex/api/v1/projects")


def test_the_log_holds_names_never_values() -> None:
    one = provider_requests.check(
        "POST",
        "http://127.0.0.1:1/procore/oauth/token?x=1",
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer secret-token"},
        "grant_type=refresh_token&refresh_token=secret-refresh&client_id=c&client_secret=secret-client",
    )
    entry = str(one.entry())
    assert "secret" not in entry
    assert one.entry()["headers"] == ["Authorization", "Content-Type"]
