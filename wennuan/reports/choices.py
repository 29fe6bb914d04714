"""Choices of reports: what made a briefing."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Trigger(TextChoices):
    """Who or what generated a briefing."""

    SCHEDULED = "scheduled", _("Morning job")
    ON_DEMAND = "on_demand", _("On demand")
