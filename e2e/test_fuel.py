"""Coal reserve journey in real Chromium at a phone viewport, in Chinese: a manager weighs in a
delivery on the yard page, then runs "deliveries suspended for 10 days + cold wave" and reads
the day the yard runs out of coal."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from e2e.conftest import PHONE, log_in, screenshot
from wennuan.fuel.forecast import Scenario, forecast_cover
from wennuan.fuel.models import CoalEntry
from wennuan.fuel.services import balance, expect_delivery, record_consumption, record_delivery
from wennuan.grid.models import HeatSource
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "wennuan-demo"


def tonnes(text: str) -> Decimal:
    """'1,250.0 t' (the stock card) → Decimal('1250.0')."""
    match = re.search(r"-?[\d,]+(?:\.\d+)?", text)
    assert match, text
    return Decimal(match.group().replace(",", ""))


def test_manager_weighs_in_a_delivery_and_reads_the_run_out_under_suspension_and_cold(phone):
    today = timezone.localdate()
    source = HeatSource.objects.create(code="HS01", name="芝罘热电厂", capacity_mw=Decimal(300))
    # A week of history: 1,700 t in eight days ago, 100 t burned on each of the last seven days.
    record_delivery(
        heat_source=source, day=today - timedelta(days=8), tonnes=1700, note_number="N0", actor=None
    )
    for back in range(1, 8):
        record_consumption(
            heat_source=source, day=today - timedelta(days=back), tonnes=100, actor=None
        )
    # A confirmed train in five days: the suspension keeps it out of the scenario.
    expect_delivery(
        heat_source=source,
        expected_on=today + timedelta(days=5),
        tonnes=600,
        supplier="龙口矿业",
        actor=None,
    )
    manager = make_user(Role.MANAGER, username="fuel-manager", password=PASSWORD)
    assert balance(source, on=today) == Decimal(1000)

    log_in(phone, manager.username, PASSWORD)
    phone.goto("/fuel/")
    assert "HS01" in phone.locator("[data-testid=yards]").inner_text()
    with phone.expect_navigation():
        phone.click(f"[data-testid=yards] a[href='/fuel/{source.code}/']")
    assert phone.url.endswith(f"/fuel/{source.code}/")
    stock_before = tonnes(phone.locator("[data-testid=stock]").inner_text())
    assert stock_before == Decimal(1000)

    # Weigh in 250.5 t under note WB-2026-0042, today: the day comes filled in with today,
    # in the form the date picker takes.
    delivery = phone.locator("[data-testid=record-delivery]")
    delivery.locator("summary").click()
    form = delivery.locator("form")
    assert form.locator("input[name=day]").input_value() == today.isoformat()
    form.locator("input[name=tonnes]").fill("250.5")
    form.locator("input[name=note_number]").fill("WB-2026-0042")
    form.locator("input[name=supplier]").fill("龙口矿业")
    with phone.expect_navigation():
        form.locator("button[type=submit]").click()
    assert phone.url.endswith(f"/fuel/{source.code}/")
    assert "WB-2026-0042" in phone.locator("[data-testid=ledger]").inner_text()
    stock_after = tonnes(phone.locator("[data-testid=stock]").inner_text())
    assert stock_after == stock_before + Decimal("250.5")
    entry = CoalEntry.objects.get(heat_source=source, note_number="WB-2026-0042")
    assert (entry.day, entry.tonnes, entry.created_by) == (today, Decimal("250.5"), manager)

    # What if the checkpoints close for ten days and a cold wave of 8 °C lasts five?
    scenario_form = phone.locator("[data-testid=scenario-form]")
    scenario_form.locator("[name=suspend_days]").fill("10")
    scenario_form.locator("[name=cold_delta_c]").fill("8")
    scenario_form.locator("[name=cold_days]").fill("5")
    with phone.expect_navigation():
        scenario_form.locator("button[type=submit]").click()
    assert "suspend_days=10" in phone.url

    scenarios = phone.locator("[data-testid=scenarios]")
    custom_row = scenarios.locator("[data-testid=custom-scenario]")
    assert custom_row.count() == 1
    shown = custom_row.locator("[data-testid=run-out]").inner_text().strip()
    custom = forecast_cover(
        source, scenario=Scenario(key="custom", suspend_days=10, cold_delta_c=8, cold_days=5)
    )
    baseline = forecast_cover(source)
    assert custom.run_out is not None and baseline.run_out is not None
    assert shown == custom.run_out.isoformat()
    # 1,250.5 t at 100 t a day, the train of day 5 held back: empty twelve days from now.
    assert custom.run_out == today + timedelta(days=12)
    assert custom.run_out <= baseline.run_out
    shown_baseline = scenarios.locator("tbody tr").first.locator("[data-testid=run-out]")
    assert shown_baseline.inner_text().strip() == baseline.run_out.isoformat()

    # Nothing overflows the 390 px screen sideways, and the comparison is in view.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert scenarios.is_visible()
    screenshot(phone, "fuel-scenario")
