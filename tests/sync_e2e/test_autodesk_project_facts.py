"""An Autodesk project's facts (project type, RFIs container, hub region) live on its link, not in a worker's memory:
whichever worker syncs or delivers for the link knows them, and a link made before they were kept gets them once."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from connector_portal.models import Firm, ProjectCenterProject, User
from projects.models import ItemResponse, ProjectLink, SyncedItem
from projects.services import link_sync, response_deliver, response_record
from projects.services.links import link_connect
from providers.models import ProviderAccount
from providers.registry import get_provider
from providers.types import Company
from sandbox.acc import rfi_container_of
from sandbox.items import uid_for
from sandbox.testing import RunningSandbox
from tests.projects.conftest import keyword_lists_add
from tests.sync_e2e.conftest import CASES, Case, EngineClock, link_for

pytestmark = pytest.mark.sandbox
BIM360_PROJECT = 6_200_000_003  # Lakeside Library, in the seeded BIM 360 hub
BIM360 = Case(
    "autodesk",
    BIM360_PROJECT,
    "b." + uid_for("org", 5_200_000_002),
    "b." + uid_for("project", BIM360_PROJECT),
    CASES["autodesk"].user_id,
    2,
)


def bim360_link(firm: Firm, member: User, sandbox: RunningSandbox) -> ProjectLink:
    """The seeded BIM 360 project connected as the connect flow does it: with the facts Data Management listed."""
    tokens = sandbox.token("autodesk", "reviewer@sandbox.test", scope="data:read data:write")
    account = ProviderAccount.objects.create(
        firm=firm,
        user=member,
        provider="autodesk",
        provider_user_id=BIM360.user_id,
        name="Riley Reviewer",
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(tokens["expires_in"])),
    )
    listed = get_provider("autodesk").list_projects(account=account, company_id=BIM360.company_id)
    [provider_project] = [p for p in listed if p.id == BIM360.project_id]
    project = ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-bim360", name="Lakeside")
    keyword_lists_add(project)
    return link_connect(
        project=project,
        account=account,
        company=Company(id=BIM360.company_id, name="Harbor Construction (BIM 360)"),
        provider_project=provider_project,
        sync_submittals=True,
        sync_rfis=True,
        actor=member,
    )


def paths(calls: list[SimpleNamespace]) -> list[str]:
    return [f"{c.request.method} {c.request.path_url.split('?')[0]}" for c in calls]


def test_a_link_made_before_its_facts_were_kept_gets_them_on_its_next_sync_read_once(
    firm: Firm, member: User, sandbox: RunningSandbox, clock: EngineClock, recorded: list[SimpleNamespace]
) -> None:
    case = CASES["autodesk"]
    link = link_for(firm, member, sandbox, case)  # as an existing link: no project type, container or region
    assert (link.provider_project_type, link.rfi_container_id, link.region) == ("", "", "")
    recorded.clear()

    first = link_sync(link_id=link.pk, clock=clock)
    clock.advance(120)
    again = link_sync(link_id=link.pk, clock=clock)

    assert first is not None and again is not None and first.errors == again.errors == 0, first and first.message
    link.refresh_from_db()
    project = sandbox.app.store.row("SELECT * FROM projects WHERE id = ?", (case.sandbox_project,))
    assert (link.provider_project_type, link.rfi_container_id, link.region) == (
        "ACC",
        rfi_container_of(project),
        "US",
    )
    project_reads = [p for p in paths(recorded) if p.endswith(f"/projects/{case.project_id}")]
    assert len(project_reads) == 1  # read once, by the first sync, then kept


def test_a_bim360_rfi_answer_is_refused_in_words_by_a_worker_that_never_listed_the_project(
    firm: Firm, member: User, sandbox: RunningSandbox, clock: EngineClock, recorded: list[SimpleNamespace]
) -> None:
    """The link says BIM 360: the sync goes straight to BIM 360's RFI API (no ACC request meets a 404), and an RFI
    answer delivered by any worker is refused with what to do, instead of Autodesk's misleading 404."""
    link = bim360_link(firm, member, sandbox)
    project = sandbox.app.store.row("SELECT * FROM projects WHERE id = ?", (BIM360_PROJECT,))
    # Stored at connect, from the project listing: no worker needs to have listed the project itself.
    assert (link.provider_project_type, link.rfi_container_id, link.region) == (
        "BIM360",
        rfi_container_of(project),
        "US",
    )
    assert not link.sync_submittals
    recorded.clear()

    run = link_sync(link_id=link.pk, clock=clock)
    rfi = SyncedItem.objects.get(kind="rfi", provider_id=uid_for("rfi", BIM360.item_row("rfi", 1)))
    response, _ = response_record(firm=firm, item=rfi, keyword="", comment="Use the deeper beam.", idempotency_key="k")
    response_deliver(response_id=response.pk, clock=clock)
    response.refresh_from_db()

    assert run is not None and run.errors == 0, run and run.message
    assert not [p for p in paths(recorded) if "/construction/" in p]  # neither ACC RFIs nor submittals were tried
    assert response.status == ItemResponse.Status.FAILED
    assert "cannot answer BIM 360 RFIs" in response.provider_answer
    assert "Answer this RFI in BIM 360" in response.provider_answer
