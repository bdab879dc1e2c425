"""A firm's connected project with everything the API shows about it: link, mapping, item, feed entry, run, response."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from connector_portal.models import Firm, ProjectCenterProject
from mappings.constants import DEFAULT_RESPONSE_KEYWORDS, SHIPPED_DEFAULTS
from mappings.models import KeywordEntry, KeywordList, MappingRow, MappingTable
from projects.models import FeedEntry, FeedSequence, ItemResponse, ProjectLink, SyncedItem, SyncRun
from projects.services import feed_append
from providers.models import ProviderAccount
from providers.types import ResponseOption

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

# What the fake provider offers for every linked project (tests replace wiring.live_options with these).
OPTIONS = [
    ResponseOption(id="11", name="Approved", standard="approved"),
    ResponseOption(id="12", name="Approved as Noted", standard="approved as noted"),
    ResponseOption(id="13", name="Revise and Resubmit", standard="revise and resubmit"),
    ResponseOption(id="14", name="Rejected", standard="rejected"),
    ResponseOption(id="15", name="For Record Only", standard="for record only"),
]
OPTION_FOR_STANDARD = {option.standard: option for option in OPTIONS}


def full_mapping() -> list[dict[str, str]]:
    """A valid PUT body's rows: every default keyword mapped to the option with its shipped meaning."""
    shipped = SHIPPED_DEFAULTS["procore"]
    return [{"keyword": k, "response_id": OPTION_FOR_STANDARD[shipped[k]].id} for k in DEFAULT_RESPONSE_KEYWORDS]


@dataclass(frozen=True)
class Linked:
    project: ProjectCenterProject
    link: ProjectLink
    table: MappingTable
    item: SyncedItem
    entry: FeedEntry
    run: SyncRun
    response: ItemResponse


def keyword_lists_add(project: ProjectCenterProject) -> None:
    """The keywords Project Center needs to receive submittals and RFIs (Record a Response: its defaults)."""
    for kind, name in (("submittal_action", "For Review"), ("rfi_action", "Request for Information")):
        keyword_list = KeywordList.objects.create(firm=project.firm, project=project, kind=kind)
        KeywordEntry.objects.create(firm=project.firm, keyword_list=keyword_list, name=name, type="Receive")


def mapping_table_add(link: ProjectLink, keywords: tuple[str, ...] = DEFAULT_RESPONSE_KEYWORDS) -> MappingTable:
    table = MappingTable.objects.create(firm=link.firm, provider=link.provider)
    link.mapping_table = table
    link.save(update_fields=["mapping_table"])
    shipped = SHIPPED_DEFAULTS["procore"]
    for position, keyword in enumerate(keywords):
        option = OPTION_FOR_STANDARD[shipped[keyword]]
        MappingRow.objects.create(
            table=table,
            keyword=keyword,
            standard=option.standard,
            response_id=option.id,
            response_name=option.name,
            position=position,
        )
    return table


def link_add(firm: Firm, pc_project_id: str, **fields: object) -> ProjectLink:
    project = ProjectCenterProject.objects.create(
        firm=firm, pc_project_id=pc_project_id, name=f"Project {pc_project_id}"
    )
    keyword_lists_add(project)
    account, _ = ProviderAccount.objects.get_or_create(
        firm=firm,
        provider="procore",
        provider_user_id="rita",
        defaults={"name": "Rita Reviewer", "email": "rita@builder.example.com", "access_token": "secret-a"},
    )
    return ProjectLink.objects.create(
        firm=firm,
        project=project,
        provider="procore",
        account=account,
        provider_company_id="4264",
        provider_company_name="Acme Builders",
        provider_project_id=f"P-{pc_project_id}",
        provider_project_name=f"Provider {pc_project_id}",
        **fields,
    )


def item_add(link: ProjectLink, provider_id: str, *, kind: str = "submittal") -> SyncedItem:
    return SyncedItem.objects.create(
        firm_id=link.firm_id,
        link=link,
        kind=kind,
        provider_id=provider_id,
        number=f"05 12 00-{provider_id}",
        title=f"Shop drawings {provider_id}",
        status="Open",
        ball_in_court=["Rita Reviewer"],
        url=f"https://provider.example.com/{kind}/{provider_id}",
        content_hash=f"h{provider_id}",
        first_seen_at=T0,
        changed_at=T0,
    )


def entries_append(items: list[SyncedItem], change: str = "new") -> list[FeedEntry]:
    with transaction.atomic():
        return feed_append(firm_id=items[0].firm_id, changes=[(item, change) for item in items], now=T0)


def linked_add(firm: Firm, pc_project_id: str = "") -> Linked:
    """A connected project of `firm`. Its feed starts at a position of its own (firm id x 1000), so that the same
    position never names an entry of two firms in one test."""
    FeedSequence.objects.update_or_create(firm=firm, defaults={"last_position": firm.pk * 1000})
    link = link_add(firm, pc_project_id or f"PC-{firm.slug}")
    table = mapping_table_add(link)
    item = item_add(link, f"{firm.pk}01")
    entry = entries_append([item])[0]
    run = SyncRun.objects.create(firm=firm, link=link, started_at=T0, status=SyncRun.Status.SUCCEEDED, finished_at=T0)
    response = ItemResponse.objects.create(
        firm=firm,
        item=item,
        link=link,
        keyword="Approved",
        idempotency_key=f"key-{firm.slug}",
        request_hash="x",
        created_at=T0,
    )
    return Linked(project=link.project, link=link, table=table, item=item, entry=entry, run=run, response=response)
