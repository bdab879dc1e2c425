"""Project Center keyword lists: replaced whole, checked for the keywords the connector needs, holding syncs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from connector_portal.models import AuditEvent, ProjectCenterProject
from connector_portal.services import service_token_create
from mappings.keywords import KeywordInput
from mappings.models import KeywordEntry, KeywordList
from mappings.selectors import held_kinds, keyword_check, response_keywords
from mappings.services import keyword_list_replace

SUBMITTAL = KeywordList.Kind.SUBMITTAL_ACTION
RFI = KeywordList.Kind.RFI_ACTION
UPLOAD = KeywordList.Source.PROJECT_CENTER

SUBMITTAL_OK = [KeywordInput("For Review", "Receive"), KeywordInput("Returned", "Send")]
RFI_OK = [KeywordInput("Request for Information", "Receive")]


def upload(project: ProjectCenterProject, kind: str, entries: list[KeywordInput]) -> None:
    keyword_list_replace(project=project, kind=kind, entries=entries, source=UPLOAD)


def test_nothing_is_held_when_both_lists_hold_their_receive_keywords(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, SUBMITTAL_OK)
    upload(project, RFI, RFI_OK)

    assert keyword_check(project=project).ok
    assert held_kinds(project=project) == {}


def test_a_missing_for_review_keyword_holds_submittals_and_says_what_to_add(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, [KeywordInput("Returned", "Send")])
    upload(project, RFI, RFI_OK)

    assert held_kinds(project=project) == {
        "submittal": "Add the keyword “For Review” with type “Receive” to the Submittal Action keyword list in "
        "Project Center. Submittals are held (not failed) until it is there."
    }


def test_a_missing_request_for_information_keyword_holds_rfis_and_says_what_to_add(
    project: ProjectCenterProject,
) -> None:
    upload(project, SUBMITTAL, SUBMITTAL_OK)
    upload(project, RFI, [KeywordInput("Answer", "Record a Response")])

    assert held_kinds(project=project) == {
        "rfi": "Add the keyword “Request for Information” with type “Receive” to the RFI Action keyword list in "
        "Project Center. RFIs are held (not failed) until it is there."
    }


def test_the_right_keyword_with_the_wrong_type_still_holds_and_names_both_types(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, [KeywordInput("For Review", "Send")])
    upload(project, RFI, RFI_OK)

    problem = keyword_check(project=project).for_list(SUBMITTAL)[0]

    assert problem.keyword == "For Review" and problem.type == "Receive" and problem.list_label == "Submittal Action"
    assert problem.message.startswith(
        "The Submittal Action keyword list has “For Review” with type “Send”, not “Receive”. "
        "Add the keyword “For Review” with type “Receive” to the Submittal Action keyword list"
    )
    assert set(held_kinds(project=project)) == {"submittal"}


def test_lists_never_received_hold_both_kinds_and_say_which_keywords_they_need(project: ProjectCenterProject) -> None:
    held = held_kinds(project=project)

    assert set(held) == {"submittal", "rfi"}
    assert "has not sent this project's Submittal Action keyword list yet" in held["submittal"]
    assert "“For Review” with type “Receive”" in held["submittal"]
    assert "“Request for Information” with type “Receive” to the RFI Action keyword list" in held["rfi"]


def test_keywords_and_types_are_matched_regardless_of_case_and_spaces(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, [KeywordInput("  for   review ", "RECEIVE")])
    upload(project, RFI, [KeywordInput("request for information", "receive")])

    assert held_kinds(project=project) == {}


def test_fixing_the_list_releases_the_held_kind(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, [])
    upload(project, RFI, RFI_OK)
    assert "submittal" in held_kinds(project=project)

    check = keyword_list_replace(project=project, kind=SUBMITTAL, entries=SUBMITTAL_OK, source=UPLOAD)

    assert check.ok and held_kinds(project=project) == {}


def test_a_list_is_replaced_whole_and_audited_with_before_and_after(project: ProjectCenterProject) -> None:
    token, _raw = service_token_create(firm=project.firm)
    upload(project, SUBMITTAL, SUBMITTAL_OK)

    keyword_list_replace(
        project=project,
        kind=SUBMITTAL,
        entries=[KeywordInput("For Review", "Receive")],
        source=UPLOAD,
        actor_token=token,
    )

    keyword_list = KeywordList.objects.get(project=project, kind=SUBMITTAL)
    assert [(e.name, e.type) for e in keyword_list.entries.all()] == [("For Review", "Receive")]
    assert keyword_list.firm == project.firm and keyword_list.source == UPLOAD
    first, second = AuditEvent.objects.filter(action="keyword_list.replace").order_by("id")
    assert first.before is None
    assert second.before is not None and second.after is not None
    assert second.before["entries"] == [{"name": "For Review", "type": "Receive"}, {"name": "Returned", "type": "Send"}]
    assert second.after["entries"] == [{"name": "For Review", "type": "Receive"}]
    assert second.actor_token == token and second.actor_label.startswith("token ")


def test_uploading_the_same_list_again_changes_nothing(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, SUBMITTAL_OK)
    upload(project, SUBMITTAL, SUBMITTAL_OK)

    assert AuditEvent.objects.filter(action="keyword_list.replace").count() == 1
    assert KeywordEntry.objects.filter(keyword_list__project=project).count() == 2


def test_an_exact_repeat_in_an_upload_is_kept_once(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, [KeywordInput("For Review", "Receive"), KeywordInput("for review", "receive")])

    assert KeywordEntry.objects.filter(keyword_list__project=project).count() == 1


def test_a_keyword_without_a_type_is_refused_and_the_old_list_kept(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, SUBMITTAL_OK)

    with pytest.raises(ValidationError) as excinfo:
        upload(project, SUBMITTAL, [KeywordInput("For Review", "Receive"), KeywordInput("Approved", " ")])

    assert excinfo.value.messages == ["Keyword 2 needs both a name and a type."]
    assert KeywordEntry.objects.filter(keyword_list__project=project).count() == 2


def test_record_a_response_keywords_come_from_the_submittal_action_list(project: ProjectCenterProject) -> None:
    upload(
        project,
        SUBMITTAL,
        [
            KeywordInput("For Review", "Receive"),
            KeywordInput("Reviewed", "Record a Response"),
            KeywordInput("Furnish as Corrected", "Record a Response"),
        ],
    )
    upload(project, RFI, [KeywordInput("Answered", "Record a Response")])  # RFIs are answered, not given a response

    assert response_keywords(project=project) == ["Reviewed", "Furnish as Corrected"]


def test_record_a_response_keywords_default_when_the_list_has_none(project: ProjectCenterProject) -> None:
    assert response_keywords(project=project)[:2] == ["No Action Taken", "Approved"]

    upload(project, SUBMITTAL, SUBMITTAL_OK)

    assert response_keywords(project=project) == [
        "No Action Taken",
        "Approved",
        "Approved as Noted",
        "No Exceptions",
        "Rejected",
        "Revise and Resubmit",
    ]


def test_an_unknown_list_kind_is_a_programming_error(project: ProjectCenterProject) -> None:
    with pytest.raises(ValueError, match="Unknown keyword list"):
        keyword_list_replace(project=project, kind="closeout", entries=[], source=UPLOAD)


def test_the_check_partial_tells_the_configure_page_what_to_add_and_links_to_the_lists(
    project: ProjectCenterProject,
) -> None:
    upload(project, RFI, RFI_OK)

    html = render_to_string(
        "mappings/_keyword_check.html", {"check": keyword_check(project=project), "project": project}
    )

    assert "Add the keyword “For Review” with type “Receive” to the Submittal Action keyword list" in html
    assert "Request for Information" not in html
    assert f'href="/mappings/projects/{project.pc_project_id}/keywords/"' in html


def test_the_check_partial_is_silent_when_nothing_is_missing(project: ProjectCenterProject) -> None:
    upload(project, SUBMITTAL, SUBMITTAL_OK)
    upload(project, RFI, RFI_OK)

    assert render_to_string("mappings/_keyword_check.html", {"check": keyword_check(project=project)}).strip() == ""
