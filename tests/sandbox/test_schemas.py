"""The sandbox's Procore JSON answers against Procore's published response schemas (where they exist).

The extracted schemas carry no `nullable` flags and describe some nested fields only as "(nested object)", so
before validating: every typed value may also be null, and a "(nested object)" placeholder accepts anything.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type information
import pytest

from sandbox.testing import RunningSandbox
from tests.reference import require_reference

from .conftest import RIVERSIDE, SUMMIT, Api


def _relaxed(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_relaxed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("description") == "(nested object)" and schema.get("type") == "object":
        return {}
    relaxed = {k: _relaxed(v) for k, v in schema.items() if k not in ("format",)}
    if isinstance(relaxed.get("type"), str):
        relaxed["type"] = [relaxed["type"], "null"]
    if "enum" in relaxed:
        relaxed["enum"] = [*relaxed["enum"], None]
    return relaxed


def _schema(operation: str) -> dict[str, Any]:
    path = require_reference("procore", "endpoints", f"{operation}.json")
    responses = json.loads(path.read_text())["responses"]
    status = "201" if "201" in responses else "200"
    return _relaxed(responses[status]["schema"])


def _check(operation: str, answer: Any) -> None:
    assert answer.status_code in (200, 201), answer.text
    body = answer.json()
    jsonschema.validate(body, _schema(operation))
    assert body not in ([], {}), f"{operation}: an empty answer proves nothing"


def test_identity_and_listing_answers_match_procores_schemas(procore: Api) -> None:
    _check("RestV10MeGet", procore.get("/rest/v1.0/me"))
    _check("RestV10CompaniesGet", procore.get("/rest/v1.0/companies"))
    _check("RestV10ProjectsGet", procore.get("/rest/v1.0/projects", params={"company_id": SUMMIT}))
    _check("RestV11ProjectsGet", procore.get("/rest/v1.1/projects", params={"company_id": SUMMIT}))
    _check("RestV10ProjectsIdGet", procore.get(f"/rest/v1.0/projects/{RIVERSIDE}", params={"company_id": SUMMIT}))
    _check("RestV10CompaniesCompanyIdProjectsGet", procore.get(f"/rest/v1.0/companies/{SUMMIT}/projects"))
    _check(
        "RestV10CompaniesCompanyIdSubmittalStatusesGet",
        procore.get(f"/rest/v1.0/companies/{SUMMIT}/submittal_statuses"),
    )


def test_submittal_answers_match_procores_schemas(procore: Api) -> None:
    listing = procore.get(f"/rest/v1.1/projects/{RIVERSIDE}/submittals")
    _check("RestV11ProjectsProjectIdSubmittalsGet", listing)
    _check("RestV10ProjectsProjectIdSubmittalsGet", procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittals"))
    submittal_id = listing.json()[0]["id"]
    _check(
        "RestV11ProjectsProjectIdSubmittalsIdGet",
        procore.get(f"/rest/v1.1/projects/{RIVERSIDE}/submittals/{submittal_id}"),
    )
    _check(
        "RestV10ProjectsProjectIdSubmittalsIdGet",
        procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittals/{submittal_id}"),
    )
    responses = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/submittal_responses")
    _check("RestV10ProjectsProjectIdSubmittalResponsesGet", responses)
    approver = listing.json()[0]["approvers"][0]
    answer = procore.patch(
        f"/rest/v1.0/submittal_approvers/{approver['id']}",
        params={"project_id": RIVERSIDE},
        json={"submittal_approver": {"submittal_response_id": responses.json()[1]["id"]}},
    )
    _check("RestV10SubmittalApproversIdPatch", answer)


def test_rfi_answers_match_procores_schemas(procore: Api) -> None:
    listing = procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/rfis")
    _check("RestV10ProjectsProjectIdRfisGet", listing)
    rfi = listing.json()[0]["id"]
    reply = procore.post(f"/rest/v1.0/projects/{RIVERSIDE}/rfis/{rfi}/replies", json={"reply": {"body": "See SK-1"}})
    _check("RestV10ProjectsProjectIdRfisRfiIdRepliesPost", reply)
    _check(
        "RestV10ProjectsProjectIdRfisRfiIdRepliesGet",
        procore.get(f"/rest/v1.0/projects/{RIVERSIDE}/rfis/{rfi}/replies"),
    )


def test_oauth_and_webhook_answers_match_procores_schemas(sandbox: RunningSandbox, procore: Api) -> None:
    _check("OauthTokenInfoGet", procore.get("/oauth/token/info"))
    hook = procore.post(
        "/rest/v1.0/webhooks/hooks",
        json={
            "project_id": RIVERSIDE,
            "hook": {"api_version": "v2", "namespace": "x", "destination_url": "http://127.0.0.1:9/hook"},
        },
    )
    _check("RestV10WebhooksHooksPost", hook)
    trigger = procore.post(
        f"/rest/v1.0/webhooks/hooks/{hook.json()['id']}/triggers",
        json={"trigger": {"resource_name": "RFIs", "event_type": "update"}},
    )
    _check("RestV10WebhooksHooksHookIdTriggersPost", trigger)
    _check("RestV10WebhooksHooksGet", procore.get("/rest/v1.0/webhooks/hooks", params={"project_id": RIVERSIDE}))
    _check(
        "RestV10WebhooksHooksHookIdTriggersGet", procore.get(f"/rest/v1.0/webhooks/hooks/{hook.json()['id']}/triggers")
    )
    _check("RestV10WebhooksResourcesGet", procore.get("/rest/v1.0/webhooks/resources"))


def test_a_wrong_type_would_fail_the_check() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "not-a-number", "login": "x", "name": "y"}, _schema("RestV10MeGet"))
