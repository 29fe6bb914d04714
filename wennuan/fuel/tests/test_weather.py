"""The weather-service adapter over real HTTP (a local server answering with a stored
response), and what happens when the service is down or talks nonsense."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wennuan.fuel.choices import WeatherKind
from wennuan.fuel.models import WeatherDay, WeatherFetch, WeatherHour
from wennuan.fuel.weather import BadForecast, fetch_forecast, forecast_age, parse_forecast

pytestmark = pytest.mark.django_db
# A response in Open-Meteo's documented shape (hourly temperature_2m, daily min/max, the
# time zone's offset) for Yantai, written for these tests: there is no network here.
RECORDED = (Path(__file__).parent / "recorded" / "open_meteo_yantai.json").read_bytes()


class Answers:
    body = RECORDED
    status = 200
    raw: bytes | None = None  # sent as it is instead of a response: a broken HTTP answer


@pytest.fixture
def service() -> Iterator[str]:
    """A local HTTP server that answers every GET with ``Answers.body`` (or ``Answers.raw``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if Answers.raw is not None:
                self.wfile.write(Answers.raw)
                return
            self.send_response(Answers.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(Answers.body)

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    Answers.body, Answers.status, Answers.raw = RECORDED, 200, None
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/forecast?latitude=37.5&longitude=121.4"
    server.shutdown()
    server.server_close()


def test_a_forecast_is_fetched_and_stored_daily_and_hourly(service):
    attempt = fetch_forecast(url=service)
    assert attempt.ok and attempt.days == 3
    days = dict(WeatherDay.objects.filter(kind=WeatherKind.FORECAST).values_list("day", "mean_c"))
    # Days of the daily block: the middle of min and max; the third day only has hours.
    assert days[date(2026, 12, 10)] == pytest.approx(-3.0)
    assert days[date(2026, 12, 11)] == pytest.approx(-4.0)
    assert date(2026, 12, 12) in days
    assert WeatherHour.objects.count() == 72
    first = WeatherHour.objects.order_by("time").first()
    assert first is not None
    assert timezone.localtime(first.time).replace(tzinfo=None) == datetime(2026, 12, 10, 0, 0)


def test_when_the_service_is_down_the_last_forecast_stays_and_says_how_old(service, settings):
    fetch_forecast(url=service)
    stored = list(WeatherDay.objects.values_list("day", "mean_c"))
    failed = fetch_forecast(url="http://127.0.0.1:9/nothing-listens-here")
    assert not failed.ok and failed.error
    assert list(WeatherDay.objects.values_list("day", "mean_c")) == stored
    age = forecast_age()
    assert age.failing and age.updated_at is not None and not age.stale


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/forecast.json"])
def test_a_forecast_url_that_is_not_http_is_refused_and_nothing_is_recorded(url):
    with pytest.raises(ValueError, match="must be an http"):
        fetch_forecast(url=url)
    assert not WeatherFetch.objects.exists()
    assert not WeatherDay.objects.exists()


def _answer(**blocks: Any) -> bytes:
    return json.dumps({"utc_offset_seconds": 28800, **blocks}).encode()


ONE_HOUR = {"time": ["2026-12-10T00:00"], "temperature_2m": [-3.0]}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>busy</html>", "not JSON"),
        (_answer(hourly={"time": ["2026-12-10T00:00"], "temperature_2m": [99]}), "outside"),
        (b'{"utc_offset_seconds": 28800}', "no usable temperatures"),
        (b'{"utc_offset_seconds": true, "hourly": {}}', "utc_offset_seconds"),
        # Shapes that used to escape as IndexError, AttributeError, TypeError, OverflowError.
        (
            _answer(daily={"time": ["2026-12-10", "2026-12-11"], "temperature_2m_mean": [-3.0]}),
            "differ in length",
        ),
        (_answer(hourly=[ONE_HOUR]), "hourly is not an object"),
        (_answer(daily="2026-12-10"), "daily is not an object"),
        (_answer(hourly={"time": "2026-12-10T00:00", "temperature_2m": [1]}), "not a list"),
        (_answer(hourly={"time": ["2026-12-10T00:00"], "temperature_2m": -3}), "not a list"),
        (_answer(daily={"time": [20261210], "temperature_2m_mean": [1]}), "not a date"),
        (_answer(hourly={"time": [1765324800], "temperature_2m": [1]}), "not a time"),
        (_answer(hourly={"time": ["2026-12-10T00:00"], "temperature_2m": ["1"]}), "not a number"),
        (_answer(hourly={"time": ["2026-12-10T00:00"], "temperature_2m": [True]}), "not a number"),
        (_answer(hourly={"time": ["2026-12-10T00:00"], "temperature_2m": [10**400]}), "outside"),
        (
            b'{"utc_offset_seconds": -28800, "hourly": '
            b'{"time": ["9999-12-31T23:00"], "temperature_2m": [1.0]}}',
            "not a time",
        ),
        (
            _answer(hourly={"time": ["2026-12-10T00:00"] * 2, "temperature_2m": [1.0, 2.0]}),
            "occurs twice",
        ),
        # An answer in UTC with only a daily block: its days are not the site's days.
        (
            b'{"utc_offset_seconds": 0, "daily": {"time": ["2026-12-10"], '
            b'"temperature_2m_mean": [-3.0]}}',
            "no usable temperatures",
        ),
        (_answer(hourly=ONE_HOUR)[:-1] + b', "place": "\xff"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
)
def test_nonsense_from_the_service_changes_nothing(service, body, reason):
    Answers.body = body
    attempt = fetch_forecast(url=service)
    assert not attempt.ok
    assert reason in attempt.error and len(attempt.error) <= 300
    assert not WeatherDay.objects.exists() and not WeatherHour.objects.exists()
    assert WeatherFetch.objects.filter(ok=False).count() == WeatherFetch.objects.count() == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"garbage\r\n\r\n",  # http.client.BadStatusLine
        # A chunk cut short: http.client.IncompleteRead.
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + RECORDED[:100],
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
    ],
)
def test_a_broken_http_answer_changes_nothing(service, raw):
    Answers.raw = raw
    attempt = fetch_forecast(url=service)
    assert not attempt.ok and attempt.error and len(attempt.error) <= 300
    assert not WeatherDay.objects.exists() and not WeatherHour.objects.exists()
    assert WeatherFetch.objects.filter(ok=False).count() == 1


