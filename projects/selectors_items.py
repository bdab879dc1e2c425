"""Reads of a connection's items page: its items filtered, searched and a page at a time, with their responses.

A page costs the same few queries however many items the link holds (a count, the page of items with their
reviewers, their responses, their files): the `test_items_page` query-count test holds it there at 100,000 items.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from connector_portal.models import Firm
from connector_portal.tenancy import get_for_firm_or_404, scoped
from projects.models import Attachment, ItemResponse, ProjectLink, SyncedItem

PER_PAGE = 50
STATES = {
    "open": "Open",
    "closed": "Closed",
    "removed": "Removed upstream",
    "failed": "A response failed",
    "waiting": "A response waits",
}


@dataclass(frozen=True)
class ItemFilters:
    q: str = ""
    kind: str = ""
    state: str = ""
    reviewer: int | None = None  # a receiving user's account id

    @classmethod
    def of(cls, params: dict[str, str]) -> ItemFilters:
        reviewer = params.get("reviewer", "")
        return cls(
            q=params.get("q", "").strip()[:200],
            kind=params.get("kind", "") if params.get("kind") in ("submittal", "rfi") else "",
            state=params.get("state", "") if params.get("state") in STATES else "",
            reviewer=int(reviewer) if reviewer.isdigit() else None,
        )


def _responses_with(status: str) -> Exists:
    return Exists(ItemResponse.objects.filter(item=OuterRef("pk"), status=status))


def _filtered(link: ProjectLink, filters: ItemFilters) -> QuerySet[SyncedItem]:
    items = scoped(SyncedItem.objects.filter(link=link), firm=link.firm)
    if filters.q:
        items = items.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q))
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.reviewer is not None:
        items = items.filter(reviewer_id=filters.reviewer)
    if filters.state == "open":
        items = items.filter(closed=False, removed=False)
    elif filters.state == "closed":
        items = items.filter(closed=True)
    elif filters.state == "removed":
        items = items.filter(removed=True)
    elif filters.state == "failed":
        items = items.filter(_responses_with(ItemResponse.Status.FAILED))
    elif filters.state == "waiting":
        items = items.filter(_responses_with(ItemResponse.Status.PENDING))
    return items


def link_items_page(*, link: ProjectLink, filters: ItemFilters, page: str | int = 1) -> Page[SyncedItem]:
    """One page of the link's items, newest change first, each with its reviewer, its responses and `current_files`
    (its attachments now, not those removed upstream, with their blobs)."""
    responses = ItemResponse.objects.order_by("-created_at", "-id")
    files = Attachment.objects.filter(removed=False).select_related("blob").order_by("place", "id")
    # `current_files` is an attribute the template reads, not a field the page's type needs to carry.
    items: QuerySet[SyncedItem] = (
        _filtered(link, filters)
        .select_related("reviewer")
        .defer("raw")  # the provider's JSON can be large and the list does not show it
        .prefetch_related(
            Prefetch("responses", queryset=responses),
            Prefetch("attachments", queryset=files, to_attr="current_files"),
        )
        .order_by("-changed_at", "-id")
    )
    return Paginator(items, PER_PAGE).get_page(page)


def link_response_get(*, firm: Firm, link: ProjectLink, response_id: int) -> ItemResponse:
    """A response of this link (another firm's, or another link's, is not found)."""
    return get_for_firm_or_404(ItemResponse.objects.select_related("firm"), firm=firm, pk=response_id, link=link)
