"""Support admin: mapping tables and keyword lists edited with inline rows, every change audited."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from connector_portal.models import AuditEvent, ProjectCenterProject, User
from mappings.models import KeywordList, MappingTable
from mappings.selectors import held_kinds
from projects.models import ProjectLink
from projects.services.mapping import mapping_table_create_for_link
from providers.types import ResponseOption


@pytest.fixture
def staff_client(db: None) -> Client:
    staff = User.objects.create_superuser(email="support@example.com", password="a-long-test-password")
    TOTP.activate(staff, generate_totp_secret())  # support admin admits only staff with two-factor authentication
    client = Client()
    client.force_login(staff)
    return client


def inline_management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_support_enters_a_keyword_list_in_admin_and_it_releases_the_hold(
    staff_client: Client, project: ProjectCenterProject
) -> None:
    data = {"project": str(project.pk), "kind": KeywordList.Kind.RFI_ACTION, **inline_management("entries", 1, 0)}
    data.update({"entries-0-position": "0", "entries-0-name": "Request for Information", "entries-0-type": "Receive"})

    response = staff_client.post("/admin/mappings/keywordlist/add/", data)

    assert response.status_code == 302 and response["Location"] == "/admin/mappings/keywordlist/"
    keyword_list = KeywordList.objects.get(project=project)
    assert keyword_list.source == KeywordList.Source.ADMIN and keyword_list.firm == project.firm
    assert keyword_list.entries.get().firm == project.firm
    assert "rfi" not in held_kinds(project=project)
    assert AuditEvent.objects.filter(action="admin.keywordentry.create", firm=project.firm).count() == 1


def test_support_changes_a_row_of_a_connections_table(
    staff_client: Client, link: ProjectLink, options: list[ResponseOption]
) -> None:
    table = mapping_table_create_for_link(link=link, options=options)
    rows = list(table.rows.all())
    data = {"firm": str(link.firm_id), "provider": "procore", "link": str(link.pk)}
    data.update(inline_management("rows", len(rows), len(rows)))
    for i, row in enumerate(rows):
        data.update(
            {
                f"rows-{i}-id": str(row.pk),
                f"rows-{i}-table": str(table.pk),
                f"rows-{i}-position": str(row.position),
                f"rows-{i}-keyword": row.keyword,
                f"rows-{i}-standard": "void" if row.keyword == "No Action Taken" else row.standard,
                f"rows-{i}-response_name": row.response_name,
                f"rows-{i}-response_id": row.response_id,
            }
        )

    response = staff_client.post(f"/admin/mappings/mappingtable/{table.pk}/change/", data)

    assert response.status_code == 302 and response["Location"] == "/admin/mappings/mappingtable/"
    assert table.rows.get(keyword="No Action Taken").standard == "void"
    event = AuditEvent.objects.get(action="admin.mappingrow.change")
    assert event.before is not None and event.after is not None
    assert event.before["standard"] == "for record only" and event.after["standard"] == "void"


def test_admin_refuses_a_meaning_the_tables_provider_does_not_have(staff_client: Client, link: ProjectLink) -> None:
    data = {"firm": str(link.firm_id), "provider": "autodesk", **inline_management("rows", 1, 0)}
    data.update({"rows-0-position": "0", "rows-0-keyword": "Approved", "rows-0-standard": "void"})

    response = staff_client.post("/admin/mappings/mappingtable/add/", data)

    assert response.status_code == 200
    assert "BIM 360 has no such response." in response.content.decode()
    assert not MappingTable.objects.exists()


def test_the_admin_lists_show_tables_and_lists(
    staff_client: Client, link: ProjectLink, options: list[ResponseOption]
) -> None:
    mapping_table_create_for_link(link=link, options=options)

    assert (
        "Procore mapping of 1001 Riverside Library"
        in staff_client.get("/admin/mappings/mappingtable/").content.decode()
    )
    assert staff_client.get("/admin/mappings/keywordlist/").status_code == 200
