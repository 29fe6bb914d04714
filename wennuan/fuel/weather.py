"""The weather-service adapter: fetch the temperature forecast over HTTP and store it.

The service is configured by ``WEATHER_FORECAST_URL`` and answers in Open-Meteo's JSON shape
(``hourly.time`` / ``hourly.temperature_2m``, optional ``daily.time`` with
``temperature_2m_mean``/``_min``/``_max``, and ``utc_offset_seconds``, the offset of the
service's clock, in which times without an offset of their own are given). Forecast days are
the site's local calendar days (Django's current time zone), whatever zone the service
answers in. Every attempt is recorded (``WeatherFetch``); when the service is unreachable or
answers nonsense, nothing stored changes, so the forecast keeps running on the last good one
and says how old it is.
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wennuan.fuel.choices import Origin, WeatherKind
from wennuan.fuel.models import WeatherDay, WeatherFetch
from wennuan.fuel.services import DayTemperature, save_forecast_hours, save_weather_days

MAX_BYTES = 5_000_000
MAX_ERROR_CHARS = 300  # WeatherFetch.error


class BadForecast(ValueError):
    """The service's answer is not a forecast we can use."""


@dataclass
class ParsedForecast:
    days: list[DayTemperature]
    hours: list[tuple[datetime, float]]


def _show(value: Any) -> str:
    """A short repr of a value from the answer, for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadForecast(f"{what}: {_show(value)} is not a number")
    # NaN and infinities would fail the range check too, but with a misleading reason.
    if isinstance(value, float) and not math.isfinite(value):
        raise BadForecast(f"{what}: {_show(value)} is not a number")
    # A comparison, not float(): an int too large for a float raises OverflowError there.
    if not -60 <= value <= 60:
        raise BadForecast(f"{what}: {_show(value)} °C is outside -60..60")
    return float(value)


def _object(payload: dict[str, Any], name: str) -> dict[str, Any]:
    """The block ``name`` of the answer ({} if absent); BadForecast if it is not an object."""
    block = payload.get(name)
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise BadForecast(f"{name} is not an object")
    return block


def _series(block: dict[str, Any], where: str, key: str, length: int) -> list[Any]:
    """The array ``key`` of a block, ``length`` long (all None if absent); BadForecast if not."""
    values = block.get(key)
    if values is None:
        return [None] * length
    if not isinstance(values, list):
        raise BadForecast(f"{where}.{key} is not a list")
    if len(values) != length:
        raise BadForecast(f"{where}.time and {where}.{key} differ in length")
    return values


def _times(block: dict[str, Any], where: str) -> list[Any]:
    times = block.get("time")
    if times is None:
        return []
    if not isinstance(times, list):
        raise BadForecast(f"{where}.time is not a list")
    return times


def _local_offset(day: date, zone: tzinfo) -> int:
    """UTC offset of the site's time zone on ``day``, in seconds."""
    # At noon: a daylight-saving change happens at night, so noon has the day's main offset.
    offset = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _hours_in_local_day(day: date, zone: tzinfo) -> int:
    """Length of the site's local day in hours: 24, or 23/25 on a daylight-saving change."""
    # Aware datetimes of the same tzinfo subtract by wall clock: compare them in UTC.
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return round((end.astimezone(UTC) - start).total_seconds() / 3600)


