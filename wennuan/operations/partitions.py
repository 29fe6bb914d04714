"""Monthly partitions of station readings on PostgreSQL (a no-op on SQLite).

Migration 0002 turns ``operations_stationreading`` into a table partitioned by range of
``time`` with a DEFAULT partition. ``ensure_partitions`` adds one partition per month (a
daily job keeps two months ahead; the demo city adds its season's months first), moving
any rows of that month out of the default partition. Retention drops whole partitions
older than the cut-off instead of deleting row by row.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection, transaction

from wennuan.operations.models import StationReading

TABLE = StationReading._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"


def partitioned() -> bool:
    """Whether the readings table is partitioned here (PostgreSQL after migration 0002)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [TABLE])
        return cursor.fetchone() is not None


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year}m{month.month:02d}"


def existing_partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


def ensure_partitions(start: date | datetime, end: date | datetime) -> list[str]:
    """Create the monthly partitions covering ``start``..``end``; returns the new ones.

    Rows of those months already in the default partition are moved into the new one
    (detach default, create, move, re-attach, in one transaction).
    """
    if not partitioned():
        return []
    created: list[str] = []
    have = existing_partitions()
    month = _month_start(start if isinstance(start, date) else start.date())
    last = _month_start(end if isinstance(end, date) else end.date())
    while month <= last:
        name = partition_name(month)
        if name not in have:
            _create(month, name)
            created.append(name)
        month = _next_month(month)
    return created


def _create(month: date, name: str) -> None:
    upper = _next_month(month)
    bounds = [month.isoformat(), upper.isoformat()]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{DEFAULT_PARTITION}"')
        # DDL takes no parameters; the bounds are dates we formatted ourselves.
        cursor.execute(
            f'CREATE TABLE "{name}" PARTITION OF "{TABLE}" '
            f"FOR VALUES FROM ('{bounds[0]}') TO ('{bounds[1]}')"
        )
        cursor.execute(
            f'INSERT INTO "{TABLE}" SELECT * FROM "{DEFAULT_PARTITION}" '  # nosec B608  # constants
            "WHERE time >= %s AND time < %s",
            bounds,
        )
        cursor.execute(f'DELETE FROM "{DEFAULT_PARTITION}" WHERE time >= %s AND time < %s', bounds)  # nosec B608
        cursor.execute(f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{DEFAULT_PARTITION}" DEFAULT')


def drop_partitions_before(cutoff: datetime) -> int:
    """Drop monthly partitions that end before ``cutoff``; returns how many rows went."""
    if not partitioned():
        return 0
    removed = 0
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction must run
        # before a table they concern can be dropped.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name in sorted(existing_partitions() - {DEFAULT_PARTITION}):
            year, month = int(name[-7:-3]), int(name[-2:])
            if _next_month(date(year, month, 1)) <= cutoff.date():
                # Partition names come from the catalogue and match wennuan's own pattern.
                cursor.execute(f'SELECT count(*) FROM "{name}"')  # nosec B608
                removed += int(cursor.fetchone()[0])
                cursor.execute(f'DROP TABLE "{name}"')
    return removed
