"""State changes of the coal reserve: the ledger (deliveries, consumption, stocktakes,
reversals), expected deliveries, daily temperatures, and the nightly refit of burn models.

The ledger is append-only. Every function checks everything before it writes and raises
``FuelRefused`` with a message for the person who tried; nothing is written then.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.fuel import model as burn_model
from wennuan.fuel.choices import DeliveryStatus, EntryKind, Origin, WeatherKind
from wennuan.fuel.models import CoalEntry, ExpectedDelivery, FuelProfile, WeatherDay, WeatherHour
from wennuan.grid.choices import Fuel
from wennuan.grid.models import HeatSource

logger = logging.getLogger(__name__)

MAX_TONNES = Decimal("100000")  # more than any coal train; a typo guard
LHV_RANGE = (Decimal("5"), Decimal("35"))  # MJ/kg: lignite to anthracite
MOISTURE_RANGE = (Decimal("0"), Decimal("60"))


class FuelRefused(Exception):
    """The change cannot be made, with the reason to show; nothing was written."""


# --- ledger -----------------------------------------------------------------------------


def _tonnes(value: Any, *, field: str, allow_zero: bool = False) -> Decimal:
    try:
        tonnes = Decimal(str(value).strip()).quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError) as exc:
        raise FuelRefused(_("%(field)s: not a number") % {"field": field}) from exc
    if not tonnes.is_finite() or tonnes < 0 or (tonnes == 0 and not allow_zero):
        raise FuelRefused(_("%(field)s: must be more than 0 t") % {"field": field})
    if tonnes > MAX_TONNES:
        raise FuelRefused(_("%(field)s: more than 100,000 t in one entry") % {"field": field})
    return tonnes


def _in_range(value: Any, bounds: tuple[Decimal, Decimal], *, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise FuelRefused(_("%(field)s: not a number") % {"field": field}) from exc
    if not number.is_finite() or not bounds[0] <= number <= bounds[1]:
        raise FuelRefused(
            _("%(field)s: must be between %(low)s and %(high)s")
            % {"field": field, "low": bounds[0], "high": bounds[1]}
        )
    return number


def _not_future(day: date) -> None:
    if day > timezone.localdate():
        raise FuelRefused(_("The day cannot be in the future."))


def _locked(heat_source: HeatSource) -> HeatSource:
    """The heat source row, locked: entries of one yard are written one at a time, so two
    clerks cannot both pass the duplicate checks (SQLite's IMMEDIATE transactions do this
    for the whole database)."""
    return HeatSource.objects.select_for_update().get(pk=heat_source.pk)


def coal_sources() -> Any:
    """The heat sources that burn coal: the yards this app keeps (gas plants have none)."""
    return HeatSource.objects.filter(fuel=Fuel.COAL).order_by("code")


def live_entries(heat_source: HeatSource) -> Any:
    """The yard's entries that stand: neither reversed nor a reversal."""
    return CoalEntry.objects.filter(heat_source=heat_source, reversal__isnull=True).exclude(
        kind=EntryKind.REVERSAL
    )


def record_delivery(
    *,
    heat_source: HeatSource,
    day: date,
    tonnes: Any,
    actor: Any,
    supplier: str = "",
    note_number: str = "",
    lhv_mj_kg: Any = None,
    moisture_pct: Any = None,
    origin: str = Origin.ENTERED,
    expected: ExpectedDelivery | None = None,
) -> CoalEntry:
    """Record coal weighed into the yard. A delivery note number is used once per yard."""
    amount = _tonnes(tonnes, field=_("weight"))
    lhv = _in_range(lhv_mj_kg, LHV_RANGE, field=_("lower heating value"))
    moisture = _in_range(moisture_pct, MOISTURE_RANGE, field=_("moisture"))
    _not_future(day)
    note_number = note_number.strip()
    if len(note_number) > 40:
        raise FuelRefused(_("A delivery note number has at most 40 characters."))
    with transaction.atomic():
        _locked(heat_source)
        if expected is not None:
            # Locked and read again: a clerk may be calling it off at this moment.
            expected = ExpectedDelivery.objects.select_for_update().filter(pk=expected.pk).first()
            if (
                expected is None
                or expected.heat_source_id != heat_source.pk
                or expected.status != DeliveryStatus.EXPECTED
            ):
                raise FuelRefused(_("That expected delivery is no longer open."))
        if (
            note_number
            and live_entries(heat_source)
            .filter(kind=EntryKind.DELIVERY, note_number=note_number)
            .exists()
        ):
            raise FuelRefused(
                _("Delivery note %(note)s is already recorded for this heat source.")
                % {"note": note_number}
            )
        entry = CoalEntry.objects.create(
            heat_source=heat_source,
            kind=EntryKind.DELIVERY,
            day=day,
            tonnes=amount,
            supplier=supplier.strip()[:100],
            note_number=note_number,
            lhv_mj_kg=lhv,
            moisture_pct=moisture,
            origin=origin,
            created_by=actor,
        )
        if expected is not None:
            expected.status = DeliveryStatus.RECEIVED
            expected.received_entry = entry
            expected.save(update_fields=["status", "received_entry"])
    return entry


