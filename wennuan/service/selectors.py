"""Reads of service requests: the board, my work, and a request's context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone

from wennuan.service.choices import OPEN_STATUSES, SlaState
from wennuan.service.models import ServiceRequest

LIST_RELATED = ("category", "assignee", "household", "zone")

# What a row of the dispatch board reads (templatetags/request_rows.board_rows; next_due reads
# the status and the due/done times): about 30 of the ~100 columns the joins hold. A column
# added to the row must be added here, or each row costs a query
# (core/tests/test_list_query_counts.py notices).
BOARD_COLUMNS = (
    "number",
    "channel",
    "status",
    "priority",
    "sla_state",
    "measured_temperature",
    "location_text",
    "created_at",
    "first_contact_due",
    "first_contact_at",
    "on_site_due",
    "on_site_at",
    "resolution_due",
    "category__name_zh",
    "category__name_en",
    "household__address",
    "assignee__full_name",
    "assignee__username",
)


def board_requests(user: Any) -> QuerySet[ServiceRequest]:
    """Requests this user may see, most urgent first, with what the board shows joined in."""
    return (
        ServiceRequest.objects.for_user(user)
        .select_related(*LIST_RELATED)
        .annotate(
            sla_order=Case(
                When(sla_state=SlaState.BREACHED, then=Value(0)),
                When(sla_state=SlaState.AT_RISK, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by(
            "sla_order", "priority", F("first_contact_due").asc(nulls_last=True), "-created_at"
        )
    )


def dispatch_board_requests(user: Any) -> QuerySet[ServiceRequest]:
    """``board_requests`` with only the columns the board's rows show: the board reloads
    every 30 seconds on every dispatcher's screen."""
    return (
        board_requests(user)
        .select_related(None)
        .select_related("category", "assignee", "household")
        .only(*BOARD_COLUMNS)
    )


def my_work(user: Any) -> QuerySet[ServiceRequest]:
    """The open requests assigned to this user, most urgent first."""
    return board_requests(user).filter(assignee=user, status__in=OPEN_STATUSES)


@dataclass
class RequestContext:
    """What the request page shows around a request."""

    nearby_building: list[ServiceRequest]
    nearby_station: list[ServiceRequest]


def request_context(request: ServiceRequest) -> RequestContext:
    """Other requests from the same building and the same station in the last 24 hours.

    Several "not warm" reports on one station point at the station, not at the homes.
    """
    since = timezone.now() - timedelta(hours=24)
    recent = (
        ServiceRequest.objects.filter(created_at__gte=since)
        .exclude(pk=request.pk)
        .select_related("category")
        .order_by("-created_at")
    )
    building: list[ServiceRequest] = []
    station: list[ServiceRequest] = []
    if request.building_id is not None:
        building = list(recent.filter(building_id=request.building_id)[:20])
    if request.station_id is not None:
        others = recent.filter(station_id=request.station_id)
        if request.building_id is not None:
            others = others.exclude(building_id=request.building_id)
        station = list(others[:20])
    return RequestContext(nearby_building=building, nearby_station=station)


def answers_display(request: ServiceRequest) -> list[tuple[str, str]]:
    """The resident's answers as (question, answer) in the active language."""
    questions = {q.code: q for q in request.category.attributes.all()}
    shown = []
    for code, value in request.attributes.items():
        question = questions.get(code)
        if question is None:
            shown.append((code, str(value)))
            continue
        labels = dict(question.value_choices())
        values = value if isinstance(value, list) else [value]
        shown.append((question.label, "、".join(labels.get(str(v), str(v)) for v in values)))
    return shown


def network_summary(user: Any) -> dict[str, int]:
    """Open station alarms and network incidents in this user's area, for the board's strip."""
    from wennuan.grid.models import Station
    from wennuan.operations.choices import OPEN_ALARM_STATUSES
    from wennuan.operations.models import Alarm
    from wennuan.operations.selectors import incidents_for_user
    from wennuan.service.choices import IncidentStatus

    stations = Station.objects.for_user(user)
    return {
        "alarms": Alarm.objects.filter(
            status__in=OPEN_ALARM_STATUSES, station__in=stations
        ).count(),
        "incidents": incidents_for_user(user).filter(status=IncidentStatus.OPEN).count(),
    }
