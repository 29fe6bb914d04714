"""A season of demo telemetry and requests at city scale: `manage.py demo_telemetry`.

The demo city's own telemetry (``demo.telemetry``) draws raw readings one at a time, which
is right for three weeks of a 20,000-household city and far too slow for a whole heating
season of a million-household city (2,016 stations × 24 hours × 150 days ≈ 7.3 M hours).
Here the season's *hourly roll-ups* are drawn directly, a day of stations at a time with
numpy, and written in one COPY (PostgreSQL) or executemany (SQLite); the raw readings, which
only the last day's charts and the live status read, are drawn for the last few days by
``build_demo_telemetry`` (which also rolls those days up and tells the fault's story).

Stations report all year: on days the plants do not fire the secondary loop is idle
(no flow, no heat, supply and return at room temperature).

The season's service requests are written the same way: spread over the season's days,
the old ones closed, the last few days' still open, one status event each.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from wennuan.core.bulk import insert_new_rows, insert_rows
from wennuan.demo.fuel import demo_daily_means, demo_heating_on
from wennuan.demo.telemetry import SPECIFIC_HEAT_KJ_KG_K
from wennuan.grid.models import Household, Station
from wennuan.operations.models import DEFAULT_CURVE, OutdoorTemperature, StationHour

Progress = Callable[[str, int], None]

HOUR_COLUMNS = [
    "station",
    "hour",
    "readings",
    "secondary_supply_c",
    "secondary_return_c",
    "primary_supply_c",
    "primary_return_c",
    "target_supply_c",
    "outdoor_c",
    "flow_t_h",
    "heat_mw",
    "min_secondary_supply_c",
]
READINGS_PER_HOUR = 60  # a gateway reports once a minute


def season_start(days: int, *, now: datetime | None = None) -> datetime:
    """Local midnight ``days`` days before today."""
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=days)
    return timezone.make_aware(datetime(first.year, first.month, first.day))


def build_season_hours(
    *,
    start: datetime,
    until: datetime,
    seed: int,
    progress: Progress | None = None,
) -> int:
    """Hourly roll-ups of every station for each whole hour in [start, until); returns how
    many. Replaces any roll-ups already stored in that range. Call inside a transaction."""
    report = progress or (lambda _step, _n: None)
    stations = list(Station.objects.order_by("pk").values_list("pk", "capacity_mw"))
    if not stations or until <= start:
        return 0
    ids = np.array([pk for pk, _ in stations], dtype=np.int64)
    id_list = ids.tolist()
    capacity = np.array([float(c) for _, c in stations])
    rng = np.random.default_rng(seed)
    curve_x = np.array([p[0] for p in DEFAULT_CURVE], dtype=float)
    curve_y = np.array([p[1] for p in DEFAULT_CURVE], dtype=float)
    first_day = timezone.localdate(start)
    last_day = timezone.localdate(until)
    daily_means = demo_daily_means(first_day, last_day, seed)
    StationHour.objects.filter(hour__gte=start, hour__lt=until).delete()
    outdoor_rows: list[tuple[Any, ...]] = []
    n = len(stations)

    def rows() -> Iterator[tuple[Any, ...]]:
        moment = start
        while moment < until:
            local = timezone.localtime(moment)
            day = local.date()
            hour_of_day = local.hour
            daily_swing = -4 * math.cos((hour_of_day - 3) / 24 * 2 * math.pi)
            outdoor = round(daily_means[day] + daily_swing + float(rng.normal(0, 0.6)), 1)
            outdoor_rows.append((settings.WEATHER_PLACE, moment, outdoor))
            target = float(np.round(np.interp(outdoor, curve_x, curve_y), 1))
            if demo_heating_on(day):
                supply = target + rng.normal(0, 0.5, n)
                back = supply - (9 + 4 * rng.random(n))
                flow = capacity * 60 * (1 + rng.normal(0, 0.02, n))
                heat = flow / 3.6 * SPECIFIC_HEAT_KJ_KG_K * (supply - back) / 1000
                primary_supply = 102.2 - 1.27 * outdoor + rng.normal(0, 1.0, n)
                primary_return = 50 + rng.normal(0, 1.0, n)
                coldest = supply - np.abs(rng.normal(0, 0.8, n))
                columns = [
                    np.round(supply, 1).tolist(),
                    np.round(back, 1).tolist(),
                    np.round(primary_supply, 1).tolist(),
                    np.round(primary_return, 1).tolist(),
                    np.round(flow, 1).tolist(),
                    np.round(heat, 3).tolist(),
                    np.round(coldest, 1).tolist(),
                ]
                for i, station_id in enumerate(id_list):
                    yield (
                        station_id,
                        moment,
                        READINGS_PER_HOUR,
                        columns[0][i],
                        columns[1][i],
                        columns[2][i],
                        columns[3][i],
                        target,
                        outdoor,
                        columns[4][i],
                        columns[5][i],
                        columns[6][i],
                    )
            else:  # the plants are cold: the secondary loop stands at room temperature
                room = np.round(21 + rng.normal(0, 1.0, n), 1).tolist()
                for i, station_id in enumerate(id_list):
                    yield (
                        station_id,
                        moment,
                        READINGS_PER_HOUR,
                        room[i],
                        room[i],
                        None,
                        None,
                        target,
                        outdoor,
                        0.0,
                        0.0,
                        room[i],
                    )
            report("station hours", n)
            moment += timedelta(hours=1)

    written = insert_rows(StationHour, HOUR_COLUMNS, rows())
    insert_new_rows(OutdoorTemperature, ["place", "time", "temperature_c"], outdoor_rows)
    return written


# Share of the season's requests by category code (the rest: the first other category).
REQUEST_MIX = {"not_warm": 0.7}
OPEN_DAYS = 3  # requests filed in the last few days may still be open


def build_season_requests(
    *,
    count: int,
    start: datetime,
    seed: int,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """``count`` service requests from random households, filed between ``start`` and now:
    older ones closed with a rating, the last OPEN_DAYS days' in every open status, each
    assigned to its zone's repair owner, with one status event. Returns how many."""
    from wennuan.grid.choices import Duty
    from wennuan.grid.models import ZoneAssignment
    from wennuan.service.catalogue import seed_catalogue
    from wennuan.service.choices import Channel, EventKind, Priority, SlaState, Status
    from wennuan.service.models import RequestEvent, ServiceCategory, ServiceRequest

    report = progress or (lambda _step, _n: None)
    now = now or timezone.now()
    if count <= 0:
        return 0
    if not ServiceCategory.objects.exists():
        seed_catalogue()
    categories = list(ServiceCategory.objects.order_by("pk").values_list("pk", "code"))
    not_warm = next((pk for pk, code in categories if code == "not_warm"), categories[0][0])
    others = [pk for pk, code in categories if pk != not_warm] or [not_warm]
    rng = random.Random(seed + 91)  # nosec B311  # seeded demo data
    bounds = Household.objects.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"] or 0, bounds["high"] or 0
    wanted = sorted({rng.randint(low, high) for _ in range(count * 2)})
    picked = rng.sample(wanted, min(count, len(wanted)))
    homes = {
        row[0]: row
        for row in Household.objects.filter(pk__in=picked).values_list(
            "pk", "building_id", "building__station_id", "building__zone_id", "phone"
        )
    }
    owners = dict(
        ZoneAssignment.objects.filter(duty=Duty.REPAIR, rank=0).values_list("zone_id", "staff_id")
    )
    first_pk = (
        ServiceRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    span = (now - start).total_seconds()
    open_statuses = [
        Status.SUBMITTED.value,
        Status.ASSIGNED.value,
        Status.ACCEPTED.value,
        Status.GUIDANCE.value,
        Status.VISIT_SCHEDULED.value,
        Status.ON_SITE.value,
    ]
    columns = [
        "id", "number", "category", "household", "building", "station", "zone", "channel",
        "status", "priority", "description", "attributes", "language", "reporter_phone",
        "assignee", "assigned_at", "first_contact_due", "on_site_due", "resolution_due",
        "first_contact_at", "resolved_at", "closed_at", "sla_state", "escalation_level",
        "created_at", "updated_at", "rating", "rating_comment", "location_text",
        "reporter_name", "reporter_email", "device_id", "media_url", "remote_first",
        "filed_in_emergency",
    ]  # fmt: skip
    sla_mix = (
        [SlaState.ON_TIME.value] * 6 + [SlaState.AT_RISK.value] * 2 + [SlaState.BREACHED.value]
    )
    channels = [Channel.PORTAL.value] * 2 + [Channel.HOTLINE.value, Channel.COMMUNITY.value]
    priorities = [
        Priority.HIGH.value,
        Priority.NORMAL.value,
        Priority.NORMAL.value,
        Priority.LOW.value,
    ]
    event_columns = [
        "request", "created_at", "actor_label", "kind",
        "from_status", "to_status", "note", "public",
    ]  # fmt: skip
    requests: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    attributes = '{"indoor_temperature": "16.5", "rooms_affected": "whole_home"}'
    # More complaints in the cold and recent days than in the first mild weeks; numbered
    # in the order they were filed, as intake numbers them.
    filed = sorted(
        (start + timedelta(seconds=span * math.sqrt(rng.random())), household_id)
        for household_id in sorted(homes)
    )
    for k, (created, household_id) in enumerate(filed):
        _pk, building_id, station_id, zone_id, phone = homes[household_id]
        pk = first_pk + k
        fresh = now - created < timedelta(days=OPEN_DAYS)
        status = rng.choice(open_statuses) if fresh and rng.random() < 0.6 else Status.CLOSED.value
        category = not_warm if rng.random() < REQUEST_MIX["not_warm"] else rng.choice(others)
        assignee = owners.get(zone_id) if status != Status.SUBMITTED.value else None
        first_due = created + timedelta(hours=2)
        closed = status == Status.CLOSED.value
        resolved_at = created + timedelta(hours=rng.uniform(2, 30)) if closed else None
        sla = SlaState.ON_TIME.value if closed else rng.choice(sla_mix)
        requests.append(
            (
                pk,
                f"{timezone.localtime(created):%y%m%d}{pk:06d}",
                category,
                household_id,
                building_id,
                station_id,
                zone_id,
                rng.choice(channels),
                status,
                rng.choice(priorities),
                "暖气不热" if category == not_warm else "",
                attributes if category == not_warm else "{}",
                "zh-hans",
                phone,
                assignee,
                created + timedelta(minutes=1) if assignee else None,
                first_due,
                created + timedelta(hours=24),
                created + timedelta(hours=48),
                created + timedelta(minutes=rng.uniform(10, 110)) if closed else None,
                resolved_at,
                resolved_at + timedelta(hours=24) if resolved_at else None,
                sla,
                0,
                created,
                resolved_at + timedelta(hours=24) if resolved_at else created,
                rng.choice([4, 5, 5, 5, 3]) if closed else None,
                "",
                "",
                "",
                "",
                "",
                "",
                False,
                False,
            )
        )
        events.append(
            (pk, created, "demo", EventKind.STATUS.value, "", Status.SUBMITTED.value, "", True)
        )
        if len(requests) % 10_000 == 0:
            report("requests", 10_000)
    report("requests", len(requests) % 10_000)
    with transaction.atomic():
        insert_rows(ServiceRequest, columns, requests)
        insert_rows(RequestEvent, event_columns, events)
        _reset_sequences([ServiceRequest, RequestEvent])
    return len(requests)


def _reset_sequences(models: list[Any]) -> None:
    """After explicit primary keys, the next insert must not reuse one (PostgreSQL)."""
    from django.core.management.color import no_style

    sql = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)