def record_consumption(
    *,
    heat_source: HeatSource,
    day: date,
    tonnes: Any,
    actor: Any,
    origin: str = Origin.ENTERED,
) -> CoalEntry:
    """Record a day's coal burned (one entry a day; reverse it to correct it)."""
    amount = _tonnes(tonnes, field=_("coal burned"), allow_zero=True)
    _not_future(day)
    with transaction.atomic():
        _locked(heat_source)
        if live_entries(heat_source).filter(kind=EntryKind.CONSUMPTION, day=day).exists():
            raise FuelRefused(
                _("Consumption for %(day)s is already recorded; reverse it to correct it.")
                % {"day": day.isoformat()}
            )
        return CoalEntry.objects.create(
            heat_source=heat_source,
            kind=EntryKind.CONSUMPTION,
            day=day,
            tonnes=-amount,
            origin=origin,
            created_by=actor,
        )


def record_stocktake(
    *, heat_source: HeatSource, day: date, counted_tonnes: Any, reason: str, actor: Any
) -> CoalEntry:
    """A stocktake: the difference between the counted stock and the book balance of that
    day becomes an adjustment, with the explanation of the difference."""
    counted = _tonnes(counted_tonnes, field=_("counted stock"), allow_zero=True)
    reason = reason.strip()
    if not reason:
        raise FuelRefused(_("Explain the difference between the count and the books."))
    _not_future(day)
    with transaction.atomic():
        _locked(heat_source)
        difference = counted - balance(heat_source, on=day)
        if difference == 0:
            raise FuelRefused(_("The count matches the books: there is nothing to adjust."))
        return CoalEntry.objects.create(
            heat_source=heat_source,
            kind=EntryKind.ADJUSTMENT,
            day=day,
            tonnes=difference,
            counted_tonnes=counted,
            reason=reason[:300],
            created_by=actor,
        )


def reverse_entry(*, entry: CoalEntry, reason: str, actor: Any) -> CoalEntry:
    """Cancel an entry by an opposite one on the same day; the original stays in the books."""
    reason = reason.strip()
    if not reason:
        raise FuelRefused(_("Say why the entry is reversed."))
    if entry.kind == EntryKind.REVERSAL:
        raise FuelRefused(_("A reversal cannot be reversed; record the entry again instead."))
    with transaction.atomic():
        _locked(entry.heat_source)
        if CoalEntry.objects.filter(reverses=entry).exists():
            raise FuelRefused(_("This entry is already reversed."))
        reversal = CoalEntry.objects.create(
            heat_source=entry.heat_source,
            kind=EntryKind.REVERSAL,
            day=entry.day,
            tonnes=-entry.tonnes,
            reason=reason[:300],
            reverses=entry,
            created_by=actor,
        )
        # A received delivery that is reversed is expected again.
        ExpectedDelivery.objects.filter(received_entry=entry).update(
            status=DeliveryStatus.EXPECTED, received_entry=None
        )
    return reversal


def expect_delivery(
    *, heat_source: HeatSource, expected_on: date, tonnes: Any, supplier: str, actor: Any
) -> ExpectedDelivery:
    """A delivery the supplier has confirmed for a day: the forecast counts it until it is
    weighed in (``record_delivery(expected=…)``) or called off."""
    amount = _tonnes(tonnes, field=_("weight"))
    if expected_on < timezone.localdate():
        raise FuelRefused(_("An expected delivery is due today or later."))
    return ExpectedDelivery.objects.create(
        heat_source=heat_source,
        expected_on=expected_on,
        tonnes=amount,
        supplier=supplier.strip()[:100],
        created_by=actor,
    )


