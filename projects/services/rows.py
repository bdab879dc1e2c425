"""Writing many rows of one model at the cost of a hand-written loader: one `executemany` per page.

Why not `bulk_create` / `bulk_update`: on PostgreSQL, Django 5.2's bulk insert sends each column as one array
parameter, and psycopg quotes every JSON value of an array as text, then as an array element (a quarter of ingest's
time in the profile); `bulk_update` builds a `CASE WHEN id = … THEN …` per field over the whole batch, whose size and
planning grow with the page. An `executemany` of a plain statement runs in psycopg's pipeline mode: one round trip,
each value adapted once. Columns come from the model's concrete fields, so fields other apps add are written too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

M = TypeVar("M", bound=models.Model)


def _columns(model: type[models.Model], names: Sequence[str] | None) -> list[models.Field[Any, Any]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return fields if names is None else [f for f in fields if f.name in names or f.attname in names]


def _quoted(field: models.Field[Any, Any] | None) -> str:
    assert field is not None and field.column, "a concrete field has a column"
    return connection.ops.quote_name(field.column)


def rows_insert(objs: Sequence[M]) -> None:
    """Insert new instances and set their primary keys (PostgreSQL: executemany … RETURNING; else bulk_create)."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    fields, table = _columns(model, None), connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(_quoted(f) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {_quoted(model._meta.pk)}"
    )
    db = connections[DEFAULT_DB_ALIAS]  # once: the `connection` proxy costs a context-local lookup per use
    params = [[f.get_db_prep_save(f.pre_save(obj, add=True), db) for f in fields] for obj in objs]
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: its executemany can answer each statement's RETURNING
        raw.executemany(sql, params, returning=True)
        for obj in objs:
            obj.pk = raw.fetchone()[0]
            obj._state.adding, obj._state.db = False, connection.alias
            raw.nextset()


def rows_update(objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write `names` of existing instances, one `UPDATE … WHERE pk = %s` per row sent as a single executemany."""
    if not objs:
        return
    model = type(objs[0])
    fields, table = _columns(model, names), connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{_quoted(f)} = %s" for f in fields)
    sql = f"UPDATE {table} SET {sets} WHERE {_quoted(model._meta.pk)} = %s"  # noqa: S608
    db = connections[DEFAULT_DB_ALIAS]
    params = [[*(f.get_db_prep_save(f.pre_save(obj, add=False), db) for f in fields), obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
