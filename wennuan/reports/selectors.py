"""Reads of the daily briefing: each section's figures for one local day, computed set-based
from the other apps' models and selectors, and the stored briefings.

A briefing reports one local day (``TIME_ZONE``, Asia/Shanghai), midnight to midnight.

- **Flows** count what happened in the day: requests received and resolved, incidents opened
  and resolved, alarms raised and cleared, rounds submitted, check-ins, emergency switches.
- **States** are taken *as at* the end of the day — or at generation, for a day still
  running: requests open, incidents and alarms open, emergency mode. Reconstructed from
  timestamps and the append-only event rows, so regenerating a past day gives the same
  answer unless late records were entered.
- **Coal** is the days of cover on the morning after the day (what the coal page shows when
  the briefing is read); for the current day, today's.
- **Staff health** by status is as at generation (the status has no history of its own);
  the day's check-ins are counted from the check-in rows.
- **Donations** are the support records handed over to partner communities on the day, as
  known at generation (a record reversed as a mistake is not counted).

The figures are plain JSON (codes, counts, ISO dates), stored by ``services``; ``present``
adds the labels of the active language for the page and the exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone, translation

from wennuan.community.models import SupportLine, SupportRecord
from wennuan.emergency.models import EmergencyChange
from wennuan.fuel.selectors import company_rows
from wennuan.inspections.selectors import daily_summary
from wennuan.operations.choices import AlarmStatus, Severity
from wennuan.operations.models import Alarm
from wennuan.people.choices import CHECK_IN_ROLES, CheckInStatus, HealthStatus
from wennuan.people.models import FEVER_C, HealthCheckIn
from wennuan.people.selectors import check_in_staff, missing_check_ins
from wennuan.reports.models import Briefing
from wennuan.service.choices import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    IncidentStatus,
    Status,
)
from wennuan.service.models import Incident, RequestEvent, ServiceCategory, ServiceRequest

SCHEMA = 1
TREND_DAYS = 7
TOP_CATEGORIES = 5
MAX_LISTED = 100  # incidents and alarms listed by name; the counts are always complete
SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


def may_view(user: Any) -> bool:
    """The briefing is for the company's whole-city staff."""
    return bool(user.is_authenticated and user.sees_whole_city)


def may_regenerate(user: Any) -> bool:
    """Managers regenerate a briefing (a new version; the earlier ones stay)."""
    return bool(user.is_authenticated and user.sees_whole_city and user.can_manage)


