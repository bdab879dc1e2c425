"""The connection page states when the next sync really starts, and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from connector_portal.models import Firm
from projects.models import ProjectLink
from projects.selectors import next_sync_words
from tests.projects.conftest import T0


def test_a_polled_link_says_when_and_how_often(firm: Firm, make_link: Callable[..., ProjectLink]) -> None:
    link = make_link(firm, provider="autodesk", next_sync_at=T0 + dt.timedelta(minutes=2))

    words = next_sync_words(link=link, now=T0)

    assert words.startswith("Next sync in about 2 minutes")
    assert "asks Autodesk for changes every 30 seconds" in words  # the default interval


def test_a_webhook_link_says_its_poll_is_only_a_safety_net(firm: Firm, make_link: Callable[..., ProjectLink]) -> None:
    link = make_link(firm, webhook_healthy=True, next_sync_at=T0 + dt.timedelta(minutes=29))

    words = next_sync_words(link=link, now=T0)

    assert "Next planned sync in about 29 minutes" in words
    assert "webhook brings new and changed items within seconds" in words and "every 30 minutes" in words


def test_a_rate_limited_link_says_the_provider_asked_to_wait(firm: Firm, make_link: Callable[..., ProjectLink]) -> None:
    link = make_link(firm, next_sync_at=T0, retry_after_until=T0 + dt.timedelta(minutes=5))

    assert "in about 5 minutes" in next_sync_words(link=link, now=T0)
    assert "Procore asked the portal to wait" in next_sync_words(link=link, now=T0)


def test_a_paused_or_lost_link_plans_no_sync(firm: Firm, make_link: Callable[..., ProjectLink]) -> None:
    paused = make_link(firm, status=ProjectLink.Status.PAUSED)
    lost = make_link(firm, status=ProjectLink.Status.CONNECTION_LOST)

    assert next_sync_words(link=paused, now=T0).startswith("No sync is planned while the connection is paused")
    assert "until the receiving user signs in to Procore again" in next_sync_words(link=lost, now=T0)
