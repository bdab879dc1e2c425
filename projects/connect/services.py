"""Writes of the connect wizard and the connection page: create, pause, resume, re-point and remove a project link."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from connector_portal.models import Firm, ProjectCenterProject, User
from connector_portal.services import audit_record, snapshot
from projects.models import ProjectLink
from projects.queue import enqueue
from projects.services.mapping import link_mapping_table_delete
from providers.models import ProviderAccount
from providers.types import Company, ProviderProject

logger = logging.getLogger(__name__)


class LinkExists(Exception):
    """The Project Center project is already connected (a second submit, or the back button)."""


@transaction.atomic
def link_create(
    *,
    firm: Firm,
    project: ProjectCenterProject,
    account: ProviderAccount,
    company: Company | None,
    provider_project: ProviderProject,
    sync_submittals: bool,
    sync_rfis: bool,
    actor: User,
    request: HttpRequest | None = None,
) -> ProjectLink:
    """Connect a Project Center project to a provider project. One link per Project Center project."""
    try:
        with transaction.atomic():
            link = ProjectLink.objects.create(
                firm=firm,
                project=project,
                provider=account.provider,
                account=account,
                provider_company_id=company.id if company else "",
                provider_company_name=company.name if company else "",
                provider_project_id=provider_project.id,
                provider_project_name=provider_project.name,
                sync_submittals=sync_submittals and provider_project.supports_submittals,
                sync_rfis=sync_rfis and provider_project.supports_rfis,
                supports_submittals=provider_project.supports_submittals,
                next_sync_at=timezone.now(),
                created_by=actor,
            )
    except IntegrityError as exc:
        raise LinkExists from exc
    audit_record(action="link.create", firm=firm, actor_user=actor, target=link, after=snapshot(link), request=request)
    return link


def _change(link: ProjectLink, *, action: str, actor: User, request: HttpRequest | None, **fields: object) -> None:
    before = snapshot(link)
    for name, value in fields.items():
        setattr(link, name, value)
    link.save(update_fields=[*fields, "updated_at"])
    audit_record(
        action=action,
        firm=link.firm,
        actor_user=actor,
        target=link,
        before=before,
        after=snapshot(link),
        request=request,
    )


def link_pause(*, link: ProjectLink, actor: User, request: HttpRequest | None = None) -> None:
    _change(
        link,
        action="link.pause",
        actor=actor,
        request=request,
        status=ProjectLink.Status.PAUSED,
        status_reason="Paused by " + str(actor) + ".",
    )


def link_resume(*, link: ProjectLink, actor: User, request: HttpRequest | None = None) -> None:
    _change(
        link,
        action="link.resume",
        actor=actor,
        request=request,
        status=ProjectLink.Status.ACTIVE,
        status_reason="",
        next_sync_at=timezone.now(),
    )


def link_set_kinds(
    *, link: ProjectLink, sync_submittals: bool, sync_rfis: bool, actor: User, request: HttpRequest | None = None
) -> None:
    if (link.sync_submittals, link.sync_rfis) == (sync_submittals, sync_rfis):
        return
    _change(
        link, action="link.kinds", actor=actor, request=request, sync_submittals=sync_submittals, sync_rfis=sync_rfis
    )


def link_set_account(
    *, link: ProjectLink, account: ProviderAccount, actor: User, request: HttpRequest | None = None
) -> None:
    """Point the link at another receiving user's account (or the same one, reconnected) and let it sync again.

    A pause a person chose stays: signing in again is not a request to resume.
    """
    if link.status == ProjectLink.Status.PAUSED and not link.auto_paused:
        _change(link, action="link.receiving_user", actor=actor, request=request, account=account)
        return
    _change(
        link,
        action="link.receiving_user",
        actor=actor,
        request=request,
        account=account,
        status=ProjectLink.Status.ACTIVE,
        status_reason="",
        next_sync_at=timezone.now(),
    )


@transaction.atomic
def link_delete(*, link: ProjectLink, actor: User, request: HttpRequest | None = None) -> None:
    before = snapshot(link)
    firm = link.firm
    if link.webhook_hook_id:
        hook = (
            link.provider,
            link.account_id,
            link.provider_company_id,
            link.provider_project_id,
            link.webhook_hook_id,
        )
        transaction.on_commit(lambda: enqueue("projects.tasks.unregister_webhooks", *hook))
    link_mapping_table_delete(link=link)  # deletes that do not come through here: the post_delete receiver
    link.delete()
    audit_record(action="link.delete", firm=firm, actor_user=actor, target=link, before=before, request=request)
