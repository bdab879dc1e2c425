"""Checking a connection's mapping against the provider's live options, and translating keywords for the sync engine."""

from __future__ import annotations

import pytest

from connector_portal.models import ProjectCenterProject
from mappings.keywords import KeywordInput
from mappings.matching import TranslationError
from mappings.models import KeywordList, MappingTable
from mappings.services import keyword_list_replace
from projects.models import ProjectLink
from projects.selectors import mapping_check, mapping_translate
from projects.services.mapping import mapping_table_create_for_link, mapping_table_replace
from providers.types import ResponseOption


@pytest.fixture
def table(link: ProjectLink, options: list[ResponseOption]) -> MappingTable:
    return mapping_table_create_for_link(link=link, options=options)


def replaced(options: list[ResponseOption], option_id: str, **changes: str) -> list[ResponseOption]:
    return [ResponseOption(**{**o.__dict__, **changes}) if o.id == option_id else o for o in options]


def test_a_fresh_mapping_checks_clean(table: MappingTable, options: list[ResponseOption]) -> None:
    check = mapping_check(table=table, options=options)

    assert check.ok and not check.flagged
    assert len(check.rows) == 6


def test_a_renamed_response_is_flagged_but_still_matches_on_its_meaning(
    table: MappingTable, options: list[ResponseOption]
) -> None:
    renamed = replaced(options, "12", name="Approved w/ Comments")

    check = mapping_check(table=table, options=renamed)

    row = check.for_keyword("Approved as Noted")
    assert row is not None and row.status == "renamed"
    assert "Renamed from “Approved as Noted” to “Approved w/ Comments” in Procore" in row.message
    assert check.ok  # a rename is worth telling, not a reason to stop sending
    assert mapping_translate(table=table, keyword="Approved as Noted", options=renamed).name == "Approved w/ Comments"


def test_a_response_replaced_by_another_with_the_same_meaning_still_matches(
    table: MappingTable, options: list[ResponseOption]
) -> None:
    swapped = replaced(options, "14", id="40", name="Not Accepted")

    option = mapping_translate(table=table, keyword="Rejected", options=swapped)

    assert option.id == "40"
    rejected = mapping_check(table=table, options=swapped).for_keyword("Rejected")
    assert rejected is not None and rejected.status == "renamed"


def test_a_response_that_disappeared_is_flagged_not_dropped(table: MappingTable, options: list[ResponseOption]) -> None:
    without = [o for o in options if o.id != "13"]

    check = mapping_check(table=table, options=without)

    row = check.for_keyword("No Action Taken")
    assert row is not None and row.status == "missing" and row.current is None
    assert row.message == (
        "“For Record Only” is no longer offered by Procore for this project. "
        "Choose another response for “No Action Taken”."
    )
    assert not check.ok and check.problems == (row,)
    assert table.rows.filter(keyword="No Action Taken").exists()  # the saved row is kept for the person to fix


def test_several_responses_with_the_same_meaning_and_the_saved_one_gone_asks_which(
    table: MappingTable, options: list[ResponseOption]
) -> None:
    two_approvals = [o for o in options if o.id != "11"] + [
        ResponseOption(id="21", name="Approved - Final", standard="approved"),
        ResponseOption(id="22", name="Approved - Interim", standard="approved"),
    ]

    row = mapping_check(table=table, options=two_approvals).for_keyword("Approved")

    assert row is not None and row.status == "ambiguous"
    assert "several responses meaning “Approved” (“Approved - Final”, “Approved - Interim”)" in row.message


def test_the_saved_id_picks_among_responses_sharing_a_meaning(
    table: MappingTable, options: list[ResponseOption]
) -> None:
    more = [*options, ResponseOption(id="23", name="Approved - Interim", standard="approved")]

    assert mapping_translate(table=table, keyword="Approved", options=more).id == "11"


def test_translation_ignores_case_and_spacing_of_the_keyword(
    table: MappingTable, options: list[ResponseOption]
) -> None:
    option = mapping_translate(table=table, keyword="  revise AND resubmit ", options=options)

    assert option == ResponseOption(id="15", name="Revise and Resubmit", standard="revise and resubmit")


def test_translating_an_unknown_keyword_lists_the_allowed_ones(
    table: MappingTable, options: list[ResponseOption]
) -> None:
    with pytest.raises(TranslationError) as excinfo:
        mapping_translate(table=table, keyword="Looks Good", options=options)

    assert str(excinfo.value) == (
        "“Looks Good” is not a response keyword of this connection. Use one of: “No Action Taken”, “Approved”, "
        "“Approved as Noted”, “No Exceptions”, “Rejected”, “Revise and Resubmit”."
    )


def test_translating_a_keyword_whose_response_disappeared_says_what_to_do(
    table: MappingTable, options: list[ResponseOption]
) -> None:
    without = [o for o in options if o.id != "14"]

    with pytest.raises(TranslationError, match=r"no longer offered by Procore.*Choose another response for “Rejected”"):
        mapping_translate(table=table, keyword="Rejected", options=without)


def test_a_new_project_keyword_shows_as_unmapped_and_a_dropped_one_as_stale(
    project: ProjectCenterProject, table: MappingTable, options: list[ResponseOption]
) -> None:
    keyword_list_replace(
        project=project,
        kind=KeywordList.Kind.SUBMITTAL_ACTION,
        entries=[KeywordInput("Approved", "Record a Response"), KeywordInput("Reviewed", "Record a Response")],
        source=KeywordList.Source.PROJECT_CENTER,
    )

    check = mapping_check(table=table, options=options)

    reviewed, rejected = check.for_keyword("Reviewed"), check.for_keyword("Rejected")
    assert reviewed is not None and rejected is not None
    assert reviewed.status == "unmapped"
    assert reviewed.message == "“Reviewed” is not mapped yet. Choose the Procore response it should send."
    assert rejected.status == "stale"
    with pytest.raises(TranslationError, match="“Reviewed” is not mapped yet"):
        mapping_translate(table=table, keyword="Reviewed", options=options)
    with pytest.raises(TranslationError, match="Use one of: “Approved”\\."):
        mapping_translate(table=table, keyword="Rejected", options=options)


def test_saving_the_mapping_again_confirms_a_renamed_response(
    table: MappingTable, options: list[ResponseOption]
) -> None:
    renamed = replaced(options, "12", name="Approved w/ Comments")
    choices = {r.keyword: r.response_id for r in table.rows.all()}

    mapping_table_replace(table=table, choices=choices, options=renamed)

    assert mapping_check(table=table, options=renamed).flagged == ()
    assert table.rows.get(keyword="Approved as Noted").response_name == "Approved w/ Comments"
