"""Emergency mode: one switch for the whole company (an epidemic lockdown, a cold wave).

Other parts read it — inspection rounds come more often while it is on. Issue #8 builds the
rest of emergency operation on it; the switch itself is here so that it is one row, one
history, whoever reads it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmergencyChange(models.Model):
    """One switch of emergency mode, on or off: the latest row is the current state."""

    on = models.BooleanField(_("emergency mode on"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("emergency mode change")
        verbose_name_plural = _("emergency mode changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M} {'on' if self.on else 'off'}"


class SiteKind(models.TextChoices):
    OFFICE = "office", _("Office")
    SERVICE_HALL = "service_hall", _("Service hall")
    STATION = "station", _("Heat-exchange station")
    VEHICLE = "vehicle", _("Vehicle")
    OTHER = "other", _("Other")


class DisinfectionSite(models.Model):
    """A place the company disinfects on a schedule: an office, a station, a vehicle…"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SiteKind.choices)
    station = models.ForeignKey(
        "grid.Station",
        verbose_name=_("station"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    every_hours = models.PositiveIntegerField(_("disinfect every (hours)"), default=24)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("disinfection site")
        verbose_name_plural = _("disinfection sites")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class DisinfectionLog(models.Model):
    """One disinfection of a site: who, when, with what."""

    site = models.ForeignKey(
        DisinfectionSite, verbose_name=_("site"), on_delete=models.PROTECT, related_name="logs"
    )
    done_at = models.DateTimeField(_("done at"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        related_name="disinfections",
    )
    agent = models.CharField(_("disinfectant"), max_length=100)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("disinfection")
        verbose_name_plural = _("disinfection log")
        ordering = ["-done_at"]
        indexes = [models.Index(fields=["done_by", "done_at"], name="disinfection_staff_time")]

    def __str__(self) -> str:
        return f"{self.site} {self.done_at:%Y-%m-%d %H:%M}"


class CallReason(models.TextChoices):
    EXPOSURE = "exposure", _("Visited by a staff member who is ill")
    INCIDENT = "incident", _("Vulnerable household: heating incident")
    STOP = "stop", _("Vulnerable household: planned stop")


class CallTask(models.Model):
    """A telephone call to make to a household (exposure tracing, or a check on a vulnerable
    home during an incident or a stop), given to the zone's customer-service owner."""

    household = models.ForeignKey(
        "grid.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=12, choices=CallReason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to call"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="call_tasks",
    )
    key = models.CharField(_("key"), max_length=80, unique=True)  # one call per cause
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("call to make")
        verbose_name_plural = _("calls to make")
        ordering = ["done_at", "-created_at"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.reason}"


class FlagKind(models.TextChoices):
    """Why a home needs care: privacy-sensitive, shown only to those who serve the home."""

    QUARANTINE = "quarantine", _("Home quarantine")
    CONFIRMED = "confirmed", _("Confirmed case")
    ELDERLY_ALONE = "elderly_alone", _("Elderly person living alone")
    MEDICAL_NEEDS = "medical_needs", _("Medical needs")


# Flags that make a home visit a risk: remote first, and a supervisor approves a visit.
INFECTION_FLAGS = frozenset({FlagKind.QUARANTINE, FlagKind.CONFIRMED})
# Flags that make a household vulnerable: a check-in call when its heat is in trouble.
CARE_FLAGS = frozenset({FlagKind.ELDERLY_ALONE, FlagKind.MEDICAL_NEEDS})


class HouseholdFlag(models.Model):
    """A flag on a household for a period (``ends_on`` empty: until further notice)."""

    household = models.ForeignKey(
        "grid.Household",
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="flags",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FlagKind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household flag")
        verbose_name_plural = _("household flags")
        ordering = ["household", "starts_on"]
        indexes = [models.Index(fields=["household", "kind"], name="household_flag_kind")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.kind}"


class FlagView(models.Model):
    """Who saw a household's flags, when, where: every view is kept (the resident's privacy)."""

    household = models.ForeignKey(
        "grid.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="+"
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    viewed_at = models.DateTimeField(_("viewed at"), auto_now_add=True)
    where = models.CharField(_("where"), max_length=100)

    class Meta:
        verbose_name = _("household flag view")
        verbose_name_plural = _("household flag views")
        ordering = ["-viewed_at"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.viewer_id} {self.viewed_at:%Y-%m-%d %H:%M}"
