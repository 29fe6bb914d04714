"""Choices of the heating grid."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Duty(models.TextChoices):
    """A kind of work that a responsibility zone assigns to a named owner (包干到人)."""

    REPAIR = "repair", _("Repair")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    EPIDEMIC_PREVENTION = "epidemic_prevention", _("Epidemic prevention")
    INSPECTION = "inspection", _("Inspection")


class HeatingStatus(models.TextChoices):
    """Whether a household takes heat this season."""

    HEATING = "heating", _("Heating")
    SUSPENDED = "suspended", _("Suspended")  # 报停: the account pays a base fee, valves closed
    DISCONNECTED = "disconnected", _("Disconnected")


class HeatSourceKind(models.TextChoices):
    """The kind of plant at a heat source."""

    BOILER = "boiler", _("Boiler plant")
    CHP = "chp", _("Combined heat and power plant")


class Fuel(models.TextChoices):
    """What a heat source burns."""

    COAL = "coal", _("Coal")
    GAS = "gas", _("Natural gas")
    BIOMASS = "biomass", _("Biomass")
    ELECTRIC = "electric", _("Electric")


class ImportKind(models.TextChoices):
    """What a grid import file contains."""

    BUILDINGS = "buildings", _("Buildings")
    HOUSEHOLDS = "households", _("Households")
    STAFF = "staff", _("Staff")
    ZONES = "zones", _("Zone assignments")


class DataAction(models.TextChoices):
    """What was done with a household's personal data on request (PIPL / GDPR)."""

    EXPORT = "export", _("Exported")
    ERASE = "erase", _("Erased (anonymised)")
