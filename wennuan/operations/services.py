"""Telemetry ingest — one function for every path (HTTP bulk, MQTT, CSV history) — gateway
tokens, heating curves and the hourly roll-up.

Each reading is checked on its own: an unknown station, a value outside its physical range,
a moment more than five minutes ahead, a field we do not know. Bad readings are reported by
index and reason; the good ones of the same batch are stored. A reading whose station and
moment are already stored is a duplicate and changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Avg, Count, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wennuan.core.bulk import datetime_storer, insert_new_rows
from wennuan.core.tokens import digest, new_token
from wennuan.grid.models import HeatSource, Station
from wennuan.operations.models import (
    DEFAULT_CURVE,
    Gateway,
    HeatingCurve,
    OutdoorTemperature,
    SourceReading,
    StationHour,
    StationLatest,
    StationReading,
    curve_target,
)
from wennuan.operations.partitions import drop_partitions_before

MAX_BATCH = 10_000
FUTURE_TOLERANCE = timedelta(minutes=5)
TOKEN_PREFIX = "wngw_"  # nosec B105  # a public prefix, not a secret

# Field → (lowest, highest) physical value accepted.
STATION_FIELDS: dict[str, tuple[float, float]] = {
    "primary_supply_c": (-50, 200),
    "primary_return_c": (-50, 200),
    "secondary_supply_c": (-50, 200),
    "secondary_return_c": (-50, 200),
    "primary_pressure_mpa": (0, 10),
    "secondary_pressure_mpa": (0, 10),
    "flow_t_h": (0, 20_000),
    "heat_mw": (0, 2_000),
    "heat_total_gj": (0, 1e12),
    "valve_pct": (0, 100),
    "outdoor_c": (-60, 60),
}
SOURCE_FIELDS: dict[str, tuple[float, float]] = {
    "output_mw": (0, 20_000),
    "supply_c": (-50, 200),
    "return_c": (-50, 200),
    "coal_t": (0, 100_000),
}
PLACE_FIELDS: dict[str, tuple[float, float]] = {"temperature_c": (-60, 60)}
KIND_KEYS = ("station", "source", "place")
STATION_FLAGS = frozenset({"pump_on"})


@dataclass
class Rejected:
    """A reading not stored: its position in the batch (from 0) and why."""

    index: int
    reason: str


@dataclass
class IngestResult:
    """What a batch did: readings received, new rows stored, duplicates ignored, rejections."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": [{"index": r.index, "reason": r.reason} for r in self.rejected],
        }


class BatchRefused(Exception):
    """The batch as a whole cannot be taken (too large, not a list); nothing was stored."""


# --- gateways ---------------------------------------------------------------------------


@dataclass
class IssuedToken:
    gateway: Gateway
    token: str


def issue_gateway(*, name: str) -> IssuedToken:
    """A new gateway and its token (shown once; only a digest is stored)."""
    name = name.strip()
    if not name:
        raise ValueError("a gateway needs a name")
    if Gateway.objects.filter(name=name).exists():
        raise ValueError(f"a gateway named {name!r} exists")
    new = new_token(TOKEN_PREFIX)
    gateway = Gateway.objects.create(name=name, prefix=new.prefix, digest=new.digest)
    return IssuedToken(gateway, new.token)


def gateway_for_token(token: str) -> Gateway | None:
    """The active gateway with this token, else None."""
    token = (token or "").strip()
    if not token:
        return None
    return Gateway.objects.filter(digest=digest(token), revoked_at__isnull=True).first()


def revoke_gateway(*, gateway: Gateway) -> Gateway:
    if gateway.revoked_at is None:
        gateway.revoked_at = timezone.now()
        gateway.save(update_fields=["revoked_at"])
    return gateway


# --- ingest -----------------------------------------------------------------------------


def _moment(value: Any) -> datetime | None:
    """ISO 8601 with a time zone, or Unix seconds; None if neither."""
    if isinstance(value, str):
        text = value.strip()
        moment: datetime | None
        try:
            moment = datetime.fromisoformat(text)  # C-fast; most gateways send this form
        except ValueError:
            try:
                moment = parse_datetime(text)
            except ValueError:
                moment = None
            if moment is None:
                try:
                    return datetime.fromtimestamp(float(text), tz=UTC)
                except (ValueError, OverflowError):
                    return None
        aware = moment.tzinfo is not None and moment.utcoffset() is not None
        return moment if aware else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (ValueError, OverflowError, OSError):
            return None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        raise ValueError
    if value is None or value == "":
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


