"""A link holds its mapping table: the table goes with the link however the link goes; firm defaults stay."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from connector_portal.models import Firm, User
from connector_portal.services import project_delete
from mappings.models import MappingRow, MappingTable
from mappings.selectors import default_choices
from mappings.services import firm_default_table_replace
from projects.models import ProjectLink
from projects.services import link_disconnect
from projects.services.mapping import mapping_table_create_for_link
from tests.projects.conftest import FakeProvider


@pytest.fixture
def table(link: ProjectLink, provider: FakeProvider) -> MappingTable:
    return mapping_table_create_for_link(link=link, options=provider.options)


def test_a_new_links_table_is_held_by_the_link(link: ProjectLink, table: MappingTable) -> None:
    link.refresh_from_db()

    assert link.mapping_table == table and table.link == link and not table.is_default


def test_disconnecting_a_link_deletes_its_table_and_rows(link: ProjectLink, table: MappingTable, member: User) -> None:
    link_disconnect(link=link, actor=member)

    assert not MappingTable.objects.filter(pk=table.pk).exists()
    assert not MappingRow.objects.filter(table_id=table.pk).exists()


def test_deleting_a_link_outside_the_services_still_deletes_its_table(link: ProjectLink, table: MappingTable) -> None:
    ProjectLink.objects.get(pk=link.pk).delete()  # as a cascade or a shell would

    assert not MappingTable.objects.filter(pk=table.pk).exists()


def test_deleting_a_project_deletes_its_links_table(link: ProjectLink, table: MappingTable) -> None:
    project_delete(project=link.project)

    assert not ProjectLink.objects.filter(pk=link.pk).exists()
    assert not MappingTable.objects.filter(pk=table.pk).exists()


def test_deleting_a_link_leaves_the_firms_default_table(firm: Firm, link: ProjectLink, table: MappingTable) -> None:
    default = firm_default_table_replace(
        firm=firm, provider="procore", choices=default_choices(firm=firm, provider="procore")
    )

    link.delete()

    assert MappingTable.objects.get(firm=firm) == default and default.is_default


def test_deleting_a_table_in_admin_leaves_its_link_without_one(link: ProjectLink, table: MappingTable) -> None:
    table.delete()

    link.refresh_from_db()
    assert link.mapping_table is None


def test_a_firm_has_at_most_one_default_table_per_provider(
    firm: Firm, other_firm: Firm, link: ProjectLink, table: MappingTable
) -> None:
    MappingTable.objects.create(firm=firm, provider="procore", is_default=True)
    MappingTable.objects.create(firm=firm, provider="autodesk", is_default=True)
    MappingTable.objects.create(firm=other_firm, provider="procore", is_default=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        MappingTable.objects.create(firm=firm, provider="procore", is_default=True)

    assert MappingTable.objects.filter(firm=firm, provider="procore").count() == 2  # the default and the link's
