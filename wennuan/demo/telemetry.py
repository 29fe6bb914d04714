"""Demo telemetry: the heating season so far for every station of the demo city, physically
consistent, with one injected fault that matches a cluster of "not warm" requests.

- Outdoor temperature is the day's mean from the demo weather (``fuel.demo_daily_means``,
  the same series as the coal yards' history and forecast) plus a daily swing of ±4 °C,
  coldest before dawn, and noise.
- Secondary supply follows each station's heating curve with noise; return lies 9–13 °C
  below supply; flow is steady for the station's size; heat = flow × 4.186 kJ/(kg·K) × ΔT.
- Primary supply follows the heat source (≈ 102 − 1.27 × outdoor, as measured on a real
  network), primary return ≈ 50 °C.
- Each heat source's output follows its connected load, the outdoor temperature and a daily
  profile (night set-back, morning and evening peaks); coal burned = heat / (LHV × 0.8).
  The plants report only while they fire: the heating season, and up to five days of trial
  heating (试供暖) before it.
- The fault: yesterday 18:00–21:00 the circulation pump of the first station stopped, its
  secondary supply fell toward the return, homes it feeds reported "not warm", one incident
  linked them, and it was resolved when the pump was restarted.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wennuan.core.bulk import insert_new_rows
from wennuan.demo.fuel import (
    EFFICIENCY,
    connected_mw,
    demo_daily_means,
    demo_heat_mw,
    demo_heating_on,
)
from wennuan.fuel.units import DEFAULT_LHV_MJ_KG, coal_for_heat
from wennuan.grid.models import HeatSource, Household, Station
from wennuan.operations.models import (
    DEFAULT_CURVE,
    OutdoorTemperature,
    SourceReading,
    curve_target,
)
from wennuan.operations.partitions import ensure_partitions
from wennuan.operations.services import (
    SOURCE_COLUMNS,
    STATION_COLUMNS,
    refresh_latest_readings,
    roll_up_hours,
)

SPECIFIC_HEAT_KJ_KG_K = 4.186
# Whose weather a reading without a day's mean follows (the live simulator's): the demo_city
# command's default seed, so live readings continue the demo city's weather.
LIVE_WEATHER_SEED = 2020


def outdoor_at(moment: datetime, rng: random.Random, *, mean_c: float | None = None) -> float:
    """The outdoor temperature at ``moment``: the day's mean (by default the demo weather's,
    ``demo_daily_means``), a daily swing of ±4 °C coldest around 03:00, and noise."""
    local = timezone.localtime(moment)
    if mean_c is None:
        mean_c = demo_daily_means(local.date(), local.date(), LIVE_WEATHER_SEED)[local.date()]
    hour = local.hour + local.minute / 60
    daily = -4 * math.cos((hour - 3) / 24 * 2 * math.pi)  # coldest around 03:00
    return round(mean_c + daily + rng.gauss(0, 0.6), 1)


def station_reading(
    station_id: int,
    moment: datetime,
    outdoor: float,
    size_mw: float,
    rng: random.Random,
    *,
    pump_on: bool = True,
) -> tuple[Any, ...]:
    target = curve_target(DEFAULT_CURVE, outdoor)
    flow = size_mw * 60 * (1 + rng.gauss(0, 0.02))  # t/h: about 60 t/h per MW of capacity
    if pump_on:
        supply = round(target + rng.gauss(0, 0.8), 1)
        delta = 9 + 4 * rng.random()
    else:  # no circulation: the secondary loop cools toward the return
        supply = round(target - 12 + rng.gauss(0, 0.8), 1)
        delta = 1.5
        flow = 0.0
    back = round(supply - delta, 1)
    heat = round(flow / 3.6 * SPECIFIC_HEAT_KJ_KG_K * (supply - back) / 1000, 3)
    primary_supply = round(102.2 - 1.27 * outdoor + rng.gauss(0, 1.0), 1)
    values = {
        "primary_supply_c": primary_supply,
        "primary_return_c": round(50 + rng.gauss(0, 1.0), 1),
        "secondary_supply_c": supply,
        "secondary_return_c": back,
        "primary_pressure_mpa": round(1.2 + rng.gauss(0, 0.02), 2),
        "secondary_pressure_mpa": round(0.45 + rng.gauss(0, 0.01), 2),
        "flow_t_h": round(flow, 1),
        "heat_mw": heat,
        "heat_total_gj": None,
        "valve_pct": round(min(100, max(5, 40 + (18 - outdoor) * 2 + rng.gauss(0, 2))), 1),
        "pump_on": pump_on,
        "outdoor_c": outdoor,
        "target_supply_c": target,
    }
    return (station_id, moment, *(values[name] for name in STATION_COLUMNS[2:]))


def build_demo_telemetry(
    *, days: int, seed: int, now: datetime | None = None, step_minutes: int = 60
) -> int:
    """Readings every ``step_minutes`` for the last ``days`` days; returns how many."""
    now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=days)
    rng = random.Random(seed)  # nosec B311  # seeded demo data
    stations = list(Station.objects.order_by("code").values_list("pk", "capacity_mw"))
    if not stations:
        return 0
    fault_station = stations[0][0]
    fault_start = (timezone.localtime(now) - timedelta(days=1)).replace(hour=18)
    fault_end = fault_start + timedelta(hours=3)
    ensure_partitions(start, now)
    rows: list[tuple[Any, ...]] = []
    outdoor_rows = []
    source_rows: list[tuple[Any, ...]] = []
    sources = [
        (source.pk, connected)
        for source in HeatSource.objects.prefetch_related("stations").order_by("code")
        if (connected := connected_mw(source)) > 0
    ]
    first_day, last_day = timezone.localdate(start), timezone.localdate(now)
    daily_means = demo_daily_means(first_day, last_day, seed)
    heating = {day: demo_heating_on(day) for day in daily_means}
    moment = start
    stored = 0
    with transaction.atomic():
        while moment <= now:
            local = timezone.localtime(moment)
            outdoor = outdoor_at(moment, rng, mean_c=daily_means[local.date()])
            outdoor_rows.append((settings.WEATHER_PLACE, moment, outdoor))
            for source_id, connected in sources if heating[local.date()] else ():
                output = demo_heat_mw(connected, outdoor, local.weekday(), local.hour)
                output *= 1 + rng.gauss(0, 0.02)
                coal = coal_for_heat(
                    output * step_minutes / 60, lhv_mj_kg=DEFAULT_LHV_MJ_KG, efficiency=EFFICIENCY
                )
                supply = round(102.2 - 1.27 * outdoor + rng.gauss(0, 1.0), 1)
                source_rows.append(
                    (source_id, moment, round(output, 2), supply, 50.0, round(coal, 3))
                )
            for station_id, capacity in stations:
                pump_on = not (station_id == fault_station and fault_start <= moment < fault_end)
                rows.append(
                    station_reading(
                        station_id, moment, outdoor, float(capacity), rng, pump_on=pump_on
                    )
                )
            if len(rows) >= 20_000:
                stored += insert_new_rows_any(rows)
                rows = []
            moment += timedelta(minutes=step_minutes)
        stored += insert_new_rows_any(rows)
        insert_new_rows(OutdoorTemperature, ["place", "time", "temperature_c"], outdoor_rows)
        insert_new_rows(SourceReading, SOURCE_COLUMNS, source_rows)
    refresh_latest_readings()  # written past ingest: the network view's latest readings
    roll_up_hours(since=start)
    _fault_complaints(fault_station, fault_start, fault_end, rng)
    return stored


def insert_new_rows_any(rows: list[tuple[Any, ...]]) -> int:
    from wennuan.operations.models import StationReading

    return insert_new_rows(StationReading, STATION_COLUMNS, rows)


def _fault_complaints(station_id: int, start: datetime, end: datetime, rng: random.Random) -> None:
    """The homes the faulty station feeds complained during the fault; one incident linked
    them and was resolved when the pump restarted. Filed now, then dated back to the fault."""
    from wennuan.service.catalogue import seed_catalogue
    from wennuan.service.choices import Channel
    from wennuan.service.incidents import open_incident, resolve_incident
    from wennuan.service.models import Incident, RequestEvent, ServiceCategory, ServiceRequest
    from wennuan.service.services import submit_request

    if not ServiceCategory.objects.exists():
        seed_catalogue()
    category = ServiceCategory.objects.prefetch_related("attributes").get(code="not_warm")
    homes = list(
        Household.objects.select_related("building")
        .filter(building__station_id=station_id)
        .order_by("account_number")[:6]
    )
    filed = []
    for home in homes:
        temperature = str(round(13 + rng.random() * 3, 1))
        filed.append(
            submit_request(
                category=category,
                household=home,
                channel=Channel.PORTAL,
                attributes={"indoor_temperature": temperature, "rooms_affected": "whole_home"},
                description="暖气片突然不热了",
                idempotency_key=f"demo-fault-{home.account_number}",
            ).request
        )
    incident = open_incident(station_id=station_id, cause="循环泵停运 / circulation pump stopped")
    resolve_incident(incident=incident, actor=None, note="循环泵已重启 / pump restarted")
    # Date the story back to the fault: complaints during it, the fix at its end.
    shift = timezone.now() - (start + timedelta(minutes=40))
    ids = [r.pk for r in filed]
    ServiceRequest.objects.filter(pk__in=ids).update(
        created_at=F("created_at") - shift, resolved_at=end
    )
    RequestEvent.objects.filter(request_id__in=ids).update(created_at=F("created_at") - shift)
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=start + timedelta(minutes=45), resolved_at=end
    )
