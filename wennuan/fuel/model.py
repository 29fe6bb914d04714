"""Heat-load and coal-burn forecasting: degree days, a daily model per heat source, hourly shape.

Pure Python + numpy, no Django: the back-test script in bench/ imports it as it is.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

HDD_BASE_C = 18.0
MIN_DAYS = 14
BASELINE = "hdd"
ROBUST = "robust"

# Weight of yesterday's smoothed temperature: 0.7 is a time constant of about 3 days
# (-1/ln 0.7 ≈ 2.8), the order of a building's thermal mass and of the damped outdoor
# temperature that heating controllers act on.
SMOOTHING = 0.7
# Candidate heating limits (°C, of the smoothed temperature): building controllers switch
# space heating off above a limit of 12–17 °C; each source's limit is found from its data.
HEATING_LIMITS_C = (10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0)
# Summer load (hot water, pipe losses) still falls with warmer weather up to about 24 °C,
# as mains water and ground warm up, where the HDD term alone would be flat.
WARM_C = 24.0
# A hinge is only fitted with this many days on each side of it, or its slope is noise.
MIN_SIDE_DAYS = 7
# Seasonal terms need every calendar month in the history, with this many days each. A
# span of a year is not enough: a heat source's history is typically heating seasons only
# (November to April), on which harmonics fit half a year and extrapolate badly elsewhere.
SEASONAL_MIN_DAYS_PER_MONTH = 5
SEASONAL = ("sin1", "cos1", "sin2", "cos2", "hdd_sin1", "hdd_cos1")
HUBER_K = 1.345  # 95 % efficiency under normal errors


class NotEnoughHistory(ValueError):
    """Fewer than MIN_DAYS usable days of history to fit a model on."""


def degree_days(mean_c: float, base_c: float = HDD_BASE_C) -> float:
    """Heating degree days of one day: max(0, base - daily mean)."""
    return max(0.0, base_c - mean_c)


def heating_days(
    means: Sequence[float], *, threshold_c: float = 5.0, rule: str = "daily"
) -> list[bool]:
    """Whether each day heats: its own mean ('daily') or its 5-day mean ('moving5') <= threshold."""
    if rule == "daily":
        return [m <= threshold_c for m in means]
    if rule == "moving5":
        # The first four days have fewer predecessors; they average what there is.
        windows = [means[max(0, i - 4) : i + 1] for i in range(len(means))]
        return [sum(w) / len(w) <= threshold_c for w in windows]
    raise ValueError(f"unknown heating-period rule {rule!r}; use 'daily' or 'moving5'")


def heating_degree_days(
    means: Sequence[float],
    *,
    base_c: float = HDD_BASE_C,
    threshold_c: float = 5.0,
    rule: str = "daily",
) -> float:
    """Sum of degree days over the heating days of the series only."""
    heats = heating_days(means, threshold_c=threshold_c, rule=rule)
    return sum(degree_days(m, base_c) for m, h in zip(means, heats, strict=True) if h)


@dataclass(frozen=True)
class DayObs:
    """One day of history of a heat source: mean outdoor temperature and the modelled value."""

    day: date
    mean_c: float
    value: float


def _hinge(limit: float, x: Array) -> Array:
    return np.maximum(0.0, limit - x)


def _design(
    names: Sequence[str], days: Sequence[date], t: Array, sm: Array, p: dict[str, Any]
) -> Array:
    """Feature matrix of the robust model (t: daily means, sm: smoothed), one column per name."""
    base, hdd = float(p["base_c"]), _hinge(float(p["base_c"]), t)
    phase = np.array([2 * math.pi * d.timetuple().tm_yday / 365.25 for d in days])
    weekday = np.array([d.weekday() for d in days])
    columns = {
        "intercept": np.ones(len(days)),
        "hdd": hdd,
        # Thermal inertia: buildings and the network answer to the last few days too.
        "hdd_smooth": _hinge(base, sm),
        # Change point: space heating is only on at all below the heating limit.
        "below_limit": _hinge(float(p.get("heating_limit_c") or 0.0), sm),
        "warm": _hinge(float(p.get("warm_c", WARM_C)), t),
        "warm_smooth": _hinge(float(p.get("warm_c", WARM_C)), sm),
        # Daylight weakens the response per degree day (solar gains through windows).
        "hdd_sin1": hdd * np.sin(phase),
        "hdd_cos1": hdd * np.cos(phase),
    }
    for k in (1, 2):
        # Solar gains and mains-water temperature follow the season and lag the air
        # temperature: at the same daily mean, November needs more heat than April.
        columns[f"sin{k}"], columns[f"cos{k}"] = np.sin(k * phase), np.cos(k * phase)
    for k in range(1, 7):
        # Offices, schools and trade close at weekends; Monday is the reference day.
        columns[f"dow{k}"] = (weekday == k).astype(float)
    return np.column_stack([columns[n] for n in names])


def _smooth(means: Array, previous: float, weight: float) -> Array:
    out = np.empty_like(means)
    for i, m in enumerate(means):
        previous = out[i] = weight * previous + (1.0 - weight) * m
    return out


@dataclass
class DailyModel:
    """A fitted daily model of heat output or coal burn of one heat source, JSON-serialisable."""

    kind: str
    base_c: float
    params: dict[str, Any]
    residual_sd: float

    def predict(
        self, days: Sequence[tuple[date, float]], *, previous_mean_c: float | None = None
    ) -> list[float]:
        """Forecast consecutive days from their daily mean temperatures; never negative."""
        if not days:
            return []
        means = np.array([float(m) for _, m in days])
        if not np.all(np.isfinite(means)):
            raise ValueError("daily mean temperatures must be finite")
        first = means[0] if previous_mean_c is None else float(previous_mean_c)
        smooth = _smooth(means, first, float(self.params.get("smoothing", SMOOTHING)))
        return [max(0.0, float(v)) for v in self._raw([d for d, _ in days], means, smooth)]

    def _raw(self, days: Sequence[date], means: Array, smooth: Array) -> Array:
        if self.kind == BASELINE:
            return float(self.params["a"]) + float(self.params["b"]) * _hinge(self.base_c, means)
        if self.kind == ROBUST:
            coef: dict[str, float] = self.params["coef"]
            x = _design(list(coef), days, means, smooth, {**self.params, "base_c": self.base_c})
            out: Array = x @ np.array(list(coef.values()), dtype=float)
            return out
        raise ValueError(f"unknown model kind {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "kind": self.kind,
            "base_c": self.base_c,
            "params": self.params,
            "residual_sd": self.residual_sd,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DailyModel:
        """Inverse of to_dict."""
        if data["kind"] not in (BASELINE, ROBUST):
            raise ValueError(f"unknown model kind {data['kind']!r}")
        kind, base_c, sd = str(data["kind"]), float(data["base_c"]), float(data["residual_sd"])
        return cls(kind, base_c, dict(data["params"]), sd)


@dataclass
class _History:
    """Usable history in date order; days with a NaN value only feed the smoothing."""

    days: list[date]
    means: Array
    smooth: Array
    values: Array
    usable: Mask


def _history(obs: Sequence[DayObs]) -> _History:
    """Sort, drop days without a temperature, smooth the temperature, check there is enough."""
    rows = sorted((o for o in obs if math.isfinite(o.mean_c)), key=lambda o: o.day)
    means = np.array([o.mean_c for o in rows], dtype=float)
    smooth = np.empty_like(means)
    for i, o in enumerate(rows):
        # After a gap in the record the smoothing restarts from that day's own mean.
        gap = i == 0 or (o.day - rows[i - 1].day).days != 1
        previous = o.mean_c if gap else smooth[i - 1]
        smooth[i] = SMOOTHING * previous + (1.0 - SMOOTHING) * o.mean_c
    values = np.array([o.value if math.isfinite(o.value) else np.nan for o in rows], dtype=float)
    hist = _History([o.day for o in rows], means, smooth, values, np.isfinite(values))
    if (usable := int(hist.usable.sum())) < MIN_DAYS:
        raise NotEnoughHistory(f"{usable} usable days of history; {MIN_DAYS} needed")
    return hist


def _relative_sd(actual: Array, predicted: Array) -> float:
    # Robust (1.4826·MAD): a few meter faults should not widen every day's forecast band;
    # under normal errors it equals the plain standard deviation.
    r = (actual - predicted)[predicted > 0] / predicted[predicted > 0]
    return 1.4826 * float(np.median(np.abs(r - np.median(r)))) if len(r) >= 2 else 0.0


def _fit_baseline(hist: _History, rows: Mask, base_c: float) -> DailyModel:
    """Ordinary least squares of value on HDD, the classic energy signature."""
    x = np.column_stack([np.ones(int(rows.sum())), _hinge(base_c, hist.means[rows])])
    a, b = _lstsq(x, hist.values[rows])
    sd = _relative_sd(hist.values[rows], np.maximum(0.0, a + b * x[:, 1]))
    return DailyModel(BASELINE, base_c, {"a": float(a), "b": float(b)}, sd)


def _lstsq(x: Array, y: Array) -> Array:
    return np.asarray(np.linalg.lstsq(x, y, rcond=None)[0], dtype=np.float64)


def _huber_relative(x: Array, y: Array) -> Array:
    """Huber IRLS on the relative residual.

    Errors grow with the level (a winter day is 7x a summer day), so each day is weighted by
    1/fitted² to fit relative errors, and days far off (meter faults, outages) are down-weighted.
    """
    coef = _lstsq(x, y)
    floor = max(0.05 * float(np.median(np.abs(y))), 1e-9)
    for _ in range(50):
        fitted = np.maximum(x @ coef, floor)
        r = (y - x @ coef) / fitted
        scale = 1.4826 * float(np.median(np.abs(r - np.median(r))))
        if scale < 1e-12:
            break
        root = np.sqrt(1.0 / np.maximum(np.abs(r) / (HUBER_K * scale), 1.0)) / fitted
        coef, previous = _lstsq(x * root[:, None], y * root), coef
        if np.allclose(coef, previous, rtol=1e-9, atol=1e-9):
            break
    return coef


def _covers_every_month(days: Sequence[date]) -> bool:
    """Whether each calendar month has at least SEASONAL_MIN_DAYS_PER_MONTH of the days."""
    per_month = Counter(d.month for d in days)
    return all(per_month[m] >= SEASONAL_MIN_DAYS_PER_MONTH for m in range(1, 13))


def _fit_robust(hist: _History, rows: Mask, base_c: float) -> DailyModel:
    """Robust fit; the heating limit is the grid value with the lowest in-sample MAPE."""
    days = [d for d, r in zip(hist.days, rows, strict=True) if r]
    means, smooth, y = hist.means[rows], hist.smooth[rows], hist.values[rows]
    names = ["intercept", "hdd", "hdd_smooth"] + [f"dow{k}" for k in range(1, 7)]
    if (means > base_c).sum() >= MIN_SIDE_DAYS:
        names += ["warm", "warm_smooth"]
    if _covers_every_month(days):
        names += SEASONAL
    limits: list[float | None] = [
        lim
        for lim in HEATING_LIMITS_C
        if lim < base_c and min((smooth < lim).sum(), (smooth >= lim).sum()) >= MIN_SIDE_DAYS
    ]
    best: tuple[float, DailyModel] | None = None
    for limit in limits or [None]:
        params: dict[str, Any] = {"heating_limit_c": limit, "smoothing": SMOOTHING}
        params["warm_c"] = WARM_C
        cols = [*names, "below_limit"] if limit is not None else names
        x = _design(cols, days, means, smooth, {**params, "base_c": base_c})
        # A column that never varies here (a weekday never seen, no heating) cannot be fitted.
        keep = [i for i, n in enumerate(cols) if n == "intercept" or np.ptp(x[:, i]) > 0]
        coef = _huber_relative(x[:, keep], y)
        fitted = np.maximum(0.0, x[:, keep] @ coef)
        params["coef"] = {cols[i]: float(c) for i, c in zip(keep, coef, strict=True)}
        model = DailyModel(ROBUST, base_c, params, _relative_sd(y, fitted))
        score = mape(y, fitted)
        if best is None or score < best[0]:
            best = (score, model)
    assert best is not None
    return best[1]


def fit_baseline(obs: Sequence[DayObs], *, base_c: float = HDD_BASE_C) -> DailyModel:
    """The plain degree-day regression value = a + b·HDD by ordinary least squares."""
    hist = _history(obs)
    return _fit_baseline(hist, hist.usable, base_c)


def fit_robust(obs: Sequence[DayObs], *, base_c: float = HDD_BASE_C) -> DailyModel:
    """Robust degree-day regression with thermal inertia, heating limit, weekday and season terms.

    Terms the history cannot support are left out: warm-side terms without days above the
    base, the heating limit without days on both sides of it, seasonal terms without every
    calendar month (SEASONAL_MIN_DAYS_PER_MONTH days each).
    """
    hist = _history(obs)
    return _fit_robust(hist, hist.usable, base_c)


@dataclass
class FitReport:
    """The chosen model, refitted on all the data, and held-out errors of both candidates."""

    model: DailyModel
    chosen: str
    baseline_mape: float
    model_mape: float
    baseline_cv_rmse: float
    model_cv_rmse: float
    holdout_days: int


def fit_daily(
    obs: Sequence[DayObs], *, base_c: float = HDD_BASE_C, holdout: float = 0.2
) -> FitReport:
    """Choose between the baseline and the robust model on the last days held out.

    1. Fit both on the first (1 - holdout) of the usable days, in date order.
    2. Score both on the rest; the robust model wins only with a lower MAPE.
    3. Refit the winner on all days; its residual_sd is its held-out one (a forecast is
       out of sample), unless fewer than two days were held out.
    """
    if not 0.0 < holdout < 1.0:
        raise ValueError("holdout must be between 0 and 1")
    hist = _history(obs)
    usable = np.flatnonzero(hist.usable)
    # At least one day is held out and at least MIN_DAYS // 2 are kept to fit on.
    n_holdout = min(max(1, round(len(usable) * holdout)), len(usable) - MIN_DAYS // 2)
    train = np.zeros(len(hist.days), dtype=bool)
    train[usable[: len(usable) - n_holdout]] = True
    test = hist.usable & ~train
    actual = hist.values[test]
    scores: dict[str, tuple[float, float, float]] = {}
    for kind, fit in ((BASELINE, _fit_baseline), (ROBUST, _fit_robust)):
        # Predict through the whole record so that the smoothing runs on without a break.
        raw = fit(hist, train, base_c)._raw(hist.days, hist.means, hist.smooth)
        pred = np.maximum(0.0, raw[test])
        scores[kind] = (mape(actual, pred), cv_rmse(actual, pred), _relative_sd(actual, pred))
    # NaN (no positive actual value held out) compares false: the baseline is kept.
    chosen = ROBUST if scores[ROBUST][0] < scores[BASELINE][0] else BASELINE
    model = (_fit_robust if chosen == ROBUST else _fit_baseline)(hist, hist.usable, base_c)
    if n_holdout >= 2:
        model.residual_sd = scores[chosen][2]
    (b_mape, b_cv, _), (m_mape, m_cv, _) = scores[BASELINE], scores[ROBUST]
    return FitReport(model, chosen, b_mape, m_mape, b_cv, m_cv, holdout_days=n_holdout)


def mape(actual: Sequence[float] | Array, predicted: Sequence[float] | Array) -> float:
    """Mean absolute percentage error as a fraction, over days with actual > 0 (NaN if none)."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a > 0]
    return float(sum(abs(p - a) / a for a, p in pairs) / len(pairs)) if pairs else math.nan


