"""Two workers needing a fresh token for the same account at once make exactly one token call (PostgreSQL only:
SQLite has no row locks to test)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
import responses
from django.db import connection, connections
from django.utils import timezone

from providers.models import ProviderAccount
from providers.services import account_get_access_token
from tests.providers.conftest import PROCORE, token_answer

WAIT = 10.0  # generous upper bound for a thread handshake; never slept unless something is broken


def lock_waiters() -> int:
    """How many other database sessions are waiting for a row lock right now."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_make_one_token_call_and_both_get_the_new_token(
    make_account: Callable[..., ProviderAccount],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL row locks (select_for_update); run with DATABASE_URL=postgres://...")
    account = make_account(expires_at=timezone.now() + dt.timedelta(seconds=30))
    in_token_call, release = threading.Event(), threading.Event()
    token_calls: list[str] = []

    def token_endpoint(request: object) -> tuple[int, dict[str, str], str]:
        token_calls.append("call")
        in_token_call.set()
        release.wait(WAIT)  # hold the first refresh open while the second worker arrives
        import json

        return 200, {}, json.dumps(token_answer(access="access-new", refresh="refresh-new"))

    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            results[name] = account_get_access_token(account_id=account.pk)
        except BaseException as exc:  # surfaced by the assertions below
            errors.append(exc)
        finally:
            connections.close_all()

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.POST, f"{PROCORE}/oauth/token", callback=token_endpoint)
        first = threading.Thread(target=worker, args=("first",))
        first.start()
        assert in_token_call.wait(WAIT), "the first worker never reached the token endpoint"
        second = threading.Thread(target=worker, args=("second",))
        second.start()
        deadline = threading.Event()
        for _ in range(int(WAIT / 0.01)):  # until the second worker is blocked on the account's row lock
            if lock_waiters() >= 1:
                break
            deadline.wait(0.01)
        assert lock_waiters() >= 1, "the second worker did not wait for the row lock"
        release.set()
        first.join(WAIT)
        second.join(WAIT)

    assert errors == []
    assert token_calls == ["call"]
    assert results == {"first": "access-new", "second": "access-new"}
    account.refresh_from_db()
    assert (account.access_token, account.refresh_token) == ("access-new", "refresh-new")
