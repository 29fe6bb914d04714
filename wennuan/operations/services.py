"""Telemetry ingest — one function for every path (HTTP bulk, MQTT, CSV history) — gateway
tokens, heating curves and the hourly roll-up.

Each reading is checked on its own: an unknown station, a value outside its physical range,
a moment more than five minutes ahead, a field we do not know. Bad readings are reported by
index and reason; the good ones of the same batch are stored. A reading whose station and
moment are already stored is a duplicate and changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, F, Max, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from wennuan.core.bulk import insert_new_rows
from wennuan.core.tokens import digest, new_token
from wennuan.grid.models import HeatSource, Station
from wennuan.notify.choices import Channel as NotifyChannel
from wennuan.notify.choices import Template
from wennuan.notify.services import queue_notification, queued_together
from wennuan.operations.choices import (
    ALARM_TRANSITIONS,
    OPEN_ALARM_STATUSES,
    AlarmStatus,
    Direction,
    Metric,
    RuleKind,
)
from wennuan.operations.models import (
    DEFAULT_CURVE,
    Alarm,
    AlarmEvent,
    AlarmRule,
    Gateway,
    HeatingCurve,
    OutdoorTemperature,
    PlannedStop,
    SourceReading,
    StationHour,
    StationReading,
    curve_target,
)
from wennuan.operations.partitions import drop_partitions_before

MAX_BATCH = 10_000
FUTURE_TOLERANCE = timedelta(minutes=5)
TOKEN_PREFIX = "wngw_"

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
NO_FLAGS: frozenset[str] = frozenset()


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


def _check_values(
    item: Mapping[str, Any], fields: dict[str, tuple[float, float]], flags: frozenset[str]
) -> tuple[dict[str, Any], str | None]:
    """The item's values checked against their ranges, or the first problem found.

    The hot loop of ingest (10,000 readings a batch): plain numbers take a fast path.
    """
    values: dict[str, Any] = {}
    for name, raw in item.items():
        if name in SKIPPED_KEYS:
            continue
        bounds = fields.get(name)
        if bounds is None:
            if name not in flags:
                return values, f"unknown field {name!r}"
            try:
                values[name] = _flag(raw)
            except ValueError:
                return values, f"{name}: {raw!r} is not on/off"
            continue
        kind = type(raw)
        if kind is float or kind is int:
            number = float(raw)
        elif raw is None or raw == "":
            values[name] = None
            continue
        else:
            try:
                number = _number(raw)  # type: ignore[assignment]
            except (TypeError, ValueError):
                return values, f"{name}: {raw!r} is not a number"
        # NaN and infinities fail this comparison too.
        if not bounds[0] <= number <= bounds[1]:
            return values, f"{name}: {number:g} is outside {bounds[0]:g}..{bounds[1]:g}"
        values[name] = number
    return values, None


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
    station_rows: list[tuple[int, str, datetime, dict[str, Any]]] = []
    source_rows: list[tuple[int, str, datetime, dict[str, Any]]] = []
    place_rows: list[tuple[int, str, datetime, float]] = []
    latest_allowed = now + FUTURE_TOLERANCE
    for index, item in enumerate(items):
        if type(item) is not dict and not isinstance(item, Mapping):  # JSON gives dicts
            result.rejected.append(Rejected(index, "not an object of named values"))
            continue
        moment = _moment(item.get("time"))
        if moment is None:
            result.rejected.append(
                Rejected(index, "time: missing, or not ISO 8601 with a time zone nor Unix seconds")
            )
            continue
        if moment > latest_allowed:
            result.rejected.append(Rejected(index, "time: more than 5 minutes in the future"))
            continue
        kind, code = _kind_of(item, station=station, source=source)
        if kind == "place":
            values, problem = _check_values(item, PLACE_FIELDS, NO_FLAGS)
            if problem is None and values.get("temperature_c") is None:
                problem = "temperature_c: missing"
            if problem:
                result.rejected.append(Rejected(index, problem))
            else:
                place_rows.append((index, code, moment, values["temperature_c"]))
        elif kind == "source":
            values, problem = _check_values(item, SOURCE_FIELDS, NO_FLAGS)
            if problem:
                result.rejected.append(Rejected(index, problem))
            else:
                source_rows.append((index, code, moment, values))
        elif kind == "station":
            values, problem = _check_values(item, STATION_FIELDS, STATION_FLAGS)
            if problem:
                result.rejected.append(Rejected(index, problem))
            else:
                station_rows.append((index, code, moment, values))
        else:
            result.rejected.append(Rejected(index, "no station, source or place"))

    station_ids = dict(
        Station.objects.filter(code__in={r[1] for r in station_rows}).values_list("code", "pk")
    )
    source_ids = dict(
        HeatSource.objects.filter(code__in={r[1] for r in source_rows}).values_list("code", "pk")
    )
    curves = _curves(station_ids.values())
    outdoor = _latest_outdoor(now)
    readings: list[tuple[Any, ...]] = []
    targets: dict[tuple[int, float], float] = {}  # (station, outdoor) → target, per batch
    for index, code, moment, values in station_rows:
        station_id = station_ids.get(code)
        if station_id is None:
            result.rejected.append(Rejected(index, f"station: unknown code {code!r}"))
            continue
        outside = values.get("outdoor_c", outdoor)
        target = None
        if outside is not None:
            target = targets.get((station_id, outside))
            if target is None:
                target = curve_target(curves.get(station_id, curves[None]), outside)
                targets[station_id, outside] = target
        readings.append(
            (
                station_id,
                moment,
                *map(values.get, MEASURED_STATION_FIELDS),
                values.get("pump_on"),
                outside,
                target,
            )
        )
    sources: list[tuple[Any, ...]] = []
    for index, code, moment, values in source_rows:
        source_id = source_ids.get(code)
        if source_id is None:
            result.rejected.append(Rejected(index, f"source: unknown code {code!r}"))
            continue
        sources.append((source_id, moment, *(values.get(name) for name in SOURCE_FIELDS)))
    places = [(place, moment, value) for _, place, moment, value in place_rows]
    result.rejected.sort(key=lambda r: r.index)
    with transaction.atomic():
        stored = insert_new_rows(StationReading, STATION_COLUMNS, readings)
        stored += insert_new_rows(SourceReading, SOURCE_COLUMNS, sources)
        stored += insert_new_rows(OutdoorTemperature, ["place", "time", "temperature_c"], places)
        if gateway is not None:
            Gateway.objects.filter(pk=gateway.pk).update(last_seen_at=now)
    result.stored = stored
    result.duplicates = len(readings) + len(sources) + len(places) - stored
    return result


# Column order of the rows ``ingest`` builds: key, the measured values, then pump, outdoor, target.
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


# --- alarms -----------------------------------------------------------------------------


class AlarmRefused(Exception):
    """A change the alarm lifecycle does not allow; the message says why."""


def _metric_expression(metric: str) -> Any:
    if metric == Metric.DEVIATION:
        return F("secondary_supply_c") - F("target_supply_c")
    return F(metric)


def _breaking(rule: AlarmRule, now: datetime) -> dict[int, str]:
    """Stations whose telemetry breaks ``rule`` at ``now``, with a line saying how (set-based)."""
    start = now - timedelta(minutes=rule.minutes)
    window = StationReading.objects.filter(time__gt=start, time__lte=now)
    if rule.kind == RuleKind.STALE:
        return _stale(now, start)
    if rule.kind == RuleKind.PUMP_STOPPED:
        return _pump_stopped(window)
    if rule.kind == RuleKind.THRESHOLD and rule.threshold is not None:
        return _beyond_threshold(rule, window, start)
    if rule.kind == RuleKind.RATE and rule.threshold is not None:
        return _changing_fast(rule, window)
    return {}


def _stale(now: datetime, start: datetime) -> dict[int, str]:
    """Stations heard from in the last day but not since ``start``."""
    rows = (
        StationReading.objects.filter(time__gte=now - timedelta(hours=24), time__lte=now)
        .values("station_id")
        .annotate(last=Max("time"))
        .filter(last__lte=start)
        .order_by()
    )
    return {
        row["station_id"]: f"no reading for {int((now - row['last']).total_seconds() // 60)} min"
        for row in rows
    }


def _pump_stopped(window: Any) -> dict[int, str]:
    """Stations whose every reading in the window says the pump is off."""
    rows = (
        window.values("station_id")
        .annotate(n=Count("time"), off=Count("time", filter=Q(pump_on=False)))
        .filter(n__gt=0, off=F("n"))
        .order_by()
    )
    return {row["station_id"]: "pump off" for row in rows}


def _beyond_threshold(rule: AlarmRule, window: Any, start: datetime) -> dict[int, str]:
    """Stations whose metric stayed below (above) the threshold through the whole window."""
    threshold = float(rule.threshold or 0)
    # The window counts as covered when its first reading came within its first fifth.
    covered_by = start + timedelta(minutes=max(rule.minutes / 5, 2))
    rows = (
        window.annotate(value=_metric_expression(rule.metric))
        .filter(value__isnull=False)
        .values("station_id")
        .annotate(n=Count("time"), low=Min("value"), high=Max("value"), first=Min("time"))
        .filter(n__gte=2, first__lte=covered_by)
        .order_by()
    )
    found: dict[int, str] = {}
    span = f"for {rule.minutes} min"
    for row in rows:
        if rule.direction == Direction.BELOW and row["high"] < threshold:
            found[row["station_id"]] = f"{rule.metric} ≤ {row['high']:.1f} {span}"
        elif rule.direction == Direction.ABOVE and row["low"] > threshold:
            found[row["station_id"]] = f"{rule.metric} ≥ {row['low']:.1f} {span}"
    return found


def _changing_fast(rule: AlarmRule, window: Any) -> dict[int, str]:
    """Stations whose metric fell (rose) by more than the threshold across the window."""
    threshold = float(rule.threshold or 0)
    rows = (
        window.annotate(value=_metric_expression(rule.metric))
        .filter(value__isnull=False)
        .order_by("station_id", "time")
        .values_list("station_id", "value")
    )
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for sid, reading_value in rows:
        first.setdefault(sid, reading_value)
        last[sid] = reading_value
    found: dict[int, str] = {}
    for sid, latest in last.items():
        change = latest - first[sid]
        if (rule.direction == Direction.BELOW and change < -threshold) or (
            rule.direction == Direction.ABOVE and change > threshold
        ):
            found[sid] = f"{rule.metric} {change:+.1f} in {rule.minutes} min"
    return found


def evaluate_alarms(*, now: datetime | None = None) -> dict[str, int]:
    """Raise an alarm where a rule's condition holds and none is open, keep open ones seen,
    and clear the ones whose condition ended. Runs every minute; a few queries per rule."""
    now = now or timezone.now()
    counts = {"raised": 0, "cleared": 0, "open": 0}
    for rule in AlarmRule.objects.filter(enabled=True):
        holding = _breaking(rule, now)
        with transaction.atomic():
            open_alarms = {
                a.station_id: a
                for a in Alarm.objects.select_for_update().filter(
                    rule=rule, status__in=OPEN_ALARM_STATUSES
                )
            }
            seen = [a for sid, a in open_alarms.items() if sid in holding]
            for alarm in seen:
                alarm.last_seen_at, alarm.detail = now, holding[alarm.station_id][:200]
            Alarm.objects.bulk_update(seen, ["last_seen_at", "detail"])
            for station_id, alarm in open_alarms.items():
                if station_id not in holding:
                    _change_alarm(
                        alarm, AlarmStatus.CLEARED, actor=None, note="condition ended", now=now
                    )
                    counts["cleared"] += 1
            new = [sid for sid in holding if sid not in open_alarms]
            if new:
                _raise(rule, new, holding, now)
                counts["raised"] += len(new)
            counts["open"] += len(seen) + len(new)
    return counts


def _raise(rule: AlarmRule, station_ids: list[int], details: dict[int, str], now: datetime) -> None:
    alarms = Alarm.objects.bulk_create(
        [
            Alarm(
                rule=rule,
                station_id=sid,
                severity=rule.severity,
                raised_at=now,
                last_seen_at=now,
                detail=details[sid][:200],
            )
            for sid in station_ids
        ]
    )
    AlarmEvent.objects.bulk_create(
        [AlarmEvent(alarm=a, to_status=AlarmStatus.ACTIVE, note=a.detail) for a in alarms]
    )
    if rule.opens_work_order:
        from wennuan.service.services import open_station_work_order

        for alarm in alarms:
            alarm.work_order = open_station_work_order(
                station_id=alarm.station_id,
                text=f"{rule.name_zh}: {alarm.detail}",
                key=f"alarm-{alarm.pk}",
            )
        Alarm.objects.bulk_update(alarms, ["work_order"])
    if not rule.notify_dispatcher:
        return
    from wennuan.service.dispatch import dispatcher_on_duty

    dispatcher = dispatcher_on_duty(now)
    if dispatcher is None or not dispatcher.phone:
        return
    names = dict(Station.objects.filter(pk__in=station_ids).values_list("pk", "name"))
    with queued_together():
        for alarm in alarms:
            queue_notification(
                channel=NotifyChannel.SMS,
                recipient=dispatcher.phone,
                template=Template.ALARM_RAISED,
                context={
                    "station": names.get(alarm.station_id, ""),
                    "rule": rule.name_zh,
                    "detail": alarm.detail,
                },
                language=settings.LANGUAGE_CODE,
                related_key=f"alarm-{alarm.pk}",
            )


def _change_alarm(
    alarm: Alarm, to: str, *, actor: Any, note: str, now: datetime | None = None
) -> Alarm:
    if to not in ALARM_TRANSITIONS[alarm.status]:
        raise AlarmRefused(
            _("An alarm that is “%(from)s” cannot become “%(to)s”.")
            % {"from": AlarmStatus(alarm.status).label, "to": AlarmStatus(to).label}
        )
    now = now or timezone.now()
    from_status = alarm.status
    alarm.status = to
    if to == AlarmStatus.ACKNOWLEDGED:
        alarm.acknowledged_at, alarm.acknowledged_by = now, actor
    elif to == AlarmStatus.CLEARED:
        alarm.cleared_at = now
    alarm.save()
    AlarmEvent.objects.create(
        alarm=alarm, actor=actor, from_status=from_status, to_status=to, note=note[:300]
    )
    return alarm


def acknowledge_alarm(*, alarm: Alarm, actor: Any, note: str = "") -> Alarm:
    """Someone is on it: the alarm stays open (no new one for this station and rule)."""
    with transaction.atomic():
        locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
        return _change_alarm(locked, AlarmStatus.ACKNOWLEDGED, actor=actor, note=note)


def clear_alarm(*, alarm: Alarm, actor: Any, note: str) -> Alarm:
    """Close the alarm by hand, with a note (the evaluator clears by itself when it ends)."""
    if not note.strip():
        raise AlarmRefused(_("Say why the alarm is cleared."))
    with transaction.atomic():
        locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
        return _change_alarm(locked, AlarmStatus.CLEARED, actor=actor, note=note)


# --- planned stops ----------------------------------------------------------------------


class StopRefused(Exception):
    """A planned stop that cannot be announced or ended as asked; the message says why."""


def _households_beneath(stop: PlannedStop) -> Any:
    from wennuan.grid.models import Household

    if stop.station_id is not None:
        return Household.objects.filter(building__station_id=stop.station_id)
    return Household.objects.filter(building__station__heat_source_id=stop.heat_source_id)


def _tell_households(stop: PlannedStop, template: str, context: dict[str, Any]) -> int:
    told = 0
    with queued_together():
        for phone in (
            _households_beneath(stop).exclude(phone="").values_list("phone", flat=True).iterator()
        ):
            try:
                queue_notification(
                    channel=NotifyChannel.SMS,
                    recipient=phone,
                    template=template,
                    context=context,
                    language=settings.LANGUAGE_CODE,
                    related_key=f"stop-{stop.pk}",
                )
            except ValueError:
                continue  # a malformed phone in the master data: skip it, tell the rest
            told += 1
    return told


def announce_stop(
    *,
    station: Station | None = None,
    heat_source: HeatSource | None = None,
    starts_at: datetime,
    expected_end_at: datetime,
    reason: str,
    actor: Any = None,
) -> PlannedStop:
    """Record a stop of a station or heat source and text every household beneath it."""
    if (station is None) == (heat_source is None):
        raise StopRefused(_("Choose a station or a heat source."))
    if expected_end_at <= starts_at:
        raise StopRefused(_("The stop must end after it starts."))
    if not reason.strip():
        raise StopRefused(_("Give the reason residents will read."))
    with transaction.atomic():
        stop = PlannedStop.objects.create(
            station=station,
            heat_source=heat_source,
            starts_at=starts_at,
            expected_end_at=expected_end_at,
            reason=reason.strip()[:200],
            announced_by=actor,
        )
        stop.households_told = _tell_households(
            stop,
            Template.STOP_NOTICE,
            {
                "where": (station or heat_source).name,  # type: ignore[union-attr]
                "start": starts_at,
                "end": expected_end_at,
                "reason": stop.reason,
            },
        )
        stop.save(update_fields=["households_told"])
    return stop


def end_stop(*, stop: PlannedStop, actor: Any = None) -> PlannedStop:
    """Heat is back: text every household beneath the stop again."""
    with transaction.atomic():
        stop = PlannedStop.objects.select_for_update().get(pk=stop.pk)
        if stop.ended_at is not None:
            raise StopRefused(_("This stop has already ended."))
        stop.ended_at = timezone.now()
        stop.save(update_fields=["ended_at"])
        where = stop.station.name if stop.station else stop.heat_source.name  # type: ignore[union-attr]
        _tell_households(stop, Template.HEAT_BACK, {"where": where})
    return stop
