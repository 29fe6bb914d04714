"""Choices for staff: roles and the duties a responsibility zone assigns."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    """What a staff member does; it decides navigation and what they may see."""

    MANAGER = "manager", _("Manager")
    DISPATCHER = "dispatcher", _("Dispatcher")
    AGENT = "agent", _("Customer-service agent")
    TECHNICIAN = "technician", _("Technician")
    INSPECTOR = "inspector", _("Inspector")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    ADMIN = "admin", _("Administrator")


# Roles that see the whole city: the hotline must find any household.
CITYWIDE_ROLES = frozenset({Role.MANAGER, Role.DISPATCHER, Role.AGENT, Role.ADMIN})
# Roles whose view is limited to the zones they hold a duty in.
ZONE_ROLES = frozenset({Role.TECHNICIAN, Role.INSPECTOR})
# Roles that may change master data (imports, zone assignments).
MANAGING_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


class HealthStatus(TextChoices):
    """A staff member's health as last reported; only "fit" staff are sent to homes."""

    FIT = "fit", _("Fit")
    UNWELL = "unwell", _("Unwell")
    ISOLATING = "isolating", _("Isolating")  # 居家隔离: at home under quarantine rules
