"""Mapping tables: defaults copied into new connections, validated replacement, audit with before and after."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connector_portal.models import AuditEvent, Connector, Firm, ProjectCenterProject, User
from mappings.keywords import KeywordInput
from mappings.models import KeywordList, MappingRow, MappingTable
from mappings.selectors import default_choices
from mappings.services import firm_default_table_replace, keyword_list_replace
from projects.models import ProjectLink
from projects.selectors import link_table_get
from projects.services.mapping import mapping_table_create_for_link, mapping_table_replace
from providers.types import ResponseOption

ALL_CHOICES = {
    "No Action Taken": "13",
    "Approved": "11",
    "Approved as Noted": "12",
    "No Exceptions": "11",
    "Rejected": "14",
    "Revise and Resubmit": "15",
}


def rows_of(table: MappingTable) -> dict[str, tuple[str, str, str]]:
    return {r.keyword: (r.standard, r.response_id, r.response_name) for r in table.rows.all()}


def test_a_new_procore_link_gets_the_shipped_defaults_matched_to_live_options(
    link: ProjectLink, options: list[ResponseOption]
) -> None:
    table = mapping_table_create_for_link(link=link, options=options)

    assert table.provider == "procore" and table.link == link and table.firm == link.firm
    assert rows_of(table) == {
        "No Action Taken": ("for record only", "13", "For Record Only"),
        "Approved": ("approved", "11", "Approved"),
        "Approved as Noted": ("approved as noted", "12", "Approved as Noted"),
        "No Exceptions": ("approved", "11", "Approved"),
        "Rejected": ("rejected", "14", "Rejected"),
        "Revise and Resubmit": ("revise and resubmit", "15", "Revise and Resubmit"),
    }
    first = table.rows.first()
    assert first is not None and first.keyword == "No Action Taken"  # Project Center's order is kept


def test_a_new_link_copies_the_firms_own_defaults_not_the_shipped_ones(
    firm: Firm, link: ProjectLink, options: list[ResponseOption]
) -> None:
    firm_default_table_replace(
        firm=firm,
        provider="procore",
        choices={**default_choices(firm=firm, provider="procore"), "Approved": "approved as noted"},
    )

    table = mapping_table_create_for_link(link=link, options=options)

    assert rows_of(table)["Approved"] == ("approved as noted", "12", "Approved as Noted")


def test_another_firms_defaults_are_not_copied(
    firm: Firm, other_firm: Firm, link: ProjectLink, options: list[ResponseOption]
) -> None:
    choices = default_choices(firm=other_firm, provider="procore")
    firm_default_table_replace(firm=other_firm, provider="procore", choices={**choices, "Approved": "rejected"})

    table = mapping_table_create_for_link(link=link, options=options)

    assert rows_of(table)["Approved"][0] == "approved"


def test_creating_a_links_table_twice_returns_the_same_table(link: ProjectLink, options: list[ResponseOption]) -> None:
    first = mapping_table_create_for_link(link=link, options=options)
    second = mapping_table_create_for_link(link=link, options=options)

    assert first.pk == second.pk
    assert MappingTable.objects.filter(link=link).count() == 1
    assert AuditEvent.objects.filter(action="mapping_table.create").count() == 1


def test_a_link_created_with_the_configure_pages_choices_saves_exactly_those(
    link: ProjectLink, options: list[ResponseOption]
) -> None:
    table = mapping_table_create_for_link(link=link, options=options, choices={**ALL_CHOICES, "No Action Taken": "11"})

    assert rows_of(table)["No Action Taken"] == ("approved", "11", "Approved")


def test_custom_response_keywords_of_the_project_become_the_rows(
    project: ProjectCenterProject, link: ProjectLink, options: list[ResponseOption]
) -> None:
    keyword_list_replace(
        project=project,
        kind=KeywordList.Kind.SUBMITTAL_ACTION,
        entries=[
            KeywordInput("For Review", "Receive"),
            KeywordInput("Approved", "Record a Response"),
            KeywordInput("Not Reviewed", "Record a Response"),
        ],
        source=KeywordList.Source.PROJECT_CENTER,
    )

    table = mapping_table_create_for_link(link=link, options=options)

    # "Not Reviewed" has no default: it is kept unmapped (and flagged), never guessed.
    assert rows_of(table) == {"Approved": ("approved", "11", "Approved"), "Not Reviewed": ("", "", "")}


def test_replacing_a_table_records_before_and_after(
    link: ProjectLink, options: list[ResponseOption], member: User
) -> None:
    table = mapping_table_create_for_link(link=link, options=options)

    mapping_table_replace(table=table, choices={**ALL_CHOICES, "Rejected": "15"}, options=options, actor=member)

    assert rows_of(table)["Rejected"] == ("revise and resubmit", "15", "Revise and Resubmit")
    event = AuditEvent.objects.get(action="mapping_table.replace")
    assert event.actor_user == member and event.firm == link.firm and event.target_id == str(table.pk)
    assert event.before is not None and event.after is not None
    before = {r["keyword"]: r["response_name"] for r in event.before["rows"]}
    after = {r["keyword"]: r["response_name"] for r in event.after["rows"]}
    assert before["Rejected"] == "Rejected" and after["Rejected"] == "Revise and Resubmit"


def test_saving_the_same_mapping_again_records_nothing(link: ProjectLink, options: list[ResponseOption]) -> None:
    table = mapping_table_create_for_link(link=link, options=options)

    mapping_table_replace(table=table, choices=ALL_CHOICES, options=options)

    assert not AuditEvent.objects.filter(action="mapping_table.replace").exists()


def test_a_keyword_without_a_response_is_refused_and_nothing_is_saved(
    link: ProjectLink, options: list[ResponseOption]
) -> None:
    table = mapping_table_create_for_link(link=link, options=options)
    choices = {k: v for k, v in ALL_CHOICES.items() if k != "Approved"}

    with pytest.raises(ValidationError) as excinfo:
        mapping_table_replace(table=table, choices={**choices, "Rejected": "15"}, options=options)

    assert excinfo.value.message_dict == {"Approved": ["Choose a response for “Approved”."]}
    assert rows_of(table)["Rejected"][1] == "14"


def test_a_response_the_provider_does_not_offer_is_refused(link: ProjectLink, options: list[ResponseOption]) -> None:
    table = mapping_table_create_for_link(link=link, options=options)

    with pytest.raises(ValidationError) as excinfo:
        mapping_table_replace(table=table, choices={**ALL_CHOICES, "Approved": "999"}, options=options)

    assert "not offered by Procore for this project" in excinfo.value.message_dict["Approved"][0]


def test_a_keyword_the_project_does_not_have_is_refused(link: ProjectLink, options: list[ResponseOption]) -> None:
    table = mapping_table_create_for_link(link=link, options=options)

    with pytest.raises(ValidationError) as excinfo:
        mapping_table_replace(table=table, choices={**ALL_CHOICES, "Looks Nice": "11"}, options=options)

    assert "not a Record a Response keyword" in excinfo.value.message_dict["Looks Nice"][0]


def test_keywords_match_whatever_their_case_and_spacing(link: ProjectLink, options: list[ResponseOption]) -> None:
    table = mapping_table_create_for_link(link=link, options=options)
    shouted = {k.upper() + "  ": v for k, v in ALL_CHOICES.items()}

    mapping_table_replace(table=table, choices={**shouted, "REJECTED  ": "15"}, options=options)

    assert rows_of(table)["Rejected"][1] == "15"  # stored under Project Center's own spelling


def test_firm_defaults_start_from_the_shipped_ones_and_are_audited(firm: Firm, member: User) -> None:
    assert default_choices(firm=firm, provider="autodesk")["No Action Taken"] == "approved"

    choices = {**default_choices(firm=firm, provider="autodesk"), "No Action Taken": "revise and resubmit"}
    table = firm_default_table_replace(firm=firm, provider="autodesk", choices=choices, actor=member)

    assert table.is_default and table.firm == firm
    assert default_choices(firm=firm, provider="autodesk")["No Action Taken"] == "revise and resubmit"
    event = AuditEvent.objects.get(action="mapping_defaults.replace")
    assert event.before is not None and event.after is not None
    assert event.before["rows"] == []
    assert {r["keyword"]: r["standard"] for r in event.after["rows"]}["No Action Taken"] == "revise and resubmit"


def test_firm_defaults_refuse_a_meaning_the_provider_does_not_have(firm: Firm) -> None:
    choices = {**default_choices(firm=firm, provider="autodesk"), "Approved": "approved as noted"}

    with pytest.raises(ValidationError) as excinfo:
        firm_default_table_replace(firm=firm, provider="autodesk", choices=choices)

    assert "BIM 360 has no response meaning “approved as noted”" in excinfo.value.message_dict["Approved"][0]
    assert not MappingTable.objects.filter(firm=firm).exists()


def test_each_firm_has_at_most_one_default_table_per_provider(firm: Firm) -> None:
    for provider in Connector.values:
        firm_default_table_replace(firm=firm, provider=provider, choices=default_choices(firm=firm, provider=provider))
        firm_default_table_replace(
            firm=firm,
            provider=provider,
            choices={**default_choices(firm=firm, provider=provider), "Approved": "rejected"},
        )

    assert MappingTable.objects.filter(firm=firm, link__isnull=True).count() == 3
    assert MappingRow.objects.filter(firm=firm).count() == 18


def test_a_links_table_is_found_only_for_its_own_firm(
    firm: Firm, other_firm: Firm, link: ProjectLink, options: list[ResponseOption]
) -> None:
    table = mapping_table_create_for_link(link=link, options=options)

    assert link_table_get(firm=firm, link=link) == table
    assert link_table_get(firm=other_firm, link=link) is None


def test_a_default_keyword_missing_from_the_firms_table_falls_back_to_the_shipped_meaning(firm: Firm) -> None:
    table = firm_default_table_replace(
        firm=firm, provider="procore", choices={**default_choices(firm=firm, provider="procore"), "Approved": "void"}
    )
    table.rows.filter(keyword="Rejected").delete()  # as support staff might in admin

    choices = default_choices(firm=firm, provider="procore")

    assert choices["Approved"] == "void" and choices["Rejected"] == "rejected"
