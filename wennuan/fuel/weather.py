"""The weather-service adapter: fetch the temperature forecast over HTTP and store it.

The service is configured by ``WEATHER_FORECAST_URL`` and answers in Open-Meteo's JSON shape
(``hourly.time`` / ``hourly.temperature_2m`` in local time, optional ``daily.time`` with
``temperature_2m_mean``/``_min``/``_max``, and ``utc_offset_seconds``). Every attempt is
recorded (``WeatherFetch``); when the service is unreachable or answers nonsense, nothing
stored changes, so the forecast keeps running on the last good one and says how old it is.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wennuan.fuel.choices import Origin, WeatherKind
from wennuan.fuel.models import WeatherDay, WeatherFetch
from wennuan.fuel.services import DayTemperature, save_forecast_hours, save_weather_days

MAX_BYTES = 5_000_000


class BadForecast(ValueError):
    """The service's answer is not a forecast we can use."""


@dataclass
class ParsedForecast:
    days: list[DayTemperature]
    hours: list[tuple[datetime, float]]


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadForecast(f"{what}: {value!r} is not a number")
    if not -60 <= value <= 60:
        raise BadForecast(f"{what}: {value!r} °C is outside -60..60")
    return float(value)


def parse_forecast(payload: Any) -> ParsedForecast:
    """Hourly and daily temperatures from an Open-Meteo-style answer; BadForecast if not one."""
    if not isinstance(payload, dict):
        raise BadForecast("the answer is not a JSON object")
    offset = payload.get("utc_offset_seconds", 0)
    if not isinstance(offset, int) or abs(offset) > 18 * 3600:
        raise BadForecast("utc_offset_seconds is missing or wrong")
    zone = dt_timezone(timedelta(seconds=offset))
    hours: list[tuple[datetime, float]] = []
    hourly = payload.get("hourly") or {}
    times, values = hourly.get("time") or [], hourly.get("temperature_2m") or []
    if len(times) != len(values):
        raise BadForecast("hourly.time and hourly.temperature_2m differ in length")
    for text, value in zip(times, values, strict=True):
        if value is None:  # the service leaves gaps at the end of its range
            continue
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError as exc:
            raise BadForecast(f"hourly.time: {text!r} is not a time") from exc
        hours.append((moment.replace(tzinfo=moment.tzinfo or zone), _number(value, str(text))))
    days: dict[date, DayTemperature] = {}
    daily = payload.get("daily") or {}
    for i, text in enumerate(daily.get("time") or []):
        try:
            day = date.fromisoformat(str(text))
        except ValueError as exc:
            raise BadForecast(f"daily.time: {text!r} is not a date") from exc
        pick = {
            key: (daily.get(f"temperature_2m_{key}") or [None] * (i + 1))[i]
            for key in ("mean", "min", "max")
        }
        low = _number(pick["min"], str(text)) if pick["min"] is not None else None
        high = _number(pick["max"], str(text)) if pick["max"] is not None else None
        if pick["mean"] is not None:
            mean = _number(pick["mean"], str(text))
        elif low is not None and high is not None:
            mean = (low + high) / 2
        else:
            continue
        days[day] = DayTemperature(day, round(mean, 2), low, high)
    # Days the daily block lacks: the mean of their 24 hours, when all are there.
    by_day: dict[date, list[float]] = defaultdict(list)
    for moment, value in hours:
        by_day[moment.date()].append(value)
    for day, values_ in by_day.items():
        if day not in days and len(values_) == 24:
            days[day] = DayTemperature(day, round(sum(values_) / 24, 2), min(values_), max(values_))
    if not days and not hours:
        raise BadForecast("no temperatures in the answer")
    return ParsedForecast(sorted(days.values(), key=lambda d: d.day), hours)


def fetch_forecast(*, url: str = "", place: str = "", now: datetime | None = None) -> WeatherFetch:
    """Fetch and store the forecast; record the attempt either way."""
    url = url or settings.WEATHER_FORECAST_URL
    place = place or settings.WEATHER_PLACE
    now = now or timezone.now()
    if not url:
        raise ValueError("WEATHER_FORECAST_URL is not set")
    try:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=settings.WEATHER_TIMEOUT_SECONDS) as answer:
            body = answer.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise BadForecast("the answer is larger than 5 MB")
        parsed = parse_forecast(json.loads(body))
    except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError, BadForecast) as exc:
        reason = getattr(exc, "reason", None) or exc
        return WeatherFetch.objects.create(
            place=place, attempted_at=now, ok=False, error=str(reason)[:300]
        )
    with transaction.atomic():
        save_weather_days(
            parsed.days, kind=WeatherKind.FORECAST, origin=Origin.SERVICE, place=place
        )
        save_forecast_hours(parsed.hours, origin=Origin.SERVICE, place=place)
        return WeatherFetch.objects.create(
            place=place, attempted_at=now, ok=True, days=len(parsed.days)
        )


@dataclass
class ForecastAge:
    """How old the forecast in use is, and whether the last fetch failed."""

    updated_at: datetime | None  # the newest stored forecast day
    last_attempt: WeatherFetch | None
    stale: bool  # older than a day, or none

    @property
    def failing(self) -> bool:
        return self.last_attempt is not None and not self.last_attempt.ok


def forecast_age(*, place: str = "", now: datetime | None = None) -> ForecastAge:
    place = place or settings.WEATHER_PLACE
    now = now or timezone.now()
    newest = (
        WeatherDay.objects.filter(place=place, kind=WeatherKind.FORECAST)
        .order_by("-updated_at")
        .values_list("updated_at", flat=True)
        .first()
    )
    attempt = WeatherFetch.objects.filter(place=place).order_by("-attempted_at").first()
    return ForecastAge(newest, attempt, newest is None or now - newest > timedelta(days=1))
