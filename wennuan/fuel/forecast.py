"""Days of cover: each yard's stock carried forward day by day against the forecast burn,
with confirmed deliveries, under a scenario (deliveries suspended, a cold wave, a less
efficient boiler, or several at once). Reads only.

Temperatures for the days ahead come from the stored forecast where there is one, else
from the place's normal for that day of the year (its own observed history of three years
or more, else the monthly normals of ``FUEL_NORMALS_MONTHLY``). The burn per day comes from
the heat source's fitted model (``services.refit_model``), carried in through the last two
weeks of observed temperatures; without one (less than two weeks of history) the mean of the
last recorded week stands in, and the page says so. Outside the heating season the heat
sources are off: no burn.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wennuan.fuel import model as burn_model
from wennuan.fuel.choices import EntryKind, WeatherKind
from wennuan.fuel.models import FuelProfile, WeatherDay
from wennuan.grid.models import HeatSource

# Run-out is searched this far ahead even when the page shows fewer days.
SEARCH_DAYS = 366
BAND_Z = 1.28  # the band holds ~80 % of days if residuals are normal
BASELINE_LABEL = gettext_lazy("Baseline")


@dataclass(frozen=True)
class Scenario:
    """What-if conditions over the forecast. Zero everywhere is the baseline."""

    key: str = "baseline"
    label: Any = BASELINE_LABEL
    suspend_days: int = 0  # no delivery arrives in the first N days (checkpoints closed)
    cold_delta_c: float = 0.0  # this many °C colder than forecast ...
    cold_days: int = 0  # ... for the first N days
    efficiency_drop_pct: float = 0.0  # boilers burn 1 / (1 − drop) as much for the same heat

    def check(self) -> Scenario:
        """The scenario if its numbers are sensible, else ValueError naming the one that is not."""
        if not 0 <= self.suspend_days <= SEARCH_DAYS:
            raise ValueError(_("Deliveries can be suspended for 0 to 366 days."))
        if not 0 <= self.cold_delta_c <= 30:
            raise ValueError(_("A cold wave is 0 to 30 °C below the forecast."))
        if not 0 <= self.cold_days <= SEARCH_DAYS:
            raise ValueError(_("A cold wave lasts 0 to 366 days."))
        if not 0 <= self.efficiency_drop_pct <= 50:
            raise ValueError(_("Boiler efficiency can drop by 0 to 50 %."))
        return self

    @property
    def is_baseline(self) -> bool:
        return not (self.suspend_days or (self.cold_delta_c and self.cold_days)) and not (
            self.efficiency_drop_pct
        )

    def describe(self) -> str:
        parts = []
        if self.suspend_days:
            parts.append(_("deliveries suspended %(n)s days") % {"n": self.suspend_days})
        if self.cold_delta_c and self.cold_days:
            parts.append(
                _("%(c)s °C colder for %(n)s days")
                % {"c": f"{self.cold_delta_c:g}", "n": self.cold_days}
            )
        if self.efficiency_drop_pct:
            parts.append(_("efficiency down %(p)s %%") % {"p": f"{self.efficiency_drop_pct:g}"})
        return ", ".join(parts) or str(_("as forecast"))


def parse_scenario(text: str) -> Scenario:
    """``suspend=10,cold=8x5,efficiency=5`` (any of them) → a Scenario; ValueError if not."""
    values: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _sep, raw = part.partition("=")
        try:
            if name == "suspend":
                values["suspend_days"] = int(raw)
            elif name == "cold":
                delta, _x, days = raw.partition("x")
                values["cold_delta_c"], values["cold_days"] = float(delta), int(days)
            elif name == "efficiency":
                values["efficiency_drop_pct"] = float(raw)
            else:
                raise ValueError(name)
        except ValueError as exc:
            raise ValueError(
                _("%(part)r: use suspend=DAYS, cold=DEGREESxDAYS, efficiency=PERCENT")
                % {"part": part}
            ) from exc
    return Scenario(key="custom", label=text, **values).check()


def presets() -> list[Scenario]:
    """The side-by-side comparison every fuel page shows."""
    return [
        Scenario(),
        Scenario(
            key="suspend", label=gettext_lazy("Deliveries suspended 10 days"), suspend_days=10
        ),
        Scenario(
            key="cold",
            label=gettext_lazy("Cold wave: 8 °C colder for 7 days"),
            cold_delta_c=8,
            cold_days=7,
        ),
        Scenario(
            key="both",
            label=gettext_lazy("Both, and boilers 5 % less efficient"),
            suspend_days=10,
            cold_delta_c=8,
            cold_days=7,
            efficiency_drop_pct=5,
        ),
    ]


@dataclass
class ForecastDay:
    day: date
    mean_c: float
    from_forecast: bool  # False: the day's normal
    burn_t: float
    low_t: float
    high_t: float
    delivered_t: float
    stock_t: float  # at the end of the day


@dataclass
class Cover:
    """A yard's stock carried forward under one scenario.

    The reserve rule holds on a day when the stock at its end, with the confirmed deliveries
    after it, covers the next ``rule_days`` days' burn — that is, while the run-out date is
    more than ``rule_days`` days ahead — so "days of cover" and the rule tell one story.
    """

    heat_source: HeatSource
    scenario: Scenario
    today: date
    stock_t: float
    days: list[ForecastDay]  # the horizon shown
    run_out: date | None  # first day the stock cannot cover the burn (within SEARCH_DAYS)
    days_of_cover: float | None  # None: beyond SEARCH_DAYS, or no estimate
    rule_days: int
    below_rule_on: date | None  # first day (in the horizon) the rule fails
    order_t: float  # to keep the rule through the horizon
    order_by: date | None
    model_kind: str  # "" when there was no fitted model
    note: str = ""
    estimated: bool = True  # False: no consumption on record, so no burn to forecast
    overdue_t: float = 0.0  # expected deliveries past their day: not counted
    all_days: list[ForecastDay] = field(default_factory=list, repr=False)

    @property
    def burn_per_day_t(self) -> float:
        return sum(d.burn_t for d in self.days) / len(self.days) if self.days else 0.0

    @property
    def meets_rule(self) -> bool:
        return self.estimated and self.below_rule_on is None


def normals(place: str, days: Sequence[date]) -> dict[date, float]:
    """The normal daily mean for each day: the observed mean of the same calendar days
    (±7) when the place's history has them in at least three different years, else the
    monthly normals of ``FUEL_NORMALS_MONTHLY`` (one year's weather is not a normal)."""
    if not days:
        return {}
    observed = WeatherDay.objects.filter(place=place, kind=WeatherKind.OBSERVED).values_list(
        "day", "mean_c"
    )
    by_doy: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for day, mean in observed:
        by_doy[day.timetuple().tm_yday].append((day.year, mean))
    monthly = settings.FUEL_NORMALS_MONTHLY
    out: dict[date, float] = {}
    for day in days:
        doy = day.timetuple().tm_yday
        near = [v for k in range(doy - 7, doy + 8) for v in by_doy.get((k - 1) % 366 + 1, [])]
        if len({year for year, _ in near}) >= 3:
            out[day] = sum(mean for _, mean in near) / len(near)
        else:
            # Between the mid-month normals, linearly.
            month_mid = date(day.year, day.month, 15)
            other = day.month + (1 if day >= month_mid else -1)
            other_mid = date(day.year + (other - 1) // 12, (other - 1) % 12 + 1, 15)
            weight = abs((day - month_mid).days) / abs((other_mid - month_mid).days)
            out[day] = (1 - weight) * monthly[day.month - 1] + weight * monthly[other_mid.month - 1]
    return out


def temperatures(place: str, start: date, count: int) -> list[tuple[date, float, bool]]:
    """(day, mean °C, from the forecast?) for ``count`` days from ``start``."""
    days = [start + timedelta(days=i) for i in range(count)]
    forecast = dict(
        WeatherDay.objects.filter(
            place=place, kind=WeatherKind.FORECAST, day__gte=start, day__lte=days[-1]
        ).values_list("day", "mean_c")
    )
    normal = normals(place, [d for d in days if d not in forecast])
    return [(d, forecast[d], True) if d in forecast else (d, normal[d], False) for d in days]


def lead_in(place: str, start: date, days: int = 14) -> list[tuple[date, float]]:
    """The observed days before ``start``: the model's smoothed temperature is carried
    through them into the forecast (buildings remember last week's cold)."""
    return list(
        WeatherDay.objects.filter(
            place=place,
            kind=WeatherKind.OBSERVED,
            day__gte=start - timedelta(days=days),
            day__lt=start,
        )
        .order_by("day")
        .values_list("day", "mean_c")
    )


def in_season(day: date) -> bool:
    start, end = season_bounds(day)
    return start <= day <= end


@dataclass
class Inputs:
    """What every scenario of one yard shares, read once: stock, deliveries, the first day
    to forecast, temperatures, the burn model's forecast at those temperatures."""

    heat_source: HeatSource
    today: date
    start: date  # the first day whose burn is not in the books
    stock: float
    expected: list[tuple[date, float]]  # open deliveries due today or later
    overdue_t: float
    temps: list[tuple[date, float, bool]]  # from start, SEARCH_DAYS of them
    lead: list[tuple[date, float]]
    model: burn_model.DailyModel | None
    flat_burn: float | None  # without a model: the mean of the last recorded days
    note: str


def prepare(
    heat_source: HeatSource,
    *,
    today: date | None = None,
    stock: Decimal | None = None,
    expected: Sequence[tuple[date, float]] | None = None,
    profile: FuelProfile | None = None,
) -> Inputs:
    """Read what a forecast of this yard needs (callers holding the stock, deliveries or
    profile of every yard pass them in)."""
    from wennuan.fuel.services import balance, expected_by_source, live_entries

    today = today or timezone.localdate()
    place = settings.WEATHER_PLACE
    if stock is None:
        stock = balance(heat_source, on=today)
    if expected is None:
        expected = expected_by_source(
            since=today - timedelta(days=SEARCH_DAYS), until=today + timedelta(days=SEARCH_DAYS)
        ).get(heat_source.pk, [])
    if profile is None:
        profile = FuelProfile.objects.filter(heat_source=heat_source).first()
    consumption = live_entries(heat_source).filter(kind=EntryKind.CONSUMPTION)
    last_booked = consumption.order_by("-day").values_list("day", flat=True).first()
    # Today's burn is in the books only once its consumption entry is: start after it.
    start = today + timedelta(days=1) if last_booked is not None and last_booked >= today else today
    note = ""
    yesterday = today - timedelta(days=1)
    if in_season(yesterday) and last_booked is not None and last_booked < yesterday:
        note = _("No consumption is booked since %(day)s: the stock shown may be too high.") % {
            "day": last_booked.isoformat()
        }
    model = flat = None
    if profile is not None and profile.model:
        model = burn_model.DailyModel.from_dict(profile.model)
    else:
        recent = list(consumption.order_by("-day").values_list("tonnes", flat=True)[:7])
        if recent:
            flat = float(-sum(recent) / len(recent))
            note = note or _(
                "Less than two weeks of consumption with temperatures: the burn is the mean "
                "of the last recorded days."
            )
        else:
            note = _("No consumption is recorded yet: the forecast cannot estimate the burn.")
    return Inputs(
        heat_source=heat_source,
        today=today,
        start=start,
        stock=float(stock),
        expected=[(d, t) for d, t in expected if d >= today],
        overdue_t=sum(t for d, t in expected if d < today),
        temps=temperatures(place, start, SEARCH_DAYS),
        lead=lead_in(place, start),
        model=model,
        flat_burn=flat,
        note=note,
    )


def simulate(inputs: Inputs, scenario: Scenario | None = None, horizon: int | None = None) -> Cover:
    """Carry the stock forward day by day under ``scenario`` (the baseline by default)."""
    scenario = (scenario or Scenario()).check()
    horizon = horizon or settings.FUEL_HORIZON_DAYS
    today, start = inputs.today, inputs.start
    # The cold wave: colder than the forecast (or normal) for its first days.
    cold = [
        (d, mean - (scenario.cold_delta_c if i < scenario.cold_days else 0), known)
        for i, (d, mean, known) in enumerate(inputs.temps)
    ]
    estimated = inputs.model is not None or inputs.flat_burn is not None
    if inputs.model is not None:
        lead = inputs.lead
        predicted = inputs.model.predict(
            lead + [(d, m) for d, m, _k in cold],
            previous_mean_c=lead[0][1] if lead else None,
        )
        burns = predicted[len(lead) :]
        spread = inputs.model.residual_sd
    else:
        burns, spread = [inputs.flat_burn or 0.0] * len(cold), 0.0
    # Heat sources are off outside the heating season.
    burns = [b if in_season(d) else 0.0 for b, (d, _m, _k) in zip(burns, cold, strict=True)]
    factor = 1 / (1 - scenario.efficiency_drop_pct / 100)
    arrivals: dict[date, float] = defaultdict(float)
    level = inputs.stock
    for day, tonnes in inputs.expected:
        if (day - today).days < scenario.suspend_days:
            continue  # the checkpoint is closed that day
        if day < start:  # due today, and today's burn is already booked
            level += tonnes
        else:
            arrivals[day] += tonnes
    days: list[ForecastDay] = []
    run_out: date | None = None
    cover: float | None = None
    for i, ((day, mean, known), burn) in enumerate(zip(cold, burns, strict=True)):
        burn *= factor
        level += arrivals.get(day, 0.0)
        if run_out is None and burn > level:
            run_out = day
            cover = (start - today).days + i + (max(level, 0.0) / burn if burn else 0.0)
        level -= burn
        days.append(
            ForecastDay(
                day,
                round(mean, 1),
                known,
                burn,
                burn * max(0.0, 1 - BAND_Z * spread),
                burn * (1 + BAND_Z * spread),
                arrivals.get(day, 0.0),
                level,
            )
        )
    rule = settings.FUEL_MIN_COVER_DAYS
    below: date | None = None
    order = 0.0
    if estimated and run_out is not None and (run_out - today).days - rule <= horizon:
        below = max(today, run_out - timedelta(days=rule))
        # What keeps every day of the horizon covered for the rule's days after it.
        reach = start + timedelta(days=horizon + rule)
        order = max(0.0, -min(d.stock_t for d in days if d.day < reach))
    order_by = None
    if below is not None:
        order_by = max(today, below - timedelta(days=settings.FUEL_ORDER_LEAD_DAYS))
    return Cover(
        heat_source=inputs.heat_source,
        scenario=scenario,
        today=today,
        stock_t=inputs.stock,
        days=days[:horizon],
        run_out=run_out if estimated else None,
        days_of_cover=cover if estimated else None,
        rule_days=rule,
        below_rule_on=below,
        order_t=order,
        order_by=order_by,
        model_kind=inputs.model.kind if inputs.model is not None else "",
        note=inputs.note,
        estimated=estimated,
        overdue_t=inputs.overdue_t,
        all_days=days,
    )


def forecast_cover(
    heat_source: HeatSource,
    *,
    scenario: Scenario | None = None,
    horizon: int | None = None,
    today: date | None = None,
    stock: Decimal | None = None,
    expected: Sequence[tuple[date, float]] | None = None,
    profile: FuelProfile | None = None,
) -> Cover:
    """One yard under one scenario (see ``prepare`` and ``simulate``)."""
    inputs = prepare(heat_source, today=today, stock=stock, expected=expected, profile=profile)
    return simulate(inputs, scenario, horizon)


def compare(
    heat_source: HeatSource,
    scenarios: Sequence[Scenario],
    *,
    today: date | None = None,
    horizon: int | None = None,
) -> list[Cover]:
    """The same yard under several scenarios, side by side (its inputs read once)."""
    inputs = prepare(heat_source, today=today)
    return [simulate(inputs, s, horizon) for s in scenarios]


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def season_bounds(today: date) -> tuple[date, date]:
    """The heating season in progress on ``today``, else the next one (first, last day)."""
    sm, sd = _month_day(settings.HEATING_SEASON_START)
    em, ed = _month_day(settings.HEATING_SEASON_END)
    start = date(today.year, sm, sd)
    end = date(today.year + (1 if (em, ed) < (sm, sd) else 0), em, ed)
    if today < start:  # maybe still inside the season that began last year
        previous = (date(start.year - 1, sm, sd), date(end.year - 1, em, ed))
        if previous[0] <= today <= previous[1]:
            return previous
        return start, end
    if today > end:
        return date(start.year + 1, sm, sd), date(end.year + 1, em, ed)
    return start, end


@dataclass
class SeasonPlan:
    """Coal for the rest of the heating season, against stock and expected deliveries."""

    start: date
    end: date
    remaining_days: int
    needed_t: float  # forecast burn from the first unbooked day (or the season start) to its end
    season_use_t: float  # the whole season: booked so far plus forecast
    stock_t: float
    expected_t: float  # confirmed deliveries arriving by the season's end
    to_procure_t: float  # what the yard would lack on the season's last day
    start_rule_t: float  # stock the season must start with (share × season use)
    started: bool
    meets_start_rule: bool | None  # None once the season has begun


def season_plan(cover: Cover) -> SeasonPlan:
    """The season plan from a baseline cover (whose days run past the season's end)."""
    from wennuan.fuel.services import live_entries

    start, end = season_bounds(cover.today)
    first = cover.all_days[0].day if cover.all_days else cover.today
    forecast = [d for d in cover.all_days if d.day <= end]
    needed = sum(d.burn_t for d in forecast if d.day >= start)
    booked = 0.0
    if start < first:  # the part of the season already in the books
        booked = float(
            -sum(
                live_entries(cover.heat_source)
                .filter(kind=EntryKind.CONSUMPTION, day__gte=start, day__lt=first)
                .values_list("tonnes", flat=True)
            )
        )
    season_use = booked + needed
    share = settings.FUEL_SEASON_START_SHARE
    started = cover.today >= start
    level_at_end = forecast[-1].stock_t if forecast else cover.stock_t
    return SeasonPlan(
        start=start,
        end=end,
        remaining_days=(end - max(start, first)).days + 1,
        needed_t=needed,
        season_use_t=season_use,
        stock_t=cover.stock_t,
        expected_t=sum(d.delivered_t for d in forecast),
        to_procure_t=max(0.0, -level_at_end),
        start_rule_t=share * season_use,
        started=started,
        meets_start_rule=None if started else stock_before(cover, start) >= share * season_use,
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def stock_before(cover: Cover, day: date) -> float:
    """The forecast stock at the start of ``day`` (the end of the day before)."""
    level = cover.stock_t
    for d in cover.all_days:
        if d.day >= day:
            break
        level = d.stock_t
    return level


def degree_days_so_far(today: date) -> tuple[float, float]:
    """Heating degree days of this season up to yesterday: observed, and the normal."""
    start, _end = season_bounds(today)
    days = _days(start, today - timedelta(days=1)) if today > start else []
    if not days:
        return 0.0, 0.0
    place = settings.WEATHER_PLACE
    observed = dict(
        WeatherDay.objects.filter(
            place=place, kind=WeatherKind.OBSERVED, day__gte=days[0], day__lte=days[-1]
        ).values_list("day", "mean_c")
    )
    normal = normals(place, days)

    def hdd(means: list[float]) -> float:
        return burn_model.heating_degree_days(
            means,
            base_c=settings.FUEL_HDD_BASE_C,
            threshold_c=settings.FUEL_HEATING_THRESHOLD_C,
            rule=settings.FUEL_HEATING_DAY_RULE,
        )

    seen = hdd([observed.get(d, normal[d]) for d in days])
    usual = hdd([normal[d] for d in days])
    return seen, usual


def hourly_heat(
    heat_source: HeatSource, *, today: date | None = None, days: int = 2
) -> list[tuple[datetime, float]] | None:
    """Expected heat output hour by hour (local time, MW) from today: each day's heat from
    the heat-output model, spread over its hours by the fitted hourly shape (with the
    hourly forecast temperatures when all 24 are stored). None without a heat model."""
    from wennuan.fuel.models import WeatherHour

    profile = FuelProfile.objects.filter(heat_source=heat_source).first()
    if profile is None or not profile.heat_model or not profile.hourly_shape:
        return None
    today = today or timezone.localdate()
    place = settings.WEATHER_PLACE
    daily_model = burn_model.DailyModel.from_dict(profile.heat_model)
    shape = burn_model.HourlyShape.from_dict(profile.hourly_shape)
    temps = temperatures(place, today, days)
    lead = lead_in(place, today)
    daily = daily_model.predict(
        lead + [(d, m) for d, m, _k in temps], previous_mean_c=lead[0][1] if lead else None
    )[len(lead) :]
    zone = timezone.get_current_timezone()
    start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    forecast_hours = {
        timezone.localtime(moment).replace(tzinfo=None): value
        for moment, value in WeatherHour.objects.filter(
            place=place, time__gte=start, time__lt=start + timedelta(days=days)
        ).values_list("time", "temperature_c")
    }
    out: list[tuple[datetime, float]] = []
    for (day, _mean, _known), heat_mwh in zip(temps, daily, strict=True):
        hours = [datetime.combine(day, datetime.min.time()) + timedelta(hours=h) for h in range(24)]
        known = [forecast_hours[h] for h in hours if h in forecast_hours]
        values = shape.split(day, heat_mwh, known if len(known) == 24 else None)
        out += list(zip(hours, values, strict=True))
    return out
