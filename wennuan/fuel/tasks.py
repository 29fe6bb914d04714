"""Background tasks of the coal reserve."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django_tasks import task


@task()
def morning_check_task() -> dict[str, Any]:
    """Every morning: books and weather from telemetry, forecast, refit, alert managers."""
    from wennuan.fuel.alerts import morning_check

    return asdict(morning_check())


@task()
def fetch_forecast_task() -> bool | None:
    """Every three hours: fetch the weather forecast, when a service is configured."""
    if not settings.WEATHER_FORECAST_URL:
        return None
    from wennuan.fuel.weather import fetch_forecast

    return fetch_forecast().ok