def _flag(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "on", "yes", "running", "run"}:
        return True
    if text in {"0", "false", "off", "no", "stopped", "stop"}:
        return False
    raise ValueError


SKIPPED_KEYS = frozenset({*KIND_KEYS, "time"})

# Column order of the rows ``ingest`` stores: key, time, the measured values, then pump,
# outdoor, target.
MEASURED_STATION_FIELDS = [name for name in STATION_FIELDS if name != "outdoor_c"]
STATION_COLUMNS = [
    "station",
    "time",
    *MEASURED_STATION_FIELDS,
    "pump_on",
    "outdoor_c",
    "target_supply_c",
]
SOURCE_COLUMNS = ["heat_source", "time", *SOURCE_FIELDS]
PLACE_COLUMNS = ["place", "time", "temperature_c"]


@dataclass(frozen=True)
class RowLayout:
    """Where each field a reading may carry goes in its stored row, with its physical range.

    Checking a reading writes its values straight into a row in the table's column order
    (key and time first), so a batch of 10,000 builds its rows without intermediate dicts.
    """

    columns: list[str]
    ranges: dict[str, tuple[int, float, float]]  # field → (position, lowest, highest)
    flags: dict[str, int]  # on/off field → position

    @classmethod
    def of(
        cls, columns: list[str], fields: dict[str, tuple[float, float]], flags: Iterable[str] = ()
    ) -> RowLayout:
        return cls(
            columns,
            {name: (columns.index(name), low, high) for name, (low, high) in fields.items()},
            {name: columns.index(name) for name in flags},
        )


STATION_LAYOUT = RowLayout.of(STATION_COLUMNS, STATION_FIELDS, STATION_FLAGS)
SOURCE_LAYOUT = RowLayout.of(SOURCE_COLUMNS, SOURCE_FIELDS)
PLACE_LAYOUT = RowLayout.of(PLACE_COLUMNS, PLACE_FIELDS)
OUTDOOR_AT = STATION_COLUMNS.index("outdoor_c")
TARGET_AT = STATION_COLUMNS.index("target_supply_c")


def _check_values(item: Mapping[str, Any], layout: RowLayout) -> tuple[list[Any], str | None]:
    """The item's values checked against their ranges and laid out as a row, or the first
    problem found.

    The hot loop of ingest (10,000 readings a batch): plain numbers take a fast path.
    """
    row: list[Any] = [None] * len(layout.columns)
    ranges = layout.ranges
    for name, raw in item.items():
        spec = ranges.get(name)
        if spec is None:
            if name in SKIPPED_KEYS:
                continue
            position = layout.flags.get(name)
            if position is None:
                return row, f"unknown field {name!r}"
            try:
                row[position] = _flag(raw)
            except ValueError:
                return row, f"{name}: {raw!r} is not on/off"
            continue
        position, low, high = spec
        kind = type(raw)
        if kind is float:
            number = raw
        elif kind is int:
            number = float(raw)
        elif raw is None or raw == "":
            continue
        else:
            try:
                number = _number(raw)
            except (TypeError, ValueError):
                return row, f"{name}: {raw!r} is not a number"
        # NaN and infinities fail this comparison too.
        if not low <= number <= high:
            return row, f"{name}: {number:g} is outside {low:g}..{high:g}"
        row[position] = number
    return row, None


def _kind_of(item: Mapping[str, Any], *, station: str, source: str) -> tuple[str, str]:
    """Which series a reading belongs to, by its own key, else by the batch's default."""
    for kind in KIND_KEYS:
        if item.get(kind) not in (None, ""):
            return kind, str(item[kind]).strip()
    if source:
        return "source", source
    if station:
        return "station", station
    return "", ""


def _ids_by_code(
    model: Any, key: str, items: list[Mapping[str, Any]], *, default: str
) -> dict[str, int]:
    """Code → id of the stations (or heat sources) a batch names under ``key``, in one query."""
    # Distinct values first (a batch names each station many times), as text: JSON may
    # give a number, or a list, which a set cannot hold.
    named = {c if type(c) is str else str(c) for item in items if (c := item.get(key)) is not None}
    wanted = {code.strip() for code in named} - {""}
    if default:
        wanted.add(default)
    if not wanted:
        return {}
    return dict(model.objects.filter(code__in=wanted).values_list("code", "pk"))


def _checked_time(
    value: Any, latest_allowed: datetime, store_time: Callable[[Any], Any]
) -> tuple[Any, str | None]:
    """A reading's moment in stored form, or why it is refused."""
    moment = _moment(value)
    if moment is None:
        return None, "time: missing, or not ISO 8601 with a time zone nor Unix seconds"
    if moment > latest_allowed:
        return None, "time: more than 5 minutes in the future"
    return store_time(moment), None


