"""Heating operation: station and heat-source telemetry, outdoor temperature, heating curves,
hourly roll-ups, and the gateways allowed to push readings.

Readings are stored one row per station (or heat source, or place) per timestamp, keyed by
that pair: the key is the index every chart and alarm reads by, and a reading sent twice
is the same row (ingest ignores the second copy).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wennuan.operations.choices import AlarmStatus, Direction, Metric, RuleKind, Severity

# Secondary supply target (°C) by outdoor temperature (°C) for radiator networks: the
# curve used by every station without one of its own. Piecewise linear, flat beyond ends.
DEFAULT_CURVE: list[list[float]] = [
    [-15, 62],
    [-10, 57],
    [-5, 52],
    [0, 47],
    [5, 42],
    [10, 37],
    [15, 32],
]


class Gateway(models.Model):
    """A station gateway or SCADA export allowed to push telemetry over HTTP.

    Only a SHA-256 digest of its token is kept (the token is shown once, when issued).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    prefix = models.CharField(_("token starts with"), max_length=12)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("telemetry gateway")
        verbose_name_plural = _("telemetry gateways")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class StationReading(models.Model):
    """One reading of a heat-exchange station (换热站) at one moment.

    ``target_supply_c`` is the heating curve's secondary supply target for the outdoor
    temperature at that moment, fixed at ingest so that alarms and charts compare without
    recomputing it.
    """

    pk = models.CompositePrimaryKey("station_id", "time")
    station = models.ForeignKey(
        "grid.Station", verbose_name=_("station"), on_delete=models.CASCADE, related_name="+"
    )
    time = models.DateTimeField(_("time"))
    primary_supply_c = models.FloatField(_("primary supply (°C)"), null=True, blank=True)
    primary_return_c = models.FloatField(_("primary return (°C)"), null=True, blank=True)
    secondary_supply_c = models.FloatField(_("secondary supply (°C)"), null=True, blank=True)
    secondary_return_c = models.FloatField(_("secondary return (°C)"), null=True, blank=True)
    primary_pressure_mpa = models.FloatField(_("primary pressure (MPa)"), null=True, blank=True)
    secondary_pressure_mpa = models.FloatField(_("secondary pressure (MPa)"), null=True, blank=True)
    flow_t_h = models.FloatField(_("flow (t/h)"), null=True, blank=True)
    heat_mw = models.FloatField(_("heat power (MW)"), null=True, blank=True)
    heat_total_gj = models.FloatField(_("cumulative heat (GJ)"), null=True, blank=True)
    pump_on = models.BooleanField(_("circulation pump running"), null=True, blank=True)
    valve_pct = models.FloatField(_("control valve opening (%)"), null=True, blank=True)
    outdoor_c = models.FloatField(_("outdoor (°C)"), null=True, blank=True)
    target_supply_c = models.FloatField(_("curve target (°C)"), null=True, blank=True)

    class Meta:
        verbose_name = _("station reading")
        verbose_name_plural = _("station readings")
        indexes = [models.Index(fields=["time"], name="station_reading_time")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.time:%Y-%m-%d %H:%M}"

    @property
    def deviation_c(self) -> float | None:
        """Secondary supply minus the curve's target (negative: colder than it should be)."""
        if self.secondary_supply_c is None or self.target_supply_c is None:
            return None
        return round(self.secondary_supply_c - self.target_supply_c, 1)


