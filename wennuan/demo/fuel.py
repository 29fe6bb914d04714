"""Demo coal yards: a year and a season of daily temperatures and coal burned, deliveries,
a ten-day forecast, expected deliveries, and fitted burn models.

The weather is one synthetic series of daily means (``demo_daily_means``): the monthly
normals, an autocorrelated anomaly and a January cold wave. The drawn history, the demo
telemetry's outdoor temperature and the forecast all come from it, so they join up.

The numbers hang together: a day's heat is the plant's connected load times a load that grows
with the heating degree days (design outdoor temperature −12 °C), a little less at
weekends; coal burned is that heat over the coal's LHV and the boiler efficiency, with 3 %
noise. Deliveries kept each yard near three weeks of cover, except the last one, whose
trains stopped twelve days ago and none is confirmed: it falls below the 15-day rule within the
forecast horizon, so the morning check alerts. The others have trains confirmed for weeks ahead.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wennuan.fuel.choices import DeliveryStatus, EntryKind, Origin, WeatherKind
from wennuan.fuel.forecast import normals, season_bounds
from wennuan.fuel.models import CoalEntry, ExpectedDelivery, FuelProfile, WeatherDay
from wennuan.fuel.services import (
    consumption_from_telemetry,
    observed_days_from_telemetry,
    refit_all_models,
)
from wennuan.fuel.units import DEFAULT_LHV_MJ_KG, coal_for_heat
from wennuan.grid.models import HeatSource

DESIGN_OUTDOOR_C = -12.0
EFFICIENCY = 0.8
TRIAL_HEATING_DAYS = 5  # 试供暖: the plants may start this many days before the season
STOPPED_DAYS = 12  # the last yard's trains stopped this many days ago
SUPPLIERS = ["山东能源集团", "兖矿煤炭运销", "龙口矿业集团"]


# Share of a day's heat in each local hour: a night set-back, the morning and evening peaks.
DIURNAL = [
    0.85, 0.82, 0.8, 0.8, 0.83, 0.95, 1.15, 1.25, 1.2, 1.05, 1.0, 0.97,
    0.95, 0.93, 0.93, 0.95, 1.02, 1.12, 1.2, 1.18, 1.1, 1.0, 0.93, 0.88,
]  # fmt: skip
DIURNAL = [v * 24 / sum(DIURNAL) for v in DIURNAL]


def connected_mw(heat_source: HeatSource) -> float:
    """The heat source's connected load: the capacity of the stations it feeds."""
    return float(sum(s.capacity_mw for s in heat_source.stations.all()))


def demo_heat_mw(connected: float, mean_c: float, weekday: int, hour: int | None = None) -> float:
    """Heat output at this outdoor temperature: the connected load times a load factor that
    grows with the degree days (design outdoor temperature −12 °C), a little less at weekends;
    by ``hour``, the hour's part of the daily profile, else the day's mean."""
    load = min(1.05, max(0.12, (18 - mean_c) / (18 - DESIGN_OUTDOOR_C)))
    profile = DIURNAL[hour] if hour is not None else 1.0
    return connected * load * profile * (0.97 if weekday >= 5 else 1.0)


def demo_burn_t(connected: float, mean_c: float, day: date, rng: random.Random) -> float:
    """A day's coal burned for this connected load at this daily mean temperature."""
    heat_mwh = demo_heat_mw(connected, mean_c, day.weekday()) * 24
    coal = coal_for_heat(heat_mwh, lhv_mj_kg=DEFAULT_LHV_MJ_KG, efficiency=EFFICIENCY)
    return coal * (1 + rng.gauss(0, 0.03))


# The daily anomaly from the normal: AR(1), ``a(d) = φ·a(d−1) + ε(d)``, written as the sum of
# the last ANOMALY_MEMORY_DAYS shocks so that a day's value does not depend on the range asked
# for (φ^40 ≈ 1e-5: nothing older matters). Stationary spread about 2.4 °C.
ANOMALY_PHI = 0.75
ANOMALY_SHOCK_C = 1.6
ANOMALY_MEMORY_DAYS = 40
# The January cold wave (寒潮): day of January → °C below the normal, in and out over days.
COLD_WAVE_C = {
    9: -3.0, 10: -6.0, 11: -8.0, 12: -8.0, 13: -7.0, 14: -7.0, 15: -6.0, 16: -4.0, 17: -2.0,
}  # fmt: skip


