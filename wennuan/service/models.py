"""Service requests (网上问暖): the catalogue, the requests, their events, photos and visits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wennuan.grid.choices import Duty
from wennuan.grid.models import scope_q
from wennuan.service.choices import (
    Channel,
    Datatype,
    EventKind,
    IncidentStatus,
    Priority,
    SlaState,
    Status,
)


def bilingual(obj: Any, field: str) -> str:
    """The Chinese or English text of ``field``, by the active language (Chinese as fallback)."""
    language = translation.get_language() or "zh-hans"
    english = getattr(obj, f"{field}_en", "")
    return english if language.startswith("en") and english else getattr(obj, f"{field}_zh")


class ServiceCategoryQuerySet(models.QuerySet["ServiceCategory"]):
    def public(self) -> ServiceCategoryQuerySet:
        """The categories residents and partners see (not internal work orders)."""
        return self.filter(internal=False)


class ServiceCategory(models.Model):
    """A kind of request residents can file, with its duty, priority and SLA targets.

    Internal categories are work orders the system or staff open (a station fault)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    description_zh = models.CharField(_("description (Chinese)"), max_length=300, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    notice_zh = models.TextField(_("notice before the form (Chinese)"), blank=True)
    notice_en = models.TextField(_("notice before the form (English)"), blank=True)
    duty = models.CharField(_("duty"), max_length=24, choices=Duty.choices)
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    first_contact_minutes = models.PositiveIntegerField(_("first contact within (minutes)"))
    on_site_minutes = models.PositiveIntegerField(
        _("on site within (minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("resolved within (minutes)"))
    home_visit_usual = models.BooleanField(_("home visit usual"), default=False)
    allows_anonymous = models.BooleanField(
        _("may be filed without an account"),
        default=False,
        help_text=_("For hazards outside homes: filed with a location instead of a household."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    internal = models.BooleanField(
        _("internal (work orders)"),
        default=False,
        help_text=_("Filed by the system or staff only; residents and partners never see it."),
    )
    walk_in = models.BooleanField(
        _("needs a visit to a service hall"),
        default=False,
        help_text=_("Closed while emergency mode is on (the halls are closed)."),
    )
    disabled_message_zh = models.CharField(
        _("message when disabled (Chinese)"), max_length=300, blank=True
    )
    disabled_message_en = models.CharField(
        _("message when disabled (English)"), max_length=300, blank=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    # Open311 discovery's "changeset": when clients should refresh cached definitions.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ServiceCategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service catalogue")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self, "name")

    def unavailable_message(self, *, emergency: bool) -> str:
        """Why this service cannot be requested now, or "" when it can."""
        if not self.enabled:
            return self.disabled_message or str(_("This service is not available online."))
        if self.walk_in and emergency:
            return str(
                _(
                    "The service halls are closed during the emergency, and this needs a visit "
                    "there: it resumes when they reopen. For anything urgent, choose another "
                    "service here or call the hotline."
                )
            )
        return ""

    @property
    def description(self) -> str:
        return bilingual(self, "description")

    @property
    def notice(self) -> str:
        return bilingual(self, "notice")

    @property
    def disabled_message(self) -> str:
        return bilingual(self, "disabled_message")


class CategoryAttribute(models.Model):
    """A question a category's form asks (an Open311 service-definition attribute)."""

    category = models.ForeignKey(
        ServiceCategory,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="attributes",
    )
    code = models.SlugField(_("code"), max_length=40)
    label_zh = models.CharField(_("question (Chinese)"), max_length=120)
    label_en = models.CharField(_("question (English)"), max_length=120)
    datatype = models.CharField(_("datatype"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    # Allowed values for list datatypes: [{"key": "...", "zh": "...", "en": "..."}].
    values = models.JSONField(_("allowed values"), default=list, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("category attribute")
        verbose_name_plural = _("category attributes")
        ordering = ["category", "order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="attribute_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.category.code}.{self.code}"

    @property
    def label(self) -> str:
        return bilingual(self, "label")

    def value_choices(self) -> list[tuple[str, str]]:
        """(key, label) pairs in the active language."""
        english = (translation.get_language() or "").startswith("en")
        return [(v["key"], v.get("en") if english else v.get("zh", v["key"])) for v in self.values]


class ServiceRequestQuerySet(models.QuerySet["ServiceRequest"]):
    def for_user(self, user: Any) -> ServiceRequestQuerySet:
        """Requests this user may see: the grid's scope rule, plus anything assigned to them.

        Community workers also see what they filed themselves for residents.
        """
        q = scope_q(user, zone="zone_id", community="building__complex__community_id")
        if q is None:
            return self
        if getattr(user, "is_authenticated", False) and user.is_active:
            q |= Q(assignee_id=user.pk) | Q(created_by_id=user.pk)
        return self.filter(q)

    def open(self) -> ServiceRequestQuerySet:
        from wennuan.service.choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)


def _label(choices: Any, value: Any) -> str:
    """The label of ``value`` in ``choices`` (a Choices enum), or the value itself."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


class ServiceRequest(models.Model):
    """One resident's request, from intake to confirmed fix.

    Building, station and zone are copied from the household at intake: they place the
    request for scoping and for correlating complaints even if the grid changes later.
    """

    number = models.CharField(_("request number"), max_length=20, unique=True, null=True)
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "grid.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    building = models.ForeignKey(
        "grid.Building", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        "grid.Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    zone = models.ForeignKey(
        "grid.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    measured_temperature = models.DecimalField(
        _("measured indoor temperature (°C)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
    )
    # The language the resident used, so their text messages speak it (staff filing on
    # their behalf may work in another).
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    reporter_name = models.CharField(_("reporter name"), max_length=64, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=20, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    location_text = models.CharField(_("location"), max_length=200, blank=True)
    # Sent by integrations (Open311 email, device_id, media_url); empty from the portal.
    reporter_email = models.EmailField(_("reporter e-mail"), blank=True)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    media_url = models.URLField(_("media link"), max_length=500, blank=True)
    api_key = models.ForeignKey(
        "open311.ApiKey",
        verbose_name=_("filed with API key"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    first_contact_due = models.DateTimeField(_("first contact due"), null=True, blank=True)
    on_site_due = models.DateTimeField(_("on site due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("on site at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    sla_state = models.CharField(
        _("SLA"), max_length=10, choices=SlaState.choices, default=SlaState.ON_TIME
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    paused_since = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=80, unique=True, null=True, blank=True
    )
    incident = models.ForeignKey(
        "service.Incident",
        verbose_name=_("network incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filed_requests",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Set at intake when the home is under quarantine or has a confirmed case: help by phone
    # first, and a supervisor approves any home visit.
    remote_first = models.BooleanField(_("remote first"), default=False)
    # Filed while emergency mode was on: its SLA times are the emergency ones for good.
    filed_in_emergency = models.BooleanField(_("filed in emergency mode"), default=False)
    visit_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("home visit approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visit_approved_at = models.DateTimeField(_("home visit approved at"), null=True, blank=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["assignee", "status"], name="request_assignee_status"),
            models.Index(fields=["zone", "status"], name="request_zone_status"),
            models.Index(fields=["status", "sla_state"], name="request_status_sla"),
            models.Index(fields=["building", "created_at"], name="request_building_time"),
            models.Index(fields=["station", "created_at"], name="request_station_time"),
            # The board's order (selectors.board_requests), so that a page of every request
            # in the city reads the first rows of this index instead of sorting them all.
            models.Index(
                Case(
                    When(sla_state=SlaState.BREACHED, then=Value(0)),
                    When(sla_state=SlaState.AT_RISK, then=Value(1)),
                    default=Value(2),
                    output_field=models.IntegerField(),
                ),
                F("priority"),
                # ASC puts NULLs last in PostgreSQL's indexes, as the board's order wants;
                # SQLite refuses NULLS LAST in an index.
                F("first_contact_due").asc(),
                F("created_at").desc(),
                name="request_board_order",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="request_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    # Django's get_FOO_display hashes every choice's lazy label on each call: the board's
    # 50 rows spent 15 ms on it. The enum finds the label by value.
    def get_status_display(self) -> str:  # type: ignore[no-redef]
        return _label(Status, self.status)

    def get_channel_display(self) -> str:  # type: ignore[no-redef]
        return _label(Channel, self.channel)

    def get_sla_state_display(self) -> str:  # type: ignore[no-redef]
        return _label(SlaState, self.sla_state)

    def get_priority_display(self) -> str:  # type: ignore[no-redef]
        return _label(Priority, self.priority)

    @property
    def next_due(self) -> Any:
        """The earliest SLA target not yet met (first contact, on site, resolution), or None."""
        from wennuan.service.sla import next_due

        return next_due(self)

    @property
    def is_open(self) -> bool:
        from wennuan.service.choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES


class RequestEvent(models.Model):
    """An append-only history row: who, when, from → to, note, and whether the resident sees it."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by (label)"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    from_status = models.CharField(_("from"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("visible to the resident"), default=False)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request} {self.kind} {self.from_status}→{self.to_status}"


class RequestPhoto(models.Model):
    """A photo attached at intake, checked by content (JPEG or PNG), at most 5 MB."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("photo"), upload_to="requests/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=20)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.image.name or ""


class HomeVisit(models.Model):
    """A staff member's visit to a home: the basis of exposure tracing later."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="visits"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="home_visits",
    )
    household = models.ForeignKey(
        "grid.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    # The protective-equipment checklist confirmed at check-in, e.g. ["mask", "gloves"].
    equipment = models.JSONField(_("protective equipment confirmed"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        ordering = ["-scheduled_for", "-pk"]
        indexes = [models.Index(fields=["staff", "checked_in_at"], name="visit_staff_time")]

    def __str__(self) -> str:
        return f"{self.request} {self.staff}"


class Incident(models.Model):
    """A network incident (管网事件): one cause upstream — a station or a heat source — behind
    many "not warm" requests, with one answer to all of them.

    Its requests are linked; every linked resident hears of it once, and again at each
    update; resolving it resolves them, and each resident is asked to confirm.
    """

    station = models.ForeignKey(
        "grid.Station",
        verbose_name=_("station"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    heat_source = models.ForeignKey(
        "grid.HeatSource",
        verbose_name=_("heat source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    cause = models.CharField(_("cause"), max_length=200)
    expected_recovery_at = models.DateTimeField(_("expected recovery"), null=True, blank=True)
    alarm = models.ForeignKey(
        "operations.Alarm",
        verbose_name=_("alarm"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: opened automatically from complaints and telemetry."),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("network incident")
        verbose_name_plural = _("network incidents")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["station"],
                condition=Q(status="open", station__isnull=False),
                name="one_open_incident_per_station",
            ),
            models.UniqueConstraint(
                fields=["heat_source"],
                condition=Q(status="open", heat_source__isnull=False),
                name="one_open_incident_per_heat_source",
            ),
            models.CheckConstraint(
                condition=Q(station__isnull=False) ^ Q(heat_source__isnull=False),
                name="incident_is_of_a_station_or_a_heat_source",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.cause}"


class IncidentEvent(models.Model):
    """Every step of an incident: opened, requests joined, updated, resolved (append-only)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12)
    note = models.CharField(_("note"), max_length=400, blank=True)

    class Meta:
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"
