"""Set-based inserts for hot paths: COPY on PostgreSQL, executemany elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models


def datetime_storer() -> Callable[[Any], Any]:
    """A function giving a datetime in the form this connection's bulk inserts store it.

    PostgreSQL takes aware datetimes as they are (timestamptz). SQLite gets the ORM's form,
    naive UTC text: without this, sqlite3 would store "…+08:00", which compares as text
    against the ORM's values and is off by the offset. Conversions are remembered, since a
    batch repeats its moments (one per station).
    """
    if connection.vendor == "postgresql":
        return lambda value: value
    zone = connection.timezone  # UTC unless DATABASES sets TIME_ZONE
    seen: dict[Any, Any] = {}

    def stored(value: Any) -> Any:
        # What DatabaseOperations.adapt_datetimefield_value returns, without its per-call
        # checks: this runs for every reading of an ingest.
        if value is None or isinstance(value, str):
            return value
        text = seen.get(value)
        if text is None:
            naive = value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
            text = seen[value] = naive.isoformat(" ")
        return text

    return stored


def _as_stored(fields: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    """Rows with their datetimes in stored form (see ``datetime_storer``)."""
    if connection.vendor == "postgresql":
        return rows
    positions = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
    if not positions:
        return rows
    stored = datetime_storer()

    def converted() -> Iterator[Sequence[Any]]:
        for row in rows:
            values = list(row)
            for i in positions:
                values[i] = stored(values[i])
            yield values

    return converted()


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert plain value tuples into ``model``'s table; returns how many.

    ``columns`` are field names (``building`` for a foreign key is given as its id).
    Skips the ORM's per-object work; callers validate first and run in a transaction.
    """
    table = model._meta.db_table
    fields = [model._meta.get_field(name) for name in columns]
    db_columns = [f.column for f in fields if isinstance(f, models.Field) and f.column]
    if len(db_columns) != len(fields):
        raise ValueError(f"not concrete fields of {model.__name__}: {columns}")
    quoted = ", ".join(connection.ops.quote_name(c) for c in db_columns)
    rows = _as_stored(fields, rows)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
            # Identifiers here come from the model's meta, quoted; every value travels as data.
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(db_columns))
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})"  # nosec B608
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 10_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def insert_new_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    times_stored: bool = False,
) -> int:
    """Insert value tuples, skipping any whose key is already stored; returns how many were new.

    For idempotent ingest (the same reading sent twice is one row). PostgreSQL: COPY into
    a temporary table, then one INSERT … SELECT … ON CONFLICT DO NOTHING; elsewhere an
    executemany of INSERT … ON CONFLICT DO NOTHING. Call inside a transaction.
    ``times_stored``: the rows' datetimes are already in stored form (``datetime_storer``),
    which saves a pass over a large batch.
    """
    if not rows:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in columns]
    db_columns = [f.column for f in fields if isinstance(f, models.Field) and f.column]
    if len(db_columns) != len(fields):
        raise ValueError(f"not concrete fields of {model.__name__}: {columns}")
    quoted = ", ".join(connection.ops.quote_name(c) for c in db_columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = connection.ops.quote_name(f"staging_{model._meta.db_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} "
                f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {staging} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {staging} "  # nosec B608
                "ON CONFLICT DO NOTHING"
            )
            inserted = cursor.rowcount
            cursor.execute(f"TRUNCATE {staging}")
            return int(inserted)
        placeholders = ", ".join(["%s"] * len(db_columns))
        cursor.executemany(
            f"INSERT INTO {table} ({quoted}) VALUES ({placeholders}) ON CONFLICT DO NOTHING",  # nosec B608
            rows if times_stored else list(_as_stored(fields, rows)),
        )
        return int(cursor.rowcount)
