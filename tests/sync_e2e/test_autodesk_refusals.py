"""Autodesk's 403s against the sandbox, each in its own words: the hub that removed the app (Custom Integrations), a
project tool the receiving user has no permission in, and a receiving user who is no longer a project member."""

from __future__ import annotations

import pytest

from connector_portal.models import Firm, User
from projects.models import ProjectLink
from projects.services import link_sync
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import CASES, REVIEWER_ID, EngineClock, link_for

pytestmark = pytest.mark.sandbox
CASE = CASES["autodesk"]


@pytest.fixture
def link(firm: Firm, member: User, sandbox: RunningSandbox) -> ProjectLink:
    return link_for(firm, member, sandbox, CASE)


def synced(link: ProjectLink, clock: EngineClock) -> ProjectLink:
    clock.advance(60)
    link_sync(link_id=link.pk, clock=clock)
    link.refresh_from_db()
    return link


def test_a_tool_without_permission_says_which_tool_and_recovers_when_given(
    link: ProjectLink, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    sandbox.scenario("disable_tool", project_id=CASE.sandbox_project, tool="Submittals")

    blocked = synced(link, clock)

    assert blocked.status == ProjectLink.Status.BLOCKED
    assert "no permission in the project's Submittals tool" in blocked.status_reason
    assert "Custom Integrations" not in blocked.status_reason
    sandbox.scenario("disable_tool", project_id=CASE.sandbox_project, tool="Submittals", disabled=False)
    assert synced(link, clock).status == ProjectLink.Status.ACTIVE


def test_a_receiving_user_no_longer_on_the_project_is_told_to_be_added(
    link: ProjectLink, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    synced(link, clock)  # the project's facts are kept (Data Management no longer shows it to a non-member)
    with sandbox.app.store.write() as conn:
        conn.execute(
            "DELETE FROM project_members WHERE project_id = ? AND user_id = ?", (CASE.sandbox_project, REVIEWER_ID)
        )

    blocked = synced(link, clock)

    assert blocked.status == ProjectLink.Status.BLOCKED
    assert "not a member of the project" in blocked.status_reason and "Custom Integrations" not in blocked.status_reason


def test_a_hub_that_removed_the_app_says_custom_integrations(
    link: ProjectLink, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    synced(link, clock)  # the project's facts are kept: the next sync goes straight to the RFI and Submittal APIs
    sandbox.scenario("block_app", org_id=5_200_000_001)

    blocked = synced(link, clock)

    assert blocked.status == ProjectLink.Status.BLOCKED
    assert "Custom Integrations" in blocked.status_reason