def parse_forecast(payload: Any) -> ParsedForecast:
    """Hourly temperatures and local daily ones from an Open-Meteo-style answer.

    Days are the site's local calendar days. The answer's ``daily`` block gives a day only
    when the service's clock (``utc_offset_seconds``) is the site's on that day; other days
    are the mean of their local hours, when all of them are there. BadForecast, with a short
    reason, for anything not of that shape.
    """
    if not isinstance(payload, dict):
        raise BadForecast("the answer is not a JSON object")
    offset = payload.get("utc_offset_seconds", 0)
    if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > 18 * 3600:
        raise BadForecast("utc_offset_seconds is missing or wrong")
    service_zone = dt_timezone(timedelta(seconds=offset))
    local_zone = timezone.get_current_timezone()

    hourly = _object(payload, "hourly")
    times = _times(hourly, "hourly")
    values = _series(hourly, "hourly", "temperature_2m", len(times))
    hours: list[tuple[datetime, float]] = []
    by_day: dict[date, list[float]] = defaultdict(list)
    seen: set[datetime] = set()
    for text, value in zip(times, values, strict=True):
        if not isinstance(text, str):
            raise BadForecast(f"hourly.time: {_show(text)} is not a time")
        try:
            moment = datetime.fromisoformat(text)
            moment = moment.replace(tzinfo=moment.tzinfo or service_zone)
            # Out-of-range years overflow here rather than later in the database.
            local_day = timezone.localtime(moment, local_zone).date()
        except (ValueError, OverflowError) as exc:
            raise BadForecast(f"hourly.time: {_show(text)} is not a time") from exc
        if moment in seen:  # two rows for one hour could not be stored side by side
            raise BadForecast(f"hourly.time: {_show(text)} occurs twice")
        seen.add(moment)
        if value is None:  # the service leaves gaps at the end of its range
            continue
        hours.append((moment, _number(value, text)))
        by_day[local_day].append(hours[-1][1])

    daily = _object(payload, "daily")
    dates = _times(daily, "daily")
    picks = {
        key: _series(daily, "daily", f"temperature_2m_{key}", len(dates))
        for key in ("mean", "min", "max")
    }
    days: dict[date, DayTemperature] = {}
    for i, text in enumerate(dates):
        if not isinstance(text, str):
            raise BadForecast(f"daily.time: {_show(text)} is not a date")
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise BadForecast(f"daily.time: {_show(text)} is not a date") from exc
        mean, low, high = (
            _number(picks[key][i], text) if picks[key][i] is not None else None
            for key in ("mean", "min", "max")
        )
        # The service's dates are days of its own clock: only on the site's clock are
        # they the site's days (Open-Meteo without &timezone= answers in UTC).
        if offset != _local_offset(day, local_zone):
            continue
        if mean is None and low is not None and high is not None:
            mean = (low + high) / 2
        if mean is not None:
            days[day] = DayTemperature(day, round(mean, 2), low, high)

    # Days the daily block does not give: the mean of their local hours, when all are there.
    for day, temps in by_day.items():
        if day not in days and len(temps) == _hours_in_local_day(day, local_zone):
            days[day] = DayTemperature(
                day, round(sum(temps) / len(temps), 2), min(temps), max(temps)
            )
    if not days and not hours:
        raise BadForecast("no usable temperatures in the answer")
    return ParsedForecast(sorted(days.values(), key=lambda d: d.day), hours)


def _decode(body: bytes) -> Any:
    """The JSON value of a response body, which must be UTF-8 (RFC 8259); BadForecast if not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadForecast(f"the answer is not UTF-8 (byte {exc.start})") from exc
    try:
        return json.loads(text)
    # RecursionError: a deeply nested array is valid JSON that the parser cannot descend.
    except (ValueError, RecursionError) as exc:
        raise BadForecast(f"the answer is not JSON: {exc}") from exc


def fetch_forecast(*, url: str = "", place: str = "", now: datetime | None = None) -> WeatherFetch:
    """Fetch and store the forecast; record the attempt either way.

    A failure (no answer, an HTTP error, a broken or unusable answer) records a failed
    attempt with its reason and changes nothing stored; only a missing URL raises.
    """
    url = url or settings.WEATHER_FORECAST_URL
    place = place or settings.WEATHER_PLACE
    now = now or timezone.now()
    if not url:
        raise ValueError("WEATHER_FORECAST_URL is not set")
    if not url.startswith(("https://", "http://")):
        # urlopen also opens file: and ftp: URLs; a forecast only ever comes over HTTP.
        raise ValueError(f"WEATHER_FORECAST_URL must be an http(s) URL, not {url!r}")
    try:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        # The scheme is checked above (bandit B310).
        with urllib.request.urlopen(  # nosec B310
            request, timeout=settings.WEATHER_TIMEOUT_SECONDS
        ) as answer:
            body = answer.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise BadForecast("the answer is larger than 5 MB")
        parsed = parse_forecast(_decode(body))
    # OSError covers URLError/HTTPError and timeouts; HTTPException a broken response
    # (IncompleteRead, RemoteDisconnected, a bad status line); ValueError BadForecast and
    # a URL urllib cannot open.
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        return WeatherFetch.objects.create(
            place=place, attempted_at=now, ok=False, error=reason[:MAX_ERROR_CHARS]
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