def cv_rmse(actual: Sequence[float] | Array, predicted: Sequence[float] | Array) -> float:
    """Root mean square error over the mean actual value, as a fraction (NaN if undefined)."""
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    if len(a) != len(p):
        raise ValueError("actual and predicted differ in length")
    if len(a) == 0 or float(a.mean()) <= 0:
        return math.nan
    return float(np.sqrt(np.mean((p - a) ** 2)) / a.mean())


@dataclass
class HourlyShape:
    """Share of a day's value in each local hour, JSON-serialisable.

    Per day type (weekday, weekend) and hour: share = a + b·(day mean - reference) +
    g·(hour's temperature - day mean). Cold days flatten the profile (space heating runs all
    night), and within a day a cold hour draws more than a mild one.
    """

    params: dict[str, Any]

    def split(
        self, day: date, daily_value: float, hourly_c: Sequence[float] | None = None
    ) -> list[float]:
        """24 hourly values summing to daily_value; uses the day's hourly temperatures if given."""
        table = np.array(self.params["weekend" if day.weekday() >= 5 else "weekday"], dtype=float)
        offset, anomaly = 0.0, np.zeros(24)
        if hourly_c is not None:
            temps = np.array([float(v) for v in hourly_c], dtype=float)
            if len(temps) != 24:
                raise ValueError("hourly_c needs 24 values")
            if (finite := np.isfinite(temps)).any():
                mean = float(temps[finite].mean())
                # Beyond the fitted range the linear terms are not to be trusted: clamp.
                lo, hi = self.params["range_c"]
                offset = min(max(mean, lo), hi) - float(self.params["reference_c"])
                anomaly = np.where(
                    finite, np.clip(temps - mean, *self.params["anomaly_range_c"]), 0
                )
        shares = np.maximum(0.0, table[:, 0] + table[:, 1] * offset + table[:, 2] * anomaly)
        total = float(shares.sum())
        shares = shares / total if total > 0 else np.full(24, 1 / 24)
        return [float(s) * daily_value for s in shares]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"params": self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HourlyShape:
        """Inverse of to_dict."""
        return cls(params=dict(data["params"]))


