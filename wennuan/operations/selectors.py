"""Reads of heating operation: the live network view and a station's trends.

The network view costs the same number of queries at 10 or 1,000 stations: the latest
reading of every station comes from correlated subqueries on the (station, time) key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Abs
from django.utils import timezone

from wennuan.grid.models import Station
from wennuan.operations.choices import OPEN_ALARM_STATUSES
from wennuan.operations.models import Alarm, StationHour, StationReading

STALE_AFTER = timedelta(minutes=10)
DEVIATION_LIMIT_C = 3.0
OK, DEVIATION, ALARM, STALE = "ok", "deviation", "alarm", "stale"
LATEST_FIELDS = ("time", "secondary_supply_c", "secondary_return_c", "target_supply_c", "outdoor_c")


@dataclass(frozen=True)
class Named:
    """What the network view shows of a heat source."""

    name: str


@dataclass(frozen=True)
class StationRef:
    """What the network view shows of a station: plain values, not a model instance (building
    2,016 stations and their heat sources as models cost the view 40 ms)."""

    pk: int
    code: str
    name: str
    heat_source: Named


@dataclass
class StationStatus:
    """A station as the dashboard shows it."""

    station: StationRef
    status: str
    last_time: datetime | None
    supply_c: float | None
    return_c: float | None
    target_c: float | None
    open_alarms: int
    not_warm_24h: int

    @property
    def deviation_c(self) -> float | None:
        if self.supply_c is None or self.target_c is None:
            return None
        return round(self.supply_c - self.target_c, 1)


# A station silent for longer than this shows no last reading (it is stale either way); the
# bound lets PostgreSQL skip the older monthly partitions.
LATEST_WITHIN = timedelta(days=31)


def _latest_readings(station_ids: Any, *, now: datetime) -> dict[int, dict[str, Any]]:
    """The latest reading's LATEST_FIELDS of each station in ``station_ids`` (a queryset of
    pks), in one query: five correlated subqueries per station cost the network view 75 ms
    at 2,016 stations. PostgreSQL: one backward index probe per station (LATERAL);
    elsewhere the (station, latest time) pairs by the key."""
    since = now - LATEST_WITHIN
    if connection.vendor == "postgresql":
        try:
            ids_sql, ids_params = station_ids.query.sql_with_params()
        except EmptyResultSet:  # a user who may see no station at all
            return {}
        table = StationReading._meta.db_table
        columns = ", ".join(f'r."{name}"' for name in LATEST_FIELDS)
        inner = ", ".join(f'"{name}"' for name in LATEST_FIELDS)
        # Only our own constant names are formatted in; the values are parameters.
        sql = (
            f'SELECT s.id, {columns} FROM "{Station._meta.db_table}" s CROSS JOIN LATERAL '  # nosec B608
            f'(SELECT {inner} FROM "{table}" WHERE station_id = s.id AND time >= %s '
            f"ORDER BY time DESC LIMIT 1) r WHERE s.id IN ({ids_sql})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [since, *ids_params])
            return {
                row[0]: dict(zip(LATEST_FIELDS, row[1:], strict=True)) for row in cursor.fetchall()
            }
    latest = StationReading.objects.filter(station=OuterRef("pk"), time__gte=since).order_by(
        "-time"
    )
    pairs = (
        Station.objects.filter(pk__in=station_ids)
        .annotate(latest=Subquery(latest.values("time")[:1]))
        .filter(latest__isnull=False)
        .values_list("pk", "latest")
    )
    return {
        row["station_id"]: row
        for row in StationReading.objects.filter(pk__in=pairs).values("station_id", *LATEST_FIELDS)
    }


def network_status(user: Any, *, now: datetime | None = None) -> list[StationStatus]:
    """Every station this user may see, heat source by heat source, with its live status.

    Four queries at any number of stations: the stations, their latest readings, open
    alarms and "not warm" requests by station.
    """
    from wennuan.service.models import ServiceCategory, ServiceRequest

    now = now or timezone.now()
    visible = Station.objects.for_user(user)
    sources: dict[str, Named] = {}
    stations = [
        StationRef(pk, code, name, sources.setdefault(source, Named(source)))
        for pk, code, name, source in visible.order_by("heat_source__code", "code").values_list(
            "pk", "code", "name", "heat_source__name"
        )
    ]
    latest = _latest_readings(visible.values("pk"), now=now)
    alarms = dict(
        Alarm.objects.filter(station__in=visible.values("pk"), status__in=OPEN_ALARM_STATUSES)
        .values("station_id")
        .annotate(n=Count("pk"))
        .values_list("station_id", "n")
    )
    not_warm = dict(
        ServiceRequest.objects.filter(
            created_at__gte=now - timedelta(hours=24),
            category__in=ServiceCategory.objects.filter(code="not_warm").values("pk"),
            station__in=visible.values("pk"),
        )
        .values("station_id")
        .annotate(n=Count("pk"))
        .values_list("station_id", "n")
    )
    rows = []
    for station in stations:
        values: dict[str, Any] = latest.get(station.pk) or dict.fromkeys(LATEST_FIELDS)
        row = StationStatus(
            station=station,
            status=OK,
            last_time=values["time"],
            supply_c=values["secondary_supply_c"],
            return_c=values["secondary_return_c"],
            target_c=values["target_supply_c"],
            open_alarms=alarms.get(station.pk, 0),
            not_warm_24h=not_warm.get(station.pk, 0),
        )
        deviation = row.deviation_c
        if row.open_alarms:
            row.status = ALARM
        elif row.last_time is None or now - row.last_time > STALE_AFTER:
            row.status = STALE
        elif deviation is not None and abs(deviation) > DEVIATION_LIMIT_C:
            row.status = DEVIATION
        rows.append(row)
    return rows


# The network view lists the stations that need a look first.
STATUS_ORDER = {ALARM: 0, DEVIATION: 1, STALE: 2, OK: 3}


def problems_first(rows: list[StationStatus]) -> list[StationStatus]:
    """Alarm, then deviation, then stale, then ok; heat source and code within each."""
    return sorted(rows, key=lambda r: STATUS_ORDER[r.status])


def open_alarms(user: Any) -> QuerySet[Alarm]:
    """Open alarms on the stations this user may see, newest first."""
    return (
        Alarm.objects.filter(
            status__in=OPEN_ALARM_STATUSES, station__in=Station.objects.for_user(user)
        )
        .select_related("station", "rule", "acknowledged_by")
        .order_by("-raised_at")
    )


def station_readings(station: Station, *, since: datetime, until: datetime) -> QuerySet[Any]:
    """A station's raw readings in [since, until), by the (station, time) key's index."""
    return StationReading.objects.filter(station=station, time__gte=since, time__lt=until)


def station_hours(station: Station, *, since: datetime, until: datetime) -> QuerySet[Any]:
    """A station's hourly roll-ups whose hour starts in [since, until)."""
    return StationHour.objects.filter(station=station, hour__gte=since, hour__lt=until)


