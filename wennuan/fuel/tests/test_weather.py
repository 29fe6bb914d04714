"""The weather-service adapter over real HTTP (a local server answering with a stored
response), and what happens when the service is down or talks nonsense."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

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


@pytest.fixture
def service() -> Iterator[str]:
    """A local HTTP server that answers every GET with ``Answers.body``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(Answers.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(Answers.body)

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Answers.body, Answers.status = RECORDED, 200
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/forecast?latitude=37.5&longitude=121.4"
    server.shutdown()


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


@pytest.mark.parametrize(
    "body",
    [
        b"<html>busy</html>",
        b'{"utc_offset_seconds": 28800, "hourly": '
        b'{"time": ["2026-12-10T00:00"], "temperature_2m": [99]}}',
        b'{"utc_offset_seconds": 28800}',
    ],
)
def test_nonsense_from_the_service_changes_nothing(service, body):
    Answers.body = body
    attempt = fetch_forecast(url=service)
    assert not attempt.ok
    assert not WeatherDay.objects.exists() and not WeatherHour.objects.exists()
    assert WeatherFetch.objects.count() == 1


def test_parse_rejects_mismatched_series():
    with pytest.raises(BadForecast, match="differ in length"):
        parse_forecast({"hourly": {"time": ["2026-12-10T00:00"], "temperature_2m": []}})
