"""Filling a firm's change feed fast (bulk inserts), for the query-count test and the feed benchmark."""

from __future__ import annotations

from django.db import transaction

from connector_portal.models import Firm
from projects.models import FeedEntry, FeedSequence, ProjectLink, SyncedItem
from projects.services.feed import item_snapshot
from tests.api.factories import T0, link_add, mapping_table_add

BATCH = 5_000


def feed_fill(firm: Firm, *, items: int, links: int = 20) -> list[ProjectLink]:
    """`items` submittals spread over `links` connected projects, each with one "new" feed entry, in position order."""
    made = [link_add(firm, f"FILL-{firm.pk}-{n}") for n in range(links)]
    for link in made:
        mapping_table_add(link)
    start = FeedSequence.objects.filter(firm=firm).values_list("last_position", flat=True).first() or 0
    with transaction.atomic():
        for offset in range(0, items, BATCH):
            batch = [
                SyncedItem(
                    firm=firm,
                    link=made[n % links],
                    kind="submittal",
                    provider_id=str(n),
                    number=f"05 12 00-{n}",
                    title=f"Shop drawings {n}",
                    status="Open",
                    ball_in_court=["Rita Reviewer"],
                    url=f"https://provider.example.com/submittals/{n}",
                    content_hash=f"h{n}",
                    first_seen_at=T0,
                    changed_at=T0,
                )
                for n in range(offset, min(offset + BATCH, items))
            ]
            SyncedItem.objects.bulk_create(batch)
            if batch[0].pk is None:  # backends that do not return ids from a bulk insert
                ids = dict(
                    SyncedItem.objects.filter(firm=firm, provider_id__in=[i.provider_id for i in batch]).values_list(
                        "provider_id", "pk"
                    )
                )
                for item in batch:
                    item.pk = ids[item.provider_id]
            FeedEntry.objects.bulk_create(
                FeedEntry(
                    firm=firm,
                    position=start + offset + index + 1,
                    link_id=item.link_id,
                    item_id=item.pk,
                    change=FeedEntry.Change.NEW,
                    content_hash=item.content_hash,
                    snapshot=item_snapshot(item),
                    created_at=T0,
                )
                for index, item in enumerate(batch)
            )
        FeedSequence.objects.update_or_create(firm=firm, defaults={"last_position": start + items})
    return made