LAYOUTS = {"station": STATION_LAYOUT, "source": SOURCE_LAYOUT, "place": PLACE_LAYOUT}


def ingest(
    items: Sequence[Any],
    *,
    station: str = "",
    source: str = "",
    now: datetime | None = None,
    gateway: Gateway | None = None,
) -> IngestResult:
    """Check and store a batch of readings; report every rejected one by index and reason.

    Each item is a mapping with ``time`` and either ``station`` (a station code), ``source``
    (a heat-source code) or ``place`` (outdoor temperature), plus its values. ``station`` /
    ``source`` fill in the code for items without one (an MQTT topic names it).
    """
    if len(items) > MAX_BATCH:
        raise BatchRefused(f"at most {MAX_BATCH} readings a batch, not {len(items)}")
    now = now or timezone.now()
    result = IngestResult(received=len(items))
    named = [item for item in items if type(item) is dict or isinstance(item, Mapping)]
    station_ids = _ids_by_code(Station, "station", named, default=station)
    source_ids = _ids_by_code(HeatSource, "source", named, default=source)
    curves = _curves(station_ids.values())
    outdoor = _latest_outdoor(now)
    targets: dict[tuple[int, float], float] = {}  # (station, outdoor) → target, per batch
    latest_allowed = now + FUTURE_TOLERANCE
    store_time = datetime_storer()
    # A batch repeats its moments (one per station): parse, check and convert each text once.
    moments: dict[str, tuple[Any, str | None]] = {}  # text → (stored form, problem)
    readings: list[list[Any]] = []
    sources: list[list[Any]] = []
    places: list[list[Any]] = []
    for index, item in enumerate(items):
        if type(item) is not dict and not isinstance(item, Mapping):  # JSON gives dicts
            result.rejected.append(Rejected(index, "not an object of named values"))
            continue
        text = item.get("time")
        known = moments.get(text) if type(text) is str else None
        if known is None:
            known = _checked_time(text, latest_allowed, store_time)
            if type(text) is str:
                moments[text] = known
        stored_time, problem = known
        if problem:
            result.rejected.append(Rejected(index, problem))
            continue
        code = item.get("station")
        if type(code) is str and code:  # the common case, without the general lookup
            kind, code = "station", code.strip()
        else:
            kind, code = _kind_of(item, station=station, source=source)
        if not kind:
            result.rejected.append(Rejected(index, "no station, source or place"))
            continue
        row, problem = _check_values(item, LAYOUTS[kind])
        if problem is None and kind == "place" and row[2] is None:
            problem = "temperature_c: missing"
        if problem:
            result.rejected.append(Rejected(index, problem))
            continue
        row[1] = stored_time
        if kind == "station":
            station_id = row[0] = station_ids.get(code)
            if station_id is None:
                result.rejected.append(Rejected(index, f"station: unknown code {code!r}"))
                continue
            outside = row[OUTDOOR_AT]
            if outside is None:
                outside = row[OUTDOOR_AT] = outdoor
            if outside is not None:
                target = targets.get((station_id, outside))
                if target is None:
                    target = curve_target(curves.get(station_id, curves[None]), outside)
                    targets[station_id, outside] = target
                row[TARGET_AT] = target
            readings.append(row)
        elif kind == "source":
            row[0] = source_ids.get(code)
            if row[0] is None:
                result.rejected.append(Rejected(index, f"source: unknown code {code!r}"))
                continue
            sources.append(row)
        else:
            row[0] = code
            places.append(row)
    with transaction.atomic():
        stored = insert_new_rows(StationReading, STATION_COLUMNS, readings, times_stored=True)
        _keep_latest(readings)
        stored += insert_new_rows(SourceReading, SOURCE_COLUMNS, sources, times_stored=True)
        stored += insert_new_rows(OutdoorTemperature, PLACE_COLUMNS, places, times_stored=True)
        if gateway is not None:
            Gateway.objects.filter(pk=gateway.pk).update(last_seen_at=now)
    result.stored = stored
    result.duplicates = len(readings) + len(sources) + len(places) - stored
    return result


# --- the latest reading of each station (the network view reads it) ---------------------

LATEST_COLUMNS = ["station", "time", "secondary_supply_c", "secondary_return_c"]
LATEST_COLUMNS += ["target_supply_c", "outdoor_c"]
_LATEST_AT = [STATION_COLUMNS.index(name) for name in LATEST_COLUMNS]
# Stations per upsert statement: 6 values each, well inside SQLite's 32,766 parameters.
_LATEST_CHUNK = 2_000


