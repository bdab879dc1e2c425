"""Each schemathesis finding of issue 14, fixed: what the committed schema says of a value is what the API does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.test import Client

from connector_portal.models import Firm, ProjectCenterProject
from tests.api.factories import Linked, linked_add

SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "openapi" / "schema.yaml").read_text())
COMPONENTS = SCHEMA["components"]["schemas"]


def allows(schema: dict[str, Any], value: str) -> bool:
    """Whether a string fits a property's schema (the keywords these properties use: oneOf, pattern, lengths)."""
    if "oneOf" in schema:
        return sum(allows(branch, value) for branch in schema["oneOf"]) == 1
    return (
        len(value) <= schema.get("maxLength", len(value))
        and len(value) >= schema.get("minLength", 0)
        and ("pattern" not in schema or re.search(schema["pattern"], value) is not None)
    )


def prop(component: str, name: str) -> dict[str, Any]:
    return COMPONENTS[component]["properties"][name]


@pytest.mark.parametrize("path", ["/api/v1/projects/", "/api/v1/feed/"])
@pytest.mark.parametrize("cursor", ["%01", "%0A", "%00", "abc"])
def test_a_cursor_with_control_characters_is_the_documented_400(api: Client, path: str, cursor: str) -> None:
    response = api.get(f"{path}?cursor={cursor}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
    assert "400" in SCHEMA["paths"][path]["get"]["responses"]


@pytest.mark.parametrize("number", ["\x00", "12\x0034"])
def test_nul_in_a_project_number_is_refused_and_the_schema_says_so(api: Client, number: str) -> None:
    body = {"pc_project_id": "PC-9", "name": "Library", "number": number}
    response = api.post("/api/v1/projects/", json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert not allows(prop("ProjectRequest", "number"), number)
    assert allows(prop("ProjectRequest", "number"), "") and allows(prop("ProjectRequest", "number"), "2024-017")


@pytest.mark.parametrize("name", ["\u0085", " ", "\u00a0\u3000", "\x1f"])
def test_a_keyword_name_that_trims_to_nothing_is_refused_as_the_schema_says(api: Client, firm: Firm, name: str) -> None:
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-9", name="Library")
    body = {"entries": [{"name": name, "type": "Receive"}]}
    response = api.put(
        "/api/v1/projects/PC-9/keyword-lists/submittal_action/", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    assert not allows(prop("KeywordEntryRequest", "name"), name)
    assert allows(prop("KeywordEntryRequest", "name"), "\ufeffFor Review")  # not whitespace to Python: kept


def test_a_length_counts_what_was_sent_not_what_trimming_leaves(api: Client) -> None:
    too_long = "\u00a0" + "x" * 100
    body = {"pc_project_id": "PC-9", "name": "Library", "number": too_long}

    response = api.post("/api/v1/projects/", json.dumps(body), content_type="application/json")

    assert response.status_code == 400 and "number" in response.json()["details"]
    assert not allows(prop("ProjectRequest", "number"), too_long)
    fits = {**body, "number": "\u00a0" + "x" * 99}
    assert api.post("/api/v1/projects/", json.dumps(fits), content_type="application/json").status_code == 201
    assert ProjectCenterProject.objects.get(pc_project_id="PC-9").number == "x" * 99  # trimmed once accepted


@pytest.mark.parametrize("pc_project_id", [" ", "\u0085", " . ", "..\u00a0"])
def test_a_project_id_that_trims_to_nothing_or_a_dot_is_refused_as_the_schema_says(
    api: Client, pc_project_id: str
) -> None:
    body = {"pc_project_id": pc_project_id, "name": "Library"}
    response = api.post("/api/v1/projects/", json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert not allows(prop("ProjectRequest", "pc_project_id"), pc_project_id)


def test_an_empty_response_body_and_an_empty_mapping_are_documented_422s(api: Client, firm: Firm) -> None:
    linked: Linked = linked_add(firm, "PC-1")

    empty_body = api.post(
        f"/api/v1/items/{linked.item.pk}/responses/", "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    empty_mapping = api.put(
        "/api/v1/projects/PC-1/connection/mapping/", json.dumps({"rows": []}), content_type="application/json"
    )

    assert (empty_body.status_code, empty_mapping.status_code) == (422, 422)
    responses = SCHEMA["paths"]["/api/v1/items/{item_id}/responses/"]["post"]["responses"]
    mapping = SCHEMA["paths"]["/api/v1/projects/{pc_project_id}/connection/mapping/"]["put"]["responses"]
    assert "empty body" in responses["422"]["description"]
    assert "empty `rows`" in mapping["422"]["description"]
