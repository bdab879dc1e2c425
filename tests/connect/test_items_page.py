"""The items a connection received: search and filters, a page at the same query count at 100,000 items, responses
with their delivery in words, each item's files with where their download stands, and a firm admin's audited retry and
dismiss (another firm's is a 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from connector_portal.models import AuditEvent, Firm, Membership, ProjectCenterProject, User
from projects.models import Attachment, ItemResponse, ProjectLink, SyncedItem
from providers.models import ProviderAccount
from tests.api.factories import linked_add
from tests.files.factories import attachment_add

URL = "/connect/PC-1/connection/items/"


def linked(firm: Firm, account: ProviderAccount) -> ProjectLink:
    project = ProjectCenterProject.objects.get(firm=firm, pc_project_id="PC-1")
    return ProjectLink.objects.create(
        project=project, provider="procore", account=account, provider_project_id="100", provider_project_name="Main"
    )


def item(link: ProjectLink, n: int, **fields: Any) -> SyncedItem:
    now = timezone.now()
    values: dict[str, Any] = {
        "firm_id": link.firm_id,
        "link": link,
        "kind": "submittal",
        "provider_id": str(n),
        "number": f"S-{n}",
        "title": f"Shop drawings {n}",
        "status": "Open",
        "content_hash": "x",
        "first_seen_at": now,
        "changed_at": now + dt.timedelta(seconds=n),
        "reviewer_id": link.account_id,
    }
    values.update(fields)
    return SyncedItem(**values)


def failed(link: ProjectLink, stored: SyncedItem) -> ItemResponse:
    return ItemResponse.objects.create(
        firm_id=link.firm_id,
        item=stored,
        link=link,
        keyword="Approved",
        idempotency_key=f"k-{stored.pk}",
        request_hash="h",
        status=ItemResponse.Status.FAILED,
        provider_answer="Procore says the submittal is closed: it takes no more responses.",
        created_at=timezone.now(),
    )


def test_items_are_searched_and_filtered_by_kind_state_and_reviewer(
    member_client: Client, account: ProviderAccount, firm: Firm, member: User
) -> None:
    link = linked(firm, account)
    sam = ProviderAccount.objects.create(firm=firm, provider="procore", provider_user_id="43", name="Sam Second")
    SyncedItem.objects.bulk_create(
        [
            item(link, 1, title="Curtain wall"),
            item(link, 2, kind="rfi", title="Anchor question"),
            item(link, 3, closed=True, title="Closed one"),
            item(link, 4, reviewer_id=sam.pk, title="Sam's item"),
        ]
    )

    def titles(**query: str) -> list[str]:
        page = member_client.get(URL, query).content.decode()
        return [t for t in ("Curtain wall", "Anchor question", "Closed one", "Sam&#x27;s item") if t in page]

    assert titles(q="curtain") == ["Curtain wall"]
    assert titles(kind="rfi") == ["Anchor question"]
    assert titles(state="closed") == ["Closed one"]
    assert titles(reviewer=str(sam.pk)) == ["Sam&#x27;s item"]
    assert len(titles()) == 4
    assert "Items received" in member_client.get("/connect/PC-1/connection/").content.decode()


def test_a_page_costs_the_same_queries_at_100000_items_as_at_a_few(
    member_client: Client, account: ProviderAccount, firm: Firm, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    link = linked(firm, account)
    SyncedItem.objects.bulk_create([item(link, n) for n in range(60)])
    for stored in SyncedItem.objects.all()[:5]:
        failed(link, stored)
    for stored in SyncedItem.objects.order_by("-changed_at")[50:55]:  # on page 2: its files come in the same query
        attachment_add(stored, b"%PDF", filename=f"{stored.number}.pdf", provider_id=stored.provider_id)

    def queries(**query: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(URL, query).status_code == 200
        return len(ctx.captured_queries)

    few = queries(page="2")
    SyncedItem.objects.bulk_create([item(link, n) for n in range(60, 100_060)], batch_size=5000)
    many = queries(page="1000")
    many_filtered = queries(page="3", q="S-9", state="open")

    assert many == few
    assert many_filtered == few
    assert "page 1000 of 2002" in member_client.get(URL, {"page": "1000"}).content.decode()


def test_a_failed_response_shows_the_providers_words_and_a_firm_admin_retries_then_dismisses_it(
    member_client: Client, account: ProviderAccount, firm: Firm, django_capture_on_commit_callbacks: Any
) -> None:
    link = linked(firm, account)
    stored = item(link, 1)
    stored.save()
    response = failed(link, stored)
    page = member_client.get(URL, {"state": "failed"}).content.decode()
    assert "Procore says the submittal is closed" in page and "Retry" in page

    with django_capture_on_commit_callbacks(execute=False):
        done = member_client.post(
            f"/connect/PC-1/connection/responses/{response.pk}/retry/", {"back": "?state=failed"}, follow=True
        )
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.PENDING
    assert "queued to be sent again" in done.content.decode()
    assert done.redirect_chain[-1][0].endswith("?state=failed")

    member_client.post(f"/connect/PC-1/connection/responses/{response.pk}/dismiss/")
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.DISMISSED
    assert list(
        AuditEvent.objects.filter(action__startswith="response.").order_by("id").values_list("action", flat=True)
    ) == [
        "response.retry",
        "response.dismiss",
    ]


def test_a_member_who_is_not_an_admin_sees_responses_but_cannot_retry(
    client: Client, account: ProviderAccount, firm: Firm, make_member: Any
) -> None:
    link = linked(firm, account)
    stored = item(link, 1)
    stored.save()
    response = failed(link, stored)
    client.force_login(make_member(firm, role=Membership.Role.MEMBER))

    assert "Retry" not in client.get(URL).content.decode()
    assert client.post(f"/connect/PC-1/connection/responses/{response.pk}/retry/").status_code == 403
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.FAILED


def test_another_firms_items_page_and_response_actions_are_404(
    client: Client, account: ProviderAccount, firm: Firm, other_firm: Firm, make_member: Any
) -> None:
    link = linked(firm, account)
    stored = item(link, 1)
    stored.save()
    response = failed(link, stored)
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-1", name="Theirs, same id")
    client.force_login(make_member(other_firm, role=Membership.Role.ADMIN))

    assert client.get(URL).status_code == 404
    for action in ("retry", "dismiss"):
        assert client.post(f"/connect/PC-1/connection/responses/{response.pk}/{action}/").status_code == 404
    response.refresh_from_db()
    assert response.status == ItemResponse.Status.FAILED


@pytest.mark.django_db
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


@pytest.mark.django_db
def test_it_says_where_a_file_hangs_in_plain_words(firm: Firm, member_client: Client) -> None:
    linked = linked_add(firm)
    for n, place in enumerate(["question", "answer", "approver"]):
        row = attachment_add(linked.item, b"%PDF sketch", filename=f"{place}.pdf", provider_id=str(n))
        row.place = place
        row.save(update_fields=["place"])

    text = member_client.get(f"/connect/{linked.project.pc_project_id}/connection/items/").content.decode()

    assert "on the RFI's question" in text and "on an answer" in text and "on a reviewer's response" in text
    assert "on the the" not in text and "on the an" not in text


@pytest.mark.django_db
def test_the_connection_page_leads_to_it(firm: Firm, member_client: Client) -> None:
    linked = linked_add(firm)

    page = member_client.get(f"/connect/{linked.project.pc_project_id}/connection/")

    assert f"/connect/{linked.project.pc_project_id}/connection/items/" in page.content.decode()


@pytest.mark.django_db
def test_it_rejects_other_firms_connection(other_firm: Firm, member_client: Client) -> None:
    theirs = linked_add(other_firm)

    page = member_client.get(f"/connect/{theirs.project.pc_project_id}/connection/items/")

    assert page.status_code == 404