def _latest_upsert_sql(values_sql: str) -> str:
    """INSERT … ON CONFLICT of StationLatest rows from ``values_sql`` (a VALUES list or a
    SELECT with a WHERE clause, which SQLite needs before an upsert): a row replaces the
    stored one only if its time is later, so an older reading arriving late changes nothing."""
    table = connection.ops.quote_name(StationLatest._meta.db_table)
    fields = [StationLatest._meta.get_field(name) for name in LATEST_COLUMNS]
    quoted = [
        connection.ops.quote_name(f.column or "") for f in fields if isinstance(f, models.Field)
    ]
    updates = ", ".join(f"{c} = excluded.{c}" for c in quoted[1:])
    time = quoted[1]
    return (
        f"INSERT INTO {table} ({', '.join(quoted)}) {values_sql} "  # nosec B608
        f"ON CONFLICT ({quoted[0]}) DO UPDATE SET {updates} WHERE excluded.{time} > {table}.{time}"
    )


def _keep_latest(readings: Sequence[Sequence[Any]]) -> None:
    """Upsert each station's newest reading of this batch into StationLatest (inside the
    ingest's transaction). One statement per batch, one row per station, stations in key order
    so that two concurrent batches lock their common stations' rows in the same order (no
    deadlock). The rows' times are in stored form (``datetime_storer``: datetimes on
    PostgreSQL, ISO text on SQLite), which compare in time order either way.

    Why here rather than in the every-minute alarm evaluation: the view then shows what is
    stored, not up to a minute behind, and the cost is one pass over the batch in Python plus
    one small statement (bench/ingest.py: the app/raw ratios stay within their goals)."""
    newest: dict[int, Sequence[Any]] = {}
    for row in readings:
        seen = newest.get(row[0])
        if seen is None or row[1] > seen[1]:
            newest[row[0]] = row
    if not newest:
        return
    stations = sorted(newest)
    with connection.cursor() as cursor:
        for start in range(0, len(stations), _LATEST_CHUNK):
            chunk = stations[start : start + _LATEST_CHUNK]
            one = "(" + ", ".join(["%s"] * len(_LATEST_AT)) + ")"
            cursor.execute(
                _latest_upsert_sql("VALUES " + ", ".join([one] * len(chunk))),
                [newest[station][at] for station in chunk for at in _LATEST_AT],
            )


def refresh_latest_readings() -> None:
    """Bring StationLatest up to the readings table, set-based: for readings written without
    ``ingest`` (the demo's bulk loads). Migration 0008 fills the table the same way."""
    reading, station = StationReading._meta.db_table, Station._meta.db_table
    values = ", ".join(f'r."{name}"' for name in LATEST_COLUMNS[2:])  # our constant names
    if connection.vendor == "postgresql":
        # One backward probe of the (station, time) key per station.
        source = (
            f'SELECT s.id, r."time", {values} FROM "{station}" s CROSS JOIN LATERAL '  # nosec B608
            f'(SELECT * FROM "{reading}" WHERE station_id = s.id ORDER BY time DESC LIMIT 1) r '
            "WHERE true"
        )
    else:
        # SQLite: with MAX(), the bare columns come from the row holding the maximum.
        source = (
            f'SELECT r.station_id, MAX(r."time"), {values} FROM "{reading}" r '  # nosec B608
            "WHERE true GROUP BY r.station_id"
        )
    with connection.cursor() as cursor:
        cursor.execute(_latest_upsert_sql(source))


def _curves(station_ids: Iterable[int]) -> dict[int | None, list[Any]]:
    """Curve points by station id; ``None`` is the default (ours, else the built-in one)."""
    curves: dict[int | None, list[Any]] = {None: DEFAULT_CURVE}
    for curve in HeatingCurve.objects.filter(
        Q(station_id__in=list(station_ids)) | Q(station__isnull=True)
    ):
        if curve.points:
            curves[curve.station_id] = curve.points
    return curves


def _latest_outdoor(now: datetime) -> float | None:
    """The latest observed outdoor temperature of the company's place, if recent (3 hours)."""
    latest = (
        OutdoorTemperature.objects.filter(
            place=settings.WEATHER_PLACE, time__lte=now, time__gte=now - timedelta(hours=3)
        )
        .order_by("-time")
        .values_list("temperature_c", flat=True)
        .first()
    )
    return latest


