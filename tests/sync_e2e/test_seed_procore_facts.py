"""The demo seed shows Procore's rules on projects other than the main demo project P-1001: an approver of workflow
step 2 whose turn comes after the GC's step 1, and a project whose RFIs tool is disabled."""

from __future__ import annotations

import pytest

from connector_portal.models import Firm, User
from projects.models import ProjectLink, SyncedItem
from projects.services import link_sync
from providers.errors import NotYourTurn
from providers.registry import get_provider
from sandbox.testing import RunningSandbox
from tests.sync_e2e.conftest import REVIEWER_ID, Case, EngineClock, link_for

pytestmark = pytest.mark.sandbox

OAK_STREET = Case("procore", 6_100_000_003, "5100000001", "6100000003", str(REVIEWER_ID), 3)
HARBOR_POINT = Case("procore", 6_100_000_005, "5100000002", "6100000005", str(REVIEWER_ID), 3)


def test_the_seed_has_a_submittal_the_reviewer_approves_in_step_two_after_the_gc(
    firm: Firm, member: User, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    link = link_for(firm, member, sandbox, OAK_STREET)
    row = OAK_STREET.item_row("submittal", 5)
    steps = sandbox.app.store.all(
        "SELECT user_id, workflow_group_number FROM approvers WHERE item_id = ? ORDER BY workflow_group_number", (row,)
    )
    assert [tuple(step) for step in steps] == [(7_000_000_002, 1), (REVIEWER_ID, 2)]  # the GC, then the reviewer

    link_sync(link_id=link.pk, clock=clock)
    assert not SyncedItem.objects.filter(provider_id=str(row)).exists()  # not theirs until the GC has responded
    with pytest.raises(NotYourTurn, match="not your turn"):  # a response for it is held, not sent to be refused
        get_provider("procore").post_response(
            account=link.account,
            company_id=OAK_STREET.company_id,
            project_id=OAK_STREET.project_id,
            kind="submittal",
            item_id=str(row),
            receiving_user_id=str(REVIEWER_ID),
            option_id=str(OAK_STREET.sandbox_project * 100 + 2),
            comment="",
        )


def test_the_seed_has_a_project_whose_rfis_tool_is_disabled_and_its_link_says_so(
    firm: Firm, member: User, sandbox: RunningSandbox, clock: EngineClock
) -> None:
    link = link_for(firm, member, sandbox, HARBOR_POINT)

    link_sync(link_id=link.pk, clock=clock)

    link.refresh_from_db()
    assert link.status == ProjectLink.Status.BLOCKED
    assert link.status_reason.startswith("The RFIs tool is disabled on this Procore project")
