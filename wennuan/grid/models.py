"""The heating grid: geography, network, households and responsibility zones.

Geography: district → street (subdistrict) → community → complex → building → household.
Network: heat source → station → building (each building fed by exactly one station).
Responsibility: every building lies in one zone; per duty a zone has an owner (rank 0)
and deputies (rank 1, 2, …) — the named people of 包干到人.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wennuan.grid.choices import (
    DataAction,
    Duty,
    Fuel,
    HeatingStatus,
    HeatSourceKind,
    ImportKind,
)
from wennuan.people.choices import Role

M = TypeVar("M", bound=models.Model)


def scope_q(user: Any, *, zone: str, community: str) -> Q | None:
    """The one rule of who sees what, as a filter for a model reached by these paths.

    ``zone`` is the lookup from the model to a Zone's id, ``community`` to a Community's id.
    None means "everything" (dispatchers, managers, agents, admins). Technicians and
    inspectors see the zones they hold any duty in; community workers their community.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.sees_whole_city:
        return None
    if user.is_zone_scoped:
        my_zones = ZoneAssignment.objects.filter(staff_id=user.pk).values("zone_id")
        return Q(**{f"{zone}__in": my_zones})
    if user.role == Role.COMMUNITY_WORKER and user.community_id:
        return Q(**{community: user.community_id})
    return Q(pk__in=[])


class ScopedQuerySet(models.QuerySet[M]):
    """A queryset that knows how to narrow itself to what a user may see."""

    zone_lookup = "zone_id"
    community_lookup = "complex__community_id"

    def for_user(self, user: Any) -> ScopedQuerySet[M]:
        """Only the rows this user may see (see ``scope_q``)."""
        q = scope_q(user, zone=self.zone_lookup, community=self.community_lookup)
        return self if q is None else self.filter(q)


class BuildingQuerySet(ScopedQuerySet["Building"]):
    zone_lookup = "zone_id"
    community_lookup = "complex__community_id"


class HouseholdQuerySet(ScopedQuerySet["Household"]):
    zone_lookup = "building__zone_id"
    community_lookup = "building__complex__community_id"


class ZoneQuerySet(ScopedQuerySet["Zone"]):
    zone_lookup = "pk"
    # A community worker sees the zones that serve some building in their community.
    community_lookup = "buildings__complex__community_id"

    def for_user(self, user: Any) -> ScopedQuerySet[Zone]:
        q = scope_q(user, zone=self.zone_lookup, community=self.community_lookup)
        if q is None:
            return self
        return self.filter(pk__in=Zone.objects.filter(q).values("pk"))


class StationQuerySet(ScopedQuerySet["Station"]):
    def for_user(self, user: Any) -> ScopedQuerySet[Station]:
        q = scope_q(user, zone="zone_id", community="complex__community_id")
        if q is None:
            return self
        return self.filter(pk__in=Building.objects.filter(q).values("station_id"))


class District(models.Model):
    """A county-level district (区/县级市), with its official division code."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    """A street (subdistrict, 街道) or town within a district."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="streets"
    )

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """A community (社区居委会): the administrative unit the company partners with."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=64)
    street = models.ForeignKey(
        Street, verbose_name=_("street"), on_delete=models.PROTECT, related_name="communities"
    )

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Complex(models.Model):
    """A residential complex (小区) within a community."""

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="complexes"
    )
    name = models.CharField(_("name"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("residential complex")
        verbose_name_plural = _("residential complexes")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="complex_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class HeatSource(models.Model):
    """A boiler or CHP plant that heats the primary network."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(
        _("kind"), max_length=10, choices=HeatSourceKind.choices, default=HeatSourceKind.BOILER
    )
    fuel = models.CharField(_("fuel"), max_length=10, choices=Fuel.choices, default=Fuel.COAL)
    capacity_mw = models.DecimalField(_("capacity (MW)"), max_digits=8, decimal_places=1)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("heat source")
        verbose_name_plural = _("heat sources")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    """A heat-exchange station (换热站) fed by a heat source, feeding a set of buildings."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=64)
    heat_source = models.ForeignKey(
        HeatSource, verbose_name=_("heat source"), on_delete=models.PROTECT, related_name="stations"
    )
    capacity_mw = models.DecimalField(_("capacity (MW)"), max_digits=7, decimal_places=2)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    objects = StationQuerySet.as_manager()

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Zone(models.Model):
    """A responsibility zone (责任区): a set of buildings with named people per duty."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=64)

    objects = ZoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsibility zone")
        verbose_name_plural = _("responsibility zones")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ZoneAssignment(models.Model):
    """One person's place for one duty in one zone: rank 0 is the owner, 1.. the deputies."""

    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="assignments"
    )
    duty = models.CharField(_("duty"), max_length=24, choices=Duty.choices)
    rank = models.PositiveSmallIntegerField(
        _("rank"), help_text=_("0 is the owner; 1, 2, … are the deputies in the order asked.")
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="zone_assignments",
    )

    class Meta:
        verbose_name = _("zone assignment")
        verbose_name_plural = _("zone assignments")
        ordering = ["zone", "duty", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "duty", "rank"], name="assignment_unique_rank"),
            models.UniqueConstraint(
                fields=["zone", "duty", "staff"], name="assignment_unique_staff"
            ),
        ]
        indexes = [models.Index(fields=["staff", "zone"], name="assignment_staff_zone")]

    def __str__(self) -> str:
        return f"{self.zone.code} {self.get_duty_display()} #{self.rank} {self.staff}"

    @property
    def is_owner(self) -> bool:
        """Whether this is the owner's place rather than a deputy's."""
        return self.rank == 0


