"""CappedPaginator: counting stops at the cap, pages come key-first, and on PostgreSQL the
list's count and keys are planned for their own filter values."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from wennuan.core import paging
from wennuan.core.paging import CappedPaginator
from wennuan.grid.models import Zone
from wennuan.grid.tests.factories import make_zone

pytestmark = pytest.mark.django_db


def test_the_count_stops_at_the_cap_and_later_pages_still_open(monkeypatch):
    for _ in range(7):
        make_zone()
    monkeypatch.setattr(paging, "COUNT_CAP", 4)
    paginator = CappedPaginator(Zone.objects.order_by("code"), 2)
    assert paginator.count == 5 and paginator.count_capped
    page = paginator.get_page(4)  # past the capped count: still served, in order
    codes = list(Zone.objects.order_by("code").values_list("code", flat=True))
    assert [z.code for z in page] == codes[6:8]
    assert page.has_next() == (len(codes) > 8)
    assert CappedPaginator(Zone.objects.order_by("code"), 2).get_page(1).has_next()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are psycopg's (PostgreSQL)"
)
def test_on_postgresql_the_count_and_keys_are_never_prepared():
    """A prepared statement gets one generic plan after five runs: for the board's count it
    scanned a season of requests instead of the open ones' index (docs/performance.md)."""
    for _ in range(3):
        make_zone()
    connection.ensure_connection()
    seen: list[tuple[str, Any]] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, connection.connection.prepare_threshold))
        return execute(sql, params, many, context)

    before = connection.connection.prepare_threshold
    with connection.execute_wrapper(spy):
        page = CappedPaginator(Zone.objects.filter(code__startswith="").order_by("code"), 2).page(1)
    assert len(page.object_list) == 2
    counts = [t for sql, t in seen if "COUNT(" in sql]
    keys = [t for sql, t in seen if "COUNT(" not in sql and "LIMIT" in sql]
    assert counts and keys
    assert all(threshold is None for threshold in counts + keys)
    assert before is not None and connection.connection.prepare_threshold == before
