"""Choices of inspection rounds: facility kinds and conditions, checklist item kinds, round
statuses, finding statuses."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class FacilityKind(TextChoices):
    """An outdoor heating facility that inspectors walk to."""

    VALVE_WELL = "valve_well", _("Valve well")
    PIPE_SEGMENT = "pipe_segment", _("Pipe segment")
    COMPENSATOR = "compensator", _("Compensator")
    MANHOLE = "manhole", _("Manhole")
    STATION_YARD = "station_yard", _("Station yard")
    BUILDING_ENTRY = "building_entry", _("Building entry")


class Condition(TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")


class ItemKind(TextChoices):
    """How a checklist item is answered."""

    PASS_FAIL = "pass_fail", _("Pass / fail")
    READING = "reading", _("Reading")
    TEXT = "text", _("Free text")


class RoundStatus(TextChoices):
    """A round's life: made for its day, started on a phone, submitted (or never done)."""

    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


OPEN_ROUND_STATUSES = frozenset({RoundStatus.ASSIGNED, RoundStatus.IN_PROGRESS})
