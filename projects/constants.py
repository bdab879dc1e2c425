"""The sync engine's tunables, each with the reason for its value."""

from __future__ import annotations

import datetime as dt
from typing import Final

from connector_portal.models import Connector

# Providers stamp `updated_at` when a change starts, and may commit it a little later; asking again from a few minutes
# before the cursor catches late commits and clock skew. Re-read items are recognised by their hash and add nothing.
LOOKBACK: Final = dt.timedelta(minutes=5)
# The sweep runs this often (two django-q schedules a minute apart, half a minute out of step: django-q's scheduler
# looks at its schedules about every 30 seconds, and a schedule runs at most once a minute).
SWEEP_EVERY: Final = dt.timedelta(seconds=30)
# A link is due when its next poll falls before the next tick's middle: a tick landing a second early does not make it
# wait a whole tick more.
DUE_TOLERANCE: Final = SWEEP_EVERY / 2
# A sync renews its lease by heartbeat from a thread of its own (projects.services.lease.heartbeat_thread) every
# HEARTBEAT_EVERY, whatever the sync is waiting for: a provider request may take 40 s (5 s to connect, 30 s to read,
# 5 s before a retry; providers/http.py), longer than the lease, and only a beat that does not wait for the request
# keeps the lease short. The thread dies with its process, so a dead worker's lease lapses within LEASE of its death
# and the first sweep tick after that takes the link over: a dead worker stops its link for at most
# LEASE + SWEEP_EVERY = two sweep ticks (60 s). A lease of three beats survives two lost ones (a busy database).
# The sync also beats after every page and before every request, which is what tells the thread it is not stuck:
# after SILENCE_LIMIT with no sign of progress the thread lets the lease lapse, and another worker takes the link.
LEASE: Final = dt.timedelta(seconds=30)
HEARTBEAT_EVERY: Final = dt.timedelta(seconds=10)
SILENCE_LIMIT: Final = dt.timedelta(minutes=2)
# A queued sync that has not started within this time is queued again by the sweep.
QUEUE_GRACE: Final = dt.timedelta(minutes=10)

# Push: a response the provider could not take for a passing reason (down, rate limited, answer lost) is tried again,
# the wait doubling from FIRST_BACKOFF up to RETRY_BACKOFF_CAP, for up to GIVE_UP_AFTER since it was recorded (or a
# person last sent it again): no passing fault makes it need a person (a fault storm of 30 % of requests defeats any
# small count of attempts); only a provider that refuses it, or one that stays unreachable for a day, does.
FIRST_BACKOFF: Final = dt.timedelta(minutes=1)
RETRY_BACKOFF_CAP: Final = dt.timedelta(hours=1)
GIVE_UP_AFTER: Final = dt.timedelta(days=1)
# A response held until the reviewer's turn (an approver of a later workflow step) is tried again this often; it costs
# one read of the item, and goes out at the first try after their step starts.
HELD_RECHECK: Final = dt.timedelta(hours=1)
# A response being sent holds a lease like a sync's, with an owner: once it lapses its worker is gone, and the sweep
# settles it: the provider is read first (every provider's write is read-before-write safe), so the response is either
# found delivered or sent once more. It is renewed by the same heartbeat as a sync's (a thread every HEARTBEAT_EVERY on
# the wall clock, and before each provider request), so a big file's upload may outlast it; a worker that finds its
# lease taken over stops before its next request and settles nothing. On an injected clock (tests, the fault storm)
# only the requests renew it, so it outlasts the longest request and its retry wait (40 s).
DELIVERY_LEASE: Final = dt.timedelta(seconds=45)
# The heartbeat thread stops renewing a delivery silent this long: one upload PUT is one request, as long as its
# file is big, with no checkpoint in it; every socket operation times out (providers/http.py), so only a hung worker
# stays silent this long, and django-q ends a task at 300 s anyway (Q_CLUSTER timeout).
DELIVERY_SILENCE_LIMIT: Final = dt.timedelta(minutes=5)

# Failure policy.
PAUSE_AFTER_FAILING: Final = dt.timedelta(days=1)
AUTO_PAUSED_PROBE: Final = dt.timedelta(hours=6)  # a paused-by-failure link is tried now and then, to recover by itself
BLOCKED_PROBE: Final = dt.timedelta(hours=1)
FAILURE_BACKOFF: Final = dt.timedelta(minutes=5)

# Polling: a link is polled this often by default (from the start of one poll to the start of the next), so that a
# change upstream is in the feed within a minute (p95, measured in `make bench`) while the budget allows.
DEFAULT_SYNC_INTERVAL: Final = 30
# Polling. A Procore link whose webhook works is only polled as a safety net for lost deliveries.
WEBHOOK_SAFETY_NET_INTERVAL: Final = 30 * 60
# Hourly request limits assumed until a provider reports its own (Procore documents 3,600/hour as its default;
# Autodesk and ConstructEx publish none, so these are conservative guesses). Only part of it is planned for polling:
# the rest is kept for responses and for people using the portal's pages.
DEFAULT_HOURLY_LIMITS: Final[dict[str, int]] = {
    Connector.PROCORE: 3600,
    Connector.AUTODESK: 3000,
    Connector.CONSTRUCTEX: 1800,
}
POLLING_SHARE_OF_BUDGET: Final = 0.6

# How often a sync lists every item instead of the changed ones, to find items deleted upstream.
RECONCILE_INTERVAL: Final = dt.timedelta(hours=24)
