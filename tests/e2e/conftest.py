"""End-to-end: the portal (pytest-django's live server) and the provider sandbox over real HTTP, driven in Chromium.

Chromium is Debian's (/usr/bin/chromium), launched by Playwright for Python. Without it these tests are skipped with
the reason. When a test fails, a screenshot of every step it reached is kept in test-artifacts/<test name>/.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pluggy
import pytest
from django.test import override_settings

from connector_portal.models import Firm, Licence, Membership, ProjectCenterProject, User
from connector_portal.services import service_token_create
from mappings.constants import DEFAULT_RESPONSE_KEYWORDS
from mappings.keywords import KeywordInput
from mappings.models import KeywordList
from mappings.services import keyword_list_replace
from sandbox.testing import RunningSandbox, running_sandbox

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "e2e-long-password-1"

pytestmark = pytest.mark.browser
# Playwright's sync API runs an event loop in the test's thread; the test's own ORM reads are still plain sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(
        reason=f"browser tests skipped: Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    )
    for item in items:
        if "e2e" in item.nodeid.split("/"):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed  # type: ignore[attr-defined]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path / "sandbox.sqlite3") as running:
        running.seed()
        yield running


@pytest.fixture
def portal(live_server, sandbox: RunningSandbox) -> Iterator[str]:
    with override_settings(PROVIDER_SANDBOX=True, SANDBOX_URL=sandbox.base_url):
        yield live_server.url


@pytest.fixture
def firm_user(transactional_db: None) -> User:
    firm = Firm.objects.create(name="Demo Architects", slug="demo-architects")
    Licence.objects.create(firm=firm, procore=True, autodesk=True, constructex=True)
    user = User.objects.create_user(email="reviewer@demo.example.com", password=PASSWORD)
    Membership.objects.create(firm=firm, user=user, role=Membership.Role.ADMIN)
    service_token_create(firm=firm)
    project = ProjectCenterProject.objects.create(
        firm=firm, pc_project_id="PC-1001", name="Riverside Library", number="1001"
    )
    keyword_list_replace(
        project=project,
        kind=KeywordList.Kind.SUBMITTAL_ACTION,
        source=KeywordList.Source.PORTAL,
        entries=[
            KeywordInput("For Review", "Receive"),
            *(KeywordInput(k, "Record a Response") for k in DEFAULT_RESPONSE_KEYWORDS),
        ],
    )
    keyword_list_replace(
        project=project,
        kind=KeywordList.Kind.RFI_ACTION,
        source=KeywordList.Source.PORTAL,
        entries=[KeywordInput("Request for Information", "Receive")],
    )
    return user


class Steps:
    """The browser page plus a screenshot after each named step, kept only when the test fails."""

    def __init__(self, page, folder: Path) -> None:
        self.page, self.folder, self.count = page, folder, 0
        self.shots: list[tuple[str, bytes]] = []

    def shot(self, name: str) -> None:
        self.count += 1
        self.shots.append(
            (f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png", self.page.screenshot(full_page=True))
        )

    def save(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        for name, data in self.shots:
            (self.folder / name).write_bytes(data)


@pytest.fixture
def browser_page(request: pytest.FixtureRequest) -> Iterator[Steps]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(15_000)
        # Every browser test also proves the Content-Security-Policy holds: Chromium reports each thing it refused
        # (an inline script or style, another origin) on the console, and any such report fails the test.
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        steps = Steps(page, ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
        try:
            yield steps
            assert refused == [], f"the browser refused under the Content-Security-Policy: {refused[:5]}"
        finally:
            if getattr(request.node, "failed_call", False):
                with contextlib.suppress(Exception):  # the page may be gone; the earlier shots still count
                    steps.shot("at-failure")
                steps.save()
            browser.close()
