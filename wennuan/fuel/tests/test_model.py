"""Unit tests of the forecasting model (pure functions, no database)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from wennuan.fuel import model
from wennuan.fuel.model import (
    MIN_DAYS,
    DailyModel,
    DayObs,
    HourlyShape,
    NotEnoughHistory,
    cv_rmse,
    degree_days,
    fit_baseline,
    fit_daily,
    fit_hourly_shape,
    fit_robust,
    heating_days,
    heating_degree_days,
    mape,
)

START = date(2023, 10, 2)  # a Monday


def truth(day: date, mean_c: float) -> float:
    """The known answer of the synthetic source: 500 + 30·HDD18, 40 less at weekends."""
    return 500 + 30 * max(0.0, 18 - mean_c) - (40 if day.weekday() >= 5 else 0)


def synthetic(
    n: int = 120, *, noise: float = 5.0, outliers: tuple[int, ...] = (), seed: int = 1
) -> list[DayObs]:
    rng = np.random.default_rng(seed)
    obs = []
    for i in range(n):
        day, mean_c = START + timedelta(days=i), float(rng.uniform(-8, 16))
        value = truth(day, mean_c) + float(rng.normal(0, noise)) if noise else truth(day, mean_c)
        obs.append(DayObs(day, mean_c, value * (3 if i in outliers else 1)))
    return obs


def test_degree_days_by_hand() -> None:
    assert degree_days(10.0) == 8.0  # 18 - 10
    assert degree_days(18.0) == 0.0
    assert degree_days(25.0) == 0.0  # never negative
    assert degree_days(12.0, base_c=15.0) == 3.0


def test_heating_days_daily_rule() -> None:
    # 6 > 5 no; 5 <= 5 yes (the limit is inclusive); 4.9 and -2 yes.
    assert heating_days([6.0, 5.0, 4.9, -2.0]) == [False, True, True, True]
    assert heating_days([6.0, 5.0], threshold_c=6.0) == [True, True]


def test_heating_days_moving5_rule() -> None:
    means = [8.0, 2.0, 6.0, 4.0, 0.0, 10.0, 9.0]
    # day 0: 8/1 = 8 no; day 1: (8+2)/2 = 5 yes; day 2: 16/3 = 5.33 no; day 3: 20/4 = 5 yes;
    # day 4: 20/5 = 4 yes; day 5: (2+6+4+0+10)/5 = 4.4 yes; day 6: (6+4+0+10+9)/5 = 5.8 no.
    expected = [False, True, False, True, True, True, False]
    assert heating_days(means, rule="moving5") == expected
    # The daily rule on the same days differs: 2, 4 and 0 only.
    assert heating_days(means) == [False, True, False, True, True, False, False]


def test_heating_degree_days_counts_heating_days_only() -> None:
    # daily: heating days 5, 4.9, -2 -> 13 + 13.1 + 20 = 46.1 (6 °C is not one: 12 left out)
    assert heating_degree_days([6.0, 5.0, 4.9, -2.0]) == pytest.approx(46.1)
    # moving5 on the list above: days 1, 3, 4, 5 (means 2, 4, 0, 10) -> 16 + 14 + 18 + 8 = 56
    means = [8.0, 2.0, 6.0, 4.0, 0.0, 10.0, 9.0]
    assert heating_degree_days(means, rule="moving5") == pytest.approx(56.0)
    # base 20: 18 + 16 + 20 + 10 = 64
    assert heating_degree_days(means, rule="moving5", base_c=20.0) == pytest.approx(64.0)


def test_unknown_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown heating-period rule"):
        heating_days([1.0], rule="weekly")
    with pytest.raises(ValueError, match="unknown heating-period rule"):
        heating_degree_days([1.0], rule="weekly")


def test_mape_and_cv_rmse_by_hand() -> None:
    # |110-100|/100 = 0.1, |180-200|/200 = 0.1, 50 exact = 0; the zero actual is skipped.
    assert mape([100, 200, 0, 50], [110, 180, 5, 50]) == pytest.approx(0.2 / 3)
    # residuals 10, -10, 0: RMSE = sqrt(200/3) = 8.165; mean actual 200 -> 0.040825
    assert cv_rmse([100, 200, 300], [110, 190, 300]) == pytest.approx(math.sqrt(200 / 3) / 200)
    assert math.isnan(mape([0, -1], [1, 1]))
    with pytest.raises(ValueError):
        cv_rmse([1, 2], [1])


def test_baseline_recovers_exact_line() -> None:
    obs = [DayObs(o.day, o.mean_c, 500 + 30 * degree_days(o.mean_c)) for o in synthetic(30)]
    fitted = fit_baseline(obs)
    assert fitted.kind == "hdd"
    assert fitted.params["a"] == pytest.approx(500)
    assert fitted.params["b"] == pytest.approx(30)


def test_robust_recovers_known_answer_with_weekend_effect() -> None:
    fitted = fit_robust(synthetic(120, noise=0.0))
    coef = fitted.params["coef"]
    assert coef["intercept"] == pytest.approx(500, abs=1e-6)
    assert coef["hdd"] == pytest.approx(30, abs=1e-6)
    assert coef["dow5"] == pytest.approx(-40, abs=1e-6)  # Saturday
    assert coef["dow6"] == pytest.approx(-40, abs=1e-6)  # Sunday
    assert coef["dow2"] == pytest.approx(0, abs=1e-6)
    assert coef["hdd_smooth"] == pytest.approx(0, abs=1e-6)


def test_robust_fit_resists_outliers_where_ols_does_not() -> None:
    outliers = (10, 31, 52, 73, 94)  # meter faults: three times the true value
    clean, dirty = synthetic(120), synthetic(120, outliers=outliers)
    days = [(START + timedelta(days=200 + i), float(t)) for i, t in enumerate(range(-8, 17))]
    expected = [truth(d, t) for d, t in days]

    robust = fit_robust(dirty).predict(days)
    assert mape(expected, robust) < 0.01
    assert fit_robust(dirty).params["coef"]["dow6"] == pytest.approx(-40, abs=8)
    assert mape(fit_robust(clean).predict(days), robust) < 0.005
    # Ordinary least squares is dragged up by the five faults (about 5/120 of 2x the mean).
    shift = fit_baseline(dirty).params["a"] - fit_baseline(clean).params["a"]
    assert shift > 50


def test_fit_daily_chooses_the_better_model_and_refits_on_all_days() -> None:
    obs = synthetic(150, noise=10.0, outliers=(20, 60))
    report = fit_daily(obs)
    assert report.holdout_days == 30  # 20 % of 150
    assert report.chosen == "robust" == report.model.kind
    assert report.model_mape < report.baseline_mape
    assert report.model_cv_rmse < report.baseline_cv_rmse
    # Refitted on all 150 days, not on the first 120 only.
    assert report.model.params == fit_robust(obs).params
    assert report.model.params != fit_robust(obs[:120]).params
    assert 0 < report.model.residual_sd < 0.05


def test_fit_daily_keeps_the_baseline_when_it_wins_on_held_out_days(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def bad_robust(*args: object) -> DailyModel:
        return DailyModel("robust", 18.0, {"coef": {"intercept": 1.0}}, 0.0)

    monkeypatch.setattr(model, "_fit_robust", bad_robust)
    report = fit_daily(synthetic(100))
    assert report.chosen == "hdd" == report.model.kind
    assert report.model_mape > report.baseline_mape


def test_fit_daily_skips_non_finite_values() -> None:
    obs = synthetic(60)
    gappy = [DayObs(o.day, o.mean_c, math.nan) if i % 10 == 3 else o for i, o in enumerate(obs)]
    gappy.append(DayObs(START - timedelta(days=1), math.inf, 100.0))
    report = fit_daily(gappy)
    assert report.holdout_days == round(54 * 0.2)
    assert report.chosen == "robust"


def test_smoothing_uses_the_previous_day() -> None:
    # value = 500 + 30·HDD(today) + 20·HDD(smoothed), smoothed_t = 0.7·smoothed_{t-1} + 0.3·t
    rng = np.random.default_rng(7)
    obs, smooth = [], None
    for i in range(90):
        t = float(rng.uniform(-8, 14))
        smooth = t if smooth is None else 0.7 * smooth + 0.3 * t
        day = START + timedelta(days=i)
        obs.append(DayObs(day, t, 500 + 30 * degree_days(t) + 20 * degree_days(smooth)))
    fitted = fit_robust(obs)
    assert fitted.params["coef"]["hdd_smooth"] == pytest.approx(20, abs=1e-4)
    day = START + timedelta(days=100)  # a Monday
    # smoothed: 0.7·(-10) + 0.3·5 = -5.5 -> HDD 23.5, against 5 -> 13 without a previous day
    cold = fitted.predict([(day, 5.0)], previous_mean_c=-10.0)[0]
    same = fitted.predict([(day, 5.0)])[0]
    assert cold - same == pytest.approx(20 * (23.5 - 13), abs=1e-3)
    assert same == pytest.approx(500 + 30 * 13 + 20 * 13, abs=1e-3)


def test_predict_is_never_negative() -> None:
    line = DailyModel("hdd", 18.0, {"a": -100.0, "b": 10.0}, 0.0)
    assert line.predict([(START, 0.0), (START, 10.0), (START, 17.0)]) == [80.0, 0.0, 0.0]
    obs = [DayObs(o.day, o.mean_c, truth(o.day, o.mean_c) - 500) for o in synthetic(60)]
    fitted = fit_robust(obs)  # 30·HDD - 40 at weekends: negative on a warm Saturday
    saturday = START + timedelta(days=5)
    assert fitted.predict([(saturday, 25.0)]) == [0.0]
    week = [(START + timedelta(days=i), 30.0) for i in range(7)]
    assert all(v >= 0 for v in fitted.predict(week))


def test_predict_rejects_unknown_temperature() -> None:
    with pytest.raises(ValueError):
        fit_baseline(synthetic(20)).predict([(START, math.nan)])


@pytest.mark.parametrize("days", [30, 400])
def test_daily_model_round_trips_through_json(days: int) -> None:
    obs = synthetic(days)
    future = [(START + timedelta(days=days + i), float(t)) for i, t in enumerate(range(-5, 25))]
    for fitted in (fit_baseline(obs), fit_robust(obs)):
        again = DailyModel.from_dict(json.loads(json.dumps(fitted.to_dict())))
        assert again == fitted
        assert again.predict(future, previous_mean_c=3.0) == fitted.predict(
            future, previous_mean_c=3.0
        )
    if days == 400:  # a year of history brings in the seasonal terms
        assert "sin1" in fit_robust(obs).params["coef"]
    with pytest.raises(ValueError):
        DailyModel.from_dict({"kind": "magic", "base_c": 18, "params": {}, "residual_sd": 0})


def test_not_enough_history() -> None:
    obs = synthetic(MIN_DAYS)
    for fit in (fit_baseline, fit_robust, fit_daily):
        with pytest.raises(NotEnoughHistory):
            fit(obs[:-1])
    one_unknown = [*obs[:-1], DayObs(obs[-1].day, obs[-1].mean_c, math.nan)]
    with pytest.raises(NotEnoughHistory):
        fit_daily(one_unknown)
    assert issubclass(NotEnoughHistory, ValueError)
    assert fit_daily(obs).holdout_days == 3  # exactly MIN_DAYS is enough


def synthetic_hours(days: int = 28) -> list[tuple[datetime, float, float]]:
    """A morning peak at 07:00 that is sharper on mild days; weekends half as peaky."""
    hours = []
    for i in range(days):
        day = START + timedelta(days=i)
        mean_c = -5.0 + 15.0 * (i % 4) / 3  # -5, 0, 5, 10 °C
        peak = (2.0 + 0.1 * mean_c) * (0.5 if day.weekday() >= 5 else 1.0)
        for h in range(24):
            value = 100.0 + (100.0 * peak if h == 7 else 0.0)
            hours.append((datetime(day.year, day.month, day.day, h), mean_c, value))
    return hours


def test_hourly_shape_splits_the_daily_value() -> None:
    shape = fit_hourly_shape(synthetic_hours())
    monday, saturday = START + timedelta(days=35), START + timedelta(days=33)
    for day in (monday, saturday):
        for temps in (None, [-5.0] * 24, [10.0] * 12 + [math.nan] * 12):
            hourly = shape.split(day, 1234.5, temps)
            assert len(hourly) == 24
            assert sum(hourly) == pytest.approx(1234.5)
            assert min(hourly) >= 0
            assert max(range(24), key=lambda h: hourly[h]) == 7
    # Mild days peak harder; weekdays harder than weekends.
    assert shape.split(monday, 1.0, [10.0] * 24)[7] > shape.split(monday, 1.0, [-5.0] * 24)[7]
    assert shape.split(monday, 1.0)[7] > shape.split(saturday, 1.0)[7]
    # The synthetic share on a 10 °C weekday: peak 3.0 -> 400 / (23·100 + 400); the shape is
    # linear in temperature, the synthetic share nearly so.
    assert shape.split(monday, 1.0, [10.0] * 24)[7] == pytest.approx(400 / 2700, rel=0.01)
    again = HourlyShape.from_dict(json.loads(json.dumps(shape.to_dict())))
    assert again.split(monday, 50.0, [2.0] * 24) == shape.split(monday, 50.0, [2.0] * 24)
    with pytest.raises(ValueError):
        shape.split(monday, 1.0, [1.0] * 23)


def test_hourly_shape_without_data_is_flat() -> None:
    shape = fit_hourly_shape([])
    assert shape.split(START, 48.0) == pytest.approx([2.0] * 24)
    incomplete = [h for h in synthetic_hours(3) if h[0].hour != 2]  # a DST-like day, 23 hours
    assert fit_hourly_shape(incomplete).split(START, 48.0) == pytest.approx([2.0] * 24)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def observed(days: list[date]) -> list[DayObs]:
    """The synthetic source on the given days, with a seasonal temperature and some noise."""
    rng = np.random.default_rng(3)
    obs = []
    for day in days:
        mean_c = 8.0 - 12.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)
        mean_c += float(rng.normal(0, 3))
        obs.append(DayObs(day, mean_c, truth(day, mean_c) + float(rng.normal(0, 5))))
    return obs


SEASONAL_TERMS = {"sin1", "cos1", "sin2", "cos2", "hdd_sin1", "hdd_cos1"}


def test_seasonal_terms_need_every_month_not_a_year_of_span() -> None:
    # Two heating seasons, November to March: 516 days first to last, no summer day.
    winters = days_between(date(2023, 11, 1), date(2024, 3, 31)) + days_between(
        date(2024, 11, 1), date(2025, 3, 31)
    )
    assert (winters[-1] - winters[0]).days > 365
    coef = fit_robust(observed(winters)).params["coef"]
    assert "hdd" in coef and not SEASONAL_TERMS & set(coef)
    assert not SEASONAL_TERMS & set(fit_daily(observed(winters)).model.params.get("coef", {}))

    year = days_between(date(2024, 1, 1), date(2024, 12, 31))
    assert set(fit_robust(observed(year)).params["coef"]) >= SEASONAL_TERMS


@pytest.mark.parametrize(("june_days", "seasonal"), [(4, False), (5, True)])
def test_seasonal_terms_need_enough_days_of_each_month(june_days: int, seasonal: bool) -> None:
    year = days_between(date(2024, 1, 1), date(2024, 12, 31))
    days = [d for d in year if d.month != 6 or d.day <= june_days]
    coef = fit_robust(observed(days)).params["coef"]
    assert (set(coef) >= SEASONAL_TERMS) is seasonal
    assert not SEASONAL_TERMS & set(coef) or seasonal