# --- heating curves ---------------------------------------------------------------------


def clean_curve_points(points: Any) -> list[list[float]]:
    """At least two [outdoor, supply] pairs with rising outdoor temperature and sane values."""
    if not isinstance(points, list) or len(points) < 2:
        raise ValueError("a curve needs at least two points")
    cleaned: list[list[float]] = []
    for point in points:
        if not isinstance(point, list | tuple) or len(point) != 2:
            raise ValueError(f"{point!r} is not a pair [outdoor °C, supply °C]")
        outdoor, supply = (_number(point[0]), _number(point[1]))
        if outdoor is None or supply is None or not -50 <= outdoor <= 40 or not 0 <= supply <= 150:
            raise ValueError(f"{point!r} is outside -50..40 °C outdoor or 0..150 °C supply")
        cleaned.append([outdoor, supply])
    if any(b[0] <= a[0] for a, b in pairwise(cleaned)):
        raise ValueError("outdoor temperatures must rise from point to point")
    return cleaned


def set_curve(*, station: Station | None, points: Any) -> HeatingCurve:
    """Set a station's curve (or the default with ``station=None``); applies to new readings."""
    cleaned = clean_curve_points(points)
    curve, _ = HeatingCurve.objects.update_or_create(station=station, defaults={"points": cleaned})
    return curve


# --- roll-up and retention --------------------------------------------------------------


def roll_up_hours(*, since: datetime, until: datetime | None = None) -> int:
    """(Re)compute the hourly roll-up of every station from ``since`` (whole hours); set-based."""
    start = since.replace(minute=0, second=0, microsecond=0)
    rows = (
        StationReading.objects.filter(time__gte=start, **({"time__lt": until} if until else {}))
        .annotate(bucket=TruncHour("time"))
        .values("station_id", "bucket")
        .annotate(
            n=Count("time"),
            secondary_supply=Avg("secondary_supply_c"),
            secondary_return=Avg("secondary_return_c"),
            primary_supply=Avg("primary_supply_c"),
            primary_return=Avg("primary_return_c"),
            target=Avg("target_supply_c"),
            outdoor=Avg("outdoor_c"),
            flow=Avg("flow_t_h"),
            heat=Avg("heat_mw"),
            coldest=Min("secondary_supply_c"),
        )
        .order_by()
    )
    hours = [
        StationHour(
            station_id=r["station_id"],
            hour=r["bucket"],
            readings=r["n"],
            secondary_supply_c=r["secondary_supply"],
            secondary_return_c=r["secondary_return"],
            primary_supply_c=r["primary_supply"],
            primary_return_c=r["primary_return"],
            target_supply_c=r["target"],
            outdoor_c=r["outdoor"],
            flow_t_h=r["flow"],
            heat_mw=r["heat"],
            min_secondary_supply_c=r["coldest"],
        )
        for r in rows
    ]
    StationHour.objects.bulk_create(
        hours,
        update_conflicts=True,
        unique_fields=["station", "hour"],
        update_fields=[
            "readings", "secondary_supply_c", "secondary_return_c", "primary_supply_c",
            "primary_return_c", "target_supply_c", "outdoor_c", "flow_t_h", "heat_mw",
            "min_secondary_supply_c",
        ],
    )  # fmt: skip
    return len(hours)


def prune_raw_readings(*, older_than_days: int, now: datetime | None = None) -> int:
    """Delete raw station and heat-source readings older than the cut-off (roll-ups stay).

    On PostgreSQL whole monthly partitions before the cut-off are dropped first.
    """
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    deleted = drop_partitions_before(cutoff)
    deleted += StationReading.objects.filter(time__lt=cutoff).delete()[0]
    more = SourceReading.objects.filter(time__lt=cutoff).delete()[0]
    return deleted + more


def import_history(items: Sequence[Mapping[str, Any]], *, progress: Any = None) -> IngestResult:
    """Import a file of past readings all or nothing: every bad row is reported, and if
    there is any, nothing is stored. Runs in batches of MAX_BATCH inside one transaction."""
    total = IngestResult(received=len(items))
    with transaction.atomic():
        for start in range(0, len(items), MAX_BATCH):
            part = ingest(items[start : start + MAX_BATCH])
            total.stored += part.stored
            total.duplicates += part.duplicates
            total.rejected += [Rejected(r.index + start, r.reason) for r in part.rejected]
            if progress is not None:
                progress(min(start + MAX_BATCH, len(items)))
        if total.rejected:
            transaction.set_rollback(True)
            total.stored = total.duplicates = 0
    return total
