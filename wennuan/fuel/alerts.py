"""The morning check of the coal reserve: bring the books and the weather up to date, refit
the burn models, and text every manager about each yard whose baseline forecast breaks the
reserve rule now or within the horizon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wennuan.fuel.forecast import Cover, forecast_cover, season_plan
from wennuan.fuel.services import (
    consumption_from_telemetry,
    observed_days_from_telemetry,
    refit_all_models,
)
from wennuan.grid.models import HeatSource
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


def breaks_rule(cover: Cover) -> bool:
    """Whether the baseline breaks the reserve rule in the horizon: cover below the minimum
    days, or (before the season) a start stock below its share of the season's use."""
    if cover.below_rule_on is not None:
        return True
    plan = season_plan(cover)
    starts_within = (plan.start - cover.today).days <= len(cover.days)
    return plan.meets_start_rule is False and starts_within


def alert_managers(*, today: date | None = None) -> tuple[list[str], int]:
    """Text every active manager about each yard short of the rule (once a day per yard)."""
    today = today or timezone.localdate()
    managers = list(User.objects.filter(role__in=MANAGING_ROLES, is_active=True).exclude(phone=""))
    short: list[str] = []
    sent = 0
    with transaction.atomic(), queued_together():
        for source in HeatSource.objects.order_by("code"):
            cover = forecast_cover(source, today=today)
            if not breaks_rule(cover):
                continue
            short.append(source.code)
            key = f"coal-{source.code}-{today.isoformat()}"
            if Notification.objects.filter(related_key=key).exists():
                continue  # the job ran twice today
            on = cover.below_rule_on or season_plan(cover).start
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
                        "order": f"{max(cover.order_t, season_plan(cover).to_procure_t):,.0f}",
                        "order_by": cover.order_by or today,
                    },
                    language=settings.LANGUAGE_CODE,
                    related_key=key,
                )
                sent += 1
    return short, sent


def morning_check(*, today: date | None = None) -> MorningReport:
    """The daily job: yesterday's consumption and temperatures from telemetry, the weather
    forecast (when a service is configured; a failure keeps the last one), refit, alert."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    entries = consumption_from_telemetry(day=yesterday)
    observed_days_from_telemetry(since=yesterday - timedelta(days=1), until=yesterday)
    if settings.WEATHER_FORECAST_URL:
        from wennuan.fuel.weather import fetch_forecast

        fetch_forecast()
    fitted = refit_all_models()
    short, sent = alert_managers(today=today)
    return MorningReport(entries, fitted, short, sent)
