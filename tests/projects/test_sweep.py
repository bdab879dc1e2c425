"""The sweep: due and poked links are queued within each account's rate budget, with a constant number of queries."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from projects.models import ItemResponse, ProjectLink, SyncRun
from projects.services import response_record, sweep_run, sync_run_queue
from projects.services.sweep import DELIVER_TASK, SYNC_TASK
from projects.tasks import SECOND_SWEEP_SCHEDULE_NAME, SWEEP_SCHEDULE_NAME
from providers.models import ProviderAccount


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def __call__(self, calls) -> None:
        self.calls.extend(calls)


def test_the_sweep_schedule_exists_once_by_name(db):
    schedule = Schedule.objects.get(name=SWEEP_SCHEDULE_NAME)
    assert (schedule.func, schedule.minutes, schedule.repeats) == ("projects.tasks.sweep", 1, -1)


def test_a_second_sweep_schedule_half_a_minute_out_of_step_makes_the_sweep_tick_every_30_seconds(db):
    first = Schedule.objects.get(name=SWEEP_SCHEDULE_NAME)
    second = Schedule.objects.get(name=SECOND_SWEEP_SCHEDULE_NAME)
    assert (second.func, second.minutes, second.repeats) == ("projects.tasks.sweep", 1, -1)
    if first.next_run is not None:
        assert second.next_run - first.next_run == dt.timedelta(seconds=30)


def test_a_new_link_is_due_at_once_and_not_queued_twice(link, clock):
    queued = Recorder()

    first = sweep_run(now=clock(), enqueue=queued)
    second = sweep_run(now=clock() + dt.timedelta(minutes=1), enqueue=queued)

    assert first.links == [link.pk]
    assert second.links == []
    assert queued.calls == [(SYNC_TASK, (link.pk,))]


def test_a_link_is_due_again_after_its_interval(link, provider, clock):
    from projects.services import link_sync

    link_sync(link_id=link.pk, clock=clock, port=provider)

    # Due 30 s (the default interval) after the poll started; a tick up to half a tick early (15 s) counts as due,
    # so that a tick landing a second early does not make the link wait a whole tick more.
    assert sweep_run(now=clock() + dt.timedelta(seconds=14), enqueue=Recorder()).links == []
    assert sweep_run(now=clock() + dt.timedelta(seconds=15), enqueue=Recorder()).links == [link.pk]


def test_the_next_poll_is_due_an_interval_after_the_previous_one_started_not_after_it_finished(link, provider, clock):
    from projects.services import link_sync

    started = clock()
    provider.seed("submittal", 3)
    provider.on_page = lambda n: clock.advance(seconds=10) and None  # a slow provider: 10 s a page

    link_sync(link_id=link.pk, clock=clock, port=provider)

    link.refresh_from_db()
    assert clock() - started >= dt.timedelta(seconds=10)
    assert link.next_sync_at == started + dt.timedelta(seconds=30)


def test_a_poked_link_is_queued_before_its_interval(link, provider, clock):
    from projects.services import link_poke, link_sync

    link_sync(link_id=link.pk, clock=clock, port=provider)
    link_poke(link_id=link.pk, now=clock())

    assert sweep_run(now=clock() + dt.timedelta(seconds=5), enqueue=Recorder()).links == [link.pk]


def test_inactive_firms_and_links_paused_by_a_person_are_not_swept(firm, make_firm, make_link, clock):
    make_link(firm, status=ProjectLink.Status.PAUSED)
    make_link(make_firm(active=False))

    assert sweep_run(now=clock(), enqueue=Recorder()).links == []


def test_a_procore_link_with_a_healthy_webhook_polls_only_as_a_safety_net(firm, make_link, provider, clock):
    from projects.services import link_sync

    link = make_link(firm, webhook_healthy=True)
    link_sync(link_id=link.pk, clock=clock, port=provider)

    assert sweep_run(now=clock() + dt.timedelta(minutes=10), enqueue=Recorder()).links == []
    assert sweep_run(now=clock() + dt.timedelta(minutes=30), enqueue=Recorder()).links == [link.pk]


def test_links_sharing_an_account_poll_less_often_to_stay_within_its_hourly_limit(firm, make_link, clock):
    from projects.models import AccountRateBudget

    first = make_link(firm, last_synced_at=clock(), next_sync_at=clock() + dt.timedelta(minutes=2), sync_interval=120)
    for _ in range(9):
        make_link(firm, account=first.account, next_sync_at=clock() + dt.timedelta(minutes=2), sync_interval=120)
    # 10 links x 2 kinds x 30 polls an hour = 600 requests planned; 60% of 500 leaves 300: intervals double.
    AccountRateBudget.objects.create(account=first.account, hourly_limit=500, observed_at=clock())

    assert sweep_run(now=clock() + dt.timedelta(minutes=3), enqueue=Recorder()).links == []
    assert len(sweep_run(now=clock() + dt.timedelta(minutes=4), enqueue=Recorder()).links) == 10


def test_the_sweep_query_count_does_not_grow_with_the_number_of_links(firm, make_link, clock):
    def queries_for_a_sweep() -> int:
        ProjectLink.objects.update(queued_at=None, next_sync_at=None)
        with CaptureQueriesContext(connection) as ctx:
            sweep_run(now=clock(), enqueue=Recorder())
        return len(ctx.captured_queries)

    make_link(firm)
    few = queries_for_a_sweep()
    for _ in range(30):
        make_link(firm)

    assert queries_for_a_sweep() == few


def test_due_responses_are_queued_and_then_left_alone_while_they_wait(link, provider, clock):
    from projects.services import link_sync

    provider.put("submittal", "1")
    link_sync(link_id=link.pk, clock=clock, port=provider)
    item = link.items.get()
    response, _ = response_record(
        firm=link.firm, item=item, keyword="Approved", comment="", idempotency_key="k", now=clock()
    )
    queued = Recorder()

    sweep_run(now=clock() + dt.timedelta(minutes=3), enqueue=queued)
    sweep_run(now=clock() + dt.timedelta(minutes=4), enqueue=queued)

    assert queued.calls.count((DELIVER_TASK, (response.pk,))) == 1
    assert ItemResponse.objects.get().status == ItemResponse.Status.PENDING


def test_sync_now_answers_one_queued_run_however_often_it_is_pressed(link, clock, monkeypatch):
    monkeypatch.setattr("projects.services.sweep.enqueue_many", Recorder())

    first = sync_run_queue(link=link, now=clock())
    second = sync_run_queue(link=link, now=clock())

    assert first.pk == second.pk
    assert first.status == SyncRun.Status.QUEUED
    assert ProjectLink.objects.get(pk=link.pk).poked_at == clock()


def test_queued_tasks_are_written_for_the_worker_in_one_insert(db, monkeypatch):
    from django_q.conf import Conf
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from projects.queue import enqueue_many

    monkeypatch.setattr(Conf, "SYNC", False)
    with CaptureQueriesContext(connection) as ctx:
        enqueue_many([(SYNC_TASK, (n,)) for n in range(50)])

    assert len(ctx.captured_queries) == 1
    tasks = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert sorted(t["args"][0] for t in tasks) == list(range(50))
    assert {t["func"] for t in tasks} == {SYNC_TASK}
    assert all(row.lock is not None for row in OrmQ.objects.all())


def test_a_procore_account_reporting_600_requests_an_hour_has_its_links_polled_less_often(
    firm, make_link, clock, settings, monkeypatch
):
    """Nothing assumes Procore's limit (600 to 3,600 an hour): the sweep plans with the one the answers report."""
    import responses

    from projects.services import link_sync
    from providers import http

    settings.PROVIDER_SANDBOX = True
    unix_now = 1_900_000_000.0
    monkeypatch.setattr(http, "clock", lambda: unix_now)
    first = make_link(firm, provider_company_id="51", sync_interval=120)
    ProjectLink.objects.filter(pk=first.pk).update(provider_project_id="61")
    ProviderAccount.objects.filter(pk=first.account_id).update(
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    )
    for _ in range(9):
        make_link(firm, account=first.account, next_sync_at=clock() + dt.timedelta(minutes=2), sync_interval=120)
    api = f"{settings.SANDBOX_URL}/procore/rest"
    # The hourly window (it resets in half an hour): 600 an hour, so 10 links x 2 kinds every 2 minutes is too much.
    limits = {
        "X-Rate-Limit-Limit": "600",
        "X-Rate-Limit-Remaining": "598",
        "X-Rate-Limit-Reset": str(int(unix_now) + 1800),
    }
    with responses.RequestsMock() as mocked:
        mocked.get(f"{api}/v1.1/projects/61/submittals", json=[], headers={**limits, "Total": "0"})
        mocked.get(f"{api}/v1.0/projects/61/rfis", json=[], headers={**limits, "Total": "0"})
        run = link_sync(link_id=first.pk, clock=clock)
    assert run is not None and run.status == SyncRun.Status.SUCCEEDED, run and run.message

    # 600 requests planned an hour against 60% of 600: every interval stretches from 120 to 200 seconds.
    assert sweep_run(now=clock() + dt.timedelta(minutes=3), enqueue=Recorder()).links == []
    assert len(sweep_run(now=clock() + dt.timedelta(minutes=4), enqueue=Recorder()).links) == 10


