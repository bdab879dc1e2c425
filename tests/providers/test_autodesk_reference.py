"""The Autodesk reference check (autodesk_reference.py) against construction.json and APS's OpenAPI files: it finds
each kind of undocumented or invalid request, lets the documented ones pass, and the authorize URL the portal builds
sends documented parameters only. Every Autodesk request of the suite goes through it (tests/provider_requests.py)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.providers import autodesk_reference
from tests.reference import require_reference

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(autouse=True)
def _autodesk_reference() -> None:
    require_reference(*autodesk_reference.FOLDER, autodesk_reference.CONSTRUCTION)


def problems(
    method: str, path: str, query: str = "", body: object = None, headers: dict[str, str] | None = None
) -> list[str]:
    raw = json.dumps(body) if isinstance(body, dict) else body
    sent_headers = headers if headers is not None else (JSON if isinstance(body, dict) else {})
    return [p.split(": ", 1)[1] for p in autodesk_reference.problems_at(method, path, query, sent_headers, raw)]


def test_every_file_is_read_and_each_operation_the_portal_uses_is_there() -> None:
    names = {op.name for op in autodesk_reference.operations()}
    assert {
        "acc-rfis-v3-search",
        "acc-rfis-v3-response-create",
        "acc-submittals-v2-items",
        "acc-submittals-v2-task-close",
        "bim360-rfis-v2-list",
        "fetch-token",
        "revoke",
        "get-user-info",
        "getHubs",
        "getHubProjects",
        "getProject",
        "create-system-event-hook",
    } <= names


def test_an_unknown_operation_and_the_undocumented_rfi_responses_list_are_refused() -> None:
    assert autodesk_reference.problems_at("GET", "/construction/rfis/v3/projects/p/rfis/r/responses", "", {}, None) == [
        "GET /construction/rfis/v3/projects/p/rfis/r/responses is not a documented Autodesk operation "
        "(autodesk/construction.json, *.yaml)"
    ]


def test_query_parameters_are_documented_and_within_their_limits_patterns_and_types() -> None:
    items = "/construction/submittals/v2/projects/p1/items"
    assert problems("GET", items, "limit=50&offset=0&filter[updatedAt]=2026-01-01..2099-12-31") == []
    assert problems("GET", items, "limit=51&offset=-1&filter[updatedAt]=2026-01-01T00:00:00Z&colour=red") == [
        "undocumented query parameter 'colour'",
        r"query 'filter[updatedAt]': '2026-01-01T00:00:00Z' does not match the documented pattern "
        r"^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$",
        "query 'limit': 51 is above the documented maximum 50",
        "query 'offset': -1 is below the documented minimum 0",
    ]
    # The OpenAPI files write limits in the parameter's description ("The max value is 200").
    assert problems("GET", "/project/v1/hubs/b.h/projects", "page[number]=0&page[limit]=201") == [
        "query 'page[limit]': 201 is above the documented maximum 200"
    ]
    assert problems("GET", "/bim360/rfis/v2/containers/c1/rfis", "limit=ten") == [
        "query 'limit': 'ten' is not of the documented type integer"
    ]


def test_body_keys_are_documented_at_every_depth_required_and_valid() -> None:
    search = "/construction/rfis/v3/projects/p1/search:rfis"
    good = {"limit": 200, "offset": 0, "filter": {"updatedAt": "2026-01-01T00:00:00Z..", "status": ["openRev1"]}}
    assert problems("POST", search, body=good) == []
    bad = {"limit": 201, "filter": {"updatedAt": "2026-01-01..", "status": ["pending"], "ballInCourt": ["me"]}}
    found = problems("POST", search, body=bad)
    assert found[0] == "body key 'limit': 201 is above the documented maximum 200"
    assert found[1].startswith("body key 'filter.updatedAt': '2026-01-01..' does not match the documented pattern")
    assert found[2].startswith("body key 'filter.status[0]': 'pending' is not one of the documented values")
    assert found[3:] == ["undocumented body key 'filter.ballInCourt'"]
    answer = "/construction/rfis/v3/projects/p1/rfis/r1/responses"
    assert problems("POST", answer, body={"text": "Yes", "status": "answered"}) == []
    assert problems("POST", answer, body={"content": "Yes", "status": "closed"}) == [
        "undocumented body key 'content'",
        "body key 'status': 'closed' is not one of the documented values ['answered', 'rejected']",
        "required body key 'text' missing",
    ]
    close = "/construction/submittals/v2/projects/p1/items/i1/steps/s1/tasks/t1:close"
    assert problems("POST", close, body={"responseId": "r", "responseComment": "c"}) == []
    assert problems("POST", close, body={"responseComment": "c"}) == ["required body key 'responseId' missing"]


def test_the_keys_construction_json_leaves_undescribed_are_checked_as_their_aps_pages_describe_them() -> None:
    answer = "/construction/rfis/v3/projects/p1/rfis/r1/responses"
    urn = "urn:adsk.objects:os.object:wip.dm.prod/o1.pdf"
    entry = {"attachmentType": "rfiResponse", "displayName": "a.pdf", "fileName": "o1.pdf", "storageUrn": urn}
    assert problems("POST", answer, body={"text": "Yes", "status": "answered", "attachments": [entry]}) == []
    old = {"name": "a.pdf", "urn": urn, "urnType": "oss"}
    assert problems("POST", answer, body={"text": "Yes", "status": "answered", "attachments": [old]}) == [
        "undocumented body key 'attachments[0].name'",
        "undocumented body key 'attachments[0].urn'",
        "undocumented body key 'attachments[0].urnType'",
        "required body key 'attachments[0].attachmentType' missing",
        "required body key 'attachments[0].displayName' missing",
        "required body key 'attachments[0].fileName' missing",
        "required body key 'attachments[0].storageUrn' missing",
    ]
    official = {**entry, "attachmentType": "rfiOfficialResponse"}
    assert problems("POST", answer, body={"text": "Yes", "status": "answered", "attachments": [official]}) == [
        "body key 'attachments[0].attachmentType': 'rfiOfficialResponse' is not one of the documented values "
        "['rfiResponse']"
    ]
    close = "/construction/submittals/v2/projects/p1/items/i1/steps/s1/tasks/t1:close"
    assert problems("POST", close, body={"responseId": "r", "saveAttachmentDrafts": [""]}) == []
    assert problems("POST", close, body={"responseId": "r", "saveAttachmentDrafts": True}) == [
        "body key 'saveAttachmentDrafts': True is not of the documented type array"
    ]


def test_the_oauth_forms_are_checked_key_by_key_with_their_enums_and_scopes() -> None:
    token = "/authentication/v2/token"
    good = "grant_type=refresh_token&refresh_token=r&scope=data:read%20data:write%20account:read"
    assert problems("POST", token, body=good, headers=FORM) == []
    bad = "grant_type=password&client_secret=s&scope=data:read%20data:fly"
    assert problems("POST", token, body=bad, headers=FORM) == [
        "undocumented body key 'client_secret'",
        "body key 'grant_type': 'password' is not one of the documented values "
        "['client_credentials', 'authorization_code', 'refresh_token']",
        "body key 'scope': 'data:fly' is not one of the documented values ['user:read', 'user:write', "
        "'user-profile:read', 'viewables:read', 'data:read', 'data:read:<URN_OF_RESOURCE>', 'data:write', "
        "'data:create', 'data:search', 'bucket:create', 'bucket:read', 'bucket:update', 'bucket:delete', 'code:all', "
        "'account:read', 'account:write', 'openid']",
    ]
    assert problems("POST", "/authentication/v2/revoke", body="token=t", headers=FORM) == [
        "required body key 'token_type_hint' missing"
    ]


def test_ids_without_b_headers_documented_and_the_allowlisted_calls_each_with_its_aps_page() -> None:
    assert problems("GET", "/construction/rfis/v3/projects/b.p1/rfis/r1") == [
        "path id 'b.p1' keeps Data Management's 'b.' prefix"
    ]
    assert problems("GET", "/project/v1/hubs/b.h", headers={"x-user-id": "u"}) == []
    assert problems("GET", "/project/v1/hubs/b.h", headers={"Region": "EMEA"}) == ["undocumented header 'Region'"]
    user = "/construction/admin/v1/projects/p1/users/u1"
    assert problems("GET", user, headers={"Region": "EMEA"}) == []
    assert problems("GET", user, "include=everything") == ["undocumented query parameter 'include'"]
    allowed = [op for op in autodesk_reference.operations() if op in autodesk_reference.UNDESCRIBED]
    assert [(op.method, op.path) for op in allowed] == [
        ("GET", "/construction/admin/v1/projects/{projectId}/users/{userId}"),
        ("GET", "/oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3upload"),
        ("POST", "/oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3upload"),
        ("GET", "/oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3download"),
        ("GET", "/construction/submittals/v2/projects/{projectId}/items/{itemId}/attachments"),
        ("POST", "/construction/submittals/v2/projects/{projectId}/items/{itemId}/attachments"),
        ("PATCH", "/construction/submittals/v2/projects/{projectId}/items/{itemId}/attachments/{attachmentId}"),
    ]
    assert all(op.source.startswith("https://aps.autodesk.com/en/docs/") for op in allowed)


def test_the_file_operations_take_only_what_their_pages_document() -> None:
    oss = "/oss/v2/buckets/wip.dm.prod/objects/o1.pdf/signeds3upload"
    assert problems("GET", oss, "minutesExpiration=60") == []
    assert problems("GET", oss, "minutesExpiration=90") == [
        "query 'minutesExpiration': 90 is above the documented maximum 60"
    ]
    assert problems("POST", oss, body={"uploadKey": "k", "size": 3}) == []
    assert problems("POST", oss, body={"size": 3}) == ["required body key 'uploadKey' missing"]
    attachments = "/construction/submittals/v2/projects/p1/items/i1/attachments"
    assert problems("POST", attachments, body={"name": "a.pdf", "urnTypeId": "2", "taskId": "t1"}) == []
    assert problems("POST", attachments, body={"taskId": "t1", "name": "a.pdf", "urn": "x"}) == [
        "undocumented body key 'urn'",
        "required body key 'urnTypeId' missing",
    ]
    assert problems("POST", attachments, body={"name": "a.pdf", "urnTypeId": 2}) == [
        "body key 'urnTypeId': 2 is not of the documented type string"
    ]
    for name in (
        "Detail 5: revised.pdf",
        "a?.pdf",
        "a*b.pdf",
        "a<b>.pdf",
        "a|b.pdf",
        "a\\b.pdf",
        "a/b.pdf",
        "a\tb.pdf",
        "a.pdf\n",
    ):
        [problem] = problems("POST", attachments, body={"name": name, "urnTypeId": "2", "taskId": "t1"})
        assert problem.startswith(f"body key 'name': {name!r} does not match the documented pattern"), problem
    assert problems("POST", attachments, body={"name": "Detail 5_ revised.pdf", "urnTypeId": "2"}) == []
    assert problems("PATCH", f"{attachments}/a1", body={"isFileUploaded": True}) == []
    assert problems("GET", attachments, "limit=51") == ["query 'limit': 51 is above the documented maximum 50"]


def test_the_authorize_url_sends_documented_parameters_only(member_client: Client) -> None:
    authorize = urlsplit(member_client.get("/oauth/autodesk/start/")["Location"])
    assert authorize.path.endswith("/authentication/v2/authorize")
    sent = parse_qs(authorize.query)
    assert {"client_id", "response_type", "redirect_uri", "scope", "state", "code_challenge"} <= set(sent)
    assert problems("GET", "/authentication/v2/authorize", authorize.query) == []


def test_the_sign_in_as_someone_else_url_is_documented_too(member_client: Client) -> None:
    authorize = urlsplit(member_client.get("/oauth/autodesk/start/?switch=1")["Location"])
    assert parse_qs(authorize.query)["prompt"] == ["login"]
    assert problems("GET", "/authentication/v2/authorize", authorize.query) == []
