"""`manage.py demo_connect`: the portal's connect pages walked over real HTTP with the sandbox's real OAuth pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from projects.demo.flow import SANDBOX_PASSWORD, SANDBOX_REVIEWER
from projects.management.commands.demo_connect import first_sync
from projects.models import ProjectLink, SyncRun
from providers.models import ProviderApp
from sandbox import seed as sandbox_seed
from sandbox.testing import RunningSandbox, running_sandbox

CLOSED_PORT = "http://127.0.0.1:9"  # the discard port: nothing listens there on a test machine


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path / "sandbox.sqlite3", seed=True) as running:
        yield running


@pytest.fixture
def portal(live_server, sandbox: RunningSandbox) -> Iterator[str]:
    # pytest-django runs tests with DEBUG off; the command is for development, where it is on.
    with override_settings(DEBUG=True, PROVIDER_SANDBOX=True, SANDBOX_URL=sandbox.base_url):
        call_command("seed_demo", stdout=StringIO())
        yield live_server.url


def demo_connect(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("demo_connect", *args, stdout=out, wait=0, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("provider", "provider_project", "kinds"),
    [
        ("procore", "Oak Street School", (True, True)),
        ("autodesk", "Riverside Medical Center (ACC)", (True, True)),
        ("constructex", "Riverside Medical Center (ConstructEx)", (True, True)),
    ],
)
def test_it_connects_pc_1003_through_the_sandboxs_sign_in_pages_and_syncs_it(
    portal: str, provider: str, provider_project: str, kinds: tuple[bool, bool]
) -> None:
    said = demo_connect("PC-1003", provider, portal=portal)

    link = ProjectLink.objects.get()
    assert (link.project.pc_project_id, link.provider, link.provider_project_name) == (
        "PC-1003",
        provider,
        provider_project,
    )
    assert link.status == ProjectLink.Status.ACTIVE
    assert link.account.email == SANDBOX_REVIEWER
    assert (link.sync_submittals, link.sync_rfis) == kinds
    run = link.runs.get()
    assert run.status == SyncRun.Status.SUCCEEDED and run.new > 0
    assert link.items.exists()
    assert "status Active" in said and "First sync succeeded" in said
    assert f"{portal}/connect/PC-1003/connection/" in said


def test_procore_demo_connection_registers_its_webhook(portal: str) -> None:
    demo_connect("PC-1003", "procore", portal=portal)

    assert ProjectLink.objects.get().webhook_healthy


def test_it_refuses_a_project_already_connected(portal: str) -> None:
    demo_connect("PC-1003", "constructex", portal=portal)

    refused = f"already connected to ConstructEx .*Disconnect it on its connection page \\({portal}/connect/PC-1003/"
    with pytest.raises(CommandError, match=refused):
        demo_connect("PC-1003", "procore", portal=portal)
    assert ProjectLink.objects.count() == 1


def test_it_names_the_demo_firms_projects_for_an_unknown_one(portal: str) -> None:
    with pytest.raises(
        CommandError, match=r"no Project Center project PC-9999 \(its projects: PC-1001, PC-1002, PC-1003"
    ):
        demo_connect("PC-9999", "procore", portal=portal)


def test_it_says_to_start_make_run_when_the_portal_does_not_answer(portal: str) -> None:
    refused = re.escape("The portal at http://127.0.0.1:9 does not answer. Start `make run` first")
    with pytest.raises(CommandError, match=refused):
        demo_connect("PC-1003", "procore", portal=CLOSED_PORT)
    assert not ProjectLink.objects.exists()


def test_it_says_to_start_make_run_when_the_sandbox_does_not_answer(portal: str) -> None:
    refused = re.escape("The provider sandbox at http://127.0.0.1:9 does not answer. Start `make run` first")
    with override_settings(SANDBOX_URL=CLOSED_PORT), pytest.raises(CommandError, match=refused):
        demo_connect("PC-1003", "procore", portal=portal)
    assert not ProjectLink.objects.exists()


def test_it_says_what_to_choose_when_the_provider_project_is_not_offered(portal: str) -> None:
    with pytest.raises(CommandError, match=r"offers no project named like 'Nowhere' .*Oak Street School"):
        demo_connect("PC-1003", "procore", portal=portal, provider_project="Nowhere")
    assert not ProjectLink.objects.exists()


@pytest.mark.parametrize(
    ("changed", "words"),
    [
        ({"DEBUG": False}, "for development only and DEBUG is off"),
        ({"DEBUG": True, "PROVIDER_SANDBOX": False}, r"the sandbox is off here \(PROVIDER_SANDBOX=false\)"),
    ],
)
def test_it_refuses_outside_development_with_the_sandbox(db: None, changed: dict[str, bool], words: str) -> None:
    with override_settings(**changed), pytest.raises(CommandError, match=words):
        demo_connect("PC-1003", "procore", portal=CLOSED_PORT)


@override_settings(DEBUG=True, PROVIDER_SANDBOX=True)
def test_it_refuses_when_admin_points_the_provider_at_the_real_service(db: None) -> None:
    ProviderApp.objects.create(provider="procore", client_id="real", client_secret="real")

    with pytest.raises(CommandError, match="set up in admin, so the portal signs in at the real provider"):
        demo_connect("PC-1003", "procore", portal=CLOSED_PORT)


def test_the_reviewer_it_signs_in_as_is_the_sandboxs_seeded_reviewer() -> None:
    assert sandbox_seed.USERS[0][1] == SANDBOX_REVIEWER and sandbox_seed.PASSWORD == SANDBOX_PASSWORD


def test_waiting_for_the_first_sync_stops_at_the_deadline_on_an_injected_clock(db: None) -> None:
    now = [0.0]
    slept: list[float] = []

    class NoRuns:
        runs = SyncRun.objects.none()

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    assert first_sync(link=NoRuns(), wait=3, clock=lambda: now[0], sleep=sleep) is None  # type: ignore[arg-type]
    assert slept == [1, 1, 1]
