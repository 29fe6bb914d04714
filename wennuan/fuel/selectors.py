"""Reads of the coal reserve: stock history, the ledger page, chart series, the company table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from wennuan.fuel.choices import DeliveryStatus
from wennuan.fuel.forecast import Cover, SeasonPlan, forecast_cover, season_plan
from wennuan.fuel.models import CoalEntry, ExpectedDelivery, FuelProfile
from wennuan.fuel.services import coal_sources, expected_by_source, stock_by_source
from wennuan.grid.models import HeatSource
from wennuan.people.choices import Role


def may_view(user: Any) -> bool:
    """Fuel pages are for the company's whole-city staff."""
    return bool(user.is_authenticated and user.sees_whole_city)


def may_record(user: Any) -> bool:
    """Managers keep the books; the dispatcher on a night shift weighs in deliveries, books a
    day's burn and notes a supplier's confirmed delivery too."""
    return bool(user.is_authenticated and (user.can_manage or user.role == Role.DISPATCHER))


def may_correct(user: Any) -> bool:
    """Stocktakes, reversals and file uploads change what the books say: managers only."""
    return bool(user.is_authenticated and user.can_manage)


def stock_history(
    heat_source: HeatSource, *, days: int = 60, today: date | None = None
) -> list[tuple[date, float]]:
    """The book stock at the end of each of the last ``days`` days (two queries)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    opening = CoalEntry.objects.filter(heat_source=heat_source, day__lt=first).aggregate(
        t=Sum("tonnes")
    )["t"] or Decimal(0)
    changes = dict(
        CoalEntry.objects.filter(heat_source=heat_source, day__gte=first, day__lte=today)
        .values("day")
        .annotate(t=Sum("tonnes"))
        .values_list("day", "t")
    )
    level = float(opening)
    out = []
    for i in range(days):
        day = first + timedelta(days=i)
        level += float(changes.get(day, 0))
        out.append((day, level))
    return out


def ledger(heat_source: HeatSource) -> QuerySet[CoalEntry]:
    """Entries newest first, with who recorded them and what reversed them."""
    return (
        CoalEntry.objects.filter(heat_source=heat_source)
        .select_related("heat_source", "created_by", "reversal", "reverses")
        .order_by("-day", "-id")
    )


def open_expected(heat_source: HeatSource) -> QuerySet[ExpectedDelivery]:
    return ExpectedDelivery.objects.filter(
        heat_source=heat_source, status=DeliveryStatus.EXPECTED
    ).order_by("expected_on")


def chart_series(history: list[tuple[date, float]], covers: list[Cover]) -> dict[str, Any]:
    """ECharts data: book stock, then each scenario's forecast stock; the baseline with a
    band from the model's spread (low burn → high stock and the other way round)."""
    days = [d.isoformat() for d, _ in history]
    base = covers[0]
    days += [d.day.isoformat() for d in base.days]
    pad = [None] * len(history)
    series: list[dict[str, Any]] = []
    low = high = base.stock_t
    band_low, band_high = [], []
    for d in base.days:
        low += d.delivered_t - d.high_t
        high += d.delivered_t - d.low_t
        band_low.append(round(low, 1))
        band_high.append(round(high - low, 1))  # stacked on top of the low line
    for cover in covers:
        series.append(
            {
                "name": str(cover.scenario.label),
                "data": pad[:-1]
                + [round(history[-1][1], 1)]
                + [round(d.stock_t, 1) for d in cover.days],
            }
        )
    return {
        "days": days,
        "history": [round(v, 1) for _, v in history] + [None] * len(base.days),
        "band_low": pad + band_low,
        "band_high": pad + band_high,
        "scenarios": series,
        # The burn of the rule's days after each day: what the stock at its end must cover,
        # deliveries aside.
        "rule": [
            round(sum(d.burn_t for d in base.all_days[i + 1 : i + 1 + base.rule_days]), 1)
            for i in range(len(base.days))
        ],
        "rule_pad": len(history),
    }


@dataclass
class SourceRow:
    source: HeatSource
    cover: Cover
    plan: SeasonPlan
    profile: FuelProfile | None


def company_rows(*, today: date | None = None) -> list[SourceRow]:
    """Every heat source's baseline cover and season plan (stock and expected deliveries read
    once for all)."""
    today = today or timezone.localdate()
    stocks = stock_by_source(on=today)
    expected = expected_by_source(
        since=today - timedelta(days=366), until=today + timedelta(days=366)
    )
    profiles = {p.heat_source_id: p for p in FuelProfile.objects.all()}
    rows = []
    for source in coal_sources():
        cover = forecast_cover(
            source,
            today=today,
            stock=stocks.get(source.pk, Decimal(0)),
            expected=expected.get(source.pk, []),
            profile=profiles.get(source.pk),
        )
        rows.append(SourceRow(source, cover, season_plan(cover), profiles.get(source.pk)))
    return rows
