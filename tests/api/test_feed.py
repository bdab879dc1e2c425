"""The change feed: what an entry carries, the cursor (no entry skipped or repeated), acknowledgements, query count."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from connector_portal.models import Firm
from mappings.models import KeywordEntry, KeywordList, MappingRow
from projects.models import FeedEntry
from providers.types import EMPTY_CONTENT, Answer, ItemContent, Person, SpecSection
from tests.api.factories import entries_append, item_add, link_add, linked_add, mapping_table_add
from tests.api.feedfill import feed_fill

FEED = "/api/v1/feed/"


def read(api: Client, **query: Any) -> dict[str, Any]:
    response = api.get(FEED, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_an_entry_carries_the_items_fields_its_provider_url_and_the_allowed_keywords(firm: Firm, api: Client) -> None:
    linked = linked_add(firm)

    page = read(api)

    [entry] = page["entries"]
    assert entry["position"] == linked.entry.position
    assert entry["change"] == "new"
    assert entry["pc_project_id"] == linked.project.pc_project_id
    assert entry["provider"] == "procore"
    assert entry["item"]["id"] == linked.item.pk
    assert entry["item"]["number"] == linked.item.number
    assert entry["item"]["title"] == linked.item.title
    assert entry["item"]["ball_in_court"] == ["Rita Reviewer"]
    assert entry["item"]["provider_url"] == linked.item.url
    assert entry["response_keywords"] == [
        "No Action Taken",
        "Approved",
        "Approved as Noted",
        "No Exceptions",
        "Rejected",
        "Revise and Resubmit",
    ]
    assert entry["pc_item_id"] == "" and entry["acknowledged_at"] is None
    assert page["next_cursor"] == linked.entry.position
    assert page["has_more"] is False


def test_the_allowed_keywords_are_the_projects_own_that_the_mapping_maps(firm: Firm, api: Client) -> None:
    link = link_add(firm, "PC-own")
    submittal_list = KeywordList.objects.get(project=link.project, kind="submittal_action")
    for position, name in enumerate(["Approved", "Make Corrections Noted", "Rejected"], start=1):
        KeywordEntry.objects.create(keyword_list=submittal_list, name=name, type="Record a Response", position=position)
    mapping_table_add(link, keywords=("Approved", "Rejected"))
    assert link.mapping_table is not None
    MappingRow.objects.create(table=link.mapping_table, keyword="Make Corrections Noted", standard="", position=9)
    rfi = item_add(link, "R1", kind="rfi")
    entries_append([item_add(link, "S1"), rfi])

    submittal_entry, rfi_entry = read(api)["entries"]

    assert submittal_entry["response_keywords"] == ["Approved", "Rejected"]  # the unmapped one cannot be sent
    assert rfi_entry["response_keywords"] == []  # an RFI takes a reply


def test_pages_come_oldest_first_and_the_next_cursor_continues_after_the_last_entry(firm: Firm, api: Client) -> None:
    link = link_add(firm, "PC-1")
    mapping_table_add(link)
    entries_append([item_add(link, str(n)) for n in range(5)])

    first = read(api, page_size=2)
    second = read(api, page_size=2, cursor=first["next_cursor"])
    third = read(api, page_size=2, cursor=second["next_cursor"])
    empty = read(api, page_size=2, cursor=third["next_cursor"])

    assert [e["position"] for e in first["entries"]] == [1, 2]
    assert [e["position"] for e in second["entries"]] == [3, 4]
    assert [e["position"] for e in third["entries"]] == [5]
    assert (first["has_more"], second["has_more"], third["has_more"]) == (True, True, False)
    assert empty == {"entries": [], "next_cursor": 5, "has_more": False}


def test_no_entry_is_skipped_or_repeated_while_new_entries_arrive_between_pages(firm: Firm, api: Client) -> None:
    link = link_add(firm, "PC-1")
    mapping_table_add(link)
    items = [item_add(link, str(n)) for n in range(7)]
    entries_append(items)
    seen: list[int] = []
    cursor, arrivals = 0, iter(range(100, 110))

    for _ in range(30):
        page = read(api, page_size=3, cursor=cursor)
        seen += [entry["position"] for entry in page["entries"]]
        cursor = page["next_cursor"]
        arrival = next(arrivals, None)
        if arrival is not None:  # the portal syncs while Project Center reads: a new item and a change of an old one
            entries_append([item_add(link, str(arrival))])
            entries_append([items[arrival % 7]], change="changed")
        elif not page["has_more"]:
            break

    appended = list(FeedEntry.objects.filter(firm=firm).order_by("position").values_list("position", flat=True))
    assert len(appended) == 7 + 2 * 10
    assert seen == appended


def test_another_firms_feed_is_not_shown(firm: Firm, other_firm: Firm, api: Client, other_api: Client) -> None:
    linked_add(firm)
    other = linked_add(other_firm)

    entries = read(other_api)["entries"]

    assert [e["item"]["id"] for e in entries] == [other.item.pk]


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "abc"},
        {"cursor": "-1"},
        {"cursor": "1" * 19},
        {"cursor": "\uff11\uff12"},  # full-width digits: str.isdigit() says yes
        {"cursor": "1.5"},
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "ten"},
    ],
)
def test_a_bad_cursor_or_page_size_is_a_400_saying_what_to_send(api: Client, query: dict[str, str]) -> None:
    response = api.get(FEED, query)

    assert response.status_code == 400
    assert response.json()["code"] in ("invalid_cursor", "invalid_page_size")
    assert response.json()["message"]


def test_acknowledging_records_project_centers_item_id_once(firm: Firm, api: Client) -> None:
    linked = linked_add(firm)
    url = f"{FEED}{linked.entry.position}/acknowledge/"

    first = api.post(url, {"pc_item_id": "SUB-0042"}, content_type="application/json")
    again = api.post(url, {"pc_item_id": "SUB-0042"}, content_type="application/json")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["pc_item_id"] == "SUB-0042" and first.json()["item_id"] == linked.item.pk
    [entry] = read(api)["entries"]
    assert entry["pc_item_id"] == "SUB-0042"
    assert entry["acknowledged_at"] == first.json()["acknowledged_at"]


def test_the_same_position_in_two_firms_names_each_firms_own_entry(
    firm: Firm, other_firm: Firm, api: Client, other_api: Client
) -> None:
    mine, theirs = link_add(firm, "PC-1"), link_add(other_firm, "PC-1")
    entries_append([item_add(mine, "1")])
    entries_append([item_add(theirs, "1")])

    response = other_api.post(f"{FEED}1/acknowledge/", {"pc_item_id": "THEIRS"}, content_type="application/json")

    assert response.status_code == 200
    assert FeedEntry.objects.get(firm=other_firm, position=1).pc_item_id == "THEIRS"
    assert FeedEntry.objects.get(firm=firm, position=1).pc_item_id == ""


@pytest.mark.parametrize("body", [{}, {"pc_item_id": ""}, {"pc_item_id": 5}, {"pc_item_id": "x" * 101}, {"id": "x"}])
def test_an_acknowledgement_without_a_proper_item_id_is_refused(firm: Firm, api: Client, body: dict) -> None:
    linked = linked_add(firm)

    response = api.post(f"{FEED}{linked.entry.position}/acknowledge/", body, content_type="application/json")

    assert response.status_code == 400
    assert FeedEntry.objects.get(pk=linked.entry.pk).acknowledged_at is None


def _page_queries(api: Client, page_size: int, cursor: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        page = read(api, page_size=page_size, cursor=cursor)
    return len(ctx.captured_queries), len(page["entries"])


def test_a_feed_page_costs_the_same_few_queries_at_100000_entries_whatever_its_size(
    firm: Firm, api: Client, django_assert_max_num_queries: Any
) -> None:
    feed_fill(firm, items=100_000, links=40)  # its speed is not asserted here: timing belongs in make bench

    read(api, page_size=1)  # the token's first use records its last-used time: leave that out of the comparison
    # The token (1) and the throttle in the database cache (up to 6; none with Redis), then the page (1) and the
    # allowed keywords of every link on it (2), each entry's reviewer and their project team contact (2), and the files
    # of its items (1).
    with django_assert_max_num_queries(13):
        page = read(api, page_size=100, cursor=50_000)
    small, small_count = _page_queries(api, 10, 20)
    large, large_count = _page_queries(api, 100, 99_800)

    assert len(page["entries"]) == 100 and page["entries"][0]["position"] == 50_001
    assert (small_count, large_count) == (10, 100)
    assert small == large
    assert len({tuple(e["response_keywords"]) for e in page["entries"]}) == 1  # every link's keywords were read


def test_an_entry_carries_the_items_content_and_an_entry_from_before_content_reads_as_empty(
    firm: Firm, api: Client
) -> None:
    link = link_add(firm, "PC-content")
    before = item_add(link, "71")
    entries_append([before])  # an entry written before content was kept
    item = item_add(link, "72", kind="rfi")
    item.content = ItemContent(
        question="Which governs?",
        answers=(Answer(text="S-201.", author=Person(name="Sam"), date=None, official=True),),
        spec_section=SpecSection(number="05 12 00", title="Structural Steel Framing"),
    ).as_json()
    item.save(update_fields=["content"])
    entries_append([item])

    old, new = (entry["item"]["content"] for entry in read(api)["entries"])

    assert old == EMPTY_CONTENT.as_json()
    assert old["dates"] == dict.fromkeys(("created", "received", "issued", "sent_to_reviewer", "due", "returned"))
    assert new["question"] == "Which governs?"
    assert new["answers"] == [
        {
            "text": "S-201.",
            "rich_text": "",
            "author": {"id": "", "name": "Sam", "company": ""},
            "date": None,
            "official": True,
        }
    ]
    assert new["spec_section"] == {"number": "05 12 00", "title": "Structural Steel Framing"}
    assert new["reviewers"] == [] and new["received_from"] is None