def cancel_expected(*, delivery: ExpectedDelivery) -> ExpectedDelivery:
    """Call off an expected delivery (the supplier cannot send it): the forecast drops it."""
    with transaction.atomic():
        locked = ExpectedDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != DeliveryStatus.EXPECTED:
            raise FuelRefused(_("That expected delivery is no longer open."))
        locked.status = DeliveryStatus.CANCELLED
        locked.save(update_fields=["status"])
    return locked


def balance(heat_source: HeatSource, *, on: date) -> Decimal:
    """The yard's book stock at the end of a day (every entry up to it, reversals included)."""
    total = CoalEntry.objects.filter(heat_source=heat_source, day__lte=on).aggregate(
        t=Sum("tonnes")
    )["t"]
    return Decimal(total or 0)


def consumption_from_telemetry(*, day: date) -> int:
    """Book each heat source's coal burned on ``day`` from its telemetry, where nobody has
    booked that day; returns how many entries were written.

    A reading's ``coal_t`` is the coal burned since the reading before, so the day is
    (00:00, 24:00]. Only a day the readings cover whole is booked (a first reading within
    the day's first hour and a last within its last hour): a gateway that was down half the
    day would book half a day's burn. A total outside 0..100,000 t is not booked either.
    """
    from wennuan.operations.models import SourceReading

    zone = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = start + timedelta(days=1)
    burned = (
        SourceReading.objects.filter(time__gt=start, time__lte=end, coal_t__isnull=False)
        .values("heat_source_id")
        .annotate(total=Sum("coal_t"), first=Min("time"), last=Max("time"))
        .order_by()
    )
    whole = {
        row["heat_source_id"]: row["total"]
        for row in burned
        if row["first"] <= start + timedelta(hours=1)
        and row["last"] >= end - timedelta(hours=1)
        and 0 <= row["total"] <= MAX_TONNES
    }
    with transaction.atomic():
        # The yards' rows locked, as a clerk's entry locks them: nobody books the day between
        # this look at the books and the insert.
        list(HeatSource.objects.select_for_update().filter(pk__in=list(whole)))
        recorded = set(
            CoalEntry.objects.filter(
                kind=EntryKind.CONSUMPTION,
                day=day,
                reversal__isnull=True,
                heat_source__in=list(whole),
            ).values_list("heat_source_id", flat=True)
        )
        entries = [
            CoalEntry(
                heat_source_id=source_id,
                kind=EntryKind.CONSUMPTION,
                day=day,
                tonnes=-Decimal(str(round(total, 3))),
                origin=Origin.TELEMETRY,
            )
            for source_id, total in whole.items()
            if source_id not in recorded
        ]
        CoalEntry.objects.bulk_create(entries)
    return len(entries)


# --- weather ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayTemperature:
    """A day's temperatures to store."""

    day: date
    mean_c: float
    min_c: float | None = None
    max_c: float | None = None


def save_weather_days(
    days: Iterable[DayTemperature], *, kind: str, origin: str, place: str = ""
) -> int:
    """Store daily temperatures, replacing what was there for the same place, day and kind."""
    place = place or settings.WEATHER_PLACE
    rows = [
        WeatherDay(
            place=place,
            day=d.day,
            kind=kind,
            mean_c=d.mean_c,
            min_c=d.min_c,
            max_c=d.max_c,
            origin=origin,
            updated_at=timezone.now(),
        )
        for d in days
    ]
    for row in rows:
        if not -60 <= row.mean_c <= 60 or not math.isfinite(row.mean_c):
            raise FuelRefused(
                _("%(day)s: a daily mean must be within -60..60 °C") % {"day": row.day}
            )
    WeatherDay.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["place", "day", "kind"],
        update_fields=["mean_c", "min_c", "max_c", "origin", "updated_at"],
    )
    return len(rows)


