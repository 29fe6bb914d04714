"""The latest reading of each station (StationLatest), kept by ingest, and the network view's
statuses, counts and pages computed from it in SQL."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from wennuan.grid.tests.factories import make_station, make_user
from wennuan.operations.models import StationLatest, StationReading
from wennuan.operations.services import ingest, refresh_latest_readings
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db


def reading(station: Any, minutes_ago: float, supply: float) -> dict[str, Any]:
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    return {
        "station": station.code,
        "time": moment.isoformat(),
        "secondary_supply_c": supply,
        "outdoor_c": 0,  # the default curve's target: 47 °C
    }


def latest(station: Any) -> tuple[float, float | None]:
    row = StationLatest.objects.get(station=station)
    return round((timezone.now() - row.time).total_seconds() / 60), row.secondary_supply_c


def test_a_newer_reading_replaces_the_latest():
    station = make_station()
    ingest([reading(station, 5, 45)])
    assert latest(station) == (5, 45)
    ingest([reading(station, 1, 46)])
    assert latest(station) == (1, 46)
    assert StationLatest.objects.count() == 1


def test_the_newest_reading_of_a_batch_wins_whatever_its_place_in_the_batch():
    first, second = make_station(), make_station()
    ingest(
        [
            reading(first, 3, 43),
            reading(second, 1, 51),
            reading(first, 1, 41),
            reading(second, 4, 54),
            reading(first, 2, 42),
        ]
    )
    assert latest(first) == (1, 41)
    assert latest(second) == (1, 51)


def test_an_older_reading_arriving_late_does_not_overwrite_the_latest():
    station = make_station()
    ingest([reading(station, 1, 46)])
    result = ingest([reading(station, 20, 30)])  # a gateway's backlog, sent late
    assert result.stored == 1  # stored for the charts ...
    assert latest(station) == (1, 46)  # ... but not the latest


def test_a_duplicate_of_the_latest_reading_changes_nothing():
    station = make_station()
    item = reading(station, 1, 46)
    ingest([item])
    result = ingest([{**item, "secondary_supply_c": 99}])
    assert (result.stored, result.duplicates) == (0, 1)
    assert latest(station) == (1, 46)


def test_rejected_readings_leave_the_latest_alone():
    station = make_station()
    ingest([reading(station, 2, 46)])
    result = ingest([reading(station, 1, 900)])  # out of range
    assert len(result.rejected) == 1
    assert latest(station) == (2, 46)


def test_a_station_that_never_reported_has_no_latest_row_and_shows_stale(client):
    silent, heard = make_station(), make_station()
    ingest([reading(heard, 1, 47)])
    assert not StationLatest.objects.filter(station=silent).exists()
    client.force_login(make_user(Role.DISPATCHER))
    page = client.get(reverse("operations:dashboard"))
    rows = {row.station.code: row for row in page.context["rows"]}
    assert rows[silent.code].status == "stale" and rows[silent.code].last_time is None
    assert rows[heard.code].status == "ok" and rows[heard.code].supply_c == 47
    assert page.context["counts"] == {"alarm": 0, "deviation": 0, "stale": 1, "ok": 1}


def test_the_deviation_is_judged_as_the_page_shows_it_to_a_tenth_of_a_degree(client):
    just_inside, beyond, below = make_station(), make_station(), make_station()
    ingest(
        [
            reading(just_inside, 1, 50.04),  # +3.04: shown as 3.0, within the 3.0 limit
            reading(beyond, 1, 50.2),  # +3.2
            reading(below, 1, 43.8),  # -3.2
        ]
    )
    client.force_login(make_user(Role.DISPATCHER))
    page = client.get(reverse("operations:dashboard"))
    rows = {row.station.code: row for row in page.context["rows"]}
    assert {code: row.status for code, row in rows.items()} == {
        just_inside.code: "ok",
        beyond.code: "deviation",
        below.code: "deviation",
    }
    assert rows[just_inside.code].deviation_c == 3.0


def test_counts_cover_every_station_while_a_page_lists_problems_first(client):
    stations = [make_station() for _ in range(5)]
    ingest([reading(stations[0], 1, 47), reading(stations[1], 1, 47)])
    ingest([reading(stations[2], 1, 40), reading(stations[3], 30, 47)])  # deviation, stale
    client.force_login(make_user(Role.DISPATCHER))
    url = reverse("operations:dashboard")
    first = client.get(url, {"page_size": 2})
    assert first.context["counts"] == {"alarm": 0, "deviation": 1, "stale": 2, "ok": 2}
    assert [row.status for row in first.context["rows"]] == ["deviation", "stale"]
    assert first.context["page"].paginator.num_pages == 3
    last = client.get(url, {"page_size": 2, "page": 3})
    assert [row.status for row in last.context["rows"]] == ["ok"]
    stale = client.get(url, {"status": "stale"}, HTTP_HX_REQUEST="true")
    assert {row.station.code for row in stale.context["rows"]} == {
        stations[3].code,
        stations[4].code,
    }
    assert stale.context["counts"]["ok"] == 2  # the badges still count every station


def test_refresh_latest_readings_catches_up_with_readings_written_past_ingest():
    first, second = make_station(), make_station()
    ingest([reading(first, 5, 45), reading(first, 2, 46), reading(second, 3, 50)])
    StationLatest.objects.all().delete()
    StationLatest.objects.create(station=second, time=timezone.now(), secondary_supply_c=1)
    refresh_latest_readings()
    assert latest(first) == (2, 46)
    assert latest(second) == (0, 1)  # a later latest is kept


def test_the_migration_fills_the_latest_reading_of_each_station():
    first, second = make_station(), make_station()
    ingest([reading(first, 5, 45), reading(first, 2, 46), reading(second, 3, 50)])
    StationLatest.objects.all().delete()
    migration = importlib.import_module("wennuan.operations.migrations.0008_station_latest")

    class Editor:
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.fill_latest(None, Editor())
    assert latest(first) == (2, 46)
    assert latest(second) == (3, 50)
    assert (
        StationLatest.objects.count()
        == 2
        == StationReading.objects.values("station").distinct().count()
    )
