"""The failure policy: what a provider problem does to a link, and how a link recovers by itself."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from connector_portal.models import Membership
from projects.constants import AUTO_PAUSED_PROBE, BLOCKED_PROBE, FAILURE_BACKOFF, PAUSE_AFTER_FAILING
from projects.models import ProjectLink, SyncRun
from providers.errors import AccessBlocked, NeedsReauthorization, ProviderError, Retryable
from providers.models import ProviderAccount

HEALTH_FIELDS = [
    "status",
    "status_reason",
    "next_sync_at",
    "retry_after_until",
    "failing_since",
    "auto_paused",
    "reauth_notified_at",
]


def link_record_success(
    *, link: ProjectLink, now: dt.datetime, interval: int, started: dt.datetime | None = None
) -> None:
    """A sync got through: clear every failure state and plan the next poll, `interval` after the sync `started`."""
    link.status = ProjectLink.Status.ACTIVE
    link.status_reason = ""
    link.retry_after_until = None
    link.failing_since = None
    link.auto_paused = False
    link.reauth_notified_at = None
    link.next_sync_at = (started or now) + dt.timedelta(seconds=interval)
    link.last_synced_at = now
    _save_health(link, [*HEALTH_FIELDS, "last_synced_at", "last_run_calls"])


def _save_health(link: ProjectLink, fields: list[str]) -> None:
    """Write the sync's verdict, unless a person paused the link while the sync ran: their choice wins."""
    values = {name: getattr(link, name) for name in fields}
    paused_by_person = Q(status=ProjectLink.Status.PAUSED, auto_paused=False)
    if not ProjectLink.objects.filter(pk=link.pk).exclude(paused_by_person).update(**values, updated_at=timezone.now()):
        kept = {name: values[name] for name in ("last_synced_at", "last_run_calls") if name in values}
        ProjectLink.objects.filter(pk=link.pk).update(**kept)


def _failing(link: ProjectLink, exc: ProviderError, now: dt.datetime, retry_at: dt.datetime) -> None:
    link.failing_since = link.failing_since or now
    if now - link.failing_since >= PAUSE_AFTER_FAILING:
        link.status = ProjectLink.Status.PAUSED
        link.auto_paused = True
        link.status_reason = (
            f"Paused after failing for a day. {exc.message} The portal still tries every few hours and resumes "
            "by itself once it gets through; you can also press Resume to try now."
        )
        link.next_sync_at = max(retry_at, now + AUTO_PAUSED_PROBE)
        return
    link.status = ProjectLink.Status.FAILING
    link.status_reason = exc.message
    link.next_sync_at = retry_at


def link_record_failure(*, link: ProjectLink, exc: ProviderError, now: dt.datetime) -> str:
    """Put the link in the state `exc` calls for; answer the run status (rescheduled or failed)."""
    run_status = SyncRun.Status.FAILED
    if isinstance(exc, Retryable):
        retry_at = now + dt.timedelta(seconds=max(exc.retry_after, 1))
        link.retry_after_until = retry_at
        _failing(link, exc, now, retry_at)
        # The limit belongs to the provider account: every link of it waits, not only this one.
        ProjectLink.objects.filter(account_id=link.account_id).exclude(pk=link.pk).filter(
            Q(retry_after_until__isnull=True) | Q(retry_after_until__lt=retry_at)
        ).update(retry_after_until=retry_at)
        run_status = SyncRun.Status.RESCHEDULED
    elif isinstance(exc, NeedsReauthorization):
        link.status = ProjectLink.Status.CONNECTION_LOST
        link.status_reason = exc.message
        link.next_sync_at = None
        _mark_account_needs_reauth(link.account, exc)
        _notify_connection_lost_once(link, now)
    elif isinstance(exc, AccessBlocked):
        link.status = ProjectLink.Status.BLOCKED
        link.status_reason = exc.message
        link.next_sync_at = now + BLOCKED_PROBE
    else:
        _failing(link, exc, now, now + FAILURE_BACKOFF)
    _save_health(link, [*HEALTH_FIELDS, "last_run_calls"])
    return run_status


