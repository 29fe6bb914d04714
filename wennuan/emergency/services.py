"""Switching emergency mode on and off (the only writes of this app so far)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from wennuan.emergency.models import EmergencyChange


class EmergencyRefused(Exception):
    """The switch was not changed, with the reason to show."""


def emergency_on() -> bool:
    """Whether emergency mode is on now."""
    latest = EmergencyChange.objects.order_by("-changed_at", "-id").values_list("on", flat=True)
    return bool(latest.first())


def set_emergency_mode(*, on: bool, actor: Any, reason: str = "") -> EmergencyChange:
    """Switch emergency mode on or off, with who and why; switching to the state it is
    already in is refused (it would say something happened when nothing did)."""
    with transaction.atomic():
        if emergency_on() == on:
            raise EmergencyRefused(
                _("Emergency mode is already on.") if on else _("Emergency mode is already off.")
            )
        return EmergencyChange.objects.create(on=on, reason=reason.strip()[:300], changed_by=actor)
