"""A link's lifecycle: connect, sync now, pause, resume, settings, receiving user, reconnect, disconnect.

The connect wizard, the connection page, admin and the REST API all call these, so each rule (one link per project,
no sync while a person paused it, who did what in the audit) is written once. The sync engine itself (leases, pulls,
the sweep) stays in its own modules; this one only decides and records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from connector_portal.models import ProjectCenterProject, ServiceAccountToken, User
from connector_portal.services import audit_record, snapshot
from mappings.models import MappingTable
from projects.models import LinkReviewer, ProjectLink, SyncRun
from projects.queue import enqueue
from projects.selectors import link_table_get
from projects.services.mapping import mapping_table_create_for_link, mapping_table_replace
from projects.services.pull import link_is_syncable
from projects.services.sweep import sync_run_queue
from providers.models import ProviderAccount
from providers.types import Company, ProviderProject, ResponseOption


class LinkExists(Exception):
    """The Project Center project is already connected (a second submit, or the back button)."""


class SyncRefused(Exception):
    """“Sync now” was refused; `message` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic  # the link and its mapping table are saved together or not at all
def link_connect(
    *,
    project: ProjectCenterProject,
    account: ProviderAccount,
    company: Company | None,
    provider_project: ProviderProject,
    sync_submittals: bool,
    sync_rfis: bool,
    options: Sequence[ResponseOption] | None = None,
    choices: Mapping[str, str] | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> ProjectLink:
    """Connect a Project Center project to a provider project; once committed, register webhooks and sync.

    `choices` (keyword -> provider option id) with the live `options` become the mapping table; without them it
    is copied from the defaults. Raises LinkExists (the project is already connected) or ValidationError (the
    mapping), and then nothing is saved.
    """
    try:
        with transaction.atomic():
            link = ProjectLink.objects.create(
                project=project,  # the link's firm is the project's (ProjectLink.save)
                provider=account.provider,
                account=account,
                provider_company_id=company.id if company else "",
                provider_company_name=company.name if company else "",
                provider_project_id=provider_project.id,
                provider_project_name=provider_project.name,
                sync_submittals=sync_submittals and provider_project.supports_submittals,
                sync_rfis=sync_rfis and provider_project.supports_rfis,
                supports_submittals=provider_project.supports_submittals,
                provider_project_type=provider_project.facts.project_type,
                rfi_container_id=provider_project.facts.rfi_container_id,
                region=provider_project.facts.region,
                next_sync_at=timezone.now(),
                created_by=actor,
            )
    except IntegrityError as exc:
        raise LinkExists from exc
    audit_record(
        action="link.create", firm=link.firm, actor_user=actor, target=link, after=snapshot(link), request=request
    )
    mapping_table_create_for_link(link=link, options=options, choices=choices, actor=actor, request=request)
    # Tasks see only committed rows, and a link rolled back with its mapping must not be synced.
    transaction.on_commit(lambda: _start(link))
    return link


def _start(link: ProjectLink) -> None:
    enqueue("projects.tasks.register_webhooks", link.pk)
    if _refusal(link) is None:
        sync_run_queue(link=link)


def _refusal(link: ProjectLink) -> str | None:
    # The engine's rule decides (a sync it would not run is not queued); this only says why, in words.
    if link_is_syncable(link):
        return None
    if not link.firm.is_active:
        return "Nothing was queued: the firm's portal account is inactive. Ask support to reactivate it."
    return "Nothing was queued: syncing is paused. Resume it on the connection page first."


def link_sync_now(
    *,
    link: ProjectLink,
    actor_user: User | None = None,
    actor_token: ServiceAccountToken | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> SyncRun:
    """“Sync now” from the portal, admin or the API: queue a run and record who asked (`link.sync_now`): a person, or
    Project Center's token (the same keywords as `audit_record`).

    Raises SyncRefused while a person has paused the link (only they resume it) or the firm is inactive.
    Asking again while a run waits answers that same run.
    """
    refusal = _refusal(link)
    if refusal is not None:
        raise SyncRefused(refusal)
    run = sync_run_queue(link=link, now=now)
    audit_record(
        action="link.sync_now",
        firm=link.firm,
        target=link,
        request=request,
        actor_user=actor_user,
        actor_token=actor_token,
    )
    return run


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
        auto_paused=False,  # a person's pause holds: the portal's recovery probes only its own pauses
    )


def link_resume(*, link: ProjectLink, actor: User, request: HttpRequest | None = None) -> None:
    """Lift a pause. A link that is not paused is left as it is: a lost connection or a provider's block is mended by
    reconnecting, and its reason must stay on the page until then."""
    if link.status != ProjectLink.Status.PAUSED:
        return
    _change(
        link,
        action="link.resume",
        actor=actor,
        request=request,
        status=ProjectLink.Status.ACTIVE,
        status_reason="",
        auto_paused=False,
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


@transaction.atomic  # the mapping and the item kinds are saved together or not at all
def link_settings_save(
    *,
    link: ProjectLink,
    sync_submittals: bool,
    sync_rfis: bool,
    options: Sequence[ResponseOption] | None = None,
    choices: Mapping[str, str] | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> None:
    """The connection page's settings: the mapping (when `choices` are given) and the item kinds.

    Raises ValidationError (the mapping), and then nothing is saved.
    """
    table = link_table_get(firm=link.firm, link=link)
    if choices is not None and table is not None:
        mapping_table_replace(table=table, choices=choices, options=options or (), actor=actor, request=request)
    link_set_kinds(link=link, sync_submittals=sync_submittals, sync_rfis=sync_rfis, actor=actor, request=request)


def link_switch_receiving_user(
    *, link: ProjectLink, account: ProviderAccount, actor: User, request: HttpRequest | None = None
) -> None:
    """Point the link at another person's provider account and let it sync again.

    A pause a person chose stays: choosing a receiving user is not a request to resume. The account must be of the
    link's firm (ProjectLink.save refuses another firm's). Were they a further receiving user, they are that no more.
    """
    LinkReviewer.objects.filter(link=link, account=account).delete()
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


def link_reconnect(*, link: ProjectLink, actor: User, request: HttpRequest | None = None) -> None:
    """The receiving user signed in at the provider again: a lost connection syncs again (a person's pause stays)."""
    link_switch_receiving_user(link=link, account=link.account, actor=actor, request=request)


@transaction.atomic
def link_disconnect(*, link: ProjectLink, actor: User, request: HttpRequest | None = None) -> None:
    """Remove the link (its items, feed and mapping go with it) and, once committed, its webhook at the provider.

    What goes with a link is done by `link_deleted`, which also runs for links deleted by cascade (with their project
    or firm); this adds the person and the audit.
    """
    before = snapshot(link)
    firm = link.firm
    link.delete()
    audit_record(action="link.delete", firm=firm, actor_user=actor, target=link, before=before, request=request)


def link_kinds_released(sender: object, project: ProjectCenterProject, kinds: Sequence[str], **kwargs: Any) -> None:
    """kinds_released receiver (projects.apps): a keyword list now lets held kinds through: the project's link syncs
    them now rather than at its next poll (half an hour away for a link with a working webhook)."""
    link = ProjectLink.objects.select_related("firm").filter(firm_id=project.firm_id, project=project).first()
    if link is None or not any(kind in link.kinds for kind in kinds) or not link_is_syncable(link):
        return
    sync_run_queue(link=link)


def link_deleted(sender: type[ProjectLink], instance: ProjectLink, **kwargs: Any) -> None:
    """post_delete receiver (projects.apps): a link's mapping table goes with it, and its webhook at the provider is
    removed once the delete is committed, however the link was deleted."""
    if instance.mapping_table_id is not None:
        MappingTable.objects.filter(pk=instance.mapping_table_id).delete()
    if instance.webhook_hook_id:
        hook = (
            instance.provider,
            instance.account_id,
            instance.provider_company_id,
            instance.provider_project_id,
            instance.webhook_hook_id,
        )
        transaction.on_commit(lambda: enqueue("projects.tasks.unregister_webhooks", *hook))