def save_forecast_hours(
    hours: Sequence[tuple[datetime, float]], *, origin: str, place: str = ""
) -> int:
    """Store hourly forecast temperatures (replacing the same hours)."""
    place = place or settings.WEATHER_PLACE
    WeatherHour.objects.bulk_create(
        [
            WeatherHour(
                place=place,
                time=moment,
                temperature_c=value,
                origin=origin,
                updated_at=timezone.now(),
            )
            for moment, value in hours
        ],
        update_conflicts=True,
        unique_fields=["place", "time"],
        update_fields=["temperature_c", "origin", "updated_at"],
    )
    return len(hours)


def observed_days_from_telemetry(*, since: date, until: date | None = None) -> int:
    """Daily means of the observed outdoor temperature (telemetry) become observed days,
    except days someone entered or imported by hand, which stay as they are."""
    from wennuan.operations.models import OutdoorTemperature

    zone = timezone.get_current_timezone()
    until = until or timezone.localdate()
    start = datetime.combine(since, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    daily = (
        OutdoorTemperature.objects.filter(
            place=settings.WEATHER_PLACE, time__gte=start, time__lt=end
        )
        .annotate(local_day=TruncDate("time", tzinfo=zone))
        .values("local_day")
        .annotate(mean=Avg("temperature_c"), low=Min("temperature_c"), high=Max("temperature_c"))
        .order_by()
    )
    manual = set(
        WeatherDay.objects.filter(
            place=settings.WEATHER_PLACE,
            kind=WeatherKind.OBSERVED,
            day__gte=since,
            day__lte=until,
        )
        .exclude(origin=Origin.TELEMETRY)
        .values_list("day", flat=True)
    )
    days = [
        DayTemperature(r["local_day"], round(r["mean"], 2), r["low"], r["high"])
        for r in daily
        if r["local_day"] not in manual
    ]
    return save_weather_days(days, kind=WeatherKind.OBSERVED, origin=Origin.TELEMETRY)


# --- burn models ------------------------------------------------------------------------


def burn_history(heat_source: HeatSource, *, place: str = "") -> list[burn_model.DayObs]:
    """Each day with both a standing consumption entry and an observed mean temperature."""
    place = place or settings.WEATHER_PLACE
    # One standing consumption entry a day (record_consumption and the telemetry job see to it).
    burned = dict(
        live_entries(heat_source).filter(kind=EntryKind.CONSUMPTION).values_list("day", "tonnes")
    )
    temps = dict(
        WeatherDay.objects.filter(
            place=place, kind=WeatherKind.OBSERVED, day__in=list(burned)
        ).values_list("day", "mean_c")
    )
    return [
        burn_model.DayObs(day, temps[day], float(-tonnes))
        for day, tonnes in sorted(burned.items())
        if day in temps
    ]


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def profile_for(heat_source: HeatSource) -> FuelProfile:
    profile, _ = FuelProfile.objects.get_or_create(heat_source=heat_source)
    return profile


def heat_history(heat_source: HeatSource) -> list[burn_model.DayObs]:
    """Daily heat output (MWh) from the heat source's telemetry, for the days with at least
    20 hourly readings, with the day's observed mean temperature."""
    from wennuan.operations.models import SourceReading

    zone = timezone.get_current_timezone()
    daily = (
        SourceReading.objects.filter(heat_source=heat_source, output_mw__isnull=False)
        .annotate(local_day=TruncDate("time", tzinfo=zone))
        .values("local_day")
        .annotate(mean=Avg("output_mw"), n=Count("time"))
        .order_by("local_day")
    )
    rows = [(r["local_day"], r["mean"] * 24) for r in daily if r["n"] >= 20]
    temps = dict(
        WeatherDay.objects.filter(
            place=settings.WEATHER_PLACE,
            kind=WeatherKind.OBSERVED,
            day__in=[day for day, _ in rows],
        ).values_list("day", "mean_c")
    )
    return [burn_model.DayObs(day, temps[day], mwh) for day, mwh in rows if day in temps]


def hourly_history(
    heat_source: HeatSource, *, days: int = 60
) -> list[tuple[datetime, float, float]]:
    """(local hour, outdoor °C, output MW) of the last ``days`` days, for the hourly shape."""
    # Two grouped queries and a dict join: a season of hours is a few thousand rows.
    from wennuan.operations.models import OutdoorTemperature, SourceReading

    zone = timezone.get_current_timezone()
    since = timezone.now() - timedelta(days=days)
    output = (
        SourceReading.objects.filter(
            heat_source=heat_source, time__gte=since, output_mw__isnull=False
        )
        .annotate(hour=TruncHour("time", tzinfo=zone))
        .values("hour")
        .annotate(mw=Avg("output_mw"))
        .values_list("hour", "mw")
    )
    outdoor = dict(
        OutdoorTemperature.objects.filter(place=settings.WEATHER_PLACE, time__gte=since)
        .annotate(hour=TruncHour("time", tzinfo=zone))
        .values("hour")
        .annotate(t=Avg("temperature_c"))
        .values_list("hour", "t")
    )
    # Hours without an outdoor reading take the day's observed mean.
    day_means = dict(
        WeatherDay.objects.filter(
            place=settings.WEATHER_PLACE, kind=WeatherKind.OBSERVED, day__gte=since.date()
        ).values_list("day", "mean_c")
    )
    rows = []
    for hour, mw in output:
        local = timezone.localtime(hour).replace(tzinfo=None)
        outside = outdoor.get(hour, day_means.get(local.date()))
        if outside is not None:
            rows.append((local, outside, mw))
    return rows


def refit_model(*, heat_source: HeatSource) -> FuelProfile:
    """Fit the heat source's models on its own history and keep them: coal burned a day
    (from the ledger) and heat output a day (from telemetry) — each a robust degree-day
    regression, or the plain baseline when that does better on held-out days — and the
    hourly shape of the heat output."""
    profile = profile_for(heat_source)
    base_c = settings.FUEL_HDD_BASE_C
    history = burn_history(heat_source)
    try:
        report = burn_model.fit_daily(history, base_c=base_c)
    except burn_model.NotEnoughHistory:
        profile.model = None
        profile.model_kind = ""
        profile.holdout_mape = profile.baseline_mape = None
    else:
        profile.model = report.model.to_dict()
        profile.model_kind = report.chosen
        # NaN when there was nothing to score against (no burn on the held-out days).
        profile.holdout_mape = _finite_or_none(report.model_mape)
        profile.baseline_mape = _finite_or_none(report.baseline_mape)
    profile.history_days = len(history)
    heat = heat_history(heat_source)
    try:
        heat_report = burn_model.fit_daily(heat, base_c=base_c)
    except burn_model.NotEnoughHistory:
        profile.heat_model, profile.heat_model_kind, profile.heat_holdout_mape = None, "", None
        profile.hourly_shape = None
    else:
        profile.heat_model = heat_report.model.to_dict()
        profile.heat_model_kind = heat_report.chosen
        profile.heat_holdout_mape = _finite_or_none(heat_report.model_mape)
        profile.hourly_shape = burn_model.fit_hourly_shape(hourly_history(heat_source)).to_dict()
    profile.heat_history_days = len(heat)
    profile.fitted_at = timezone.now()
    profile.save()
    return profile


def refit_all_models() -> int:
    """Refit every heat source's model (the morning job); returns how many have one.

    A source whose fit fails keeps its last model, and the others are still refitted.
    """
    fitted = 0
    for source in coal_sources():
        try:
            fitted += refit_model(heat_source=source).model is not None
        except Exception:  # one odd history must not leave every yard on yesterday's model
            logger.exception("refitting the models of %s failed", source.code)
    return fitted


def stock_by_source(*, on: date) -> dict[int, Decimal]:
    """Book stock of every yard at the end of a day, in one query."""
    rows = (
        CoalEntry.objects.filter(day__lte=on)
        .values("heat_source_id")
        .annotate(t=Sum("tonnes"))
        .order_by()
    )
    return {r["heat_source_id"]: Decimal(r["t"] or 0) for r in rows}


def expected_by_source(*, since: date, until: date) -> dict[int, list[tuple[date, float]]]:
    """Open expected deliveries per heat source in [since, until]."""
    out: dict[int, list[tuple[date, float]]] = {}
    for delivery in ExpectedDelivery.objects.filter(
        Q(status=DeliveryStatus.EXPECTED), expected_on__gte=since, expected_on__lte=until
    ).order_by("expected_on"):
        out.setdefault(delivery.heat_source_id, []).append(
            (delivery.expected_on, float(delivery.tonnes))
        )
    return out
