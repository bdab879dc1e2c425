"""The sync engine's tunables, each with the reason for its value."""

from __future__ import annotations

import datetime as dt
from typing import Final

from connector_portal.models import Connector

# Providers stamp `updated_at` when a change starts, and may commit it a little later; asking again from a few minutes
# before the cursor catches late commits and clock skew. Re-read items are recognised by their hash and add nothing.
LOOKBACK: Final = dt.timedelta(minutes=5)
# Longer than django-q's task timeout, so an expired lease means the worker is gone; renewed after every page.
LEASE: Final = dt.timedelta(minutes=10)
# A queued sync that has not started within this time is queued again by the sweep.
QUEUE_GRACE: Final = dt.timedelta(minutes=10)

# Push: attempts before a response is shown as failed, and the wait before each retry (doubling).
MAX_ATTEMPTS: Final = 3
FIRST_BACKOFF: Final = dt.timedelta(minutes=1)
# A response held until the reviewer's turn (an approver of a later workflow step) is tried again this often; it costs
# one read of the item, and goes out at the first try after their step starts.
HELD_RECHECK: Final = dt.timedelta(hours=1)
# A response "being sent" for this long lost its worker mid-call: the provider may or may not have recorded it.
DELIVERY_STUCK_AFTER: Final = dt.timedelta(minutes=15)

# Failure policy.
PAUSE_AFTER_FAILING: Final = dt.timedelta(days=1)
AUTO_PAUSED_PROBE: Final = dt.timedelta(hours=6)  # a paused-by-failure link is tried now and then, to recover by itself
BLOCKED_PROBE: Final = dt.timedelta(hours=1)
FAILURE_BACKOFF: Final = dt.timedelta(minutes=5)

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
