"""The connection's "Items and files" page: each item with its files and where their download stands."""

from __future__ import annotations

import pytest
from django.test import Client

from connector_portal.models import Firm
from projects.models import Attachment
from tests.api.factories import linked_add
from tests.files.factories import attachment_add

pytestmark = pytest.mark.django_db


def test_it_shows_each_items_files_with_their_state_and_why_one_is_not_stored(
    firm: Firm, member_client: Client
) -> None:
    linked = linked_add(firm)
    stored = attachment_add(linked.item, b"%PDF drawing", filename="A-501.pdf", provider_id="1")
    big = attachment_add(linked.item, None, filename="Model.rvt", provider_id="2")
    big.state, big.reason = Attachment.State.TOO_LARGE, "This file is larger than the portal's limit of 100 MB."
    big.save()

    page = member_client.get(f"/connect/{linked.project.pc_project_id}/connection/items/")

    text = page.content.decode()
    assert page.status_code == 200
    assert linked.item.title in text
    assert f'href="/api/v1/attachments/{stored.pk}/content/">A-501.pdf</a>' in text
    assert "Stored" in text and "Too large" in text
    assert "larger than the portal&#x27;s limit of 100 MB" in text


def test_the_connection_page_leads_to_it(firm: Firm, member_client: Client) -> None:
    linked = linked_add(firm)

    page = member_client.get(f"/connect/{linked.project.pc_project_id}/connection/")

    assert f"/connect/{linked.project.pc_project_id}/connection/items/" in page.content.decode()


def test_it_rejects_other_firms_connection(other_firm: Firm, member_client: Client) -> None:
    theirs = linked_add(other_firm)

    page = member_client.get(f"/connect/{theirs.project.pc_project_id}/connection/items/")

    assert page.status_code == 404
