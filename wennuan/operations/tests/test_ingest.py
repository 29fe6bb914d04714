"""Telemetry: validation item by item, idempotent storage, curves, roll-ups, retention,
the HTTP bulk endpoint and the all-or-nothing history import."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from wennuan.grid.tests.factories import make_station
from wennuan.operations.models import (
    DEFAULT_CURVE,
    OutdoorTemperature,
    SourceReading,
    StationHour,
    StationReading,
    curve_target,
)
from wennuan.operations.services import (
    MAX_BATCH,
    BatchRefused,
    clean_curve_points,
    ingest,
    issue_gateway,
    prune_raw_readings,
    revoke_gateway,
    roll_up_hours,
    set_curve,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/telemetry/ingest/"


def stamp(minutes_ago: float = 0) -> str:
    return (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()


def reading(station: Any, minutes_ago: float = 0, **values: Any) -> dict[str, Any]:
    return {
        "station": station.code,
        "time": stamp(minutes_ago),
        "secondary_supply_c": 50.0,
        **values,
    }


# --- curves -------------------------------------------------------------------------------


def test_the_curve_interpolates_between_points_and_is_flat_beyond_them():
    points = [[-10, 60], [0, 50], [10, 40]]
    assert curve_target(points, -5) == 55
    assert curve_target(points, 2.5) == 47.5
    assert curve_target(points, -30) == 60
    assert curve_target(points, 25) == 40


@pytest.mark.parametrize(
    "points",
    [
        [[0, 50]],
        [[0, 50], [0, 45]],
        [[5, 40], [0, 45]],
        [[0, 50], [5, 400]],
        "[[0, 50]]",
        [[0], [1, 2]],
    ],
)
def test_a_bad_curve_is_refused(points):
    with pytest.raises(ValueError):
        clean_curve_points(points)


def test_readings_get_the_target_of_the_stations_curve_at_the_outdoor_temperature():
    station, other = make_station(), make_station()
    OutdoorTemperature.objects.create(place="yantai", time=timezone.now(), temperature_c=0)
    set_curve(station=station, points=[[-10, 70], [10, 50]])
    ingest([reading(station, 1), reading(other, 1)])
    assert StationReading.objects.get(station=station).target_supply_c == 60
    assert StationReading.objects.get(station=other).target_supply_c == curve_target(
        DEFAULT_CURVE, 0
    )
    assert ingest([reading(station, 2, outdoor_c=-10)]).stored == 1
    earliest = StationReading.objects.filter(station=station).order_by("time").first()
    assert earliest is not None and earliest.target_supply_c == 70


# --- ingest -------------------------------------------------------------------------------


def test_good_readings_are_stored_and_bad_ones_reported_by_index_and_reason():
    station = make_station()
    batch: list[Any] = [
        reading(station, 3, secondary_return_c=40, flow_t_h=120, pump_on="on", valve_pct=55),
        reading(station, 2, secondary_supply_c=250),
        reading(station, 1, flow_t_h=-3),
        {"station": "NOPE", "time": stamp(1), "secondary_supply_c": 50},
        {"station": station.code, "time": (timezone.now() + timedelta(minutes=10)).isoformat()},
        {"station": station.code, "time": "2026-11-29T10:00:00"},  # no time zone
        {"station": station.code},
        reading(station, 0.5, secondry_supply_c=50),
        reading(station, 0.4, pump_on="maybe"),
        "not an object",
        {"time": stamp(1), "secondary_supply_c": 50},
    ]
    result = ingest(batch)
    assert result.received == len(batch) and result.stored == 1
    reasons = {r.index: r.reason for r in result.rejected}
    assert sorted(reasons) == list(range(1, len(batch)))
    assert "secondary_supply_c: 250 is outside -50..200" in reasons[1]
    assert "flow_t_h: -3 is outside 0..20000" in reasons[2]
    assert "station: unknown code 'NOPE'" in reasons[3]
    assert "more than 5 minutes in the future" in reasons[4]
    assert "time zone" in reasons[5] and "time zone" in reasons[6]
    assert "unknown field 'secondry_supply_c'" in reasons[7]
    assert "pump_on" in reasons[8]
    assert "not an object" in reasons[9]
    assert "no station, source or place" in reasons[10]
    stored = StationReading.objects.get()
    assert (stored.secondary_return_c, stored.flow_t_h, stored.pump_on, stored.valve_pct) == (
        40,
        120,
        True,
        55,
    )


def test_a_reading_sent_twice_is_one_row():
    station = make_station()
    first = reading(station, 1)
    assert ingest([first, first]).stored == 1
    again = ingest([first])
    assert (again.stored, again.duplicates) == (0, 1)
    assert StationReading.objects.count() == 1


def test_heat_source_readings_and_outdoor_temperatures():
    station = make_station()
    source = station.heat_source
    result = ingest(
        [
            {
                "source": source.code,
                "time": stamp(1),
                "output_mw": 180,
                "supply_c": 105,
                "coal_t": 3.2,
            },
            {"place": "yantai", "time": stamp(1), "temperature_c": -4.5},
            {"source": source.code, "time": stamp(1), "output_mw": -1},
            {"place": "yantai", "time": stamp(2)},
        ]
    )
    assert result.stored == 2
    assert [r.index for r in result.rejected] == [2, 3]
    assert SourceReading.objects.get().coal_t == 3.2
    assert OutdoorTemperature.objects.get().temperature_c == -4.5


def test_an_oversized_batch_is_refused_whole():
    station = make_station()
    with pytest.raises(BatchRefused):
        ingest([reading(station, i / 1000) for i in range(MAX_BATCH + 1)])
    assert not StationReading.objects.exists()


# --- roll-up and retention ----------------------------------------------------------------


def test_hourly_roll_up_averages_and_can_be_recomputed():
    station = make_station()
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    ingest(
        [
            {
                "station": station.code,
                "time": (hour + timedelta(minutes=m)).isoformat(),
                "secondary_supply_c": v,
            }
            for m, v in ((5, 50), (25, 54), (45, 40))
        ]
    )
    assert roll_up_hours(since=hour) == 1
    rolled = StationHour.objects.get()
    assert (
        rolled.readings,
        round(rolled.secondary_supply_c, 1),
        rolled.min_secondary_supply_c,
    ) == (3, 48.0, 40)
    ingest(
        [
            {
                "station": station.code,
                "time": (hour + timedelta(minutes=55)).isoformat(),
                "secondary_supply_c": 56,
            }
        ]
    )
    roll_up_hours(since=hour)
    assert StationHour.objects.get().readings == 4


def test_retention_deletes_only_old_raw_readings():
    station = make_station()
    ingest([reading(station, 1), reading(station, 60 * 24 * 10)])
    assert prune_raw_readings(older_than_days=7) == 1
    assert StationReading.objects.count() == 1


# --- HTTP bulk ingest -------------------------------------------------------------------------


def gateway_client() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_gateway(name='gw').token}")
    return client


def test_http_ingest_needs_a_gateway_token():
    station = make_station()
    assert APIClient().post(URL, [reading(station)], format="json").status_code == 401
    issued = issue_gateway(name="old")
    revoke_gateway(gateway=issued.gateway)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    assert client.post(URL, [reading(station)], format="json").status_code == 401
    assert not StationReading.objects.exists()


def test_http_ingest_json_reports_item_by_item():
    station = make_station()
    response = gateway_client().post(
        URL, {"readings": [reading(station, 1), reading(station, 2, heat_mw=-1)]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["stored"], body["duplicates"]) == (2, 1, 0)
    assert body["rejected"] == [{"index": 1, "reason": "heat_mw: -1 is outside 0..2000"}]


def test_http_ingest_csv():
    station = make_station()
    csv_body = f"station,time,secondary_supply_c,pump_on\n{station.code},{stamp(1)},51.5,1\n"
    response = gateway_client().post(URL, csv_body, content_type="text/csv")
    assert response.status_code == 200, response.content
    assert StationReading.objects.get().secondary_supply_c == 51.5


def test_http_ingest_refuses_csv_it_cannot_read_and_stores_nothing():
    station = make_station()
    garbled = f"station,time\n{station.code},{'9' * 200_000}\n"  # a field past csv's limit
    response = gateway_client().post(URL, garbled, content_type="text/csv")
    assert response.status_code == 400 and "CSV" in response.json()["detail"]
    assert not StationReading.objects.exists()


def test_http_ingest_refuses_an_oversized_batch_or_a_non_list():
    station = make_station()
    client = gateway_client()
    big = [reading(station, i / 1000) for i in range(MAX_BATCH + 1)]
    assert client.post(URL, big, format="json").status_code == 413
    assert client.post(URL, {"station": station.code}, format="json").status_code == 400
    assert not StationReading.objects.exists()


# --- history import -----------------------------------------------------------------------


def test_history_import_is_all_or_nothing_and_lists_every_bad_line(tmp_path: Path):
    station = make_station()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "station,time,secondary_supply_c\n"
        f"{station.code},{stamp(3)},50\n"
        f"{station.code},{stamp(2)},999\n"
        f"NOPE,{stamp(1)},50\n",
        encoding="utf-8",
    )
    errors = io.StringIO()
    with pytest.raises(CommandError, match="2 bad rows; nothing was imported"):
        call_command("import_telemetry", str(bad), stderr=errors, verbosity=0)
    assert ":3: secondary_supply_c" in errors.getvalue()
    assert ":4: station: unknown code 'NOPE'" in errors.getvalue()
    assert not StationReading.objects.exists()
    good = tmp_path / "good.csv"
    good.write_text(
        f"station,time,secondary_supply_c\n{station.code},{stamp(3)},50\n", encoding="utf-8"
    )
    out = io.StringIO()
    call_command("import_telemetry", str(good), stdout=out, verbosity=0)
    assert "1 stored" in out.getvalue()
    assert StationReading.objects.count() == 1


def test_the_gateway_command_prints_a_token_that_works():
    out = io.StringIO()
    call_command("telemetry_gateway", "create", "Station 7 PLC", stdout=out)
    token = out.getvalue().strip()
    station = make_station()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post(URL, [reading(station)], format="json").json()["stored"] == 1
    assert json.loads(json.dumps(token))  # printed alone, usable in a script


@pytest.mark.skipif(connection.vendor != "postgresql", reason="monthly partitions are PostgreSQL's")
def test_monthly_partitions_take_their_rows_from_the_default_and_retention_drops_them():
    from wennuan.operations import partitions

    station = make_station()
    now = timezone.now()
    old = now - timedelta(days=70)
    ingest([reading(station, 1), {"station": station.code, "time": old.isoformat(), "heat_mw": 1}])
    assert partitions.partitioned()
    created = partitions.ensure_partitions(old, now)
    assert partitions.partition_name(old.date().replace(day=1)) in created
    assert partitions.ensure_partitions(old, now) == []  # idempotent
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{partitions.DEFAULT_PARTITION}"')
        assert cursor.fetchone()[0] == 0  # both rows moved to their month
    assert StationReading.objects.count() == 2
    assert prune_raw_readings(older_than_days=40, now=now) == 1
    assert StationReading.objects.count() == 1
    assert (
        partitions.partition_name(old.date().replace(day=1)) not in partitions.existing_partitions()
    )