def fit_hourly_shape(hours: Sequence[tuple[datetime, float, float]]) -> HourlyShape:
    """Fit the hourly shape from (local datetime, outdoor °C, hourly value) observations.

    Only days with all 24 hours (not a spring DST day) and a positive total count; a day type
    without such days takes the other's shape, and with none at all the shape is flat.
    """
    by_day: dict[date, dict[int, tuple[float, float]]] = defaultdict(dict)
    for when, temp_c, value in hours:
        by_day[when.date()][when.hour] = (temp_c, value)
    weekend, means, anomalies, shares = [], [], [], []
    for day, hrs in sorted(by_day.items()):
        temps = np.array([hrs[h][0] if h in hrs else np.nan for h in range(24)], dtype=float)
        values = np.array([hrs[h][1] if h in hrs else np.nan for h in range(24)], dtype=float)
        finite = np.isfinite(temps)
        if not np.all(np.isfinite(values)) or values.sum() <= 0 or not finite.any():
            continue
        weekend.append(day.weekday() >= 5)
        means.append(float(temps[finite].mean()))
        anomalies.append(np.where(finite, temps - means[-1], 0.0))
        shares.append(values / values.sum())
    if not means:  # one flat, mild weekday stands in: the fit below then gives a flat shape
        weekend, means, anomalies, shares = [False], [0.0], [np.zeros(24)], [np.full(24, 1 / 24)]
    t, anom, share = np.array(means), np.array(anomalies), np.array(shares)
    reference = float(t.mean())
    params: dict[str, Any] = {
        "reference_c": reference,
        "range_c": [float(t.min()), float(t.max())],
        "anomaly_range_c": [float(anom.min()), float(anom.max())],
    }
    for name, kind in (("weekday", False), ("weekend", True)):
        sel = np.array([w == kind for w in weekend])
        sel = sel if sel.any() else np.ones(len(weekend), dtype=bool)
        table = []
        for h in range(24):
            x = np.column_stack([np.ones(int(sel.sum())), t[sel] - reference, anom[sel, h]])
            # Minimum-norm least squares: a term the data never varies gets no weight.
            table.append([float(c) for c in _lstsq(x, share[sel, h])])
        params[name] = table
    return HourlyShape(params)
