"""Choices of the coal reserve: ledger entry kinds, where an entry came from, weather kinds."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class EntryKind(TextChoices):
    """What a coal-ledger entry records. Its tonnes are the change to the yard's stock."""

    DELIVERY = "delivery", _("Delivery")
    CONSUMPTION = "consumption", _("Consumption")
    ADJUSTMENT = "adjustment", _("Stocktake adjustment")
    REVERSAL = "reversal", _("Reversal")


class Origin(TextChoices):
    """How an entry or a weather value reached us."""

    ENTERED = "entered", _("Entered")
    IMPORT = "import", _("Imported from a file")
    TELEMETRY = "telemetry", _("From telemetry")
    SERVICE = "service", _("From the weather service")


class WeatherKind(TextChoices):
    OBSERVED = "observed", _("Observed")
    FORECAST = "forecast", _("Forecast")


class DeliveryStatus(TextChoices):
    """A delivery announced by a supplier, until it is weighed in (or called off)."""

    EXPECTED = "expected", _("Expected")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")
