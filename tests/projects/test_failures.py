"""The failure policy: rate limits and outages reschedule, lost authorisation and blocked apps are shown, a day of
failures pauses, and recovery clears it all by itself."""

from __future__ import annotations

import datetime as dt

from django.core import mail

from connector_portal.models import Membership
from projects.models import ProjectLink, SyncRun
from projects.services import link_pause, link_sync, sweep_run
from providers.errors import AccessBlocked, NeedsReauthorization, ProviderUnavailable, RateLimited
from providers.models import ProviderAccount


def reload(link: ProjectLink) -> ProjectLink:
    return ProjectLink.objects.get(pk=link.pk)


def test_a_429_storm_reschedules_the_link_after_retry_after_without_sleeping(link, provider, clock):
    provider.seed("submittal", 3)
    for _ in range(5):
        provider.page_errors[1] = RateLimited("Procore is limiting requests.", retry_after=600)
        run = link_sync(link_id=link.pk, clock=clock, port=provider)
        assert run is not None and run.status == SyncRun.Status.RESCHEDULED
        assert reload(link).next_sync_at == clock() + dt.timedelta(seconds=600)
        assert sweep_run(now=clock() + dt.timedelta(seconds=599), enqueue=lambda calls: None).links == []
        clock.advance(seconds=600)

    run = link_sync(link_id=link.pk, clock=clock, port=provider)

    assert run is not None and run.status == SyncRun.Status.SUCCEEDED
    assert run.new == 3
    link = reload(link)
    assert (link.status, link.status_reason, link.failing_since, link.retry_after_until) == ("active", "", None, None)


def test_a_rate_limit_makes_every_link_of_the_account_wait(firm, make_link, link, provider, clock):
    sibling = make_link(firm, account=link.account)
    provider.page_errors[1] = RateLimited("Slow down.", retry_after=900)

    link_sync(link_id=link.pk, clock=clock, port=provider)

    assert reload(sibling).retry_after_until == clock() + dt.timedelta(seconds=900)
    assert sweep_run(now=clock() + dt.timedelta(minutes=5), enqueue=lambda calls: None).links == []


def test_expired_authorisation_marks_connection_lost_and_emails_the_firms_admins_once(
    firm, make_link, make_member, link, provider, clock, django_capture_on_commit_callbacks
):
    make_member(firm, "boss@acme.example.com", role=Membership.Role.ADMIN)
    make_member(firm, "staff@acme.example.com")
    sibling = make_link(firm, account=link.account)
    error = NeedsReauthorization("The portal's access to your Procore account has expired. Reconnect it.")

    with django_capture_on_commit_callbacks(execute=True):
        for each in (link, sibling, link):
            provider.page_errors[1] = error
            link_sync(link_id=each.pk, clock=clock, port=provider)

    assert reload(link).status == ProjectLink.Status.CONNECTION_LOST
    assert reload(link).get_status_display() == "Connection lost — reconnect"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["boss@acme.example.com"]
    assert "reconnect" in mail.outbox[0].subject.lower()
    assert ProviderAccount.objects.get(pk=link.account_id).status == ProviderAccount.Status.NEEDS_REAUTH


def test_a_lost_connection_is_swept_again_once_the_account_is_reconnected(link, provider, clock):
    provider.page_errors[1] = NeedsReauthorization("Reconnect.")
    link_sync(link_id=link.pk, clock=clock, port=provider)
    assert sweep_run(now=clock(), enqueue=lambda calls: None).links == []

    ProviderAccount.objects.filter(pk=link.account_id).update(status=ProviderAccount.Status.ACTIVE)
    assert sweep_run(now=clock(), enqueue=lambda calls: None).links == [link.pk]
    link_sync(link_id=link.pk, clock=clock, port=provider)

    assert reload(link).status == ProjectLink.Status.ACTIVE
    assert reload(link).reauth_notified_at is None


def test_a_company_that_blocks_the_app_shows_the_guidance(link, provider, clock):
    guidance = "Your Procore company does not allow connections from outside applications; ask a company admin."
    provider.page_errors[1] = AccessBlocked(guidance)

    link_sync(link_id=link.pk, clock=clock, port=provider)

    assert (reload(link).status, reload(link).status_reason) == (ProjectLink.Status.BLOCKED, guidance)


def test_a_link_failing_for_a_day_is_paused_with_its_reason_and_recovers_by_itself(link, provider, clock):
    provider.seed("rfi", 1)
    for _ in range(5):
        provider.page_errors[1] = ProviderUnavailable("Procore is not answering right now.", retry_after=21_600)
        link_sync(link_id=link.pk, clock=clock, port=provider)
        clock.advance(hours=6)

    paused = reload(link)
    assert paused.status == ProjectLink.Status.PAUSED and paused.auto_paused
    assert paused.status_reason.startswith("Paused after failing for a day. Procore is not answering right now.")

    clock.advance(hours=6)
    assert sweep_run(now=clock(), enqueue=lambda calls: None).links == [link.pk]
    link_sync(link_id=link.pk, clock=clock, port=provider)

    recovered = reload(link)
    assert (recovered.status, recovered.auto_paused, recovered.failing_since) == ("active", False, None)


def test_a_person_pausing_a_link_the_portal_paused_keeps_it_paused_after_a_good_probe(link, provider, clock, member):
    provider.seed("rfi", 1)
    ProjectLink.objects.filter(pk=link.pk).update(
        status=ProjectLink.Status.PAUSED, auto_paused=True, status_reason="Paused after failing for a day."
    )

    link_pause(link=reload(link), actor=member)
    sweep_run(now=clock(), enqueue=lambda calls: None)
    link_sync(link_id=link.pk, clock=clock, port=provider)

    assert (reload(link).status, reload(link).auto_paused) == (ProjectLink.Status.PAUSED, False)


def test_a_pause_pressed_while_a_sync_runs_is_kept(link, provider, clock):
    provider.seed("submittal", 7)
    provider.on_page = lambda number: (
        ProjectLink.objects.filter(pk=link.pk).update(status=ProjectLink.Status.PAUSED, status_reason="Paused by Pat.")
        if number == 2
        else None
    )

    link_sync(link_id=link.pk, clock=clock, port=provider)

    link.refresh_from_db()
    assert (link.status, link.status_reason) == (ProjectLink.Status.PAUSED, "Paused by Pat.")
    assert link.last_synced_at == clock()
