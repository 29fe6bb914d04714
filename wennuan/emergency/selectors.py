"""Reads of emergency operation: the switch's history and the 24-hour roster's gaps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from wennuan.emergency.models import CallTask, DisinfectionLog, DisinfectionSite, EmergencyChange
from wennuan.grid.choices import Duty
from wennuan.grid.models import Household, Zone, ZoneAssignment
from wennuan.people.models import Shift, User
from wennuan.service.models import HomeVisit

# The duties that must be answerable day and night while emergency mode is on.
AROUND_THE_CLOCK = (Duty.REPAIR,)


def _minus(
    begins: datetime, ends: datetime, away: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """A shift with the leave taken out of it (what is left, in pieces)."""
    pieces = [(begins, ends)]
    for b, e in away:
        pieces = [
            part
            for s, t in pieces
            for part in ((s, min(t, b)), (max(s, e), t))
            if part[0] < part[1]
        ]
    return pieces


def history(limit: int = 50) -> list[EmergencyChange]:
    return list(
        EmergencyChange.objects.select_related("changed_by").order_by("-changed_at")[:limit]
    )


@dataclass
class Gap:
    """Hours ahead in which nobody of a zone's duty (owner or deputies) is on shift, or no
    dispatcher leads the shift (``zone`` None)."""

    zone: Zone | None
    duty: str
    hours: list[datetime]  # the start of each uncovered hour, local time

    @property
    def spans(self) -> list[tuple[datetime, datetime]]:
        """The uncovered hours joined into (from, to) spans."""
        spans: list[tuple[datetime, datetime]] = []
        for hour in self.hours:
            if spans and spans[-1][1] == hour:
                spans[-1] = (spans[-1][0], hour + timedelta(hours=1))
            else:
                spans.append((hour, hour + timedelta(hours=1)))
        return spans


def roster_gaps(*, now: datetime | None = None, hours: int = 24) -> list[Gap]:
    """Every zone's around-the-clock duties, and the dispatcher on duty, hour by hour over
    the next ``hours``: the hours nobody covers. Three queries at any city size."""
    now = now or timezone.now()
    start = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    slots = [start + timedelta(hours=i) for i in range(hours)]
    end = slots[-1] + timedelta(hours=1)
    from wennuan.people.choices import HealthStatus
    from wennuan.people.models import Leave

    # Only people who can work cover an hour: fit, and not on leave then.
    away: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for staff_id, begins, ends in Leave.objects.filter(
        starts_at__lt=end, ends_at__gt=start
    ).values_list("staff_id", "starts_at", "ends_at"):
        away[staff_id].append((begins, ends))
    shifts: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    leads: list[tuple[datetime, datetime]] = []
    for staff_id, begins, ends, lead in Shift.objects.filter(
        Q(starts_at__lt=end) & Q(ends_at__gt=start),
        staff__is_active=True,
        staff__health_status=HealthStatus.FIT,
    ).values_list("staff_id", "starts_at", "ends_at", "leads_dispatch"):
        for span in _minus(begins, ends, away.get(staff_id, [])):
            shifts[staff_id].append(span)
            if lead:
                leads.append(span)

    def covered(spans: list[tuple[datetime, datetime]], hour: datetime) -> bool:
        # Back-to-back shifts cover together: sweep the spans from the hour's start.
        reach, until = hour, hour + timedelta(hours=1)
        for b, e in sorted(spans):
            if b > reach:
                break
            reach = max(reach, e)
            if reach >= until:
                return True
        return False

    people: dict[tuple[int, str], list[int]] = defaultdict(list)
    for zone_id, duty, staff_id in ZoneAssignment.objects.filter(
        duty__in=AROUND_THE_CLOCK, staff__is_active=True
    ).values_list("zone_id", "duty", "staff_id"):
        people[zone_id, duty].append(staff_id)
    zones = {zone.pk: zone for zone in Zone.objects.all()}
    gaps = []
    dispatch_hours = [h for h in slots if not covered(leads, h)]
    if dispatch_hours:
        gaps.append(Gap(None, "dispatch", dispatch_hours))
    for zone_id, zone in sorted(zones.items(), key=lambda item: item[1].code):
        for duty in AROUND_THE_CLOCK:
            spans = [s for staff_id in people.get((zone_id, duty), []) for s in shifts[staff_id]]
            open_hours = [h for h in slots if not covered(spans, h)]
            if open_hours:
                gaps.append(Gap(zone, duty, open_hours))
    return gaps


# --- disinfection -----------------------------------------------------------------------


@dataclass
class SiteStatus:
    site: DisinfectionSite
    last: DisinfectionLog | None
    due_at: datetime | None  # None: never done, so due now

    @property
    def overdue(self) -> bool:
        return self.due_at is None or self.due_at < timezone.now()


def site_statuses() -> list[SiteStatus]:
    """Every active site with its last disinfection and when the next is due (two queries)."""
    sites = list(DisinfectionSite.objects.filter(active=True))
    latest: dict[int, DisinfectionLog] = {}
    last_ids = (
        DisinfectionLog.objects.filter(site__in=sites)
        .values("site_id")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    for log in DisinfectionLog.objects.filter(pk__in=list(last_ids)).select_related("done_by"):
        latest[log.site_id] = log
    out = []
    for site in sites:
        last = latest.get(site.pk)
        due = last.done_at + timedelta(hours=site.every_hours) if last else None
        out.append(SiteStatus(site, last, due))
    return sorted(out, key=lambda s: (not s.overdue, s.site.name))


# --- exposure tracing -------------------------------------------------------------------


@dataclass
class Contact:
    """A colleague who may have been exposed, and how."""

    colleague: User
    how: str  # "shift" (on shift at the same time in a shared zone) or "visit" (same home, day)
    when: datetime


@dataclass
class Trace:
    """Everything a staff member touched between two days (inclusive, local)."""

    staff: User
    since: date
    until: date
    visits: list[HomeVisit]
    households: list[Household]
    contacts: list[Contact]
    disinfections: list[DisinfectionLog]


def trace_exposure(*, staff: User, since: date, until: date) -> Trace:
    """The homes a staff member visited (the visit log), the colleagues who shared a shift
    with them in a zone they both serve or visited one of the same homes the same day, and
    the sites they disinfected — between ``since`` and ``until``. A handful of queries."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    visits = list(
        HomeVisit.objects.filter(staff=staff, checked_in_at__gte=start, checked_in_at__lt=end)
        .select_related("household__building", "request")
        .order_by("checked_in_at")
    )
    households = list({v.household.pk: v.household for v in visits if v.household}.values())
    contacts: dict[tuple[int, str], Contact] = {}
    # Same home, same day.
    days = {
        (v.household_id, timezone.localtime(v.checked_in_at).date())
        for v in visits
        if v.checked_in_at
    }
    for other in (
        HomeVisit.objects.filter(
            household_id__in=[h for h, _ in days], checked_in_at__gte=start, checked_in_at__lt=end
        )
        .exclude(staff=staff)
        .select_related("staff")
    ):
        arrived = other.checked_in_at
        if arrived and (other.household_id, timezone.localtime(arrived).date()) in days:
            contacts.setdefault((other.staff_id, "visit"), Contact(other.staff, "visit", arrived))
    # Same time on shift, in a zone both serve.
    mine = list(
        Shift.objects.filter(staff=staff, starts_at__lt=end, ends_at__gt=start).values_list(
            "starts_at", "ends_at"
        )
    )
    zones = ZoneAssignment.objects.filter(staff=staff).values("zone_id")
    sharing = (
        ZoneAssignment.objects.filter(zone_id__in=zones).exclude(staff=staff).values("staff_id")
    )
    for shift in Shift.objects.filter(
        staff_id__in=sharing, starts_at__lt=end, ends_at__gt=start
    ).select_related("staff"):
        if any(shift.starts_at < e and shift.ends_at > s for s, e in mine):
            contacts.setdefault(
                (shift.staff_id, "shift"), Contact(shift.staff, "shift", shift.starts_at)
            )
    disinfections = list(
        DisinfectionLog.objects.filter(done_by=staff, done_at__gte=start, done_at__lt=end)
        .select_related("site")
        .order_by("done_at")
    )
    return Trace(
        staff=staff,
        since=since,
        until=until,
        visits=visits,
        households=households,
        contacts=sorted(contacts.values(), key=lambda c: (c.colleague.display_name, c.how)),
        disinfections=disinfections,
    )


def calls_for(user: User) -> Any:
    """Open calls: the user's own; dispatchers and managers see every open call."""
    calls = CallTask.objects.filter(done_at__isnull=True).select_related(
        "household__building", "assignee"
    )
    from wennuan.emergency.services import dispatches

    return calls if dispatches(user) else calls.filter(assignee=user)