class StationLatest(models.Model):
    """The latest reading of each station, the fields the network view shows: one row per
    station that ever reported, kept by ``ingest`` in the same transaction as the readings
    (one upsert per station per batch, a newer time wins; see ``services._keep_latest``).

    Why a table: the network view needs the status of every station on every refresh (every
    30 s, every dispatcher). Finding the latest of 2,016 stations in the readings table costs
    ~25 ms even as one backward index probe a station; this table is read in one small scan.
    """

    station = models.OneToOneField(
        "grid.Station",
        verbose_name=_("station"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="latest_reading",
    )
    time = models.DateTimeField(_("time"))
    secondary_supply_c = models.FloatField(_("secondary supply (°C)"), null=True, blank=True)
    secondary_return_c = models.FloatField(_("secondary return (°C)"), null=True, blank=True)
    target_supply_c = models.FloatField(_("curve target (°C)"), null=True, blank=True)
    outdoor_c = models.FloatField(_("outdoor (°C)"), null=True, blank=True)

    class Meta:
        verbose_name = _("latest station reading")
        verbose_name_plural = _("latest station readings")

    def __str__(self) -> str:
        return f"{self.station_id} {self.time:%Y-%m-%d %H:%M}"


class SourceReading(models.Model):
    """One reading of a heat source (热源): output, supply temperature, coal burned since the
    previous reading."""

    pk = models.CompositePrimaryKey("heat_source_id", "time")
    heat_source = models.ForeignKey(
        "grid.HeatSource", verbose_name=_("heat source"), on_delete=models.CASCADE, related_name="+"
    )
    time = models.DateTimeField(_("time"))
    output_mw = models.FloatField(_("output (MW)"), null=True, blank=True)
    supply_c = models.FloatField(_("supply (°C)"), null=True, blank=True)
    return_c = models.FloatField(_("return (°C)"), null=True, blank=True)
    coal_t = models.FloatField(_("coal burned (t)"), null=True, blank=True)

    class Meta:
        verbose_name = _("heat-source reading")
        verbose_name_plural = _("heat-source readings")

    def __str__(self) -> str:
        return f"{self.heat_source_id} {self.time:%Y-%m-%d %H:%M}"


class OutdoorTemperature(models.Model):
    """An observed outdoor temperature for a place (a city or a weather station)."""

    pk = models.CompositePrimaryKey("place", "time")
    place = models.CharField(_("place"), max_length=40)
    time = models.DateTimeField(_("time"))
    temperature_c = models.FloatField(_("temperature (°C)"))

    class Meta:
        verbose_name = _("outdoor temperature")
        verbose_name_plural = _("outdoor temperatures")

    def __str__(self) -> str:
        return f"{self.place} {self.time:%Y-%m-%d %H:%M} {self.temperature_c} °C"


class StationHour(models.Model):
    """Hourly roll-up of a station's readings, for charts over days and weeks."""

    pk = models.CompositePrimaryKey("station_id", "hour")
    station = models.ForeignKey(
        "grid.Station", verbose_name=_("station"), on_delete=models.CASCADE, related_name="+"
    )
    hour = models.DateTimeField(_("hour"))
    readings = models.PositiveIntegerField(_("readings"))
    secondary_supply_c = models.FloatField(null=True, blank=True)
    secondary_return_c = models.FloatField(null=True, blank=True)
    primary_supply_c = models.FloatField(null=True, blank=True)
    primary_return_c = models.FloatField(null=True, blank=True)
    target_supply_c = models.FloatField(null=True, blank=True)
    outdoor_c = models.FloatField(null=True, blank=True)
    flow_t_h = models.FloatField(null=True, blank=True)
    heat_mw = models.FloatField(null=True, blank=True)
    min_secondary_supply_c = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("station hour")
        verbose_name_plural = _("station hours")

    def __str__(self) -> str:
        return f"{self.station_id} {self.hour:%Y-%m-%d %H}h"


class HeatingCurve(models.Model):
    """Secondary supply target by outdoor temperature: piecewise-linear points.

    A curve with no station is the company default; a station may have its own.
    """

    station = models.OneToOneField(
        "grid.Station",
        verbose_name=_("station"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="heating_curve",
        help_text=_("Empty: the default curve for every station without its own."),
    )
    points = models.JSONField(
        _("points"),
        default=list,
        help_text=_("[[outdoor °C, supply °C], …] in rising outdoor temperature."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("heating curve")
        verbose_name_plural = _("heating curves")
        constraints = [
            models.UniqueConstraint(
                fields=["station"], condition=Q(station__isnull=True), name="one_default_curve"
            )
        ]

    def __str__(self) -> str:
        return str(self.station) if self.station_id else str(_("default curve"))

    def target(self, outdoor_c: float) -> float:
        return curve_target(self.points or DEFAULT_CURVE, outdoor_c)


def curve_target(points: list[list[float]] | list[Any], outdoor_c: float) -> float:
    """Interpolate the target between the two points around ``outdoor_c``; flat beyond them."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    if outdoor_c <= xs[0]:
        return round(ys[0], 1)
    if outdoor_c >= xs[-1]:
        return round(ys[-1], 1)
    i = bisect_right(xs, outdoor_c)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return round(y0 + (y1 - y0) * (outdoor_c - x0) / (x1 - x0), 1)


class AlarmRule(models.Model):
    """A condition on station telemetry that raises an alarm, editable by managers.

    Threshold: ``metric`` below/above ``threshold`` for every reading of the last
    ``minutes``. Rate: ``metric`` changed by more than ``threshold`` over the last ``minutes``.
    Stale: no reading for ``minutes``. Pump stopped: the latest reading says the pump is off.
    """

    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    metric = models.CharField(
        _("metric"), max_length=24, choices=Metric.choices, blank=True, default=""
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, blank=True, default=""
    )
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("for (minutes)"), default=15)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    notify_dispatcher = models.BooleanField(_("text the dispatcher on duty"), default=True)
    opens_work_order = models.BooleanField(
        _("open a work order"),
        default=False,
        help_text=_("A repair work order for the zone's named owner, on the dispatch board."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("alarm rule")
        verbose_name_plural = _("alarm rules")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = translation.get_language() or "zh-hans"
        return self.name_en if language.startswith("en") and self.name_en else self.name_zh


class Alarm(models.Model):
    """One rule's alarm on one station: active → acknowledged → cleared.

    At most one open (active or acknowledged) alarm per station and rule: while it is open,
    the condition holding again extends it rather than raising another.
    """

    rule = models.ForeignKey(
        AlarmRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="alarms"
    )
    station = models.ForeignKey(
        "grid.Station", verbose_name=_("station"), on_delete=models.CASCADE, related_name="alarms"
    )
    status = models.CharField(
        _("status"), max_length=14, choices=AlarmStatus.choices, default=AlarmStatus.ACTIVE
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    raised_at = models.DateTimeField(_("raised at"))
    last_seen_at = models.DateTimeField(_("condition last seen"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    work_order = models.ForeignKey(
        "service.ServiceRequest",
        verbose_name=_("work order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alarms",
    )

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "rule"],
                condition=Q(status__in=["active", "acknowledged"]),
                name="one_open_alarm_per_station_rule",
            )
        ]
        indexes = [models.Index(fields=["status", "raised_at"], name="alarm_status_time")]

    def __str__(self) -> str:
        return f"{self.rule} @ {self.station_id} ({self.status})"


class AlarmEvent(models.Model):
    """Every change of an alarm: raised, acknowledged, cleared — who, when, a note."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("alarm event")
        verbose_name_plural = _("alarm events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.alarm_id}: {self.from_status} → {self.to_status}"


class PlannedStop(models.Model):
    """A planned stop (or a known outage) of a station or a whole heat source: every household
    beneath it is told when it is announced, and again when heat is back."""

    station = models.ForeignKey(
        "grid.Station", verbose_name=_("station"), null=True, blank=True, on_delete=models.PROTECT
    )
    heat_source = models.ForeignKey(
        "grid.HeatSource",
        verbose_name=_("heat source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    starts_at = models.DateTimeField(_("starts at"))
    expected_end_at = models.DateTimeField(_("expected end"))
    reason = models.CharField(_("reason"), max_length=200)
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    announced_at = models.DateTimeField(_("announced at"), auto_now_add=True)
    households_told = models.PositiveIntegerField(_("households told"), default=0)
    ended_at = models.DateTimeField(_("heat back at"), null=True, blank=True)
    # Progress of the texts, batch by batch: the last household key told and when all were.
    # A batch moves its cursor in the transaction that queues its texts, so a lost task (a
    # killed worker, a lost Redis queue) is resumed by the sweep without texting anyone twice.
    notice_told_through = models.BigIntegerField(_("stop notice told through"), default=0)
    notice_done_at = models.DateTimeField(_("stop notice done at"), null=True, blank=True)
    heat_back_told_through = models.BigIntegerField(_("heat-back told through"), default=0)
    heat_back_done_at = models.DateTimeField(_("heat-back done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("planned stop")
        verbose_name_plural = _("planned stops")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(station__isnull=False) ^ Q(heat_source__isnull=False),
                name="stop_is_of_a_station_or_a_heat_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.station or self.heat_source}: {self.reason}"
