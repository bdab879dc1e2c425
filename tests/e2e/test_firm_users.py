"""Firm users in a real Chromium against the portal and the provider sandbox: a second receiving user, one of them
losing their connection while the other keeps the link syncing, the items page with retry and dismiss, releasing
held items from the keyword-list page, and the service-account warning on a connected project."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from connector_portal.models import ServiceAccountToken, User
from mappings.keywords import KeywordInput
from mappings.models import KeywordList
from mappings.services import keyword_list_replace
from projects.models import ItemResponse, LinkReviewer, ProjectLink, SyncedItem
from providers.models import ProviderAccount

from .conftest import RunningSandbox, Steps
from .test_connect_flow import choose_project, save_and_check_connected, sign_in_at_provider, sign_in_to_portal

CONSULTANT = "consultant@sandbox.test"


def connect_procore(steps: Steps, portal: str, user: User) -> None:
    sign_in_to_portal(steps, portal, user)
    sign_in_at_provider(steps, "Procore")
    steps.page.get_by_label("Summit Builders").check()
    steps.page.get_by_role("button", name="Continue").click()
    choose_project(steps, "P-1001 Riverside Medical Center", "riverside")
    save_and_check_connected(steps, "Riverside Medical Center")


def provider_sign_in(page: Page, login: str) -> None:
    page.get_by_label("Email").fill(login)
    page.get_by_label("Password").fill("sandbox")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()


@pytest.mark.browser
def test_a_second_reviewer_keeps_the_link_syncing_when_the_first_loses_their_connection(
    portal: str, firm_user: User, browser_page: Steps, sandbox: RunningSandbox
) -> None:
    steps, page = browser_page, browser_page.page
    connect_procore(steps, portal, firm_user)

    page.get_by_role("link", name="Add a receiving user").click()
    provider_sign_in(page, CONSULTANT)
    expect(page.get_by_role("heading", name="Add a receiving user to")).to_be_visible()
    expect(page.get_by_text("is not a contact of this Project Center project's team")).to_be_visible()
    steps.shot("add a receiving user")
    page.get_by_role("button", name="Add Casey Consultant").click()
    expect(page.get_by_text("Casey Consultant now also receives")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Casey Consultant")).to_be_visible()
    assert LinkReviewer.objects.get().account.name == "Casey Consultant"

    # Riley revokes the app at Procore; a submittal for Casey arrives anyway, through Casey's account.
    sandbox.scenario("revoke_tokens", login="reviewer@sandbox.test", provider="procore")
    sandbox.scenario("send_submittal", project_id=6_100_000_001, title="Casey's curtain wall", to=CONSULTANT)
    ProviderAccount.objects.filter(name="Riley Reviewer").update(expires_at=None)  # the next call refreshes
    page.get_by_role("button", name="Sync now").click()
    page.reload()
    expect(page.get_by_text("Riley Reviewer must reconnect to Procore.")).to_be_visible()
    expect(page.get_by_text("Items still arrive through Casey Consultant")).to_be_visible()
    steps.shot("one reviewer lost")
    link = ProjectLink.objects.get()
    assert link.status == ProjectLink.Status.ACTIVE
    item = SyncedItem.objects.get(title="Casey's curtain wall")
    assert item.reviewer is not None and item.reviewer.name == "Casey Consultant"


@pytest.mark.browser
def test_the_items_page_shows_a_failed_response_and_a_firm_admin_retries_and_dismisses_it(
    portal: str, firm_user: User, browser_page: Steps, sandbox: RunningSandbox
) -> None:
    steps, page = browser_page, browser_page.page
    connect_procore(steps, portal, firm_user)
    sandbox.scenario("send_submittal", project_id=6_100_000_001, title="Stair shop drawings")
    page.get_by_role("button", name="Sync now").click()
    page.get_by_role("link", name="Items received").click()
    expect(page.get_by_role("heading", name="Stair shop drawings")).to_be_visible()
    item = SyncedItem.objects.get(title__endswith="Stair shop drawings")
    # A response whose delivery ended in a refusal, as the push leaves it.
    ItemResponse.objects.create(
        firm=item.firm,
        item=item,
        link=item.link,
        reviewer=item.reviewer,
        keyword="Approved",
        idempotency_key="e2e-1",
        request_hash="h",
        status=ItemResponse.Status.FAILED,
        provider_answer="Procore says this approver step is closed.",
        created_at=item.changed_at,
    )
    ProviderAccount.objects.update(status=ProviderAccount.Status.NEEDS_REAUTH)  # so a retry waits, visibly
    page.get_by_label("State").select_option("failed")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Procore says this approver step is closed.")).to_be_visible()
    steps.shot("a failed response")
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("queued to be sent again")).to_be_visible()
    page.get_by_label("State").select_option("waiting")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("The response is dismissed")).to_be_visible()
    assert ItemResponse.objects.get().status == ItemResponse.Status.DISMISSED


@pytest.mark.browser
def test_releasing_held_submittals_and_the_warning_on_a_connected_project(
    portal: str, firm_user: User, browser_page: Steps
) -> None:
    steps, page = browser_page, browser_page.page
    connect_procore(steps, portal, firm_user)
    project = ProjectLink.objects.get().project
    keyword_list_replace(  # Project Center sent a list without the Receive keyword: submittals are held
        project=project,
        kind=KeywordList.Kind.SUBMITTAL_ACTION,
        source=KeywordList.Source.PROJECT_CENTER,
        entries=[KeywordInput("Approved", "Record a Response")],
    )
    page.goto(f"{portal}/mappings/projects/PC-1001/keywords/")
    section = page.get_by_role("region", name="Submittal Action keyword list")
    section.get_by_label(re.compile(r"^Keyword \d+$")).last.fill("For Review")
    section.get_by_label(re.compile(r"^Type of keyword \d+$")).last.fill("Receive")
    section.get_by_role("button", name="Save Submittal Action list").click()
    expect(page.get_by_text("Submittals will arrive within a minute.")).to_be_visible()
    steps.shot("released")

    ServiceAccountToken.objects.update(revoked_at=project.created_at)
    page.goto(f"{portal}/connect/PC-1001/")
    expect(page.get_by_text("has no active API service account")).to_be_visible()
    expect(page.get_by_role("heading", name="Receiving users")).to_be_visible()  # the connection page
    steps.shot("warning on a connected project")
