"""The demo's weather is one series: the drawn history, the telemetry's outdoor temperature
and the forecast follow on from each other, and the plants fire only in the heating season
(and its trial heating, up to five days before)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from wennuan.demo.fuel import build_demo_fuel, demo_daily_means
from wennuan.demo.telemetry import build_demo_telemetry
from wennuan.fuel.choices import EntryKind, Origin, WeatherKind
from wennuan.fuel.forecast import season_bounds
from wennuan.fuel.models import CoalEntry, WeatherDay
from wennuan.operations.models import SourceReading

pytestmark = pytest.mark.django_db

TELEMETRY_DAYS = 21
SEED = 7  # the demo_city fixture's


def build_weather_and_books(now: datetime) -> date:
    """The demo's telemetry and books as `demo_city` builds them at ``now``; returns the
    first whole day of telemetry (where the books take over from it)."""
    build_demo_telemetry(days=TELEMETRY_DAYS, seed=SEED, now=now)
    today = timezone.localdate(now)
    since = today - timedelta(days=TELEMETRY_DAYS - 1)
    build_demo_fuel(seed=SEED, today=today, telemetry_since=since)
    return since


def observed(**filters: object) -> dict[date, float]:
    return dict(
        WeatherDay.objects.filter(
            place=settings.WEATHER_PLACE, kind=WeatherKind.OBSERVED, **filters
        ).values_list("day", "mean_c")
    )


@pytest.mark.parametrize(
    "now",
    [
        datetime(2025, 11, 20, 14),  # the season began five days ago: the window holds its start
        datetime(2026, 1, 14, 9),  # in the January cold wave
        datetime(2026, 4, 12, 22),  # a week after the season ended
    ],
    ids=["season-start", "cold-wave", "season-end"],
)
def test_observed_days_vary_and_join_the_drawn_history_and_the_forecast(
    demo_city: None, now: datetime
) -> None:
    moment = timezone.make_aware(now)
    today = timezone.localdate(moment)
    since = build_weather_and_books(moment)
    series = demo_daily_means(since - timedelta(days=30), today + timedelta(days=10), SEED)

    from_telemetry = observed(origin=Origin.TELEMETRY)
    assert sorted(from_telemetry) == [since + timedelta(days=i) for i in range(TELEMETRY_DAYS - 1)]
    # Real weather: the days are not all within ±0.5 °C of one value ...
    assert max(from_telemetry.values()) - min(from_telemetry.values()) > 1.0
    # ... and each is the series' day (the hourly swing and noise average out).
    for day, mean in from_telemetry.items():
        assert mean == pytest.approx(series[day], abs=0.5), day
    # The drawn history before the window is the same series.
    drawn = observed(day__lt=since)
    assert all(drawn[day] == series[day] for day in drawn if day in series)
    # The forecast goes on from the last observed day.
    last_observed = max(observed().items())
    forecast = WeatherDay.objects.filter(place=settings.WEATHER_PLACE, kind=WeatherKind.FORECAST)
    first_forecast = forecast.order_by("day").values_list("day", "mean_c").first()
    assert first_forecast is not None
    assert last_observed[0] == today - timedelta(days=1) and first_forecast[0] == today
    assert abs(first_forecast[1] - last_observed[1]) <= 6.0
    for day, mean in forecast.values_list("day", "mean_c"):
        assert mean == pytest.approx(series[day], abs=5), day


@pytest.mark.parametrize(
    "now",
    [datetime(2025, 11, 20, 14), datetime(2025, 11, 3, 10), datetime(2026, 4, 12, 22)],
    ids=["season-start", "autumn", "season-end"],
)
def test_heat_sources_report_only_from_five_days_before_the_season(
    demo_city: None, now: datetime
) -> None:
    moment = timezone.make_aware(now)
    since = build_weather_and_books(moment)

    reported = {timezone.localdate(t) for t in SourceReading.objects.values_list("time", flat=True)}
    for day in reported:
        start, end = season_bounds(day)
        assert start - timedelta(days=5) <= day <= end, day
    booked = set(
        CoalEntry.objects.filter(kind=EntryKind.CONSUMPTION, day__gte=since).values_list(
            "day", flat=True
        )
    )
    assert booked <= reported  # nothing burned on a day the plants were cold
    if now.date() == date(2025, 11, 20):  # trial heating from the 10th, the season from the 15th
        assert min(reported) == date(2025, 11, 10)
        # Each yard was stocked for this season before its first trial day's burn.
        for source_id in set(SourceReading.objects.values_list("heat_source_id", flat=True)):
            entries = CoalEntry.objects.filter(heat_source_id=source_id, day__gte=since)
            first_burn = entries.filter(kind=EntryKind.CONSUMPTION).order_by("day").first()
            first_train = entries.filter(kind=EntryKind.DELIVERY).order_by("day").first()
            assert first_burn is not None and first_train is not None
            assert first_train.day < first_burn.day == date(2025, 11, 10)
    if now.date() == date(2025, 11, 3):  # a week before the trial heating: the plants are cold
        assert not reported and not booked


def test_a_days_mean_does_not_depend_on_the_range_asked_and_follows_the_seed() -> None:
    first, last = date(2025, 10, 1), date(2026, 4, 30)
    whole = demo_daily_means(first, last, SEED)
    part = demo_daily_means(date(2026, 1, 5), date(2026, 1, 20), SEED)
    assert all(part[day] == whole[day] for day in part)
    assert demo_daily_means(first, last, SEED) == whole
    assert demo_daily_means(first, last, SEED + 1) != whole
    # Winter is colder than autumn, and the cold wave colder than January on the whole.
    january = [t for day, t in whole.items() if day.month == 1]
    assert (
        sum(january) / len(january)
        < sum(t for day, t in whole.items() if day.month == 10) / 31 - 10
    )
    wave = [whole[date(2026, 1, d)] for d in range(11, 15)]
    assert max(wave) < sum(january) / len(january)
