"""django-q2 entry points of the providers app: thin, safe to run twice."""

from __future__ import annotations

from providers import services

KEEP_ALIVE_SCHEDULE_NAME = "providers.keep_alive"


def keep_alive() -> str:
    """Refresh idle accounts before their refresh tokens expire unused (hourly; see services.accounts_keep_alive)."""
    done = services.accounts_keep_alive()
    return f"refreshed {len(done.refreshed)}, failed {len(done.failed)} (retried next run), lost {len(done.lost)}"