def account_mark_needs_reauth(*, account: ProviderAccount, exc: ProviderError) -> None:
    """One receiving user's authorisation is lost: their account says so until they sign in again."""
    _mark_account_needs_reauth(account, exc)


def _mark_account_needs_reauth(account: ProviderAccount, exc: ProviderError) -> None:
    if account.status == ProviderAccount.Status.ACTIVE:
        account.status = ProviderAccount.Status.NEEDS_REAUTH
        account.last_error = exc.message
        account.save(update_fields=["status", "last_error", "updated_at"])


def _admin_emails(firm_id: int) -> list[str]:
    return list(
        Membership.objects.filter(firm_id=firm_id, role=Membership.Role.ADMIN, user__is_active=True)
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )


def _person_of(account: ProviderAccount) -> list[str]:
    """Where the receiving user reads mail: the portal user who signed them in, else the provider's address."""
    user = account.user
    if user is not None and user.is_active and user.email:
        return [user.email]
    return [account.email.lower()] if account.email else []


def reviewer_lost_notify(*, link: ProjectLink, account: ProviderAccount, now: dt.datetime) -> None:
    """E-mail which receiving user must reconnect, where, and that items still arrive through the others: once per
    loss (the token refresh, a sync and a response may each notice it; signing in again clears the mark). One e-mail
    names every connection the user receives for, as the mark is the account's: the first link to notice tells for
    all of them (a connection with no other working receiving user is told by the connection-lost e-mail instead)."""
    from projects.selectors import link_reviewer_accounts, links_received_by

    told = ProviderAccount.objects.filter(pk=account.pk, lost_notified_at__isnull=True).update(lost_notified_at=now)
    if not told:
        return
    recipients = sorted({*_admin_emails(link.firm_id), *_person_of(account)})
    if not recipients:
        return
    who = account.name or account.email or account.provider_user_id
    provider = link.provider_name
    places = []
    for each in links_received_by(account=account):
        working = [a for a in link_reviewer_accounts(link=each) if a.status == ProviderAccount.Status.ACTIVE]
        others = ", ".join(a.name or a.email or a.provider_user_id for a in working if a.pk != account.pk)
        if not others:
            continue
        page = settings.PORTAL_BASE_URL + reverse("connect:connection", args=[each.project.pc_project_id])
        places.append(f"- “{each.project}”: items still arrive through {others}. Reconnect here: {page}")
    if not places:
        return
    subject = f"[Connector portal] {who} must reconnect to {provider}"
    projects = "these Project Center projects" if len(places) > 1 else "the Project Center project"
    body = (
        f"{who}, a receiving user of {projects} below, must sign in to {provider} again: {account.last_error}\n\n"
        + "\n".join(places)
        + f"\n\nSubmittals and RFIs that are {who}'s arrive through the others meanwhile. {who}'s responses wait "
        f"(nothing is lost) and go out as soon as they sign in again: press Reconnect next to {who}'s name on the "
        "connection page.\n"
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


def _notify_connection_lost_once(link: ProjectLink, now: dt.datetime) -> None:
    """Email the firm's admins once per lost account, however many of its links notice."""
    already = ProjectLink.objects.filter(account_id=link.account_id, reauth_notified_at__isnull=False).exists()
    if link.reauth_notified_at is not None or already:
        return
    link.reauth_notified_at = now
    recipients = _admin_emails(link.firm_id)
    if not recipients:
        return
    provider = link.provider_name
    subject = f"[Connector portal] Connection lost — reconnect {provider}"
    body = (
        f"The connector portal can no longer reach {provider} for the Project Center project “{link.project}”.\n\n"
        f"{link.status_reason}\n\n"
        f"Open the project's connection page and reconnect: {settings.PORTAL_BASE_URL}/\n"
        "Submittals, RFIs and responses wait until then; nothing is lost.\n"
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


def account_recovered(*, account: ProviderAccount) -> bool:
    """Whether a lost connection can be tried again (the account was reconnected)."""
    return account.status == ProviderAccount.Status.ACTIVE
