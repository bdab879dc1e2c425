"""The connection page's receiving users: adding a second one through the provider sign-in, removing one, the
warning for one who is not a Project Center contact, and another firm's link answering 404 on every new page."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from connector_portal.models import AuditEvent, Firm, ProjectCenterProject, User
from projects.models import LinkReviewer, ProjectContact, ProjectLink
from providers.models import ProviderAccount

from .conftest import FakeProvider
from .test_wizard import connect, settings_url


def second(firm: Firm, member: User, **fields: object) -> ProviderAccount:
    values: dict[str, object] = {"provider_user_id": "43", "name": "Sam Second", "email": "sam@acme.example.com"}
    values.update(fields)
    return ProviderAccount.objects.create(firm=firm, user=member, provider="procore", **values)


def test_a_second_receiving_user_is_added_after_signing_in_and_confirming(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider, firm: Firm, member: User
) -> None:
    link = connect(member_client, account)
    page = member_client.get("/connect/PC-1/connection/").content.decode()
    assert "Add a receiving user" in page and "next=%2Fconnect%2FPC-1%2Fconnection%2Freviewers%2Fadd%2F" in page
    sam = second(firm, member)

    confirm = member_client.get(f"/connect/PC-1/connection/reviewers/add/?account={sam.pk}").content.decode()
    assert "Add Sam Second" in confirm
    assert not LinkReviewer.objects.exists()  # a GET changes nothing
    done = member_client.post("/connect/PC-1/connection/reviewers/add/", {"account": sam.pk}, follow=True)

    assert "Sam Second now also receives" in done.content.decode()
    assert list(LinkReviewer.objects.values_list("link", "account")) == [(link.pk, sam.pk)]
    assert AuditEvent.objects.filter(action="link.reviewer_add").exists()
    page = member_client.get("/connect/PC-1/connection/").content.decode()
    assert "Remove Sam Second" in page


def test_a_receiving_user_who_is_no_project_contact_is_warned_about_in_words(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider, firm: Firm, member: User
) -> None:
    wizard = member_client.get(settings_url(account)).content.decode()
    assert "is not a contact of this Project Center project" in wizard
    link = connect(member_client, account)
    ProjectContact.objects.create(
        firm=firm, project=link.project, email=account.email.lower(), name="Main", updated_at=timezone.now()
    )
    sam = second(firm, member)
    LinkReviewer.objects.create(firm=firm, link=link, account=sam, created_at=timezone.now())

    page = member_client.get("/connect/PC-1/connection/").content.decode()

    assert page.count("is not a contact of this Project Center project") == 1
    assert "Sam Second (sam@acme.example.com) is not a contact" in page


def test_a_lost_second_reviewer_is_named_with_the_link_still_active(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider, firm: Firm, member: User
) -> None:
    link = connect(member_client, account)
    sam = second(firm, member, status=ProviderAccount.Status.NEEDS_REAUTH, last_error="Sam revoked the app.")
    LinkReviewer.objects.create(firm=firm, link=link, account=sam, created_at=timezone.now())

    page = member_client.get("/connect/PC-1/connection/").content.decode()

    assert "Sam Second must reconnect" in page and "Sam revoked the app." in page
    assert "Sam Second's responses wait until they sign in again" in page
    assert "was lost." not in page  # the connection itself is not lost


def test_a_further_reviewer_is_removed(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider, firm: Firm, member: User
) -> None:
    link = connect(member_client, account)
    row = LinkReviewer.objects.create(firm=firm, link=link, account=second(firm, member), created_at=timezone.now())

    member_client.post(f"/connect/PC-1/connection/reviewers/{row.pk}/remove/")

    assert not LinkReviewer.objects.exists()
    assert AuditEvent.objects.filter(action="link.reviewer_remove").exists()


def test_reviewer_pages_answer_404_for_another_firms_connection(
    client: Client,
    other_firm: Firm,
    make_member,
    account: ProviderAccount,
    fake_provider: FakeProvider,
    member_client: Client,
    firm: Firm,
    member: User,
) -> None:
    link = connect(member_client, account)
    row = LinkReviewer.objects.create(firm=firm, link=link, account=second(firm, member), created_at=timezone.now())
    outsider = make_member(other_firm)
    ProjectCenterProject.objects.create(firm=other_firm, pc_project_id="PC-1", name="Theirs, same id")
    theirs = ProviderAccount.objects.create(firm=other_firm, user=outsider, provider="procore", provider_user_id="9")
    client.force_login(outsider)

    assert client.get(f"/connect/PC-1/connection/reviewers/add/?account={theirs.pk}").status_code == 404
    assert client.post("/connect/PC-1/connection/reviewers/add/", {"account": theirs.pk}).status_code == 404
    assert client.post(f"/connect/PC-1/connection/reviewers/{row.pk}/remove/").status_code == 404
    assert LinkReviewer.objects.filter(pk=row.pk).exists()
    assert ProjectLink.objects.filter(firm=firm).count() == 1


def test_the_service_account_warning_stands_on_every_page_of_a_connected_project(
    member_client: Client, account: ProviderAccount, fake_provider: FakeProvider, firm: Firm
) -> None:
    from connector_portal.services import service_token_create

    connect(member_client, account)
    pages = [
        "/connect/PC-1/",  # redirects to the connection page once connected
        "/connect/PC-1/connection/",
        "/connect/PC-1/connection/items/",
        "/connect/PC-1/connection/mapping/",
        "/mappings/projects/PC-1/keywords/",
    ]
    for path in pages:
        page = member_client.get(path, follow=True).content.decode()
        assert "has no active API service account" in page, path
    service_token_create(firm=firm)
    for path in pages:
        assert "has no active API service account" not in member_client.get(path, follow=True).content.decode()
