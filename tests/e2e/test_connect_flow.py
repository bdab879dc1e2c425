"""The product's documented connect steps, in a real Chromium, against the running portal and provider sandbox."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from connector_portal.models import User
from mappings.models import MappingTable
from projects.models import ProjectLink

from .conftest import PASSWORD, Steps

REVIEWER = "reviewer@sandbox.test"


def sign_in_to_portal(steps: Steps, portal: str, user: User) -> None:
    page = steps.page
    page.goto(f"{portal}/connect/PC-1001/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    steps.shot("portal sign in")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Connect 1001 Riverside Library")).to_be_visible()
    steps.shot("configure page")


def sign_in_at_provider(steps: Steps, connector: str) -> None:
    page = steps.page
    page.get_by_role("link", name=connector, exact=True).click()
    page.get_by_label("Email").fill(REVIEWER)
    page.get_by_label("Password").fill("sandbox")
    steps.shot(f"{connector} sign in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Authorization Required")).to_be_visible()
    steps.shot(f"{connector} authorization required")
    page.get_by_role("button", name="Allow").click()


def choose_project(steps: Steps, name: str, search: str) -> None:
    page = steps.page
    expect(page.get_by_role("heading", name=re.compile("Choose the .* project"))).to_be_visible()
    page.get_by_label("Search projects").fill(search)
    page.get_by_role("button", name="Search").click()
    steps.shot("project search")
    page.get_by_label(name).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Configure Project Connection")).to_be_visible()
    steps.shot("configure project connection")


def save_and_check_connected(steps: Steps, provider_project: str) -> None:
    page = steps.page
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("is connected to")).to_be_visible()
    expect(page.get_by_text(provider_project).first).to_be_visible()
    steps.shot("connection page")


def edit_pause_resume_disconnect(steps: Steps) -> None:
    page = steps.page
    page.get_by_role("link", name="Edit mapping").click()
    approved_as_noted = page.get_by_label("Approved as Noted")
    approved_as_noted.select_option(index=1)
    chosen = approved_as_noted.input_value()
    steps.shot("edit mapping")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The connection settings are saved.")).to_be_visible()
    rows = {r.keyword: r.response_id for r in MappingTable.objects.get(link__isnull=False).rows.all()}
    assert rows["Approved as Noted"] == chosen

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("Syncing is paused.")).to_be_visible()
    assert ProjectLink.objects.get().status == ProjectLink.Status.PAUSED
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_text("Syncing has resumed.")).to_be_visible()
    assert ProjectLink.objects.get().status == ProjectLink.Status.ACTIVE

    page.get_by_role("link", name="Disconnect").click()
    steps.shot("disconnect confirmation")
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("is disconnected")).to_be_visible()
    assert not ProjectLink.objects.exists()


def test_procore_with_a_company_choice(portal: str, firm_user: User, browser_page: Steps) -> None:
    steps = browser_page
    sign_in_to_portal(steps, portal, firm_user)
    sign_in_at_provider(steps, "Procore")
    page = steps.page
    expect(page.get_by_role("heading", name="Choose the Procore company")).to_be_visible()
    steps.shot("company choice")
    page.get_by_label("Summit Builders").check()
    page.get_by_role("button", name="Continue").click()
    choose_project(steps, "P-1001 Riverside Medical Center", "riverside")
    # The company renamed "Approved": the mapping shows its current name and still matches it.
    expect(steps.page.get_by_label("Approved", exact=True)).to_have_value(re.compile(r"\d+"))
    expect(steps.page.get_by_text("Reviewed - No Exceptions").first).to_be_attached()
    save_and_check_connected(steps, "Riverside Medical Center")
    link = ProjectLink.objects.get()
    assert (link.provider, link.provider_company_name) == ("procore", "Summit Builders")
    edit_pause_resume_disconnect(steps)


def test_bim360_hub_project_syncs_rfis_only(portal: str, firm_user: User, browser_page: Steps) -> None:
    steps = browser_page
    sign_in_to_portal(steps, portal, firm_user)
    sign_in_at_provider(steps, "BIM 360")
    page = steps.page
    expect(page.get_by_role("heading", name="Choose the Autodesk hub")).to_be_visible()
    page.get_by_label("Harbor Construction (BIM 360)").check()
    page.get_by_role("button", name="Continue").click()
    choose_project(steps, "Lakeside Library (BIM 360)", "lake")
    expect(page.get_by_text("only RFIs can sync")).to_be_visible()
    expect(page.get_by_label("Submittals")).to_be_disabled()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("is connected to")).to_be_visible()
    link = ProjectLink.objects.get()
    assert (link.sync_submittals, link.sync_rfis) == (False, True)


def test_autodesk_construction_cloud_then_edit(portal: str, firm_user: User, browser_page: Steps) -> None:
    steps = browser_page
    sign_in_to_portal(steps, portal, firm_user)
    sign_in_at_provider(steps, "BIM 360")
    page = steps.page
    page.get_by_label("Summit Builders (ACC)").check()
    page.get_by_role("button", name="Continue").click()
    choose_project(steps, "Riverside Medical Center (ACC)", "riverside")
    save_and_check_connected(steps, "Riverside Medical Center (ACC)")
    edit_pause_resume_disconnect(steps)


def test_constructex(portal: str, firm_user: User, browser_page: Steps) -> None:
    steps = browser_page
    sign_in_to_portal(steps, portal, firm_user)
    sign_in_at_provider(steps, "ConstructEx")
    choose_project(steps, "CX-1001 Riverside Medical Center (ConstructEx)", "CX-1001")
    save_and_check_connected(steps, "Riverside Medical Center (ConstructEx)")
    edit_pause_resume_disconnect(steps)
