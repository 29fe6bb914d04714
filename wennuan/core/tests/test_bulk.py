"""Bulk inserts store values exactly as the ORM would, so the ORM finds and orders them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from wennuan.core.bulk import insert_new_rows, insert_rows
from wennuan.grid.tests.factories import make_station, make_user
from wennuan.operations.models import StationReading
from wennuan.people.models import Shift

pytestmark = pytest.mark.django_db
MORNING = datetime(2026, 11, 29, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_bulk_inserted_local_times_compare_like_the_orms():
    """SQLite once kept the "+08:00" text, which compared eight hours off."""
    person = make_user()
    insert_rows(
        Shift,
        ["staff", "starts_at", "ends_at", "leads_dispatch"],
        [(person.pk, MORNING, MORNING + timedelta(hours=12), False)],
    )
    assert Shift.objects.filter(starts_at=MORNING).exists()
    # 01:00 UTC is 09:00 in Yantai: the shift has started, though "08:00" > "01:00" as text.
    assert Shift.objects.filter(starts_at__lte=datetime(2026, 11, 29, 1, 0, tzinfo=UTC)).exists()


def test_new_rows_are_stored_like_the_orms_and_counted_once():
    station = make_station()
    rows = [(station.pk, MORNING), (station.pk, MORNING)]
    assert insert_new_rows(StationReading, ["station", "time"], rows) == 1
    assert StationReading.objects.filter(time=MORNING).exists()
    assert insert_new_rows(StationReading, ["station", "time"], rows) == 0
