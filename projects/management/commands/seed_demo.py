"""Idempotent demo data: a firm, its admin user, a full licence, three Project Center projects and an API token."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from connector_portal.models import Firm, Licence, Membership, ProjectCenterProject, User
from connector_portal.selectors import firm_has_service_account, service_tokens_active
from connector_portal.services import service_token_create, service_token_revoke
from mappings.constants import DEFAULT_RESPONSE_KEYWORDS
from mappings.keywords import KeywordInput
from mappings.models import KeywordList
from mappings.services import keyword_list_replace
from projects.demo.flow import SANDBOX_REVIEWER
from projects.services.reviewers import Contact, project_contacts_replace

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"
DEMO_KEYWORDS = {
    KeywordList.Kind.SUBMITTAL_ACTION: [
        KeywordInput(name="For Review", type="Receive"),
        *(KeywordInput(name=name, type="Record a Response") for name in DEFAULT_RESPONSE_KEYWORDS),
    ],
    KeywordList.Kind.RFI_ACTION: [KeywordInput(name="Request for Information", type="Receive")],
}
DEMO_CONTACT = Contact(email=SANDBOX_REVIEWER, name="Riley Reviewer", pc_contact_id="demo-contact-1")
DEMO_PROJECTS = [
    ("PC-1001", "1001", "Riverside Library"),
    ("PC-1002", "1002", "Harbour Street Offices"),
    # For a live connection in one command (demo_connect); the README's walk keeps PC-1001 and PC-1002 unconnected.
    ("PC-1003", "1003", "Oak Street School"),
]


class Command(BaseCommand):
    help = "Create the demo firm, user, licence, projects and API token (safe to run again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--new-token", action="store_true", help="Revoke the demo firm's API tokens and print a new one."
        )

    @transaction.atomic
    def handle(self, *args: Any, new_token: bool = False, **options: Any) -> None:
        firm, _ = Firm.objects.get_or_create(slug="demo-architects", defaults={"name": "Demo Architects"})
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                email=DEMO_EMAIL, password=DEMO_PASSWORD, first_name="Demo", last_name="Reviewer"
            )
        Membership.objects.get_or_create(firm=firm, user=user, defaults={"role": Membership.Role.ADMIN})
        Licence.objects.update_or_create(firm=firm, defaults={"procore": True, "autodesk": True, "constructex": True})
        for pc_id, number, name in DEMO_PROJECTS:
            ProjectCenterProject.objects.get_or_create(
                firm=firm, pc_project_id=pc_id, defaults={"number": number, "name": name}
            )
        # The first and third projects have Project Center's keyword lists; the second shows a missing keyword.
        for pc_id in (DEMO_PROJECTS[0][0], DEMO_PROJECTS[2][0]):
            project = ProjectCenterProject.objects.get(firm=firm, pc_project_id=pc_id)
            for kind, entries in DEMO_KEYWORDS.items():
                keyword_list_replace(
                    project=project, kind=kind, entries=entries, source=KeywordList.Source.PROJECT_CENTER
                )
        # Project Center's project team names the sandbox's reviewer on the same two projects: connecting them as that
        # reviewer shows no "no Project Center contact" warning; PC-1002 shows it, as it shows the missing keyword.
        for pc_id in (DEMO_PROJECTS[0][0], DEMO_PROJECTS[2][0]):
            project = ProjectCenterProject.objects.get(firm=firm, pc_project_id=pc_id)
            if not project.contacts.exists():
                project_contacts_replace(project=project, contacts=[DEMO_CONTACT])
        self.stdout.write(f"Demo firm: {firm.name} — sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        if new_token:
            for token in service_tokens_active(firm=firm):
                service_token_revoke(token=token)
        if not firm_has_service_account(firm=firm):
            _token, raw = service_token_create(firm=firm, name="Demo Project Center")
            self.stdout.write(f"Demo API service-account token (shown once, keep it): {raw}")
        else:
            self.stdout.write(
                "Demo API service-account token: already created and shown once. For a new one: "
                ".venv/bin/python manage.py seed_demo --new-token"
            )
