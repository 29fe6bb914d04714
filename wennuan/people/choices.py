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
# Roles that make dispatch decisions: who does which work (reassigning, handing over, the
# board's bulk actions, giving a round), planned stops and network incidents. Agents see the
# whole city to serve callers, but do not decide for it (OWASP ASVS 4.1.3, docs/security.md).
DISPATCH_ROLES = frozenset({Role.MANAGER, Role.DISPATCHER, Role.ADMIN})


class HealthStatus(TextChoices):
    """A staff member's health as last reported; only "fit" staff are sent to homes."""

    FIT = "fit", _("Fit")
    UNWELL = "unwell", _("Unwell")
    ISOLATING = "isolating", _("Isolating")  # 居家隔离: at home under quarantine rules
    CONFIRMED = "confirmed", _("Confirmed case")  # 确诊: a confirmed infection


class CheckInStatus(TextChoices):
    """What a staff member reports in the daily health check-in (each maps to a ``HealthStatus``
    in ``HEALTH_AFTER_CHECK_IN``)."""

    FIT = "fit", _("Fit for work")
    ISOLATING = "isolating", _("Isolating")
    CONFIRMED = "confirmed", _("Confirmed case")
    RECOVERED = "recovered", _("Recovered")


# The health status (what dispatch and inspection read) each reported status leads to. A
# temperature at or above FEVER_C overrides "fit" and "recovered" with "unwell".
HEALTH_AFTER_CHECK_IN: dict[str, str] = {
    CheckInStatus.FIT: HealthStatus.FIT,
    CheckInStatus.RECOVERED: HealthStatus.FIT,
    CheckInStatus.ISOLATING: HealthStatus.ISOLATING,
    CheckInStatus.CONFIRMED: HealthStatus.CONFIRMED,
}


class Symptom(TextChoices):
    """The standard symptoms the check-in asks about; anything else goes in the note."""

    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    SORE_THROAT = "sore_throat", _("Sore throat")
    FATIGUE = "fatigue", _("Fatigue")
    SHORT_OF_BREATH = "short_of_breath", _("Shortness of breath")
    TASTE_SMELL = "taste_smell", _("Loss of taste or smell")
    DIARRHOEA = "diarrhoea", _("Diarrhoea")


# Company staff check in; partner communities' workers and system administrators do not.
CHECK_IN_ROLES = frozenset(
    {Role.MANAGER, Role.DISPATCHER, Role.AGENT, Role.TECHNICIAN, Role.INSPECTOR}
)


class TwoFactorEventKind(TextChoices):
    """What happened to an account's two-factor login (the kinds of ``TwoFactorEvent``)."""

    ENROLLED = "enrolled", _("Two-factor login switched on")
    RECOVERY_USED = "recovery_used", _("Recovery code used")
    CODES_RENEWED = "codes_renewed", _("New recovery codes")
    DISABLED = "disabled", _("Two-factor login switched off")
