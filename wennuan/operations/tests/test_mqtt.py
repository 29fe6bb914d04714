"""MQTT round trip against the real local Mosquitto broker (127.0.0.1:1883)."""

from __future__ import annotations

import json
import socket
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from wennuan.grid.tests.factories import make_station
from wennuan.operations.models import SourceReading, StationReading
from wennuan.operations.mqtt import TelemetryListener, readings_of, wait_until


def broker_reachable() -> bool:
    try:
        with socket.create_connection((settings.MQTT_HOST, settings.MQTT_PORT), timeout=1):
            return True
    except OSError:
        return False


def test_a_topic_names_the_series_and_a_bad_payload_becomes_a_rejectable_reading():
    assert readings_of("wennuan/station/S1/telemetry", b'{"time": 1, "heat_mw": 2}') == [
        {"time": 1, "heat_mw": 2, "station": "S1"}
    ]
    assert readings_of("wennuan/source/H1/telemetry", b'[{"time": 1}, {"time": 2}]') == [
        {"time": 1, "source": "H1"},
        {"time": 2, "source": "H1"},
    ]
    assert readings_of("wennuan/station/S1/telemetry", b"\xff not json") == [
        {"time": None, "station": "S1"}
    ]


@pytest.mark.skipif(not broker_reachable(), reason="no MQTT broker at MQTT_HOST:MQTT_PORT")
@pytest.mark.django_db(transaction=True)
def test_readings_published_over_mqtt_are_stored():
    station = make_station()
    source = station.heat_source
    listener = TelemetryListener(
        client_id=f"wennuan-test-{uuid.uuid4().hex[:8]}",
        batch_size=50,
        batch_seconds=0.2,
        persistent=False,
    )
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    try:
        assert listener.subscribed.wait(10), "the listener did not subscribe"
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2)
        publisher.connect(settings.MQTT_HOST, settings.MQTT_PORT)
        publisher.loop_start()
        now = timezone.now()
        sent = [
            publisher.publish(
                f"wennuan/station/{station.code}/telemetry",
                json.dumps({"time": now.isoformat(), "secondary_supply_c": 49.5}),
                qos=1,
            ),
            publisher.publish(
                f"wennuan/station/{station.code}/telemetry",
                json.dumps([{"time": (now.timestamp() - 60), "secondary_supply_c": 48}]),
                qos=1,
            ),
            publisher.publish(
                f"wennuan/source/{source.code}/telemetry",
                json.dumps({"time": now.isoformat(), "output_mw": 150}),
                qos=1,
            ),
            publisher.publish(
                f"wennuan/station/{station.code}/telemetry",
                json.dumps({"time": now.isoformat(), "secondary_supply_c": 900}),  # rejected
                qos=1,
            ),
        ]
        for message in sent:
            message.wait_for_publish(5)
        assert wait_until(
            lambda: StationReading.objects.count() == 2 and SourceReading.objects.count() == 1, 10
        )
        publisher.loop_stop()
        publisher.disconnect()
    finally:
        listener.stop()
        thread.join(10)
    assert sorted(StationReading.objects.values_list("secondary_supply_c", flat=True)) == [48, 49.5]
    assert listener.written == 3


@pytest.mark.skipif(not broker_reachable(), reason="no MQTT broker at MQTT_HOST:MQTT_PORT")
@pytest.mark.django_db(transaction=True)
def test_the_simulator_a_fault_an_alarm_and_a_complaint_make_one_incident():
    """simulate_stations → MQTT → listener → readings; the stopped pump raises its alarm; a
    "not warm" request from that station meets the alarm and opens an incident."""
    from django.core.management import call_command

    from wennuan.operations.alarms import evaluate_alarms
    from wennuan.operations.models import Alarm
    from wennuan.service.incidents import correlate_incidents
    from wennuan.service.models import Incident
    from wennuan.service.tests.factories import file_not_warm, make_area

    area = make_area()
    faulty = area.household.building.station
    healthy = make_station()
    listener = TelemetryListener(
        client_id=f"wennuan-test-{uuid.uuid4().hex[:8]}", batch_seconds=0.2, persistent=False
    )
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    try:
        assert listener.subscribed.wait(10)
        call_command("simulate_stations", "--rounds", "1", "--fault", faulty.code, verbosity=0)
        assert wait_until(lambda: StationReading.objects.count() == 2, 10)
    finally:
        listener.stop()
        thread.join(10)
    assert StationReading.objects.get(station=faulty).pump_on is False
    assert StationReading.objects.get(station=healthy).pump_on is True
    evaluate_alarms()
    assert Alarm.objects.filter(station=faulty, rule__kind="pump_stopped").exists()
    assert not Alarm.objects.filter(station=healthy, rule__kind="pump_stopped").exists()
    file_not_warm(area.household)
    correlate_incidents()
    incident = Incident.objects.get()
    assert incident.station == faulty and incident.alarm is not None


@pytest.mark.skipif(not broker_reachable(), reason="no MQTT broker at MQTT_HOST:MQTT_PORT")
def test_with_mqtt_tls_the_listener_insists_on_tls(settings):
    """MQTT_TLS=true: against the local broker, which speaks plain MQTT, the TLS handshake
    fails instead of the listener falling back to an unencrypted connection."""
    import ssl

    settings.MQTT_TLS = True
    listener = TelemetryListener(client_id=f"wennuan-test-{uuid.uuid4().hex[:8]}", persistent=False)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        listener.client.connect(settings.MQTT_HOST, settings.MQTT_PORT)
