"""Station alarms: rules evaluated every minute, the lifecycle active → acknowledged → cleared,
the dispatcher texted, and a work order for rules that ask for one (state changes only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.grid.models import Station
from wennuan.notify.choices import Channel as NotifyChannel
from wennuan.notify.choices import Template
from wennuan.notify.services import queue_notification, queued_together
from wennuan.operations.access import sees_network
from wennuan.operations.choices import (
    ALARM_TRANSITIONS,
    OPEN_ALARM_STATUSES,
    AlarmStatus,
    Direction,
    Metric,
    RuleKind,
)
from wennuan.operations.models import Alarm, AlarmEvent, AlarmRule, StationReading


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


def _require_company_staff(actor: Any) -> None:
    if actor is not None and not sees_network(actor):
        raise AlarmRefused(_("Station alarms are for the heating company's staff."))


def acknowledge_alarm(*, alarm: Alarm, actor: Any, note: str = "") -> Alarm:
    """Someone is on it: the alarm stays open (no new one for this station and rule)."""
    _require_company_staff(actor)
    with transaction.atomic():
        locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
        return _change_alarm(locked, AlarmStatus.ACKNOWLEDGED, actor=actor, note=note)


def clear_alarm(*, alarm: Alarm, actor: Any, note: str) -> Alarm:
    """Close the alarm by hand, with a note (the evaluator clears by itself when it ends)."""
    _require_company_staff(actor)
    if not note.strip():
        raise AlarmRefused(_("Say why the alarm is cleared."))
    with transaction.atomic():
        locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
        return _change_alarm(locked, AlarmStatus.CLEARED, actor=actor, note=note)
