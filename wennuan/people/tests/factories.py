"""Small factories for health check-in tests."""

from __future__ import annotations

from typing import Any

from wennuan.notify.models import Notification
from wennuan.people.models import HealthCheckIn, User
from wennuan.people.services import check_in


def report(
    staff: User, status: str = "fit", temperature: str = "36.5", **extra: Any
) -> HealthCheckIn:
    """``staff`` checks in for themselves (unless ``actor`` is given)."""
    extra.setdefault("actor", staff)
    extra.setdefault("symptoms", [])
    return check_in(staff=staff, status=status, temperature=temperature, **extra)


def texts(template: str, phone: str | None = None) -> list[Notification]:
    """The queued messages of one template (to one phone if given), oldest first."""
    found = Notification.objects.filter(template=template)
    if phone is not None:
        found = found.filter(recipient=phone)
    return list(found.order_by("pk"))