class Building(models.Model):
    """A residential building, fed by exactly one station and lying in one zone."""

    code = models.CharField(_("code"), max_length=24, unique=True)
    complex = models.ForeignKey(
        Complex, verbose_name=_("complex"), on_delete=models.PROTECT, related_name="buildings"
    )
    number = models.CharField(_("building number"), max_length=16)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    floors = models.PositiveSmallIntegerField(_("floors"), default=6)
    entrances = models.PositiveSmallIntegerField(_("entrances"), default=2)
    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="buildings"
    )
    # Nullable so that buildings can be imported before zones are drawn; the
    # coverage audit lists every building without a zone as a gap.
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
    )

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["code"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="building_position")]

    def __str__(self) -> str:
        return self.address


class Household(models.Model):
    """A heated dwelling and its utility account (热用户 / 户号)."""

    account_number = models.CharField(_("account number"), max_length=20, unique=True)
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="households"
    )
    entrance = models.PositiveSmallIntegerField(_("entrance"), default=1)
    unit = models.CharField(_("unit"), max_length=10)
    address = models.CharField(_("address"), max_length=240)
    heated_area_m2 = models.DecimalField(_("heated area (m²)"), max_digits=8, decimal_places=2)
    heating_status = models.CharField(
        _("heating status"),
        max_length=14,
        choices=HeatingStatus.choices,
        default=HeatingStatus.HEATING,
    )
    occupant_name = models.CharField(_("occupant name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    alt_phone = models.CharField(_("second phone"), max_length=20, blank=True, db_index=True)
    # Elderly living alone, infants, the bedridden: their requests get priority and
    # tighter SLAs. Only roles that need it see the note (see service views).
    vulnerable = models.BooleanField(_("vulnerable household"), default=False)
    vulnerability_note = models.CharField(_("vulnerability note"), max_length=200, blank=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["account_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(heated_area_m2__gt=0), name="household_area_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_number} {self.address}"


class CoverageReport(models.Model):
    """The stored result of one coverage audit run (the nightly task writes one)."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    gap_count = models.PositiveIntegerField(_("gaps"))
    overloaded_count = models.PositiveIntegerField(_("overloaded staff"))
    summary = models.JSONField(_("summary"), default=dict)

    class Meta:
        verbose_name = _("coverage report")
        verbose_name_plural = _("coverage reports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} ({self.gap_count})"


class ImportRun(models.Model):
    """An append-only record of one grid import: who, what file, what it changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    file_name = models.CharField(_("file name"), max_length=200)
    encoding = models.CharField(_("encoding"), max_length=12)
    rows = models.PositiveIntegerField(_("rows"))
    created = models.PositiveIntegerField(_("created"))
    updated = models.PositiveIntegerField(_("updated"))
    unchanged = models.PositiveIntegerField(_("unchanged"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"


class HouseholdDataAction(models.Model):
    """An append-only record of one export or erasure of a household's personal data: who
    (a staff member, or the resident through the portal), when, why, and what it touched."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="data_actions",
    )
    action = models.CharField(_("action"), max_length=8, choices=DataAction.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who, when ``by`` is empty: "resident (portal)", "command line".
    by_label = models.CharField(_("by (label)"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("household data action")
        verbose_name_plural = _("household data actions")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