def _shock(seed: int, day: date) -> float:
    return random.Random(f"demo-weather:{seed}:{day.isoformat()}").gauss(0, ANOMALY_SHOCK_C)  # nosec B311  # seeded demo data


def demo_daily_means(first: date, last: date, seed: int) -> dict[date, float]:
    """The demo's daily mean outdoor temperature (°C, one decimal) for each day from
    ``first`` to ``last``: the monthly normals (``forecast.normals`` of a place without
    history), an autocorrelated anomaly and the January cold wave. Deterministic for a seed,
    and a day's value is the same whatever range it is asked in."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if not days:
        return {}
    normal = normals("__demo_normals__", days)  # a place without history: the monthly normals
    weights = [ANOMALY_PHI**k for k in range(ANOMALY_MEMORY_DAYS)]
    origin = first - timedelta(days=ANOMALY_MEMORY_DAYS - 1)
    shocks = [_shock(seed, origin + timedelta(days=i)) for i in range(len(days) + len(weights) - 1)]
    out = {}
    for i, day in enumerate(days):
        # shocks[i + M − 1] is the day's own shock, shocks[i] the oldest one remembered.
        anomaly = sum(w * shocks[i + len(weights) - 1 - k] for k, w in enumerate(weights))
        wave = COLD_WAVE_C.get(day.day, 0.0) if day.month == 1 else 0.0
        out[day] = round(normal[day] + anomaly + wave, 1)
    return out


def demo_heating_on(day: date) -> bool:
    """Whether the demo's plants fire on ``day``: the heating season, and the trial heating
    of up to TRIAL_HEATING_DAYS days before it."""
    start, end = season_bounds(day)
    return start - timedelta(days=TRIAL_HEATING_DAYS) <= day <= end


def build_demo_fuel(
    *, seed: int, today: date | None = None, telemetry_since: date | None = None
) -> dict[str, int]:
    """Weather, books and expected deliveries for every heat source; returns counts.

    Days from ``telemetry_since`` on (the demo telemetry's window) take their temperature
    and coal burned from the telemetry, as the morning check does; earlier days are drawn.
    """
    rng = random.Random(seed + 11)  # nosec B311  # seeded demo data
    today = today or timezone.localdate()
    season_start, _end = season_bounds(today)
    if season_start > today:  # before this season: last season is the history
        season_start = season_start.replace(year=season_start.year - 1)
    # Last season and this one so far, with some autumn before.
    history_start = season_start.replace(year=season_start.year - 1) - timedelta(days=45)
    temps = demo_daily_means(history_start, today + timedelta(days=10), seed)
    place = settings.WEATHER_PLACE
    weather = [
        WeatherDay(place=place, day=d, kind=WeatherKind.OBSERVED, mean_c=t, origin=Origin.IMPORT)
        for d, t in temps.items()
        if d < (telemetry_since or today)
    ] + [
        WeatherDay(
            place=place,
            day=d,
            kind=WeatherKind.FORECAST,
            # The series itself, with a forecast error that grows with the lead time.
            mean_c=round(t + rng.gauss(0, 0.3 + 0.12 * (d - today).days), 1),
            origin=Origin.IMPORT,
        )
        for d, t in temps.items()
        if d >= today
    ]
    sources = [
        source
        for source in HeatSource.objects.order_by("code").prefetch_related("stations")
        if connected_mw(source) > 0  # a plant nobody is connected to burns nothing
    ]
    with transaction.atomic():
        WeatherDay.objects.bulk_create(
            weather,
            update_conflicts=True,
            unique_fields=["place", "day", "kind"],
            update_fields=["mean_c", "origin", "updated_at"],
        )
        # The telemetry window is booked as the morning check would have booked it.
        booked: dict[tuple[int, date], float] = {}
        if telemetry_since is not None:
            for back in range((today - telemetry_since).days, 0, -1):
                consumption_from_telemetry(day=today - timedelta(days=back))
            observed_days_from_telemetry(since=telemetry_since, until=today - timedelta(days=1))
            booked = {
                (source_id, day): float(-tonnes)
                for source_id, day, tonnes in CoalEntry.objects.filter(
                    kind=EntryKind.CONSUMPTION, day__gte=telemetry_since
                ).values_list("heat_source_id", "day", "tonnes")
            }
        entries, expected = _books(sources, temps, booked, today, rng)
        CoalEntry.objects.bulk_create(entries)
        ExpectedDelivery.objects.bulk_create(expected)
        FuelProfile.objects.bulk_create(
            [FuelProfile(heat_source=s) for s in sources], ignore_conflicts=True
        )
    fitted = refit_all_models()
    return {
        "weather_days": len(weather),
        "coal_entries": len(entries),
        "expected_deliveries": len(expected),
        "models": fitted,
    }


def _books(
    sources: list[HeatSource],
    temps: dict[date, float],
    booked: dict[tuple[int, date], float],
    today: date,
    rng: random.Random,
) -> tuple[list[CoalEntry], list[ExpectedDelivery]]:
    """Each yard's season openings, daily burn (unless ``booked`` from telemetry) and the
    trains that kept it near three weeks of cover; expected deliveries for all but the last.
    Drawn seasons start on the season's first day; a season whose telemetry shows trial
    heating before it opens on the first day booked."""
    entries: list[CoalEntry] = []
    expected: list[ExpectedDelivery] = []
    for index, source in enumerate(sources):
        connected = connected_mw(source)
        stopped = index == len(sources) - 1  # the yard whose trains stopped
        stock = 0.0
        opened: date | None = None  # the start of the last season the yard was stocked for
        for day in sorted(d for d in temps if d < today):
            start, end = season_bounds(day)
            burn = booked.get((source.pk, day))
            if not start <= day <= end and burn is None:
                continue
            if opened != start:  # the season opens with about 25 days of cold-weather burn
                opened = start
                opening = round(demo_burn_t(connected, -2, day, rng) * 25 - stock, 1)
                if opening > 0:
                    entries.append(
                        _delivery(source, day - timedelta(days=1), opening, rng, len(entries))
                    )
                    stock += opening
            if burn is None:
                burn = round(demo_burn_t(connected, temps[day], day, rng), 1)
                entries.append(
                    CoalEntry(
                        heat_source=source,
                        kind=EntryKind.CONSUMPTION,
                        day=day,
                        tonnes=-Decimal(str(burn)),
                        origin=Origin.TELEMETRY,
                    )
                )
            stock -= burn
            # A train whenever the yard dips under 18 days of cover (none lately, if stopped).
            if stock < burn * 18 and not (stopped and (today - day).days <= STOPPED_DAYS):
                load = round(burn * rng.uniform(5, 8), 1)
                entries.append(_delivery(source, day, load, rng, len(entries)))
                stock += load
        if not stopped:
            # Trains confirmed for the coming weeks: a week's cold-weather burn every six
            # days keeps these yards above the rule over the forecast's horizon.
            expected += [
                ExpectedDelivery(
                    heat_source=source,
                    expected_on=today + timedelta(days=2 + index + 6 * k),
                    tonnes=Decimal(str(round(demo_burn_t(connected, -2, today, rng) * 7))),
                    supplier=SUPPLIERS[(index + k) % len(SUPPLIERS)],
                    status=DeliveryStatus.EXPECTED,
                )
                for k in range(8)
            ]
    return entries, expected


def _delivery(
    source: HeatSource, day: date, tonnes: float, rng: random.Random, number: int
) -> CoalEntry:
    lhv = DEFAULT_LHV_MJ_KG + rng.uniform(-0.8, 0.8)
    return CoalEntry(
        heat_source=source,
        kind=EntryKind.DELIVERY,
        day=day,
        tonnes=Decimal(str(tonnes)),
        supplier=SUPPLIERS[rng.randrange(len(SUPPLIERS))],
        note_number=f"{source.code}-{day:%y%m%d}-{number:05d}",
        lhv_mj_kg=Decimal(str(round(lhv, 3))),
        moisture_pct=Decimal(str(round(rng.uniform(6, 12), 2))),
        origin=Origin.IMPORT,
    )


def clear_demo_fuel() -> None:
    """Delete the books (reversals first: they protect what they reverse)."""
    ExpectedDelivery.objects.all().delete()
    CoalEntry.objects.filter(kind=EntryKind.REVERSAL).delete()
    CoalEntry.objects.all().delete()
    FuelProfile.objects.all().delete()
