"""Idle accounts stay alive: an hourly task refreshes accounts whose refresh token would otherwise expire unused
(Autodesk: 15 days, PROVIDERS.md), through the one refresh path under the account's row lock, and records each
outcome on the account (audit events; a refusal also marks it as needing reconnection)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import responses
from django.utils import timezone
from django_q.models import Schedule

from connector_portal.models import AuditEvent
from providers.models import ProviderAccount
from providers.services import KEEP_ALIVE_MARGIN, account_refresh, accounts_keep_alive
from providers.tasks import KEEP_ALIVE_SCHEDULE_NAME
from providers.tokens import token_refresh
from providers.types import TokenSet
from tests.providers.conftest import AUTODESK, sent_form, token_answer

TOKEN = f"{AUTODESK}/authentication/v2/token"
MakeAccount = Callable[..., ProviderAccount]
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


class NeverAsked:
    label = "Autodesk"

    def refresh(self, *, refresh_token: str) -> TokenSet:
        raise AssertionError("refreshed although another worker already had")


def _actions(account: ProviderAccount) -> list[str]:
    return list(AuditEvent.objects.filter(target_id=str(account.pk)).order_by("pk").values_list("action", flat=True))


def test_the_keep_alive_schedule_exists_once_by_name_hourly(db: None) -> None:
    schedule = Schedule.objects.get(name=KEEP_ALIVE_SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == ("providers.tasks.keep_alive", "H", -1)


def test_an_autodesk_account_unused_for_12_days_is_refreshed_and_the_new_pair_saved(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    assert dt.timedelta(days=15) - KEEP_ALIVE_MARGIN == dt.timedelta(days=12)
    idle = make_account("autodesk", provider_user_id="idle", tokens_issued_at=NOW - 12 * DAY - dt.timedelta(seconds=1))
    recent = make_account("autodesk", provider_user_id="recent", tokens_issued_at=NOW - 11 * DAY)
    mocked.post(TOKEN, json=token_answer(access="access-2", refresh="refresh-2", expires_in=3600))

    done = accounts_keep_alive(now=NOW)

    assert (done.refreshed, done.failed, done.lost) == ([idle.pk], [], [])
    idle.refresh_from_db()
    assert (idle.access_token, idle.refresh_token, idle.tokens_issued_at) == ("access-2", "refresh-2", NOW)
    assert sent_form(mocked.calls[0].request)["refresh_token"] == ["autodesk-refresh-old"]
    assert _actions(idle) == ["provider_account.keep_alive"] and _actions(recent) == []
    assert accounts_keep_alive(now=NOW + dt.timedelta(hours=1)).refreshed == []  # fresh for another 12 days
    assert len(mocked.calls) == 1


def test_accounts_whose_tokens_do_not_expire_unused_or_that_wait_for_their_user_are_left_alone(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    make_account("procore", tokens_issued_at=NOW - 400 * DAY)  # Procore documents no idle expiry
    make_account("autodesk", status=ProviderAccount.Status.NEEDS_REAUTH, tokens_issued_at=NOW - 13 * DAY)
    make_account("autodesk", provider_user_id="gone", status=ProviderAccount.Status.REVOKED, tokens_issued_at=None)

    done = accounts_keep_alive(now=NOW)

    assert (done.refreshed, done.failed, done.lost) == ([], [], [])
    assert len(mocked.calls) == 0


def test_an_account_of_unknown_age_is_refreshed(mocked: responses.RequestsMock, make_account: MakeAccount) -> None:
    account = make_account("autodesk", tokens_issued_at=None)  # connected before the portal recorded it
    mocked.post(TOKEN, json=token_answer(expires_in=3600))

    assert accounts_keep_alive(now=NOW).refreshed == [account.pk]


def test_a_refused_refresh_token_marks_the_account_for_reconnection_in_words(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account("autodesk", tokens_issued_at=NOW - 14 * DAY)
    mocked.post(TOKEN, json={"error": "invalid_grant", "error_description": "expired"}, status=400)

    done = accounts_keep_alive(now=NOW)

    assert done.lost == [account.pk]
    account.refresh_from_db()
    assert account.status == ProviderAccount.Status.NEEDS_REAUTH and "Reconnect your Autodesk" in account.last_error
    assert _actions(account) == ["provider_account.needs_reauth"]


def test_a_provider_outage_is_recorded_and_tried_again_on_the_next_run(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account("autodesk", tokens_issued_at=NOW - 12 * DAY - dt.timedelta(hours=1))
    mocked.post(TOKEN, status=503)

    done = accounts_keep_alive(now=NOW)

    assert done.failed == [account.pk]
    account.refresh_from_db()
    assert account.status == ProviderAccount.Status.ACTIVE and account.refresh_token == "autodesk-refresh-old"
    failed = AuditEvent.objects.get(action="provider_account.keep_alive_failed", target_id=str(account.pk))
    assert failed.after and "Autodesk" in failed.after["reason"]
    mocked.replace(responses.POST, TOKEN, json=token_answer(expires_in=3600))
    assert accounts_keep_alive(now=NOW + dt.timedelta(hours=1)).refreshed == [account.pk]


def test_under_the_lock_an_account_another_worker_just_refreshed_is_not_refreshed_again(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    # The keep-alive's refresh re-reads the locked row: tokens issued after its cutoff need no second refresh.
    account = make_account("autodesk", tokens_issued_at=NOW - DAY, expires_in=3600)

    token_refresh(account_id=account.pk, provider_for=lambda key: NeverAsked(), issued_before=NOW - 12 * DAY)

    assert len(mocked.calls) == 0


def test_every_refresh_records_when_the_tokens_were_issued(
    mocked: responses.RequestsMock, make_account: MakeAccount
) -> None:
    account = make_account("autodesk", expires_in=0, tokens_issued_at=timezone.now() - 5 * DAY)
    mocked.post(TOKEN, json=token_answer(expires_in=3600))
    before = timezone.now()

    account_refresh(account_id=account.pk)

    account.refresh_from_db()
    assert account.tokens_issued_at is not None and before <= account.tokens_issued_at <= timezone.now()
