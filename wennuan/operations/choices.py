"""Choices of heating operation: alarm rule kinds, metrics, severities and alarm states."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class RuleKind(TextChoices):
    THRESHOLD = "threshold", _("Beyond a threshold for a duration")
    RATE = "rate", _("Changing faster than a rate")
    STALE = "stale", _("No reading for a duration")
    PUMP_STOPPED = "pump_stopped", _("Circulation pump stopped")


class Metric(TextChoices):
    """What a threshold or rate rule watches (fields of a station reading)."""

    DEVIATION = "deviation", _("Secondary supply minus curve target (°C)")
    SECONDARY_SUPPLY = "secondary_supply_c", _("Secondary supply (°C)")
    SECONDARY_RETURN = "secondary_return_c", _("Secondary return (°C)")
    PRIMARY_SUPPLY = "primary_supply_c", _("Primary supply (°C)")
    SECONDARY_PRESSURE = "secondary_pressure_mpa", _("Secondary pressure (MPa)")
    FLOW = "flow_t_h", _("Flow (t/h)")


class Direction(TextChoices):
    BELOW = "below", _("below")
    ABOVE = "above", _("above")


class Severity(TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlarmStatus(TextChoices):
    ACTIVE = "active", _("Active")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")


OPEN_ALARM_STATUSES = frozenset({AlarmStatus.ACTIVE, AlarmStatus.ACKNOWLEDGED})
ALARM_TRANSITIONS: dict[str, frozenset[str]] = {
    AlarmStatus.ACTIVE: frozenset({AlarmStatus.ACKNOWLEDGED, AlarmStatus.CLEARED}),
    AlarmStatus.ACKNOWLEDGED: frozenset({AlarmStatus.CLEARED}),
    AlarmStatus.CLEARED: frozenset(),
}
