"""Reads of people: who is on duty."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.http import HttpRequest

from wennuan.people.models import Shift, User


def request_user(request: HttpRequest) -> User:
    """The logged-in staff member of a view behind ``login_required``."""
    user = request.user
    assert isinstance(user, User)
    return user


def shifts_between(start: datetime, end: datetime) -> QuerySet[Shift]:
    """Shifts overlapping [start, end), by start time."""
    return (
        Shift.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .select_related("staff")
        .order_by("starts_at", "staff__role", "staff__username")
    )


def on_duty_now(now: datetime) -> QuerySet[Shift]:
    """The shifts running at ``now``."""
    return shifts_between(now, now + timedelta(seconds=1))
