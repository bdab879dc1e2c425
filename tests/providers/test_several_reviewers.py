"""Several receiving users on one connection, through the real Procore client with mocked HTTP: items for any of
them arrive, each saying whose it is; a lost reviewer's authorisation keeps the link syncing through the others, and
their responses wait (not fail) until they sign in again, while the others' go out in their own name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import responses
from django.core import mail
from django.utils import timezone

from connector_portal.models import Firm, Membership, ProjectCenterProject, User
from projects.models import ItemResponse, LinkReviewer, ProjectContact, ProjectLink, SyncedItem
from projects.selectors import feed_page_get, feed_reviewers, link_reviewers
from projects.services import link_sync
from projects.services.mapping import mapping_table_create_for_link
from projects.services.push import response_deliver, response_record
from projects.services.sweep import due_responses
from providers.models import ProviderAccount
from providers.services import account_connect
from providers.types import ProviderUser, ResponseOption, TokenSet
from tests.projects.conftest import keyword_lists_add
from tests.providers.conftest import PROCORE
from tests.providers.test_sync_procore import COMPANY, PROJECT, RFIS, SUBMITTALS, link_header, submittal

RITA, OSCAR = "4242", "4343"
TOKEN = f"{PROCORE}/oauth/token"
APPROVED = ResponseOption(id="2", name="Approved", standard="approved")


def ball(user_id: str, name: str) -> dict[str, Any]:
    return {"ball_in_court": [{"id": int(user_id), "name": name}], "approvers": []}


@pytest.fixture
def rita(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account(provider_user_id=RITA, name="Rita Reviewer", email="Rita@Acme.example.com")


@pytest.fixture
def oscar(make_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return make_account(
        provider_user_id=OSCAR, name="Oscar Other", email="oscar@acme.example.com", access_token="oscar-access"
    )


@pytest.fixture
def two_reviewers(firm: Firm, rita: ProviderAccount, oscar: ProviderAccount) -> ProjectLink:
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-77", name="Harbour Hall")
    keyword_lists_add(project)
    link = ProjectLink.objects.create(
        project=project,
        provider="procore",
        account=rita,
        provider_company_id=COMPANY,
        provider_project_id=PROJECT,
        provider_project_name="Harbour Hall",
        sync_rfis=False,
    )
    LinkReviewer.objects.create(firm=firm, link=link, account=oscar, created_at=timezone.now())
    return link


def listing(mocked: responses.RequestsMock) -> None:
    entries = [
        submittal(1, **ball(RITA, "Rita Reviewer")),
        submittal(2, **ball(OSCAR, "Oscar Other")),
        submittal(3),  # the contractor's own
    ]
    mocked.get(SUBMITTALS, json=entries, headers=link_header(SUBMITTALS, 1, 1, 3))
    mocked.get(RFIS, json=[], headers=link_header(RFIS, 1, 1, 0))


def reviewer_of(provider_id: str) -> str:
    item = SyncedItem.objects.select_related("reviewer").get(provider_id=provider_id)
    return item.reviewer.name if item.reviewer else ""


def test_items_for_either_receiving_user_arrive_each_saying_whose_it_is(
    mocked: responses.RequestsMock, two_reviewers: ProjectLink, firm: Firm
) -> None:
    listing(mocked)
    ProjectContact.objects.create(
        firm=firm,
        project=two_reviewers.project,
        email="rita@acme.example.com",
        name="Rita R.",
        updated_at=timezone.now(),
    )

    link_sync(link_id=two_reviewers.pk)

    assert sorted(SyncedItem.objects.values_list("provider_id", flat=True)) == ["1001", "1002"]
    assert (reviewer_of("1001"), reviewer_of("1002")) == ("Rita Reviewer", "Oscar Other")
    entries = feed_page_get(firm=firm, after=0, limit=10).entries
    said = feed_reviewers(firm=firm, entries=entries)
    assert {said[e.position].name: said[e.position].contact is not None for e in entries} == {
        "Rita Reviewer": True,  # matched by e-mail whatever its case
        "Oscar Other": False,
    }
    oscar_row = next(r for r in link_reviewers(link=two_reviewers) if r.name == "Oscar Other")
    assert "not a contact of this Project Center project's team" in oscar_row.no_contact_words


def test_a_reviewer_who_lost_their_authorisation_leaves_the_link_syncing_through_the_other(
    mocked: responses.RequestsMock, two_reviewers: ProjectLink, rita: ProviderAccount
) -> None:
    rita.expires_at = timezone.now()  # her token must be refreshed, and Procore refuses: she revoked the app
    rita.save(update_fields=["expires_at"])
    mocked.post(TOKEN, json={"error": "invalid_grant"}, status=400)
    listing(mocked)

    run = link_sync(link_id=two_reviewers.pk)

    two_reviewers.refresh_from_db()
    rita.refresh_from_db()
    assert run is not None and run.status == "succeeded"
    assert two_reviewers.status == ProjectLink.Status.ACTIVE
    assert rita.status == ProviderAccount.Status.NEEDS_REAUTH
    assert (reviewer_of("1001"), reviewer_of("1002")) == ("Rita Reviewer", "Oscar Other")  # hers still arrive
    listed = [c.request for c in mocked.calls if c.request.url and c.request.url.startswith(SUBMITTALS)]
    assert listed and listed[-1].headers["Authorization"] == "Bearer oscar-access"
    lost = [r.name for r in link_reviewers(link=two_reviewers) if r.must_reconnect]
    assert lost == ["Rita Reviewer"]


def test_one_email_says_which_reviewer_must_reconnect_where_and_that_items_still_arrive(
    mocked: responses.RequestsMock,
    two_reviewers: ProjectLink,
    rita: ProviderAccount,
    firm: Firm,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    make_member(firm, "boss@acme.example.com", role=Membership.Role.ADMIN)
    make_member(firm, "staff@acme.example.com")
    rita.user = make_member(firm, "rita.portal@acme.example.com")
    rita.expires_at = timezone.now()
    rita.save(update_fields=["user", "expires_at"])
    mocked.post(TOKEN, json={"error": "invalid_grant"}, status=400)
    listing(mocked)

    with django_capture_on_commit_callbacks(execute=True):
        link_sync(link_id=two_reviewers.pk)
        link_sync(link_id=two_reviewers.pk)  # the next sync finds her still lost: no second e-mail

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert "boss@acme.example.com" in sent.to and "rita.portal@acme.example.com" in sent.to  # admins and Rita
    assert "staff@acme.example.com" not in sent.to
    assert sent.subject == "[Connector portal] Rita Reviewer must reconnect to Procore"
    assert "https://portal.example.com/connect/PC-77/connection/" in sent.body
    assert "still arrive through Oscar Other" in sent.body
    assert "responses wait" in sent.body


def test_the_one_email_names_every_connection_the_lost_reviewer_receives_for(
    mocked: responses.RequestsMock,
    two_reviewers: ProjectLink,
    rita: ProviderAccount,
    oscar: ProviderAccount,
    firm: Firm,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    make_member(firm, "boss@acme.example.com", role=Membership.Role.ADMIN)
    # Rita also receives for a second project, there as a further receiving user beside Oscar.
    other = ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-88", name="Dock Street")
    second = ProjectLink.objects.create(
        project=other, provider="procore", account=oscar, provider_company_id=COMPANY, provider_project_id="9"
    )
    LinkReviewer.objects.create(firm=firm, link=second, account=rita, created_at=timezone.now())
    rita.expires_at = timezone.now()
    rita.save(update_fields=["expires_at"])
    mocked.post(TOKEN, json={"error": "invalid_grant"}, status=400)
    listing(mocked)

    with django_capture_on_commit_callbacks(execute=True):
        link_sync(link_id=two_reviewers.pk)

    (sent,) = mail.outbox
    assert "https://portal.example.com/connect/PC-77/connection/" in sent.body
    assert "https://portal.example.com/connect/PC-88/connection/" in sent.body


def test_reconnecting_and_losing_access_again_is_a_new_loss_with_its_own_email(
    mocked: responses.RequestsMock,
    two_reviewers: ProjectLink,
    rita: ProviderAccount,
    firm: Firm,
    make_member: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_member(firm, "boss@acme.example.com", role=Membership.Role.ADMIN)
    mocked.post(TOKEN, json={"error": "invalid_grant"}, status=400)
    listing(mocked)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            # She signs in again (the tokens she gets expire at once, and she revokes the app again).
            account_connect(
                firm=firm,
                user=rita.user,
                provider="procore",
                provider_user=ProviderUser(id=RITA, name="Rita Reviewer", email="rita@acme.example.com"),
                tokens=TokenSet(access_token="a", refresh_token="r", expires_at=timezone.now()),
            )
            link_sync(link_id=two_reviewers.pk)

    assert [m.subject for m in mail.outbox] == ["[Connector portal] Rita Reviewer must reconnect to Procore"] * 2


def test_a_lost_reviewers_response_waits_while_the_others_goes_out_in_their_own_name(
    mocked: responses.RequestsMock,
    two_reviewers: ProjectLink,
    rita: ProviderAccount,
    oscar: ProviderAccount,
    firm: Firm,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listing(mocked)
    link_sync(link_id=two_reviewers.pk)
    mapping_table_create_for_link(link=two_reviewers, options=[APPROVED])
    ProviderAccount.objects.filter(pk=rita.pk).update(status=ProviderAccount.Status.NEEDS_REAUTH)
    hers, _ = response_record(
        firm=firm, item=SyncedItem.objects.get(provider_id="1001"), keyword="Approved", comment="", idempotency_key="r"
    )
    his, _ = response_record(
        firm=firm, item=SyncedItem.objects.get(provider_id="1002"), keyword="Approved", comment="", idempotency_key="o"
    )
    acting: list[str] = []

    class Port:
        label = "Procore"

        def response_options(self, kind: str) -> list[ResponseOption]:
            return [APPROVED]

        def post_response(self, item: SyncedItem, option: Any, comment: str, files: Any = ()) -> str:
            return "“Approved” was recorded in Procore."

    def port_for(link: ProjectLink, *, account: ProviderAccount | None = None) -> Port:
        acting.append(account.name if account else "")
        return Port()

    monkeypatch.setattr("projects.services.push.provider_port_for", port_for)

    assert due_responses(now=timezone.now()) == [his.pk]  # hers is left alone until she reconnects
    response_deliver(response_id=hers.pk)
    response_deliver(response_id=his.pk)

    hers.refresh_from_db()
    his.refresh_from_db()
    assert (hers.status, his.status) == (ItemResponse.Status.PENDING, ItemResponse.Status.DELIVERED)
    assert acting == ["Oscar Other"]

    ProviderAccount.objects.filter(pk=rita.pk).update(status=ProviderAccount.Status.ACTIVE)  # she signed in again
    assert due_responses(now=timezone.now()) == [hers.pk]
    response_deliver(response_id=hers.pk)
    hers.refresh_from_db()
    assert hers.status == ItemResponse.Status.DELIVERED and acting == ["Oscar Other", "Rita Reviewer"]