def station_trend(
    station: Station, *, now: datetime | None = None, hours: int = 48
) -> dict[str, Any]:
    """Chart series for one station: raw readings for the last day, hourly before that."""
    now = now or timezone.now()
    since = now - timedelta(hours=hours)
    raw_since = now - timedelta(hours=24)
    hourly = StationHour.objects.filter(
        station=station, hour__gte=since, hour__lt=raw_since
    ).order_by("hour")
    raw = StationReading.objects.filter(station=station, time__gte=raw_since).order_by("time")
    series: dict[str, list[Any]] = {
        "time": [],
        "supply": [],
        "return": [],
        "target": [],
        "outdoor": [],
    }
    for hour in hourly:
        series["time"].append(timezone.localtime(hour.hour).isoformat(timespec="minutes"))
        series["supply"].append(hour.secondary_supply_c)
        series["return"].append(hour.secondary_return_c)
        series["target"].append(hour.target_supply_c)
        series["outdoor"].append(hour.outdoor_c)
    for reading in raw.values_list(
        "time", "secondary_supply_c", "secondary_return_c", "target_supply_c", "outdoor_c"
    ):
        series["time"].append(timezone.localtime(reading[0]).isoformat(timespec="minutes"))
        for key, value in zip(("supply", "return", "target", "outdoor"), reading[1:], strict=True):
            series[key].append(value)
    return series


def open_incidents(user: Any, *, now: datetime | None = None) -> list[Any]:
    """Open network incidents on stations this user may see, with their request counts, each
    marked ``recovered`` when its station's telemetry has been back on the curve (within
    DEVIATION_LIMIT_C, pump running, no open alarm) for INCIDENT_RECOVERY_MINUTES: the
    dashboard then proposes to resolve it."""
    from wennuan.service.choices import IncidentStatus

    incidents: list[Any] = list(
        incidents_for_user(user)
        .filter(status=IncidentStatus.OPEN)
        .select_related("station", "heat_source")
        .annotate(linked=Count("requests"))
        .order_by("-opened_at")
    )
    recovered = recovered_stations([i.station_id for i in incidents if i.station_id], now=now)
    for incident in incidents:
        incident.recovered = incident.station_id in recovered
    return incidents


def incidents_for_user(user: Any) -> QuerySet[Any]:
    """Incidents of the stations this user may see, or of their heat sources."""
    from wennuan.service.models import Incident

    stations = Station.objects.for_user(user)
    heat_sources = stations.values("heat_source_id")
    return Incident.objects.filter(Q(station__in=stations) | Q(heat_source__in=heat_sources))


def recovered_stations(station_ids: list[int], *, now: datetime | None = None) -> set[int]:
    """Stations whose readings over the recovery window are all on the curve (one query,
    plus one for open alarms)."""
    from django.conf import settings

    now = now or timezone.now()
    window = timedelta(minutes=settings.INCIDENT_RECOVERY_MINUTES)
    rows = (
        StationReading.objects.filter(
            station_id__in=station_ids, time__gt=now - window, time__lte=now
        )
        .values("station_id")
        .annotate(
            n=Count("time"),
            worst=Max(Abs(F("secondary_supply_c") - F("target_supply_c"))),
            first=Min("time"),
            off=Count("time", filter=Q(pump_on=False)),
        )
        .order_by()
    )
    alarmed = set(
        Alarm.objects.filter(
            station_id__in=station_ids, status__in=OPEN_ALARM_STATUSES
        ).values_list("station_id", flat=True)
    )
    covered_by = now - window * 0.8  # the window counts as covered from its first fifth
    return {
        row["station_id"]
        for row in rows
        if row["n"] >= 2
        and row["off"] == 0
        and row["worst"] is not None
        and row["worst"] <= DEVIATION_LIMIT_C
        and row["first"] <= covered_by
        and row["station_id"] not in alarmed
    }
