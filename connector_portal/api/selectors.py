"""Reads the API needs that the projects and mappings apps do not offer (yet): each in a constant number of queries.

`feed_page` and `allowed_keywords_by_link` belong with the projects and mappings apps; they live here while those apps
are being finished, and can move there unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from connector_portal.models import Firm
from connector_portal.tenancy import scoped
from mappings.constants import normalise
from mappings.keywords import KeywordInput, record_a_response_keywords
from mappings.models import KeywordEntry, KeywordList, MappingRow
from projects.models import FeedEntry, ItemResponse, ProjectLink

# What a feed page reads of each entry: the snapshot carries the item's fields, so the item row itself is not loaded
# (its `raw` provider JSON can be large).
FEED_FIELDS = (
    "position",
    "change",
    "snapshot",
    "created_at",
    "pc_item_id",
    "acknowledged_at",
    "item_id",
    "link_id",
    "link__provider",
    "link__project_id",
    "link__project__pc_project_id",
)


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    has_more: bool


def feed_page(*, firm: Firm, after: int, limit: int) -> FeedPage:
    """The firm's feed entries after position `after`, oldest first: one query, on the (firm, position) index.

    Positions become visible strictly in order (see projects.services.feed.feed_append), so a reader that asks again
    from the last position it saw never skips an entry that commits later.
    """
    rows = list(
        scoped(FeedEntry.objects.select_related("link__project"), firm=firm)
        .filter(position__gt=after)
        .order_by("position")
        .only(*FEED_FIELDS)[: limit + 1]
    )
    return FeedPage(entries=rows[:limit], has_more=len(rows) > limit)


def allowed_keywords_by_link(*, firm: Firm, links: Iterable[ProjectLink]) -> dict[int, list[str]]:
    """Link id -> the Record a Response keywords Project Center may send for its submittals, in Project Center's order.

    A keyword is allowed when it is one of the project's Record a Response keywords and the link's mapping table maps
    it to a provider response. Two queries whatever the number of links (the feed page needs it for up to 100).
    """
    project_of = {link.pk: link.project_id for link in links}
    if not project_of:
        return {}
    entries: dict[int, list[KeywordInput]] = defaultdict(list)
    for project_id, name, type_ in (
        scoped(KeywordEntry.objects.all(), firm=firm)
        .filter(
            keyword_list__project_id__in=set(project_of.values()), keyword_list__kind=KeywordList.Kind.SUBMITTAL_ACTION
        )
        .order_by("position", "id")
        .values_list("keyword_list__project_id", "name", "type")
    ):
        entries[project_id].append(KeywordInput(name=name, type=type_))
    mapped: dict[int, set[str]] = defaultdict(set)
    for link_id, keyword in (
        scoped(MappingRow.objects.all(), firm=firm)
        .filter(table__link_id__in=list(project_of))
        .exclude(standard="")
        .values_list("table__link_id", "keyword")
    ):
        mapped[link_id].add(normalise(keyword))
    return {
        link_id: [k for k in record_a_response_keywords(entries[project_id]) if normalise(k) in mapped[link_id]]
        for link_id, project_id in project_of.items()
    }


def response_by_key(*, firm: Firm, idempotency_key: str) -> ItemResponse | None:
    """The response first recorded with this Idempotency-Key in the firm, if any."""
    return scoped(ItemResponse.objects.all(), firm=firm).filter(idempotency_key=idempotency_key).first()


def link_for_project(*, firm: Firm, project_id: int) -> ProjectLink | None:
    """The project's connection with what the API shows of it (account, project), or None when not connected."""
    return (
        scoped(ProjectLink.objects.select_related("project", "account"), firm=firm)
        .filter(project_id=project_id)
        .first()
    )
