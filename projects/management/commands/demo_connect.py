"""`manage.py demo_connect PC-1003 procore`: a live demo connection in one command (development with the sandbox only).

It drives the running portal (`make run`) over HTTP as a browser would, through the sandbox's real sign-in and consent
pages (projects/demo/flow.py), rather than calling the connect service: so the demo connection has been through every
step a firm user takes, webhook registration and first sync included, and a step that breaks says so here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connector_portal.models import Connector, Firm, ProjectCenterProject, User
from connector_portal.selectors import memberships_for_user, project_list
from projects.connect.selectors import link_exists, link_get
from projects.demo.flow import DEMO_TARGETS, SANDBOX_REVIEWER, DemoFailed, Target, connect_through_pages
from projects.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD
from projects.models import ProjectLink, SyncRun
from providers.models import ProviderApp

UNFINISHED = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)


def refusal(*, provider: str) -> str:
    """Why the command must not run here, or ""."""
    if not settings.DEBUG:
        return (
            "demo_connect is for development only and DEBUG is off here: it signs in with the demo's published "
            "passwords. Connect projects in the portal's pages instead."
        )
    if not settings.PROVIDER_SANDBOX:
        return (
            "demo_connect connects through the provider sandbox, and the sandbox is off here "
            "(PROVIDER_SANDBOX=false). Turn it on (it is on by default with DEBUG) and start `make run`."
        )
    if ProviderApp.objects.filter(provider=provider).exists():
        return (
            f"A {Connector(provider).label} provider app is set up in admin, so the portal signs in at the real "
            "provider, not the sandbox. demo_connect only walks the sandbox's pages: delete that app row to use it."
        )
    return ""


def demo_firm(*, email: str) -> Firm:
    user = User.objects.filter(email=email).first()
    membership = memberships_for_user(user=user).select_related("firm").first() if user else None
    if membership is None:
        raise CommandError(f"No portal user {email} in a firm. Run `manage.py seed_demo` first (make run does).")
    return membership.firm


def demo_project(*, firm: Firm, pc_project_id: str, portal: str) -> ProjectCenterProject:
    project = project_list(firm=firm).filter(pc_project_id=pc_project_id).first()
    if project is None:
        known = ", ".join(project_list(firm=firm).order_by("pc_project_id").values_list("pc_project_id", flat=True))
        raise CommandError(f"{firm.name} has no Project Center project {pc_project_id} (its projects: {known}).")
    if link_exists(project=project):
        link = link_get(firm=firm, pc_project_id=pc_project_id)
        raise CommandError(
            f"{project} is already connected to {link.get_provider_display()} {link.provider_project_name}. "
            f"Disconnect it on its connection page ({portal}/connect/{pc_project_id}/connection/) to connect it again."
        )
    return project


def first_sync(
    *,
    link: ProjectLink,
    wait: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncRun | None:
    """The link's first sync once it has ended, or as it stands after `wait` seconds (the worker runs it)."""
    deadline = clock() + wait
    while True:
        run = link.runs.order_by("started_at", "id").first()
        if (run is not None and run.status not in UNFINISHED) or clock() >= deadline:
            return run
        sleep(1)


def run_words(run: SyncRun | None) -> str:
    if run is None or run.status in UNFINISHED:
        return (
            "The first sync has not finished yet; the worker `make run` starts runs it. Its progress is on the "
            "connection page."
        )
    counts = f"{run.fetched} items read, {run.new} new"
    return f"First sync {run.get_status_display().lower()}: {counts}. {run.message}".strip()


class Command(BaseCommand):
    help = (
        "Connect a demo Project Center project to a provider through the running portal's pages and the provider "
        "sandbox's sign-in (as its demo reviewer), so a live connection exists in one command. Development only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="the demo firm's Project Center project, e.g. PC-1003")
        parser.add_argument("provider", choices=sorted(DEMO_TARGETS), help="procore, autodesk or constructex")
        parser.add_argument(
            "--portal", default="", help="the running portal's address (default: PORTAL_BASE_URL, as make run sets)"
        )
        parser.add_argument("--email", default=DEMO_EMAIL, help="the portal user who connects (default: the demo's)")
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--company", default="", help="the provider company or hub to choose, by its name")
        parser.add_argument("--provider-project", default="", help="the provider project to choose, by its name")
        parser.add_argument("--wait", type=float, default=60, help="seconds to wait for the first sync (default 60)")

    def handle(self, *args: Any, **options: Any) -> None:
        provider: str = options["provider"]
        if reason := refusal(provider=provider):
            raise CommandError(reason)
        portal = (options["portal"] or settings.PORTAL_BASE_URL).rstrip("/")
        firm = demo_firm(email=options["email"])
        project = demo_project(firm=firm, pc_project_id=options["project"], portal=portal)
        default = DEMO_TARGETS[provider]
        target = Target(
            company=options["company"] or default.company, project=options["provider_project"] or default.project
        )
        self.stdout.write(f"Connecting {project} to {Connector(provider).label} as {SANDBOX_REVIEWER} via {portal} …")
        try:
            url = connect_through_pages(
                portal=portal,
                email=options["email"],
                password=options["password"],
                pc_project_id=project.pc_project_id,
                provider=provider,
                target=target,
            )
        except DemoFailed as failed:
            raise CommandError(failed.message) from failed
        link = link_get(firm=firm, pc_project_id=project.pc_project_id)
        run = first_sync(link=link, wait=options["wait"])
        link.refresh_from_db()
        self.stdout.write(
            f"{project} is connected to {link.get_provider_display()} {link.provider_project_name} "
            f"(status {link.get_status_display()}). {run_words(run)}"
        )
        self.stdout.write(f"Connection page: {url}")
