"""Reads of people: who is on duty, and the daily health check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from wennuan.people.choices import CHECK_IN_ROLES, HealthStatus
from wennuan.people.models import FEVER_C, HealthCheckIn, Leave, Shift, User


def request_user(request: HttpRequest) -> User:
    """The logged-in staff member of a view behind ``login_required``."""
    user = request.user
    # A real check, not an assert: it must hold even under `python -O`.
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def shifts_between(start: datetime, end: datetime, *, role: str | None = None) -> QuerySet[Shift]:
    """Shifts overlapping [start, end), by start time; of one role's staff if given."""
    shifts = Shift.objects.filter(starts_at__lt=end, ends_at__gt=start)
    if role:
        shifts = shifts.filter(staff__role=role)
    return shifts.select_related("staff").order_by("starts_at", "staff__username")


def on_duty_now(now: datetime, *, role: str | None = None) -> QuerySet[Shift]:
    """The shifts running at ``now``."""
    return shifts_between(now, now + timedelta(seconds=1), role=role)


def on_duty_counts(now: datetime) -> dict[str, int]:
    """How many people of each role are on duty at ``now`` (one grouped query)."""
    return dict(
        on_duty_now(now)
        .order_by()
        .values_list("staff__role")
        .annotate(n=Count("staff", distinct=True))
        .values_list("staff__role", "n")
    )


# --- health check-ins -------------------------------------------------------------------


def check_in_staff() -> QuerySet[User]:
    """Everyone expected to check in: active company staff (not community workers, not
    system administrators)."""
    return User.objects.filter(is_active=True, role__in=CHECK_IN_ROLES)


def team_for_user(user: Any) -> QuerySet[User]:
    """Whose check-ins ``user`` oversees: everyone for a manager, else their direct reports
    (``User.supervisor``); nobody for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return User.objects.none()
    if user.can_manage:
        return check_in_staff()
    return check_in_staff().filter(supervisor=user)


def on_leave_on(day: date, *, at: datetime) -> QuerySet[Leave]:
    """The leave (of the outer query's staff member) that excuses them from ``day``'s
    check-in: leave overlapping the local day up to ``at`` (the whole day once it is over).

    The one rule of who is away: the team page, the 10:00 job and the daily briefing all
    read it, so they count the same people as not checked in."""
    start = timezone.make_aware(datetime.combine(day, time(0)))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0)))
    return Leave.objects.filter(
        staff=OuterRef("pk"), starts_at__lt=end, starts_at__lte=at, ends_at__gt=start
    )


def missing_check_ins(
    day: date, *, at: datetime, team: QuerySet[User] | None = None
) -> QuerySet[User]:
    """Of ``team`` (default: everyone expected), those without a check-in for ``day`` and
    not on leave that day (``on_leave_on``) as known at ``at``."""
    team = check_in_staff() if team is None else team
    return (
        team.exclude(Exists(HealthCheckIn.objects.filter(staff=OuterRef("pk"), day=day)))
        .exclude(Exists(on_leave_on(day, at=at)))
        .order_by("full_name", "username")
    )


# The team page's rows, most urgent first.
MISSING, NOT_FIT, FIT = 0, 1, 2
SHOW = ("all", "missing", "not_fit")


def team_health(user: Any, day: date, *, at: datetime, show: str = "all") -> QuerySet[User]:
    """The team's people for ``day`` with their latest check-in (id, status, temperature,
    time), whether they are on leave, and their open requests and rounds: people without a
    check-in first, then those not fit, then by name. One query, whatever the page size."""
    from wennuan.inspections.choices import OPEN_ROUND_STATUSES
    from wennuan.inspections.models import InspectionRound
    from wennuan.service.choices import OPEN_STATUSES
    from wennuan.service.models import ServiceRequest

    latest = HealthCheckIn.objects.filter(staff=OuterRef("pk"), day=day).order_by(
        "-created_at", "-id"
    )
    open_requests = (
        ServiceRequest.objects.filter(assignee=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_rounds = (
        InspectionRound.objects.filter(assignee=OuterRef("pk"), status__in=OPEN_ROUND_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    people = team_for_user(user).annotate(
        check_in_id=Subquery(latest.values("pk")[:1]),
        check_in_status=Subquery(latest.values("status")[:1]),
        check_in_temperature=Subquery(latest.values("temperature")[:1]),
        check_in_at=Subquery(latest.values("created_at")[:1]),
        on_leave=Exists(on_leave_on(day, at=at)),
        open_requests=Coalesce(Subquery(open_requests, output_field=IntegerField()), 0),
        open_rounds=Coalesce(Subquery(open_rounds, output_field=IntegerField()), 0),
        urgency=Case(
            When(Q(check_in_id__isnull=True), then=Value(MISSING)),
            When(~Q(health_status=HealthStatus.FIT), then=Value(NOT_FIT)),
            default=Value(FIT),
            output_field=IntegerField(),
        ),
    )
    if show == "missing":
        people = people.filter(check_in_id__isnull=True, on_leave=False)
    elif show == "not_fit":
        people = people.exclude(health_status=HealthStatus.FIT)
    return people.select_related("supervisor").order_by("urgency", "full_name", "username")


@dataclass
class TeamSummary:
    """The team page's figures for one day."""

    people: int
    checked_in: int
    missing: int
    not_fit: int
    fever: int


def team_summary(user: Any, day: date, *, at: datetime) -> TeamSummary:
    """How many of the team checked in for ``day``, are missing (not on leave), are not fit,
    and reported a fever in their latest check-in: two queries."""
    checked = Exists(HealthCheckIn.objects.filter(staff=OuterRef("pk"), day=day))
    team = team_for_user(user)
    figures = team.annotate(checked=checked, away=Exists(on_leave_on(day, at=at))).aggregate(
        people=Count("pk"),
        checked_in=Count("pk", filter=Q(checked=True)),
        missing=Count("pk", filter=Q(checked=False, away=False)),
        not_fit=Count("pk", filter=~Q(health_status=HealthStatus.FIT)),
    )
    latest = HealthCheckIn.objects.filter(staff=OuterRef("staff"), day=day).order_by(
        "-created_at", "-id"
    )
    fever = (
        HealthCheckIn.objects.filter(day=day, staff__in=team, temperature__gte=FEVER_C)
        .filter(pk=Subquery(latest.values("pk")[:1]))
        .count()
    )
    return TeamSummary(fever=fever, **figures)


def latest_check_in(user: User, day: date) -> HealthCheckIn | None:
    """The check-in of ``user`` for ``day`` that counts (the latest), if any."""
    return HealthCheckIn.objects.filter(staff=user, day=day).order_by("-created_at", "-id").first()


def check_in_history(viewer: Any, staff: User, *, days: int = 30) -> QuerySet[HealthCheckIn]:
    """``staff``'s check-ins of the last ``days`` days that ``viewer`` may see, newest first."""
    since = timezone.localdate() - timedelta(days=days)
    return (
        HealthCheckIn.objects.for_user(viewer)
        .filter(staff=staff, day__gte=since)
        .select_related("recorded_by")
        .order_by("-created_at", "-id")
    )
