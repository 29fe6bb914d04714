"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def custom_plans() -> Iterator[None]:
    """Plan every query in the block for its own parameters (PostgreSQL; elsewhere nothing).

    With prepared statements (``PG_PREPARE_THRESHOLD``) PostgreSQL switches a statement to
    one generic plan after five runs. For ``address LIKE %s … ORDER BY account_number
    LIMIT 50`` that plan cannot know how rare the fragment is: it walks the account-number
    index through all million households for a fragment that matches nothing (0.45 s
    instead of a millisecond by the trigram index). Queries in the block are not prepared
    (psycopg's ``prepare_threshold`` off), so each gets a plan for its own fragment; no
    query is added.
    """
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = previous
