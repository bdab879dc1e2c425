"""rows.py writes what Django's own saves would: each instance gets its own row's key, only the named fields change,
and a value too long for its column is refused, never cut short."""

from __future__ import annotations

import pytest
from django.db import DataError, connection, transaction

from projects.models import ProjectLink, SyncedItem
from projects.services.rows import rows_insert, rows_update
from tests.projects.conftest import T0


def _item(link: ProjectLink, n: int, **fields: object) -> SyncedItem:
    values: dict[str, object] = {"number": f"N-{n}", "title": f"Item {n}", "content_hash": f"h{n}"}
    values.update(fields)
    return SyncedItem(
        firm_id=link.firm_id,
        link=link,
        kind="submittal",
        provider_id=str(n),
        first_seen_at=T0,
        changed_at=T0,
        raw={"id": n, "note": 'ünïcode "quoted" \\ back'},
        **values,
    )


def test_each_inserted_instance_gets_the_key_of_its_own_row(link: ProjectLink) -> None:
    items = [_item(link, n) for n in range(50)]

    rows_insert(items)

    stored = dict(SyncedItem.objects.filter(link=link).values_list("pk", "provider_id"))
    assert [stored[item.pk] for item in items] == [str(n) for n in range(50)]
    assert SyncedItem.objects.get(pk=items[7].pk).raw == {"id": 7, "note": 'ünïcode "quoted" \\ back'}


def test_an_update_writes_the_named_fields_only_and_an_instance_given_twice_once(link: ProjectLink) -> None:
    items = [_item(link, n, ball_in_court=["Rita"]) for n in range(3)]
    rows_insert(items)
    for item in items:
        item.title, item.status, item.due_date = f"Revised {item.provider_id}", "Closed", T0.date()

    rows_update([*items, items[0]], ["title", "due_date"])

    first = SyncedItem.objects.get(pk=items[0].pk)
    assert (first.title, first.status, first.due_date, first.ball_in_court) == ("Revised 0", "", T0.date(), ["Rita"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce a column's length")
def test_a_value_too_long_for_its_column_is_refused_not_cut_short(link: ProjectLink) -> None:
    items = [_item(link, 1)]
    rows_insert(items)
    items[0].number = "9" * 101

    with pytest.raises(DataError), transaction.atomic():
        rows_update(items, ["number"])
    with pytest.raises(DataError), transaction.atomic():
        rows_insert([_item(link, 2, number="9" * 101)])