def test_the_spike_window_is_not_taken_for_the_hourly_limit(firm, make_link, clock, settings, monkeypatch):
    import responses

    from projects.models import AccountRateBudget
    from projects.services import link_sync
    from providers import http

    settings.PROVIDER_SANDBOX = True
    unix_now = 1_900_000_000.0
    monkeypatch.setattr(http, "clock", lambda: unix_now)
    link = make_link(firm, provider_company_id="51")
    ProjectLink.objects.filter(pk=link.pk).update(provider_project_id="61")
    ProviderAccount.objects.filter(pk=link.account_id).update(
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    )
    spike = {"X-Rate-Limit-Limit": "25", "X-Rate-Limit-Remaining": "23", "X-Rate-Limit-Reset": str(int(unix_now) + 7)}
    api = f"{settings.SANDBOX_URL}/procore/rest"
    with responses.RequestsMock() as mocked:
        mocked.get(f"{api}/v1.1/projects/61/submittals", json=[], headers=spike)
        mocked.get(f"{api}/v1.0/projects/61/rfis", json=[], headers=spike)
        link_sync(link_id=link.pk, clock=clock)

    assert not AccountRateBudget.objects.exists()


def test_an_accounts_reported_limit_is_written_at_most_once_a_minute(link, clock):
    from projects.models import AccountRateBudget
    from projects.ports import account_rate_budget_record

    def record(limit: int, seconds: int) -> bool:
        return account_rate_budget_record(
            account_id=link.account_id, hourly_limit=limit, now=clock() + dt.timedelta(seconds=seconds)
        )

    assert (record(600, 0), record(900, 30), record(900, 59)) == (True, False, False)
    assert AccountRateBudget.objects.get().hourly_limit == 600
    assert record(900, 60) is True
    assert AccountRateBudget.objects.get().hourly_limit == 900


def test_the_connection_page_says_when_the_budget_slows_polling_and_not_otherwise(firm, make_link, clock):
    from django.template.loader import render_to_string

    from projects.models import AccountRateBudget
    from projects.selectors import sync_status

    first = make_link(firm, next_sync_at=clock())
    assert sync_status(link=first, now=clock()).slowed == ""
    for _ in range(9):
        make_link(firm, account=first.account, next_sync_at=clock())
    # 10 links x 2 kinds x 120 polls an hour = 2,400 requests planned; 60% of 1,000 leaves 600: every 120 s, not 30.
    AccountRateBudget.objects.create(account=first.account, hourly_limit=1000, observed_at=clock())

    status = sync_status(link=first, now=clock())
    html = render_to_string("projects/_sync_status.html", {"sync_status": status})

    assert status.slowed.startswith("Polled about every 120 s instead of every 30 s")
    assert "hourly request limit" in html
