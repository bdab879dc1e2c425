"""A link's mapping table: made for the link from its project's keywords and replaced (it goes with the link: links.py).

Mappings knows nothing of links; here the link holds its table (`ProjectLink.mapping_table`) and hands mappings the
firm, the provider and the project's Record a Response keywords.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.http import HttpRequest

from connector_portal.models import ServiceAccountToken, User
from mappings.models import MappingTable
from mappings.selectors import response_keywords
from mappings.services import mapping_table_create, mapping_table_rows_replace
from projects.models import ProjectLink
from providers.types import ResponseOption


@transaction.atomic
def mapping_table_create_for_link(
    *,
    link: ProjectLink,
    options: Sequence[ResponseOption] | None = None,
    choices: Mapping[str, str] | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> MappingTable:
    """Give a new connection its mapping table; safe to call twice (the second call returns the same table).

    `choices` and `options` as `mappings.services.mapping_table_create` takes them: validated choices, else the
    firm's defaults matched to the live options.
    """
    # The lock makes two concurrent first calls wait for each other; the second then sees the first one's table.
    locked = ProjectLink.objects.select_for_update().filter(pk=link.pk).values_list("mapping_table_id", flat=True)
    table_id = locked.first()
    existing = MappingTable.objects.filter(pk=table_id).first() if table_id is not None else None
    if existing is not None:
        link.mapping_table = existing
        return existing
    table = mapping_table_create(
        firm=link.firm,
        provider=link.provider,
        keywords=response_keywords(project=link.project),
        options=options,
        choices=choices,
        actor=actor,
        request=request,
    )
    link.mapping_table = table
    link.save(update_fields=["mapping_table", "updated_at"])
    return table


def mapping_table_replace(
    *,
    table: MappingTable,
    choices: Mapping[str, str],
    options: Sequence[ResponseOption],
    actor: User | None = None,
    actor_token: ServiceAccountToken | None = None,
    request: HttpRequest | None = None,
) -> MappingTable:
    """Replace a connection's rows with `choices` (keyword -> provider option id) checked against the live `options`.

    Every current Record a Response keyword of the link's project must map to exactly one option the provider offers
    now; otherwise ValidationError with keyword -> message and nothing is saved.
    """
    link = ProjectLink.objects.select_related("project").filter(mapping_table=table).first()
    if link is None:
        raise ValueError("Use firm_default_table_replace for a firm's default table.")
    return mapping_table_rows_replace(
        table=table,
        keywords=response_keywords(project=link.project),
        choices=choices,
        options=options,
        actor=actor,
        actor_token=actor_token,
        request=request,
    )