def start_of(day: date) -> datetime:
    """Local midnight at the start of ``day``."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return timezone.localtime(moment).isoformat()
    return moment.isoformat()


def _count(rows: Iterable[Mapping[str, Any]], key: str) -> dict[Any, int]:
    return {row[key]: int(row["n"]) for row in rows}


# --- sections -----------------------------------------------------------------------------


def requests_open_at(moment: datetime) -> int:
    """Requests open at ``moment``: filed before it, and their last status move before it
    was to an open status.

    A request not saved since ``moment`` still has that status (every move saves the row);
    only those changed after it are looked up in their event history.
    """
    unchanged = ServiceRequest.objects.filter(
        created_at__lt=moment, updated_at__lt=moment, status__in=OPEN_STATUSES
    ).count()
    status_then = (
        RequestEvent.objects.filter(
            request=OuterRef("pk"), kind=EventKind.STATUS, created_at__lt=moment
        )
        .order_by("-created_at", "-pk")
        .values("to_status")[:1]
    )
    changed = (
        ServiceRequest.objects.filter(created_at__lt=moment, updated_at__gte=moment)
        .annotate(status_then=Subquery(status_then))
        .filter(status_then__in=OPEN_STATUSES)
        .count()
    )
    return unchanged + changed


def _resolutions(since: datetime, until: datetime) -> QuerySet[RequestEvent]:
    """Moves to "resolved" in [since, until): a request resolved, reopened and resolved
    again in the window counts once (callers count distinct requests)."""
    return RequestEvent.objects.filter(
        kind=EventKind.STATUS,
        to_status=Status.RESOLVED,
        created_at__gte=since,
        created_at__lt=until,
    )


def sla_outcomes(start: datetime, until: datetime) -> dict[int, tuple[int, int]]:
    """SLA compliance of the day, per category: ``{category id: (on time, decided)}``.

    A request's resolution target is *decided* once: when it is resolved by its due time
    (on time), or when the due time passes without a resolution (late). The day counts the
    requests decided in it, so each counts in exactly one day:

    - on time: resolved in the day, no later than its resolution due time;
    - late: its resolution due time passed in the day and it was not resolved by then
      (whether it was resolved later that day, later still, or not yet).

    Compliance is on time ÷ (on time + late). Not counted: requests without a due time
    (never assigned), cancelled and duplicate ones (nothing was owed), and those waiting for
    the resident, whose SLA clock is paused (their due time moves when it restarts).
    """
    met = Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due"))
    decided_at = Case(
        When(met, then=F("resolved_at")),
        default=F("resolution_due"),
        output_field=DateTimeField(),
    )
    rows = (
        ServiceRequest.objects.filter(resolution_due__isnull=False)
        .filter(
            Q(resolution_due__gte=start, resolution_due__lt=until)
            | Q(resolved_at__gte=start, resolved_at__lt=until)
        )
        .exclude(status__in=(Status.CANCELLED, Status.DUPLICATE))
        .exclude(paused_since__isnull=False, resolved_at__isnull=True)
        .annotate(decided_at=decided_at)
        .filter(decided_at__gte=start, decided_at__lt=until)
        .values("category_id")
        .annotate(on_time=Count("pk", filter=met), decided=Count("pk"))
        .order_by()
    )
    return {row["category_id"]: (int(row["on_time"]), int(row["decided"])) for row in rows}


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def request_figures(day: date, start: datetime, as_at: datetime) -> dict[str, Any]:
    """Requests received, resolved and open, SLA compliance, categories, channels, and the
    seven days to ``day`` (received and resolved per day)."""
    received = ServiceRequest.objects.filter(created_at__gte=start, created_at__lt=as_at)
    received_by_category = _count(
        received.values("category_id").annotate(n=Count("pk")).order_by(), "category_id"
    )
    by_channel = _count(received.values("channel").annotate(n=Count("pk")).order_by(), "channel")
    resolved_by_category = _count(
        _resolutions(start, as_at)
        .values("request__category_id")
        .annotate(n=Count("request_id", distinct=True))
        .order_by(),
        "request__category_id",
    )
    sla = sla_outcomes(start, as_at)

    ids: set[int] = set(received_by_category) | set(resolved_by_category) | set(sla)
    categories = {c.pk: c for c in ServiceCategory.objects.filter(pk__in=ids)}
    rows: list[dict[str, Any]] = []
    for pk, category in categories.items():
        on_time, decided = sla.get(pk, (0, 0))
        rows.append(
            {
                "code": category.code,
                "name_zh": category.name_zh,
                "name_en": category.name_en,
                "order": category.order,
                "received": received_by_category.get(pk, 0),
                "resolved": resolved_by_category.get(pk, 0),
                "on_time": on_time,
                "late": decided - on_time,
            }
        )
    rows.sort(key=lambda r: (-r["received"], -r["resolved"], r["order"], r["code"]))
    total_received: int = sum(received_by_category.values())
    top = [
        {
            "code": r["code"],
            "name_zh": r["name_zh"],
            "name_en": r["name_en"],
            "received": r["received"],
            "share_pct": _pct(r["received"], total_received),
        }
        for r in rows[:TOP_CATEGORIES]
        if r["received"]
    ]
    on_time = sum(v[0] for v in sla.values())
    decided = sum(v[1] for v in sla.values())

    first = day - timedelta(days=TREND_DAYS - 1)
    trend_received = _count(
        ServiceRequest.objects.filter(created_at__gte=start_of(first), created_at__lt=as_at)
        .annotate(d=TruncDate("created_at"))
        .values("d")
        .annotate(n=Count("pk"))
        .order_by(),
        "d",
    )
    trend_resolved = _count(
        _resolutions(start_of(first), as_at)
        .annotate(d=TruncDate("created_at"))
        .values("d")
        .annotate(n=Count("request_id", distinct=True))
        .order_by(),
        "d",
    )
    trend = []
    for i in range(TREND_DAYS):
        d = first + timedelta(days=i)
        trend.append(
            {
                "day": d.isoformat(),
                "received": trend_received.get(d, 0),
                "resolved": trend_resolved.get(d, 0),
            }
        )
    return {
        "requests": {
            "received": total_received,
            "resolved": sum(resolved_by_category.values()),
            "open": requests_open_at(as_at),
            "by_channel": [
                {"channel": code, "received": n}
                for code, n in sorted(by_channel.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "by_category": [{k: v for k, v in r.items() if k != "order"} for r in rows],
            "trend": trend,
        },
        "sla": {
            "on_time": on_time,
            "late": decided - on_time,
            "decided": decided,
            "compliance_pct": _pct(on_time, decided),
        },
        "top_categories": top,
    }


def _place(obj: Incident | Alarm) -> tuple[str, str]:
    if getattr(obj, "station_id", None) is not None and obj.station is not None:
        return obj.station.code, obj.station.name
    source = getattr(obj, "heat_source", None)
    return (source.code, source.name) if source is not None else ("", "")


def incident_figures(start: datetime, as_at: datetime) -> dict[str, Any]:
    """Network incidents opened and resolved in the day, open at its end, and each of them
    (with the requests linked to it now)."""
    opened = Q(opened_at__gte=start, opened_at__lt=as_at)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=as_at)
    open_then = Q(opened_at__lt=as_at) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=as_at))
    counts = Incident.objects.aggregate(
        opened=Count("pk", filter=opened),
        resolved=Count("pk", filter=resolved),
        open=Count("pk", filter=open_then),
    )
    items = []
    listed = (
        Incident.objects.filter(opened | resolved | open_then)
        .select_related("station", "heat_source")
        .annotate(linked=Count("requests"))
        .order_by("-opened_at", "-pk")[:MAX_LISTED]
    )
    for incident in listed:
        code, name = _place(incident)
        resolved_then = incident.resolved_at is not None and incident.resolved_at < as_at
        items.append(
            {
                "id": incident.pk,
                "cause": incident.cause,
                "place_code": code,
                "place": name,
                "opened_at": _iso(incident.opened_at),
                "resolved_at": _iso(incident.resolved_at) if resolved_then else None,
                "status": IncidentStatus.RESOLVED if resolved_then else IncidentStatus.OPEN,
                "requests": incident.linked,
            }
        )
    return {**{k: int(v or 0) for k, v in counts.items()}, "items": items}


def alarm_figures(start: datetime, as_at: datetime) -> dict[str, Any]:
    """Station alarms raised in the day (by severity, most severe listed first), cleared in
    the day, and open (active or acknowledged) at its end."""
    raised = Q(raised_at__gte=start, raised_at__lt=as_at)
    counts = Alarm.objects.aggregate(
        raised=Count("pk", filter=raised),
        cleared=Count("pk", filter=Q(cleared_at__gte=start, cleared_at__lt=as_at)),
        open=Count(
            "pk",
            filter=Q(raised_at__lt=as_at) & (Q(cleared_at__isnull=True) | Q(cleared_at__gte=as_at)),
        ),
    )
    by_severity = _count(
        Alarm.objects.filter(raised).values("severity").annotate(n=Count("pk")).order_by(),
        "severity",
    )
    rank = Case(
        *(When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()),
        default=Value(9),
        output_field=IntegerField(),
    )
    items = []
    listed = (
        Alarm.objects.filter(raised)
        .select_related("station", "rule")
        .annotate(rank=rank)
        .order_by("rank", "-raised_at", "-pk")[:MAX_LISTED]
    )
    for alarm in listed:
        cleared_then = alarm.cleared_at is not None and alarm.cleared_at < as_at
        items.append(
            {
                "id": alarm.pk,
                "station_code": alarm.station.code,
                "station": alarm.station.name,
                "rule_zh": alarm.rule.name_zh,
                "rule_en": alarm.rule.name_en,
                "severity": alarm.severity,
                "raised_at": _iso(alarm.raised_at),
                "cleared_at": _iso(alarm.cleared_at) if cleared_then else None,
                "status": AlarmStatus.CLEARED if cleared_then else alarm.status,
                "detail": alarm.detail,
            }
        )
    return {
        **{k: int(v or 0) for k, v in counts.items()},
        "by_severity": [
            {"severity": s, "raised": by_severity.get(s, 0)}
            for s in sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__)
        ],
        "items": items,
    }


def coal_figures(on: date) -> dict[str, Any]:
    """Every coal yard's baseline cover on ``on`` (the fuel app's company table)."""
    sources = []
    for row in company_rows(today=on):
        cover = row.cover
        sources.append(
            {
                "code": row.source.code,
                "name": row.source.name,
                "stock_t": round(cover.stock_t, 1),
                "burn_per_day_t": round(cover.burn_per_day_t, 1),
                "days_of_cover": (
                    round(cover.days_of_cover, 1) if cover.days_of_cover is not None else None
                ),
                "run_out": _iso(cover.run_out),
                "meets_rule": cover.meets_rule,
                "below_rule_on": _iso(cover.below_rule_on),
                "order_t": round(cover.order_t, 1),
                "order_by": _iso(cover.order_by),
                "estimated": cover.estimated,
            }
        )
    return {"on": on.isoformat(), "rule_days": settings.FUEL_MIN_COVER_DAYS, "sources": sources}


def health_figures(day: date, as_at: datetime, now: datetime) -> dict[str, Any]:
    """Company staff (active, of the roles that check in) by health status now, and the
    day's check-ins: who checked in (their last check-in of the day counts), by reported
    status, with a fever, and how many did not check in — not counting staff on leave that
    day, by the rule of the team page and the 10:00 job (``people.selectors``)."""
    staff = check_in_staff()
    by_status = _count(
        staff.values("health_status").annotate(n=Count("pk")).order_by(), "health_status"
    )
    last_of_day = (
        HealthCheckIn.objects.filter(day=day, staff=OuterRef("staff"), created_at__lt=as_at)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    check_ins = HealthCheckIn.objects.filter(
        day=day,
        created_at__lt=as_at,
        staff__is_active=True,
        staff__role__in=CHECK_IN_ROLES,
        pk=Subquery(last_of_day),
    )
    reported = _count(check_ins.values("status").annotate(n=Count("pk")).order_by(), "status")
    fever = check_ins.filter(temperature__gte=FEVER_C).count()
    total = sum(by_status.values())
    checked_in = sum(reported.values())
    return {
        "as_at": _iso(now),
        "staff": total,
        "by_status": [
            {"status": s, "staff": by_status.get(s, 0)}
            for s in [*HealthStatus.values, *sorted(set(by_status) - set(HealthStatus.values))]
        ],
        "checked_in": checked_in,
        "missing": missing_check_ins(day, at=as_at).count(),
        "check_ins": [{"status": s, "staff": reported.get(s, 0)} for s in CheckInStatus.values],
        "fever": fever,
    }


def emergency_figures(start: datetime, as_at: datetime) -> dict[str, Any]:
    """Emergency mode at the day's end — on or off, since when, why, by whom — and every
    switch made in the day."""
    latest = (
        EmergencyChange.objects.filter(changed_at__lt=as_at)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
        .first()
    )
    changes = (
        EmergencyChange.objects.filter(changed_at__gte=start, changed_at__lt=as_at)
        .select_related("changed_by")
        .order_by("changed_at", "id")
    )
    return {
        "on": bool(latest and latest.on),
        "since": _iso(latest.changed_at) if latest else None,
        "reason": latest.reason if latest else "",
        "by": latest.changed_by.display_name if latest and latest.changed_by else "",
        "changes": [
            {
                "at": _iso(c.changed_at),
                "on": c.on,
                "reason": c.reason,
                "by": c.changed_by.display_name if c.changed_by else "",
            }
            for c in changes
        ],
    }


def _goods(line: SupportLine) -> dict[str, Any]:
    """A donated line's goods in both languages: a stock item's names and unit, or the words
    it was described in (one language, as typed)."""
    item = line.item
    if item is not None:
        return {
            "item": item.code,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "unit_zh": item.unit_zh,
            "unit_en": item.unit_en,
        }
    return {
        "item": "",
        "name_zh": line.description,
        "name_en": line.description,
        "unit_zh": line.unit,
        "unit_en": line.unit,
    }


def _quantity(value: Any) -> float:
    return float(round(value, 2))


def donation_figures(day: date) -> dict[str, Any]:
    """Support handed over to partner communities on the day: how many records, to how many
    partners, the goods in total (per stock item, or per description and unit), and each
    record with its lines. Reversed records are left out."""
    records = SupportRecord.objects.filter(day=day, reversed_at__isnull=True)
    counts = records.aggregate(records=Count("pk"), partners=Count("partner", distinct=True))
    totals = (
        SupportLine.objects.filter(record__in=records)
        .values(
            "item_id",
            "item__code",
            "item__name_zh",
            "item__name_en",
            "item__unit_zh",
            "item__unit_en",
            "description",
            "unit",
        )
        .annotate(q=Sum("quantity"))
        .order_by()
    )
    goods = [
        {
            "item": row["item__code"] or "",
            "name_zh": row["item__name_zh"] or row["description"],
            "name_en": row["item__name_en"] or row["description"],
            "unit_zh": row["item__unit_zh"] or row["unit"],
            "unit_en": row["item__unit_en"] or row["unit"],
            "quantity": _quantity(row["q"]),
        }
        for row in totals
    ]
    # Stock items by code, then goods described in words (NULLs sort apart per database).
    goods.sort(key=lambda g: (g["item"] == "", g["item"], g["name_zh"], g["unit_zh"]))
    listed = (
        records.select_related("partner__community", "handed_over_by")
        .prefetch_related(
            Prefetch("lines", queryset=SupportLine.objects.select_related("item").order_by("id"))
        )
        .order_by("id")[:MAX_LISTED]
    )
    items = [
        {
            "id": record.pk,
            "partner": record.partner.community.name,
            "handed_over_by": record.handed_over_by.display_name,
            "received_by": record.received_by,
            "lines": [
                {**_goods(line), "quantity": _quantity(line.quantity)}
                for line in record.lines.all()
            ],
        }
        for record in listed
    ]
    return {
        "records": int(counts["records"] or 0),
        "partners": int(counts["partners"] or 0),
        "goods": goods,
        "items": items,
    }


def compute_figures(day: date, *, now: datetime | None = None) -> dict[str, Any]:
    """Every section of ``day``'s briefing, as plain JSON (see the module docstring)."""
    now = now or timezone.now()
    start, end = start_of(day), start_of(day + timedelta(days=1))
    as_at = min(now, end)
    complete = now >= end
    today = timezone.localdate(now)
    coal_on = min(day + timedelta(days=1), today)
    figures: dict[str, Any] = {
        "schema": SCHEMA,
        "day": day.isoformat(),
        "start": _iso(start),
        "as_at": _iso(as_at),
        "complete": complete,
        "computed_at": _iso(now),
    }
    figures |= request_figures(day, start, as_at)
    figures["incidents"] = incident_figures(start, as_at)
    figures["alarms"] = alarm_figures(start, as_at)
    figures["coal"] = coal_figures(coal_on)
    figures["inspections"] = daily_summary(day)
    figures["health"] = health_figures(day, as_at, now)
    figures["emergency"] = emergency_figures(start, as_at)
    figures["donations"] = donation_figures(day)
    return figures


