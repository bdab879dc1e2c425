"""Portal pages: default mappings per provider and a project's keyword lists; admins edit, members read, others 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from connector_portal.models import AuditEvent, Firm, Membership, ProjectCenterProject, User
from mappings.models import KeywordList, MappingTable
from mappings.selectors import default_choices
from mappings.services import firm_default_table_replace

DEFAULTS_URL = "/mappings/defaults/{}/"
KEYWORDS_URL = "/mappings/projects/{}/keywords/"


@pytest.fixture
def reader_client(firm: Firm, make_member: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_member(firm, role=Membership.Role.MEMBER))
    return client


def defaults_post(overrides: dict[int, str] | None = None) -> dict[str, str]:
    shipped = ["for record only", "approved", "approved as noted", "approved", "rejected", "revise and resubmit"]
    for index, value in (overrides or {}).items():
        shipped[index] = value
    return {f"defaults-keyword_{i}": v for i, v in enumerate(shipped)}


def keywords_post(kind: str, rows: list[tuple[str, str]], extra_blank: int = 1) -> dict[str, str]:
    data = {"list": kind, f"{kind}-TOTAL_FORMS": str(len(rows) + extra_blank), f"{kind}-INITIAL_FORMS": "0"}
    for i, (name, type_) in enumerate(rows):
        data[f"{kind}-{i}-name"], data[f"{kind}-{i}-type"] = name, type_
    return data


def test_the_defaults_index_lists_every_provider(member_client: Client) -> None:
    page = member_client.get("/mappings/defaults/").content.decode()

    for label in ("Procore", "BIM 360", "ConstructEx"):
        assert f">{label}</a>" in page


def test_an_admin_sees_the_shipped_defaults_as_selects(member_client: Client) -> None:
    page = member_client.get(DEFAULTS_URL.format("procore")).content.decode()

    assert "These are the product's standard defaults" in page
    assert '<label for="id_defaults-keyword_0">No Action Taken</label>' in page
    assert '<option value="for record only" selected>For record only</option>' in page
    assert "Save default mapping" in page
    assert '<th scope="col">Procore response meaning</th>' in page


def test_an_admin_changes_the_firms_defaults(member_client: Client, firm: Firm, member: User) -> None:
    response = member_client.post(DEFAULTS_URL.format("procore"), defaults_post({0: "approved"}))

    assert response.status_code == 302
    assert default_choices(firm=firm, provider="procore")["No Action Taken"] == "approved"
    event = AuditEvent.objects.get(action="mapping_defaults.replace")
    assert event.actor_user == member and event.ip_address == "127.0.0.1"
    assert "Saved the default Procore mapping" in member_client.get(response["Location"]).content.decode()


def test_a_blank_choice_is_shown_beside_its_keyword_and_nothing_is_saved(member_client: Client, firm: Firm) -> None:
    response = member_client.post(DEFAULTS_URL.format("procore"), defaults_post({4: ""}))

    assert response.status_code == 200
    assert "Choose a response for “Rejected”." in response.content.decode()
    assert not MappingTable.objects.filter(firm=firm).exists()


def test_a_meaning_the_provider_lacks_is_refused(member_client: Client, firm: Firm) -> None:
    response = member_client.post(DEFAULTS_URL.format("autodesk"), defaults_post())

    assert response.status_code == 200
    assert not MappingTable.objects.filter(firm=firm).exists()


def test_a_member_sees_the_defaults_read_only(reader_client: Client) -> None:
    page = reader_client.get(DEFAULTS_URL.format("constructex")).content.decode()

    assert "<select" not in page and "Save default mapping" not in page
    assert "For record only" in page
    assert "Only firm administrators can change the defaults" in page


def test_a_member_cannot_change_the_defaults(reader_client: Client, firm: Firm) -> None:
    response = reader_client.post(DEFAULTS_URL.format("procore"), defaults_post({0: "approved"}))

    assert response.status_code == 403
    assert "Only firm administrators can do this" in response.content.decode()
    assert not MappingTable.objects.filter(firm=firm).exists()


def test_an_unknown_provider_is_not_found(member_client: Client) -> None:
    assert member_client.get(DEFAULTS_URL.format("primavera")).status_code == 404


def test_the_defaults_pages_need_a_login(client: Client) -> None:
    response = client.get(DEFAULTS_URL.format("procore"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_keyword_page_says_what_is_missing(member_client: Client, project: ProjectCenterProject) -> None:
    page = member_client.get(KEYWORDS_URL.format(project.pc_project_id)).content.decode()

    assert "Keyword lists of 1001 Riverside Library" in page
    assert "“For Review” with type “Receive” to the Submittal Action keyword list" in page
    assert "“Request for Information” with type “Receive” to the RFI Action keyword list" in page


def test_an_admin_enters_a_keyword_list_in_the_portal(
    member_client: Client, project: ProjectCenterProject, member: User
) -> None:
    kind = KeywordList.Kind.SUBMITTAL_ACTION
    data = keywords_post(kind, [("For Review", "Receive"), ("Reviewed", "Record a Response")])

    response = member_client.post(KEYWORDS_URL.format(project.pc_project_id), data)

    assert response.status_code == 302
    keyword_list = KeywordList.objects.get(project=project, kind=kind)
    assert keyword_list.source == KeywordList.Source.PORTAL and keyword_list.updated_by == member
    assert [(e.name, e.type) for e in keyword_list.entries.all()] == [
        ("For Review", "Receive"),
        ("Reviewed", "Record a Response"),
    ]
    page = member_client.get(response["Location"]).content.decode()
    assert "Saved the Submittal Action keyword list." in page
    assert "Submittal Action keyword list in Project Center" not in page  # that problem is gone
    assert "Record a Response keywords used for this project's mapping: Reviewed." in page


def test_removing_a_keyword_in_the_portal_brings_its_problem_back(
    member_client: Client, project: ProjectCenterProject
) -> None:
    kind = KeywordList.Kind.RFI_ACTION
    member_client.post(
        KEYWORDS_URL.format(project.pc_project_id), keywords_post(kind, [("Request for Information", "Receive")])
    )
    data = {
        "list": kind,
        f"{kind}-TOTAL_FORMS": "1",
        f"{kind}-INITIAL_FORMS": "1",
        f"{kind}-0-name": "Request for Information",
        f"{kind}-0-type": "Receive",
        f"{kind}-0-DELETE": "on",
    }

    member_client.post(KEYWORDS_URL.format(project.pc_project_id), data)

    assert not KeywordList.objects.get(project=project, kind=kind).entries.exists()
    page = member_client.get(KEYWORDS_URL.format(project.pc_project_id)).content.decode()
    assert "Add the keyword “Request for Information” with type “Receive” to the RFI Action keyword list" in page


def test_a_keyword_without_a_type_is_shown_on_its_row(member_client: Client, project: ProjectCenterProject) -> None:
    kind = KeywordList.Kind.SUBMITTAL_ACTION

    response = member_client.post(KEYWORDS_URL.format(project.pc_project_id), keywords_post(kind, [("For Review", "")]))

    assert response.status_code == 200
    assert "Enter both the keyword and its type, or leave both empty." in response.content.decode()
    assert not KeywordList.objects.filter(project=project).exists()


def test_a_member_sees_the_keyword_lists_but_cannot_change_them(
    reader_client: Client, project: ProjectCenterProject
) -> None:
    url = KEYWORDS_URL.format(project.pc_project_id)
    page = reader_client.get(url).content.decode()
    response = reader_client.post(
        url, keywords_post(KeywordList.Kind.RFI_ACTION, [("Request for Information", "Receive")])
    )

    assert "<input" not in page.split("<main", 1)[1].split("</main>")[0]
    assert response.status_code == 403
    assert not KeywordList.objects.filter(project=project).exists()


def test_another_firms_project_keyword_page_is_not_found(
    member_client: Client, other_firm: Firm, make_project: Callable[..., ProjectCenterProject]
) -> None:
    theirs = make_project(other_firm, pc_project_id="THEIRS-9")
    url = KEYWORDS_URL.format(theirs.pc_project_id)

    assert member_client.get(url).status_code == 404
    response = member_client.post(
        url, keywords_post(KeywordList.Kind.RFI_ACTION, [("Request for Information", "Receive")])
    )
    assert response.status_code == 404
    assert not KeywordList.objects.filter(project=theirs).exists()


def test_the_same_project_id_in_another_firm_shows_only_ones_own_lists(
    member_client: Client,
    project: ProjectCenterProject,
    other_firm: Firm,
    make_project: Callable[..., ProjectCenterProject],
) -> None:
    theirs = make_project(other_firm, pc_project_id=project.pc_project_id, name="Their Secret Tower")

    page = member_client.get(KEYWORDS_URL.format(project.pc_project_id)).content.decode()

    assert "Riverside Library" in page and "Their Secret Tower" not in page
    assert theirs.pk != project.pk


def test_another_firms_defaults_are_not_shown(member_client: Client, other_firm: Firm, firm: Firm) -> None:
    choices = {**default_choices(firm=other_firm, provider="procore"), "No Action Taken": "void"}
    firm_default_table_replace(firm=other_firm, provider="procore", choices=choices)

    page = member_client.get(DEFAULTS_URL.format("procore")).content.decode()

    assert '<option value="void" selected>' not in page
    assert '<option value="for record only" selected>' in page
