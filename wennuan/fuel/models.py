"""Coal reserve: the ledger of each heat source's coal yard, expected deliveries, the fitted
burn model, and daily outdoor temperatures (observed and forecast) that drive the forecast."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wennuan.fuel.choices import DeliveryStatus, EntryKind, Origin, WeatherKind
from wennuan.fuel.units import DEFAULT_LHV_MJ_KG


class CoalEntry(models.Model):
    """One line of a coal yard's ledger: ``tonnes`` is the change to the stock (+ in, − out).

    Append-only: a wrong entry is cancelled by a reversal entry (``reverses``) carrying the
    opposite tonnes and the reason, never edited or deleted. The balance at any date is the
    sum of the entries up to that day.
    """

    heat_source = models.ForeignKey(
        "grid.HeatSource",
        verbose_name=_("heat source"),
        on_delete=models.PROTECT,
        related_name="coal_entries",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    day = models.DateField(_("day"))
    tonnes = models.DecimalField(_("tonnes"), max_digits=12, decimal_places=3)
    # Deliveries: who sent it, the weighbridge note, and the coal's quality as received.
    supplier = models.CharField(_("supplier"), max_length=100, blank=True)
    note_number = models.CharField(_("delivery note number"), max_length=40, blank=True)
    lhv_mj_kg = models.DecimalField(
        _("lower heating value (MJ/kg)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    moisture_pct = models.DecimalField(
        _("moisture (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Adjustments and reversals say why; a stocktake also records what was counted.
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    counted_tonnes = models.DecimalField(
        _("counted stock (t)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.ENTERED
    )
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
        verbose_name = _("coal ledger entry")
        verbose_name_plural = _("coal ledger")
        ordering = ["heat_source", "day", "id"]
        indexes = [models.Index(fields=["heat_source", "day"], name="coal_entry_source_day")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind=EntryKind.REVERSAL) | models.Q(reverses__isnull=False),
                name="coal_reversal_names_its_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.heat_source_id} {self.day} {self.get_kind_display()} {self.tonnes} t"

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversal")


class ExpectedDelivery(models.Model):
    """A delivery a supplier has confirmed for a day; counted in the forecast until weighed in."""

    heat_source = models.ForeignKey(
        "grid.HeatSource",
        verbose_name=_("heat source"),
        on_delete=models.PROTECT,
        related_name="expected_deliveries",
    )
    expected_on = models.DateField(_("expected on"))
    tonnes = models.DecimalField(
        _("tonnes"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    supplier = models.CharField(_("supplier"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.EXPECTED
    )
    received_entry = models.OneToOneField(
        CoalEntry,
        verbose_name=_("received as"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expected_delivery",
    )
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
        verbose_name = _("expected delivery")
        verbose_name_plural = _("expected deliveries")
        ordering = ["expected_on", "id"]

    def __str__(self) -> str:
        return f"{self.heat_source_id} {self.expected_on} {self.tonnes} t"


class FuelProfile(models.Model):
    """A heat source's fuel parameters and its models, refitted every morning: coal burned a
    day (from the ledger), heat output a day and its hourly shape (from telemetry)."""

    heat_source = models.OneToOneField(
        "grid.HeatSource",
        verbose_name=_("heat source"),
        on_delete=models.CASCADE,
        related_name="fuel_profile",
    )
    lhv_mj_kg = models.DecimalField(
        _("usual lower heating value (MJ/kg)"),
        max_digits=6,
        decimal_places=3,
        default=Decimal(str(DEFAULT_LHV_MJ_KG)),
        validators=[MinValueValidator(Decimal("5")), MaxValueValidator(Decimal("35"))],
    )
    boiler_efficiency = models.DecimalField(
        _("boiler efficiency"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.800"),
        validators=[MinValueValidator(Decimal("0.3")), MaxValueValidator(Decimal("1"))],
    )
    model = models.JSONField(_("burn model"), null=True, blank=True)
    model_kind = models.CharField(_("model kind"), max_length=20, blank=True)
    holdout_mape = models.FloatField(_("held-out error (MAPE)"), null=True, blank=True)
    baseline_mape = models.FloatField(_("baseline held-out error (MAPE)"), null=True, blank=True)
    history_days = models.PositiveIntegerField(_("days of history"), default=0)
    # Heat output (MWh a day) from the heat source's telemetry, and its hourly shape.
    heat_model = models.JSONField(_("heat-output model"), null=True, blank=True)
    heat_model_kind = models.CharField(_("heat-output model kind"), max_length=20, blank=True)
    heat_holdout_mape = models.FloatField(
        _("heat-output held-out error (MAPE)"), null=True, blank=True
    )
    heat_history_days = models.PositiveIntegerField(_("days of heat history"), default=0)
    hourly_shape = models.JSONField(_("hourly load shape"), null=True, blank=True)
    fitted_at = models.DateTimeField(_("fitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fuel profile")
        verbose_name_plural = _("fuel profiles")

    def __str__(self) -> str:
        return str(self.heat_source_id)


class WeatherDay(models.Model):
    """A day's outdoor temperature at a place, observed or forecast (local calendar day)."""

    place = models.CharField(_("place"), max_length=40)
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=10, choices=WeatherKind.choices)
    mean_c = models.FloatField(
        _("daily mean (°C)"), validators=[MinValueValidator(-60), MaxValueValidator(60)]
    )
    min_c = models.FloatField(_("minimum (°C)"), null=True, blank=True)
    max_c = models.FloatField(_("maximum (°C)"), null=True, blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("daily temperature")
        verbose_name_plural = _("daily temperatures")
        ordering = ["place", "day"]
        constraints = [
            models.UniqueConstraint(fields=["place", "day", "kind"], name="weather_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.day} {self.kind} {self.mean_c:.1f} °C"


class WeatherHour(models.Model):
    """An hourly forecast temperature (observed hours are telemetry: OutdoorTemperature)."""

    place = models.CharField(_("place"), max_length=40)
    time = models.DateTimeField(_("time"))
    temperature_c = models.FloatField(_("temperature (°C)"))
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("hourly forecast temperature")
        verbose_name_plural = _("hourly forecast temperatures")
        ordering = ["place", "time"]
        constraints = [models.UniqueConstraint(fields=["place", "time"], name="weather_hour_once")]

    def __str__(self) -> str:
        return f"{self.place} {self.time:%Y-%m-%d %H:%M} {self.temperature_c:.1f} °C"


class WeatherFetch(models.Model):
    """One attempt to fetch the forecast from the weather service, kept to say how old the
    forecast in use is and why a fetch failed."""

    place = models.CharField(_("place"), max_length=40)
    attempted_at = models.DateTimeField(_("attempted at"))
    ok = models.BooleanField(_("succeeded"))
    days = models.PositiveIntegerField(_("days received"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("forecast fetch")
        verbose_name_plural = _("forecast fetches")
        ordering = ["-attempted_at"]

    def __str__(self) -> str:
        return f"{self.place} {self.attempted_at:%Y-%m-%d %H:%M} {'ok' if self.ok else self.error}"
