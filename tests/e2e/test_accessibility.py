"""Every portal page a firm user meets, checked by axe-core (WCAG 2 A and AA) and at a phone's width."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from connector_portal.models import User
from projects.models import ProjectLink, SyncRun
from providers.models import ProviderAccount

from .conftest import Steps
from .test_connect_flow import sign_in_at_provider, sign_in_to_portal

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONE: ViewportSize = {"width": 390, "height": 844}


def problems(page: Page) -> list[str]:
    """Serious or critical axe findings, and a page wider than a phone's screen."""
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in Axe().run(page, options=WCAG).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    size = page.viewport_size
    assert size is not None, "the browser page has a fixed viewport"
    page.set_viewport_size(PHONE)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
        widest = page.evaluate(
            "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > window.innerWidth)"
            ".slice(-3).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))"
        )
        found.append(f"wider than a {PHONE['width']}px phone screen, scrolls sideways: {widest}")
    page.set_viewport_size(size)
    return found


def check(steps: Steps, name: str, report: dict[str, list[str]]) -> None:
    steps.shot(name)
    found = problems(steps.page)
    if found:
        report[f"{name} ({steps.page.url})"] = found


def _recent_syncs(link: ProjectLink) -> None:
    """Finished syncs, some with errors and one with held submittals: the chart has bars, counts and a note."""
    start = timezone.now() - dt.timedelta(hours=6)
    for index, (fetched, errors) in enumerate([(120, 0), (3, 0), (45, 2), (0, 0), (1200, 0), (7, 1)]):
        SyncRun.objects.create(
            firm=link.firm,
            link=link,
            started_at=start + dt.timedelta(minutes=30 * index),
            finished_at=start + dt.timedelta(minutes=30 * index, seconds=20),
            status="failed" if errors else "succeeded",
            fetched=fetched,
            errors=errors,
            held_kinds=["submittal"] if index == 3 else [],
            message="Submittals are not synced: this project has no keyword list for them yet. " * 2
            if index == 3
            else "",
        )


@pytest.mark.browser
def test_the_portal_pages_have_no_serious_accessibility_problems(
    portal: str, firm_user: User, browser_page: Steps
) -> None:
    steps, page = browser_page, browser_page.page
    report: dict[str, list[str]] = {}
    page.goto(f"{portal}/accounts/login/")
    check(steps, "sign in", report)
    sign_in_to_portal(steps, portal, firm_user)
    check(steps, "configure", report)
    page.goto(f"{portal}/")
    check(steps, "dashboard", report)
    page.goto(f"{portal}/connect/PC-1001/")
    sign_in_at_provider(steps, "Procore")
    expect(page.get_by_role("heading", name="Choose the Procore company")).to_be_visible()
    check(steps, "company choice", report)
    page.get_by_label("Summit Builders").check()
    page.get_by_role("button", name="Continue").click()
    check(steps, "project choice", report)
    page.get_by_label("P-1001 Riverside Medical Center").check()
    page.get_by_role("button", name="Continue").click()
    check(steps, "configure project connection", report)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("is connected to")).to_be_visible()
    check(steps, "connection", report)
    _recent_syncs(ProjectLink.objects.get())
    page.goto(f"{portal}/connect/PC-1001/connection/")
    expect(page.get_by_role("img", name="Items received (grey) and errors (red) per recent sync")).to_be_visible()
    check(steps, "connection with its chart of recent syncs", report)
    for name, path in [
        ("edit mapping", "/connect/PC-1001/connection/mapping/"),
        ("disconnect", "/connect/PC-1001/connection/disconnect/"),
        ("items received", "/connect/PC-1001/connection/items/"),
        ("receiving user", f"/connect/PC-1001/connection/reviewers/add/?account={ProviderAccount.objects.get().pk}"),
        ("keyword lists", "/mappings/projects/PC-1001/keywords/"),
        ("default mappings", "/mappings/defaults/procore/"),
        ("account", "/accounts/password/change/"),
        ("two-factor", "/accounts/2fa/"),
    ]:
        page.goto(f"{portal}{path}")
        check(steps, name, report)

    assert not report, "\n".join(f"{page}: {'; '.join(found)}" for page, found in report.items())
