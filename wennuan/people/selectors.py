"""Reads of people: who is on duty."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.http import HttpRequest

from wennuan.people.models import Shift, User


def request_user(request: HttpRequest) -> User:
    """The logged-in staff member of a view behind ``login_required``."""
    user = request.user
    assert isinstance(user, User)
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
