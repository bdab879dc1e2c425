"""Recording a reviewer's response: Idempotency-Key rules, allowed keywords, RFI replies, and the delivery status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from connector_portal.models import Firm
from projects.models import ItemResponse
from tests.api.factories import Linked, item_add, linked_add


def record(api: Client, item_id: int, body: dict[str, Any], key: str | None = "key-1") -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(
        f"/api/v1/items/{item_id}/responses/", json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.fixture
def linked(firm: Firm) -> Linked:
    return linked_add(firm)


def test_it_records_a_response_and_answers_a_receipt_with_where_to_follow_its_delivery(
    api: Client, linked: Linked
) -> None:
    response = record(api, linked.item.pk, {"keyword": "Approved as Noted", "comment": "See markups."})

    assert response.status_code == 201, response.content
    receipt = response.json()
    stored = ItemResponse.objects.get(pk=receipt["id"])
    assert (stored.item, stored.keyword, stored.comment) == (linked.item, "Approved as Noted", "See markups.")
    assert stored.status == ItemResponse.Status.PENDING
    assert receipt["url"].endswith(f"/api/v1/responses/{stored.pk}/")
    assert response["Location"] == receipt["url"]
    assert "Idempotent-Replayed" not in response


def test_the_same_key_and_body_answer_the_first_result_and_record_nothing_new(api: Client, linked: Linked) -> None:
    body = {"keyword": "Approved", "comment": "Fine."}
    first = record(api, linked.item.pk, body)
    ItemResponse.objects.filter(pk=first.json()["id"]).update(status=ItemResponse.Status.DELIVERED)  # sent meanwhile

    again = record(api, linked.item.pk, body)

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert ItemResponse.objects.filter(idempotency_key="key-1").count() == 1


def test_the_same_key_with_another_body_is_a_409(api: Client, linked: Linked) -> None:
    record(api, linked.item.pk, {"keyword": "Approved", "comment": "Fine."})

    other_comment = record(api, linked.item.pk, {"keyword": "Approved", "comment": "Fine!"})
    other_item = record(api, item_add(linked.link, "other").pk, {"keyword": "Approved", "comment": "Fine."})

    assert other_comment.status_code == other_item.status_code == 409
    assert other_comment.json()["code"] == "idempotency_conflict"
    assert "Idempotency-Key" in other_comment.json()["message"]
    assert ItemResponse.objects.filter(idempotency_key="key-1").count() == 1


def test_a_repeat_is_answered_even_after_the_keyword_stopped_being_allowed(api: Client, linked: Linked) -> None:
    body = {"keyword": "Rejected", "comment": ""}
    first = record(api, linked.item.pk, body)
    linked.table.rows.filter(keyword="Rejected").delete()

    again = record(api, linked.item.pk, body)

    assert (again.status_code, again.json()) == (201, first.json())


def test_a_keyword_not_in_the_mapping_is_a_422_listing_the_allowed_keywords(api: Client, linked: Linked) -> None:
    linked.table.rows.filter(keyword="No Exceptions").delete()

    response = record(api, linked.item.pk, {"keyword": "No Exceptions", "comment": ""})

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "keyword_not_allowed"
    assert error["details"]["allowed_keywords"] == [
        "No Action Taken",
        "Approved",
        "Approved as Noted",
        "Rejected",
        "Revise and Resubmit",
    ]
    assert "“Approved as Noted”" in error["message"]
    assert not ItemResponse.objects.filter(idempotency_key="key-1").exists()


def test_keywords_match_as_project_center_compares_them(api: Client, linked: Linked) -> None:
    response = record(api, linked.item.pk, {"keyword": "approved  as noted", "comment": ""})

    assert response.status_code == 201


def test_an_rfi_takes_a_reply_and_refuses_an_empty_one(api: Client, linked: Linked) -> None:
    rfi = item_add(linked.link, "R-1", kind="rfi")

    empty = record(api, rfi.pk, {"comment": "  "}, key="rfi-1")
    reply = record(api, rfi.pk, {"comment": "Use the detail on A-501."}, key="rfi-2")

    assert empty.status_code == 422 and empty.json()["code"] == "reply_required"
    assert reply.status_code == 201


@pytest.mark.parametrize("key", [None, "", "has space", "x" * 256, "naïve"])
def test_a_missing_or_malformed_idempotency_key_is_a_400(api: Client, linked: Linked, key: str | None) -> None:
    response = record(api, linked.item.pk, {"keyword": "Approved"}, key=key)

    assert response.status_code == 400
    assert response.json()["code"] in ("idempotency_key_required", "invalid_idempotency_key")
    assert not ItemResponse.objects.filter(item=linked.item).exclude(pk=linked.response.pk).exists()


@pytest.mark.parametrize(
    "body", [{"keyword": 5}, {"keyword": "Approved", "reviewer": "me"}, {"comment": "x" * 10_001}, ["Approved"]]
)
def test_a_malformed_body_is_a_400(api: Client, linked: Linked, body: Any) -> None:
    assert record(api, linked.item.pk, body).status_code == 400


def test_another_firms_item_is_not_found(other_firm: Firm, other_api: Client, linked: Linked) -> None:
    response = record(other_api, linked.item.pk, {"keyword": "Approved"})

    assert response.status_code == 404
    assert not ItemResponse.objects.filter(idempotency_key="key-1").exists()


def test_the_delivery_status_says_what_happened_at_the_provider(api: Client, linked: Linked) -> None:
    receipt = record(api, linked.item.pk, {"keyword": "Approved", "comment": "Fine."}).json()
    ItemResponse.objects.filter(pk=receipt["id"]).update(
        status=ItemResponse.Status.FAILED,
        attempts=1,
        option_id="11",
        option_name="Approved",
        provider_answer="The submittal is closed in Procore; reopen it there or dismiss this response.",
    )

    delivery = api.get(receipt["url"]).json()

    assert delivery["status"] == "failed" and delivery["delivered"] is False
    assert delivery["provider_response"] == {"id": "11", "name": "Approved"}
    assert "closed in Procore" in delivery["provider_answer"]
    assert {key: delivery[key] for key in receipt} == receipt
