"""SLA arithmetic: due times from a category's targets, and where a request stands.

Inside the heating season the clock runs 24/7; outside it, only working hours count
(Monday to Friday, 08:00–17:00 local time), as the hotline then keeps office hours.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from wennuan.service.choices import SlaState, Status

if TYPE_CHECKING:
    from wennuan.service.models import ServiceCategory, ServiceRequest

WORK_START = time(8, 0)
WORK_END = time(17, 0)


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def in_heating_season(day: date) -> bool:
    """Whether ``day`` lies in the configured season (which may span the new year)."""
    start = _month_day(settings.HEATING_SEASON_START)
    end = _month_day(settings.HEATING_SEASON_END)
    today = (day.month, day.day)
    if start <= end:
        return start <= today <= end
    return today >= start or today <= end


def add_service_minutes(start: datetime, minutes: int) -> datetime:
    """``start`` plus ``minutes`` of service time (24/7 in season, working hours outside)."""
    local = timezone.localtime(start)
    remaining = timedelta(minutes=minutes)
    # Walk day by day; a day in season counts whole, outside only 08:00–17:00 on weekdays.
    for _ in range(400):
        day_end = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
        if in_heating_season(local.date()):
            window_start, window_end = local, day_end
        elif local.weekday() < 5:
            window_start = max(local, datetime.combine(local.date(), WORK_START, local.tzinfo))
            window_end = datetime.combine(local.date(), WORK_END, local.tzinfo)
        else:
            window_start = window_end = local
        if window_end > window_start:
            available = window_end - window_start
            if remaining <= available:
                return window_start + remaining
            remaining -= available
        local = day_end
    raise ValueError("SLA target too far in the future")


def urgent_minutes(minutes: int | None, urgent: bool) -> int | None:
    """Tighter targets for vulnerable households and very cold homes."""
    if minutes is None or not urgent:
        return minutes
    return max(1, minutes * settings.SERVICE_URGENT_SLA_PERCENT // 100)


def emergency_minutes(minutes: int | None, emergency: bool) -> int | None:
    """Targets tightened by ``EMERGENCY_SLA_PERCENT`` while emergency mode is on."""
    if minutes is None or not emergency:
        return minutes
    return max(1, minutes * settings.EMERGENCY_SLA_PERCENT // 100)


def due_times(
    category: ServiceCategory, start: datetime, *, urgent: bool, emergency: bool = False
) -> tuple[datetime, datetime | None, datetime]:
    """First-contact, on-site (when the category has one) and resolution due times; tighter
    for urgent cases, and again for a request filed in emergency mode (``emergency``)."""
    first = emergency_minutes(urgent_minutes(category.first_contact_minutes, urgent), emergency)
    on_site = emergency_minutes(urgent_minutes(category.on_site_minutes, urgent), emergency)
    resolution = emergency_minutes(urgent_minutes(category.resolution_minutes, urgent), emergency)
    assert first is not None and resolution is not None
    return (
        add_service_minutes(start, first),
        add_service_minutes(start, on_site) if on_site is not None else None,
        add_service_minutes(start, resolution),
    )


def next_due(request: ServiceRequest) -> datetime | None:
    """The earliest target not yet met: first contact, then on site, then resolution."""
    if request.status not in {
        Status.ASSIGNED,
        Status.ACCEPTED,
        Status.GUIDANCE,
        Status.VISIT_SCHEDULED,
        Status.ON_SITE,
        Status.REOPENED,
        Status.SUBMITTED,
    }:
        return None
    if request.first_contact_at is None and request.first_contact_due:
        return request.first_contact_due
    if request.on_site_due and request.on_site_at is None:
        return request.on_site_due
    return request.resolution_due


def sla_state(request: ServiceRequest, now: datetime) -> str:
    """On time, about to breach (most of the window used), or breached."""
    due = next_due(request)
    if due is None or request.paused_since is not None:
        return request.sla_state if request.paused_since is not None else SlaState.ON_TIME
    if now >= due:
        return SlaState.BREACHED
    start = request.assigned_at or request.created_at
    window = (due - start).total_seconds()
    used = (now - start).total_seconds()
    if window > 0 and used * 100 >= window * settings.SERVICE_AT_RISK_PERCENT:
        return SlaState.AT_RISK
    return SlaState.ON_TIME
