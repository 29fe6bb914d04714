"""Inspection rounds of outdoor heating facilities: the registry of facilities, checklists
per facility kind, plans (routes with a frequency and an owning zone), the rounds generated
from them, what was found at each facility, and the findings that became work orders."""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wennuan.grid.models import scope_q
from wennuan.inspections.choices import Condition, FacilityKind, ItemKind, RoundStatus

M = TypeVar("M", bound=models.Model)


class ZoneScopedQuerySet(models.QuerySet[M]):
    """Rows reached from a zone: whole-city staff see all, inspectors and technicians the
    zones they hold a duty in (the grid's one rule, ``scope_q``)."""

    zone_lookup = "zone_id"

    def for_user(self, user: Any) -> ZoneScopedQuerySet[M]:
        community = self.zone_lookup.removesuffix("_id") + "__buildings__complex__community_id"
        q = scope_q(user, zone=self.zone_lookup, community=community)
        # A community's zones are reached through its buildings: distinct rows.
        return self if q is None else self.filter(q).distinct()


class FacilityQuerySet(ZoneScopedQuerySet["Facility"]):
    pass


class PlanQuerySet(ZoneScopedQuerySet["InspectionPlan"]):
    pass


class FindingQuerySet(ZoneScopedQuerySet["Finding"]):
    # Whoever may see a facility sees what was found there (its zone, not the plan's).
    zone_lookup = "facility__zone_id"


class Facility(models.Model):
    """An outdoor facility of the network: a valve well, a pipe segment, a station yard…"""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=FacilityKind.choices)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    building = models.ForeignKey(
        "grid.Building",
        verbose_name=_("building served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilities",
    )
    station = models.ForeignKey(
        "grid.Station",
        verbose_name=_("station served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilities",
    )
    zone = models.ForeignKey(
        "grid.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="facilities"
    )
    condition = models.CharField(
        _("condition"), max_length=20, choices=Condition.choices, default=Condition.GOOD
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    photo = models.FileField(
        _("photo"), upload_to="facilities/%Y/%m/", blank=True
    )  # JPEG or PNG, checked by content
    active = models.BooleanField(_("in service"), default=True)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ChecklistItem(models.Model):
    """One thing to check at every facility of a kind: pass/fail, a reading with its unit
    and acceptable range, or a free-text note. Managers edit the lists in the admin."""

    facility_kind = models.CharField(
        _("facility kind"), max_length=20, choices=FacilityKind.choices
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    text_zh = models.CharField(_("item (Chinese)"), max_length=200)
    text_en = models.CharField(_("item (English)"), max_length=200)
    kind = models.CharField(_("answer"), max_length=10, choices=ItemKind.choices)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    low = models.FloatField(_("lowest acceptable"), null=True, blank=True)
    high = models.FloatField(_("highest acceptable"), null=True, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["facility_kind", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=models.F("high")),
                name="checklist_range_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.text_zh

    @property
    def text(self) -> str:
        from django.utils.translation import get_language

        return self.text_zh if (get_language() or "zh").startswith("zh") else self.text_en


class InspectionPlan(models.Model):
    """A route of facilities walked on a schedule by a zone's inspection owner (or a deputy).

    The schedule is every ``every_days`` days, or weekly on ``weekdays`` (0 = Monday), between
    ``active_from`` and ``active_until`` (the heating season, typically). In emergency mode
    every interval is divided by ``INSPECTION_EMERGENCY_MULTIPLIER``.
    """

    name = models.CharField(_("name"), max_length=100)
    zone = models.ForeignKey(
        "grid.Zone", verbose_name=_("zone"), on_delete=models.PROTECT, related_name="plans"
    )
    every_days = models.PositiveIntegerField(_("every N days"), null=True, blank=True)
    weekdays = models.JSONField(_("weekly on (0 = Monday)"), default=list, blank=True)
    active_from = models.DateField(_("active from"))
    active_until = models.DateField(_("active until"))
    active = models.BooleanField(_("active"), default=True)
    facilities = models.ManyToManyField(
        Facility, through="PlanStop", related_name="plans", verbose_name=_("route")
    )

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        ordering = ["zone", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__gte=models.F("active_from")), name="plan_dates_in_order"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PlanStop(models.Model):
    """A facility's place in a plan's route."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="stops")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        verbose_name = _("route stop")
        verbose_name_plural = _("route stops")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "facility"], name="plan_stop_once"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.position} {self.facility_id}"


class RoundQuerySet(models.QuerySet["InspectionRound"]):
    def for_user(self, user: Any) -> Any:
        """Whole-city staff see every round; an inspector (or anyone else) the rounds given
        to them."""
        if getattr(user, "is_authenticated", False) and user.sees_whole_city:
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(assignee=user)


class InspectionRound(models.Model):
    """One walk of a plan's route, due on a day, given to one person.

    ``draft`` keeps what was entered on the phone so far (the page also keeps it in the
    browser), ``submission_key`` makes a second submit of the same round a no-op.
    """

    plan = models.ForeignKey(
        InspectionPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="rounds"
    )
    due_on = models.DateField(_("due on"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection_rounds",
    )
    assign_reason = models.CharField(_("why this inspector"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.ASSIGNED
    )
    emergency = models.BooleanField(_("made in emergency mode"), default=False)
    draft = models.JSONField(_("entered so far"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submission_key = models.CharField(_("submission key"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        ordering = ["-due_on", "plan"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_on"], name="round_once_a_day"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="round_status_due")]

    def __str__(self) -> str:
        return f"{self.plan} {self.due_on}"


class Visit(models.Model):
    """What was found at one facility of a submitted round."""

    round = models.ForeignKey(InspectionRound, on_delete=models.CASCADE, related_name="visits")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="visits")
    position = models.PositiveIntegerField(_("position"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    photo = models.FileField(
        _("photo"), upload_to="rounds/%Y/%m/", blank=True
    )  # checked like a request photo

    class Meta:
        verbose_name = _("facility visit")
        verbose_name_plural = _("facility visits")
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "facility"], name="visit_once_a_round")
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.facility_id}"


class CheckResult(models.Model):
    """One checklist item's answer at one facility. ``failed`` is set when the item failed or
    the reading was out of its range: a finding."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    reading = models.FloatField(_("reading"), null=True, blank=True)
    text = models.CharField(_("text"), max_length=500, blank=True)
    failed = models.BooleanField(_("a finding"), default=False)

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        constraints = [
            models.UniqueConstraint(fields=["visit", "item"], name="result_once_a_visit")
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.item_id}"


class Finding(models.Model):
    """A failed item or an out-of-range reading, and the repair work order it opened for the
    zone's repair duty. It is open while its work order is."""

    round = models.ForeignKey(InspectionRound, on_delete=models.PROTECT, related_name="findings")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="findings")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=500)
    work_order = models.ForeignKey(
        "service.ServiceRequest",
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
    )
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "facility", "item"], name="finding_once_a_round"
            )
        ]

    def __str__(self) -> str:
        return self.description
