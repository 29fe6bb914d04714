"""Heating operation journey in real Chromium: a simulated pump fault raises an alarm on the
dashboard, "not warm" requests from that station join one incident, the dispatcher resolves
it, and the residents' requests are resolved."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command

from e2e.conftest import log_in, screenshot
from wennuan.demo.services import build_demo_city
from wennuan.grid.models import Household, Station
from wennuan.operations.alarms import evaluate_alarms
from wennuan.operations.models import StationReading
from wennuan.operations.mqtt import TelemetryListener, wait_until
from wennuan.operations.rules import seed_alarm_rules
from wennuan.service.catalogue import seed_catalogue
from wennuan.service.choices import Status
from wennuan.service.incidents import correlate_incidents
from wennuan.service.models import ServiceCategory, ServiceRequest
from wennuan.service.services import submit_request


def broker_reachable() -> bool:
    try:
        with socket.create_connection((settings.MQTT_HOST, settings.MQTT_PORT), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not broker_reachable(), reason="no MQTT broker at MQTT_HOST:MQTT_PORT"),
]


def test_a_pump_fault_becomes_an_alarm_then_one_incident_that_resolves_every_request(
    browser, live_server
):
    seed_catalogue()  # transactional tests flush migration data
    seed_alarm_rules()
    build_demo_city(households=3_000, seed=5)
    station = Station.objects.order_by("code").first()
    listener = TelemetryListener(
        client_id=f"e2e-{uuid.uuid4().hex[:8]}", batch_seconds=0.2, persistent=False
    )
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    try:
        assert listener.subscribed.wait(10)
        call_command("simulate_stations", "--rounds", "1", "--fault", station.code, verbosity=0)
        assert wait_until(lambda: StationReading.objects.count() == Station.objects.count(), 15)
    finally:
        listener.stop()
        thread.join(10)
    evaluate_alarms()  # the scheduler's every-minute job

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, "dispatcher")
    page.goto("/operations/")
    row = page.locator(f'tr[data-station="{station.code}"]')
    assert row.get_attribute("data-status") == "alarm"
    assert "Circulation pump stopped" in page.locator("[data-testid=alarms]").inner_text()

    # Three homes fed by that station report no heat; the minute job makes one incident.
    category = ServiceCategory.objects.prefetch_related("attributes").get(code="not_warm")
    homes = Household.objects.filter(building__station=station).order_by("pk")[:3]
    numbers = [
        submit_request(
            category=category,
            household=home,
            channel="portal",
            attributes={"indoor_temperature": "14", "rooms_affected": "whole_home"},
        ).request.number
        for home in homes
    ]
    correlate_incidents()
    page.goto("/operations/")
    card = page.locator("[data-incident]")
    assert "3 requests linked" in card.inner_text()
    screenshot(page, "operations-incident")
    card.locator("input[name=note]").fill("Pump restarted, supply back on the curve")
    card.locator("[data-testid=resolve-incident]").click()
    page.wait_for_url("**/operations/")
    assert "3 requests resolved" in page.locator("main").inner_text()
    assert set(
        ServiceRequest.objects.filter(number__in=numbers).values_list("status", flat=True)
    ) == {Status.RESOLVED}
    context.close()