def test_a_failed_fetch_keeps_what_was_stored(service):
    fetch_forecast(url=service)
    stored = list(WeatherDay.objects.values_list("day", "mean_c", "updated_at"))
    hours = list(WeatherHour.objects.values_list("time", "temperature_c", "updated_at"))
    Answers.body = _answer(hourly=[ONE_HOUR])
    assert not fetch_forecast(url=service).ok
    assert list(WeatherDay.objects.values_list("day", "mean_c", "updated_at")) == stored
    assert list(WeatherHour.objects.values_list("time", "temperature_c", "updated_at")) == hours


def test_an_answer_in_utc_is_stored_as_local_days(service):
    # Open-Meteo without &timezone= answers in UTC: 00:00 UTC is 08:00 in Shanghai.
    start = datetime(2026, 12, 10, tzinfo=UTC)
    values = [-10.0 + 0.5 * i for i in range(48)]
    Answers.body = json.dumps(
        {
            "utc_offset_seconds": 0,
            "hourly": {
                "time": [
                    (start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M") for i in range(48)
                ],
                "temperature_2m": values,
            },
            # Days of UTC, not of the site: not to be used.
            "daily": {
                "time": ["2026-12-10", "2026-12-11"],
                "temperature_2m_min": [-20.0, -20.0],
                "temperature_2m_max": [0.0, 0.0],
            },
        }
    ).encode()
    attempt = fetch_forecast(url=service)
    assert attempt.ok and attempt.days == 1
    first = WeatherHour.objects.order_by("time").first()
    assert first is not None
    assert timezone.localtime(first.time).replace(tzinfo=None) == datetime(2026, 12, 10, 8, 0)
    # 10 December has local hours from 08:00 only and 12 December up to 07:00: incomplete.
    # 11 December 00:00-23:00 local is 10 December 16:00 UTC to 11 December 15:00 UTC.
    day = WeatherDay.objects.get(kind=WeatherKind.FORECAST)
    assert day.day == date(2026, 12, 11)
    assert day.mean_c == pytest.approx(sum(values[16:40]) / 24)  # 3.75; UTC's day: 7.75
    assert (day.min_c, day.max_c) == (values[16], values[39])


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_a_local_day_across_a_clock_change_needs_all_its_hours(day, hours):
    start = datetime(2026, day.month, day.day - 1, tzinfo=UTC)
    payload = {
        "utc_offset_seconds": 0,
        "hourly": {
            "time": [(start + timedelta(hours=i)).isoformat() for i in range(72)],
            "temperature_2m": [float(i % 7) for i in range(72)],
        },
    }
    berlin = ZoneInfo("Europe/Berlin")
    with timezone.override(berlin):
        parsed = parse_forecast(payload)
    found = {d.day: d for d in parsed.days}
    local = [v for t, v in parsed.hours if t.astimezone(berlin).date() == day]
    assert len(local) == hours
    assert found[day].mean_c == pytest.approx(round(sum(local) / hours, 2))


def test_parse_rejects_mismatched_series():
    with pytest.raises(BadForecast, match="differ in length"):
        parse_forecast({"hourly": {"time": ["2026-12-10T00:00"], "temperature_2m": []}})
