"""Writing many rows of one model at the cost of a hand-written loader: one statement per page on PostgreSQL.

Why not `bulk_create` / `bulk_update`: on PostgreSQL, Django 5.2's bulk insert sends each column as one array
parameter, and psycopg quotes every JSON value of an array as text, then as an array element (a quarter of ingest's
time in the profile); `bulk_update` builds a `CASE WHEN id = … THEN …` per field over the whole batch, whose size and
planning grow with the page. An `executemany` still costs the server a statement per row, and a multi-row VALUES costs
psycopg a parse of a query with tens of thousands of placeholders. So PostgreSQL gets the page as one JSON array of
rows (keyed by column), dumped once by the C encoder with the JSON columns nested in it, that `json_populate_recordset`
turns into the table's own row type: one parameter, one statement. The values Django would pass unchanged (a `str` for
a text column, an `int` for a key) skip its field preparation. Columns come from the model's concrete fields, so fields
other apps add are written too. SQLite keeps Django's own path.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import operator
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

M = TypeVar("M", bound=models.Model)
Column = Callable[[models.Model], Any]  # one row's value of a column, as JSON for json_populate_recordset

# Rows per statement: a provider's page is smaller; a larger batch is split so that no statement grows without bound.
CHUNK = 2_000
# Fields whose preparation for the database leaves a value of exactly this type as it is: passed straight through.
PASS_THROUGH: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.URLField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.ForeignKey: int,
}


def _as_text(value: Any) -> Any:
    """What PostgreSQL's input functions read for the values Django prepares that JSON has no type for."""
    if isinstance(value, dt.date | dt.time):  # datetimes too
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return f"{value // dt.timedelta(microseconds=1)} microseconds"
    if isinstance(value, bytes | memoryview):
        return "\\x" + bytes(value).hex()
    raise TypeError(f"rows.py cannot send a {type(value).__name__} to PostgreSQL; write this model another way.")


_dumps = json.JSONEncoder(separators=(",", ":"), default=_as_text).encode


def _columns(model: type[models.Model], names: Sequence[str] | None) -> list[models.Field[Any, Any]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    return fields if names is None else [f for f in fields if f.name in names or f.attname in names]


def _quoted(field: models.Field[Any, Any] | None) -> str:
    assert field is not None and field.column, "a concrete field has a column"
    return connection.ops.quote_name(field.column)


def _plain_read(field: models.Field[Any, Any]) -> bool:
    """Whether saving reads the attribute as it is (no auto_now, no file to commit)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False
    return type(field).pre_save is models.Field.pre_save or isinstance(field, models.DateField)


def _column(field: models.Field[Any, Any], add: bool, db: Any) -> Column:
    """How one column's value is made, worked out once per field instead of once per value."""
    read: Column = (
        operator.attrgetter(field.attname) if _plain_read(field) else functools.partial(_pre_save, field, add)
    )
    if isinstance(field, models.JSONField):
        # Nested as it is: None is SQL NULL, as JSONField.get_db_prep_save has it. A field's own encoder is honoured.
        encoder = field.encoder
        return read if encoder is None else lambda obj: json.loads(encoder().encode(read(obj)))
    kept = PASS_THROUGH.get(type(field))
    prepare = field.get_db_prep_save
    if kept is None:
        return lambda obj: prepare(read(obj), db)
    return lambda obj: value if (value := read(obj)) is None or type(value) is kept else prepare(value, db)


def _pre_save(field: models.Field[Any, Any], add: bool, obj: models.Model) -> Any:
    return field.pre_save(obj, add=add)


def _page(objs: Sequence[models.Model], fields: list[models.Field[Any, Any]], add: bool, pk: bool) -> str:
    """The rows as one JSON array of objects keyed by column."""
    db = connections[DEFAULT_DB_ALIAS]
    makers = [(f.column, _column(f, add, db)) for f in fields]
    if pk:
        meta_pk = objs[0]._meta.pk
        assert meta_pk is not None
        makers.insert(0, (meta_pk.column, operator.attrgetter("pk")))
    return _dumps([{column: make(obj) for column, make in makers} for obj in objs])


def _chunks(objs: Sequence[M]) -> list[Sequence[M]]:
    return [objs[i : i + CHUNK] for i in range(0, len(objs), CHUNK)]


def rows_insert(objs: Sequence[M]) -> None:
    """Insert new instances and set their primary keys (PostgreSQL: INSERT … SELECT … FROM json_populate_recordset
    RETURNING; else bulk_create). The rows come back in the order given, as bulk_create's unnest relies on too."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    fields, quote = _columns(model, None), connection.ops.quote_name
    columns, table = ", ".join(_quoted(f) for f in fields), quote(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608
        f"FROM json_populate_recordset(NULL::{table}, %s::json) RETURNING {_quoted(model._meta.pk)}"
    )
    with connection.cursor() as cursor:
        for chunk in _chunks(objs):
            cursor.execute(sql, [_page(chunk, fields, add=True, pk=False)])
            for obj, (key,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = key
                obj._state.adding, obj._state.db = False, connection.alias


def rows_update(objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write `names` of existing instances (PostgreSQL: one UPDATE … FROM json_populate_recordset per page; else one
    `UPDATE … WHERE pk = %s` per row sent as a single executemany)."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        _update_each(objs, names)
        return
    # One UPDATE … FROM writes a row once: an instance given twice is written as last given, as one after another.
    objs = list({obj.pk: obj for obj in objs}.values())
    fields, table, pk = _columns(model, names), connection.ops.quote_name(model._meta.db_table), _quoted(model._meta.pk)
    sets = ", ".join(f"{_quoted(f)} = v.{_quoted(f)}" for f in fields)
    sql = (
        f"UPDATE {table} SET {sets} FROM json_populate_recordset(NULL::{table}, %s::json) AS v "  # noqa: S608
        f"WHERE {table}.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        for chunk in _chunks(objs):
            cursor.execute(sql, [_page(chunk, fields, add=False, pk=True)])


def _update_each(objs: Sequence[models.Model], names: Sequence[str]) -> None:
    model = type(objs[0])
    fields, table = _columns(model, names), connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{_quoted(f)} = %s" for f in fields)
    sql = f"UPDATE {table} SET {sets} WHERE {_quoted(model._meta.pk)} = %s"  # noqa: S608
    db = connections[DEFAULT_DB_ALIAS]
    params = [[*(f.get_db_prep_save(f.pre_save(obj, add=False), db) for f in fields), obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
