"""Heating operation: station and heat-source telemetry, outdoor temperature, heating curves,
hourly roll-ups, and the gateways allowed to push readings.

Readings are stored one row per station (or heat source, or place) per timestamp, keyed by
that pair: the key is the index every chart and alarm reads by, and a reading sent twice
is the same row (ingest ignores the second copy).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