# --- stored briefings -----------------------------------------------------------------------


def versions(day: date) -> QuerySet[Briefing]:
    """The day's stored briefings, latest first."""
    return Briefing.objects.filter(day=day).select_related("generated_by").order_by("-version")


# --- presentation -------------------------------------------------------------------------


def _label(choices: Any, code: str) -> str:
    """The label of a stored code in the active language; the code itself if the choice was
    since removed (a stored briefing outlives its code's choices)."""
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _moment(text: str | None) -> datetime | None:
    return timezone.localtime(datetime.fromisoformat(text)) if text else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def present(figures: Mapping[str, Any]) -> dict[str, Any]:
    """The stored figures with labels in the active language and dates as dates: what the
    page, the workbook and the PDF show."""
    english = (translation.get_language() or "").startswith("en")

    def name(row: Mapping[str, Any], field: str = "name") -> str:
        english_name = row.get(f"{field}_en")
        return str(english_name if english and english_name else row[f"{field}_zh"])

    requests = figures["requests"]
    incidents = figures["incidents"]
    alarms = figures["alarms"]
    coal = figures["coal"]
    health = figures["health"]
    emergency = figures["emergency"]
    donations = figures["donations"]
    return {
        "day": _day(figures["day"]),
        "as_at": _moment(figures["as_at"]),
        "complete": figures["complete"],
        "computed_at": _moment(figures["computed_at"]),
        "requests": {
            **{k: requests[k] for k in ("received", "resolved", "open")},
            "by_channel": [
                {"label": _label(Channel, r["channel"]), "received": r["received"]}
                for r in requests["by_channel"]
            ],
            "by_category": [{**r, "name": name(r)} for r in requests["by_category"]],
            "trend": [{**r, "day": _day(r["day"])} for r in requests["trend"]],
        },
        "sla": dict(figures["sla"]),
        "top_categories": [{**r, "name": name(r)} for r in figures["top_categories"]],
        "incidents": {
            **{k: incidents[k] for k in ("opened", "resolved", "open")},
            "items": [
                {
                    **i,
                    "opened_at": _moment(i["opened_at"]),
                    "resolved_at": _moment(i["resolved_at"]),
                    "status_label": _label(IncidentStatus, i["status"]),
                }
                for i in incidents["items"]
            ],
        },
        "alarms": {
            **{k: alarms[k] for k in ("raised", "cleared", "open")},
            "by_severity": [
                {**r, "label": _label(Severity, r["severity"])} for r in alarms["by_severity"]
            ],
            "items": [
                {
                    **a,
                    "rule": name(a, "rule"),
                    "severity_label": _label(Severity, a["severity"]),
                    "status_label": _label(AlarmStatus, a["status"]),
                    "raised_at": _moment(a["raised_at"]),
                    "cleared_at": _moment(a["cleared_at"]),
                }
                for a in alarms["items"]
            ],
        },
        "coal": {
            "on": _day(coal["on"]),
            "rule_days": coal["rule_days"],
            "sources": [
                {
                    **s,
                    "run_out": _day(s["run_out"]),
                    "below_rule_on": _day(s["below_rule_on"]),
                    "order_by": _day(s["order_by"]),
                }
                for s in coal["sources"]
            ],
        },
        "inspections": dict(figures["inspections"]),
        "health": {
            **health,
            "as_at": _moment(health["as_at"]),
            "by_status": [
                {**r, "label": _label(HealthStatus, r["status"])} for r in health["by_status"]
            ],
            "check_ins": [
                {**r, "label": _label(CheckInStatus, r["status"])} for r in health["check_ins"]
            ],
        },
        "emergency": {
            **emergency,
            "since": _moment(emergency["since"]),
            "changes": [{**c, "at": _moment(c["at"])} for c in emergency["changes"]],
        },
        "donations": {
            **donations,
            "goods": [{**g, "name": name(g), "unit": name(g, "unit")} for g in donations["goods"]],
            "items": [
                {
                    **record,
                    "lines": [
                        {**line, "name": name(line), "unit": name(line, "unit")}
                        for line in record["lines"]
                    ],
                }
                for record in donations["items"]
            ],
        },
    }


def _cover_bar(source: Mapping[str, Any]) -> float | None:
    if not source["estimated"]:
        return None
    return float(source["days_of_cover"]) if source["days_of_cover"] is not None else 366.0


def chart_data(shown: Mapping[str, Any]) -> dict[str, Any]:
    """ECharts series: received and resolved by category, the seven-day trend, and each
    yard's days of cover against the reserve rule (beyond the search: drawn at 366; a yard
    with no consumption on record has no bar)."""
    categories = shown["requests"]["by_category"]
    trend = shown["requests"]["trend"]
    sources = shown["coal"]["sources"]
    return {
        "categories": [c["name"] for c in categories],
        "received": [c["received"] for c in categories],
        "resolved": [c["resolved"] for c in categories],
        "days": [d["day"].strftime("%m-%d") for d in trend],
        "trend_received": [d["received"] for d in trend],
        "trend_resolved": [d["resolved"] for d in trend],
        "sources": [s["name"] for s in sources],
        "cover": [_cover_bar(s) for s in sources],
        "rule": shown["coal"]["rule_days"],
    }
