"""A link's receiving users (reviewers) and the Project Center project team they are matched with.

A link has the receiving user who connected it (`ProjectLink.account`) and any number of further ones (LinkReviewer),
each signed in at the provider with their own account. Items are received when any of them is the reviewer; each
response goes back with the account of the reviewer whose item it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from connector_portal.models import ProjectCenterProject, ServiceAccountToken, User
from connector_portal.services import audit_record
from projects.models import LinkReviewer, ProjectContact, ProjectLink
from projects.services.sweep import sync_run_queue
from providers.models import ProviderAccount


def _who(account: ProviderAccount) -> str:
    return account.name or account.email or account.provider_user_id


@transaction.atomic
def link_reviewer_add(
    *, link: ProjectLink, account: ProviderAccount, actor: User, request: HttpRequest | None = None
) -> bool:
    """Add a receiving user (their account just signed in at the provider) and sync, so that their items arrive now.

    Answers False when they already receive this link's items: signing in again was their reconnect, which lets a
    lost link sync again and their waiting responses go out. The account must be of the link's firm.
    """
    if account.firm_id != link.firm_id:
        raise ValueError("A receiving user's account belongs to the link's firm.")
    known = account.pk == link.account_id or LinkReviewer.objects.filter(link=link, account=account).exists()
    if not known:
        LinkReviewer.objects.create(
            firm_id=link.firm_id, link=link, account=account, added_by=actor, created_at=timezone.now()
        )
    audit_record(
        action="link.reviewer_reconnect" if known else "link.reviewer_add",
        firm=link.firm,
        actor_user=actor,
        target=link,
        after={"reviewer": _who(account), "account": account.pk},
        request=request,
    )
    _resume_if_lost(link)
    transaction.on_commit(lambda: sync_run_queue(link=link))
    return not known


def _resume_if_lost(link: ProjectLink) -> None:
    # A link lost because every reviewer was lost syncs again as soon as one of them is back.
    if link.status == ProjectLink.Status.CONNECTION_LOST:
        link.status, link.status_reason, link.next_sync_at = ProjectLink.Status.ACTIVE, "", timezone.now()
        link.save(update_fields=["status", "status_reason", "next_sync_at", "updated_at"])


def link_reviewer_remove(
    *, link: ProjectLink, reviewer: LinkReviewer, actor: User, request: HttpRequest | None = None
) -> None:
    """Stop a further receiving user's items arriving; items already in stay, their responses go out as them."""
    who = _who(reviewer.account)
    reviewer.delete()
    audit_record(
        action="link.reviewer_remove",
        firm=link.firm,
        actor_user=actor,
        target=link,
        before={"reviewer": who},
        request=request,
    )


@dataclass(frozen=True)
class Contact:
    email: str
    name: str = ""
    pc_contact_id: str = ""


@transaction.atomic
def project_contacts_replace(
    *,
    project: ProjectCenterProject,
    contacts: Sequence[Contact],
    actor_token: ServiceAccountToken | None = None,
    request: HttpRequest | None = None,
) -> list[ProjectContact]:
    """Project Center's project team, as it says now: the whole list is replaced (e-mail addresses in lower case)."""
    now = timezone.now()
    by_email = {c.email.strip().lower(): c for c in contacts}
    ProjectContact.objects.filter(firm_id=project.firm_id, project=project).exclude(email__in=by_email).delete()
    kept = {c.email: c for c in ProjectContact.objects.filter(firm_id=project.firm_id, project=project)}
    rows = []
    for email, given in by_email.items():
        row = kept.get(email) or ProjectContact(firm_id=project.firm_id, project=project, email=email)
        row.name, row.pc_contact_id, row.updated_at = given.name, given.pc_contact_id, now
        rows.append(row)
    ProjectContact.objects.bulk_create([r for r in rows if r.pk is None])
    ProjectContact.objects.bulk_update([r for r in rows if r.pk is not None], ["name", "pc_contact_id", "updated_at"])
    audit_record(
        action="project.contacts",
        firm=project.firm,
        actor_token=actor_token,
        target=project,
        after={"contacts": sorted(by_email)},
        request=request,
    )
    return sorted(rows, key=lambda r: r.email)
