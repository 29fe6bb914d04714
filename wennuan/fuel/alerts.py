"""The morning check of the coal reserve: bring the books and the weather up to date, refit
the burn models, and text every manager about each yard whose baseline forecast breaks the
reserve rule now or within the horizon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wennuan.fuel.forecast import Cover, forecast_cover, season_plan, stock_before
from wennuan.fuel.services import (
    coal_sources,
    consumption_from_telemetry,
    observed_days_from_telemetry,
    refit_all_models,
)
from wennuan.notify.choices import Channel, Template
from wennuan.notify.models import Notification
from wennuan.notify.services import queue_notification, queued_together
from wennuan.people.choices import MANAGING_ROLES
from wennuan.people.models import User


@dataclass
class MorningReport:
    consumption_entries: int
    models_fitted: int
    short: list[str]  # codes of the heat sources below the rule
    alerts: int


def shortfall(cover: Cover) -> tuple[date, float] | None:
    """When the baseline breaks the reserve rule within the horizon, the day it does and
    the tonnes to order: cover below the minimum days, or (before the season) a start
    stock below its share of the season's use. None while the rule holds (or without an
    estimate of the burn)."""
    if not cover.estimated:
        return None
    if cover.below_rule_on is not None:
        return cover.below_rule_on, cover.order_t
    plan = season_plan(cover)
    if plan.meets_start_rule is False and (plan.start - cover.today).days <= len(cover.days):
        level = stock_before(cover, plan.start)
        return plan.start, plan.start_rule_t - level
    return None


def alert_managers(*, today: date | None = None) -> tuple[list[str], int]:
    """Text every active manager about each yard short of the rule (once a day per yard)."""
    today = today or timezone.localdate()
    managers = list(User.objects.filter(role__in=MANAGING_ROLES, is_active=True).exclude(phone=""))
    # Forecast first, outside any transaction: on SQLite a write transaction would hold
    # the database's lock (and telemetry ingest) for the whole loop.
    short = []
    for source in coal_sources():
        cover = forecast_cover(source, today=today)
        found = shortfall(cover)
        if found is not None:
            short.append((source, cover, *found))
    sent = 0
    with transaction.atomic(), queued_together():
        for source, cover, on, order in short:
            key = f"coal-{source.code}-{today.isoformat()}"
            if Notification.objects.filter(related_key=key).exists():
                continue  # the job ran twice today
            for manager in managers:
                queue_notification(
                    channel=Channel.SMS,
                    recipient=manager.phone,
                    template=Template.COAL_LOW,
                    context={
                        "source": source.name,
                        "stock": f"{cover.stock_t:,.0f}",
                        "cover": (
                            f"{cover.days_of_cover:.1f}"
                            if cover.days_of_cover is not None
                            else "365+"
                        ),
                        "on": on,
                        "order": f"{order:,.0f}",
                        "order_by": max(today, on - timedelta(days=settings.FUEL_ORDER_LEAD_DAYS)),
                    },
                    language=settings.LANGUAGE_CODE,
                    related_key=key,
                )
                sent += 1
    return [source.code for source, *_ in short], sent


def morning_check(*, today: date | None = None) -> MorningReport:
    """The daily job: the last days' consumption and temperatures from telemetry, the
    weather forecast (when a service is configured; a failure keeps the last one), refit,
    alert. One step failing does not stop the others."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    entries = 0
    # Telemetry can arrive late: the last three days are looked at again (booked days stay).
    for back in range(3, 0, -1):
        entries += consumption_from_telemetry(day=today - timedelta(days=back))
    observed_days_from_telemetry(since=yesterday - timedelta(days=2), until=yesterday)
    if settings.WEATHER_FORECAST_URL:
        from wennuan.fuel.weather import fetch_forecast

        fetch_forecast()  # records its own failure; never raises on a bad answer
    fitted = refit_all_models()
    short, sent = alert_managers(today=today)
    return MorningReport(entries, fitted, short, sent)
