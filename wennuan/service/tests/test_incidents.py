"""Network incidents: formation from complaint clusters and alarms, linking at intake and by
the minute job, one message per resident and per update, resolution of every request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from wennuan.grid.tests.factories import make_building, make_household, make_station
from wennuan.notify.models import Notification
from wennuan.operations.models import Alarm, AlarmRule
from wennuan.service.choices import IncidentStatus, Status
from wennuan.service.incidents import (
    IncidentRefused,
    correlate_incidents,
    open_incident,
    resolve_incident,
    update_incident,
)
from wennuan.service.models import Incident, ServiceRequest
from wennuan.service.services import accept_request
from wennuan.service.tests.factories import file_not_warm, make_area

pytestmark = pytest.mark.django_db


def homes_of_one_station(area: Any, count: int) -> list[Any]:
    building = area.household.building
    return [make_household(building, phone=f"1381111{i:04d}") for i in range(count)]


def notices() -> int:
    return Notification.objects.filter(template="incident_notice").count()


def test_five_complaints_from_one_station_within_the_window_become_one_incident(settings):
    settings.INCIDENT_MIN_REQUESTS = 5
    area = make_area()
    homes = homes_of_one_station(area, 5)
    for home in homes[:4]:
        file_not_warm(home)
    assert correlate_incidents()["opened"] == 0
    file_not_warm(homes[4])
    assert correlate_incidents()["opened"] == 1
    incident = Incident.objects.get()
    assert incident.station == area.household.building.station
    assert incident.requests.count() == 5
    assert notices() == 5  # one message to each resident
    assert correlate_incidents() == {"opened": 0, "linked": 0}  # nothing twice
    assert notices() == 5


def test_complaints_elsewhere_or_outside_the_window_do_not_count(settings):
    settings.INCIDENT_MIN_REQUESTS = 3
    area = make_area()
    homes = homes_of_one_station(area, 2)
    other = make_household(make_building(zone=area.zone, station=make_station()))
    old = file_not_warm(homes[0]).request
    ServiceRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    file_not_warm(homes[1])
    file_not_warm(other)
    assert correlate_incidents()["opened"] == 0
    assert not Incident.objects.exists()


def test_one_complaint_meeting_an_open_alarm_opens_an_incident_named_by_the_alarm():
    area = make_area()
    station = area.household.building.station
    rule = AlarmRule.objects.get(kind="pump_stopped")
    alarm = Alarm.objects.create(
        rule=rule,
        station=station,
        severity="critical",
        raised_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    file_not_warm(area.household)
    assert correlate_incidents()["opened"] == 1
    incident = Incident.objects.get()
    assert incident.alarm == alarm
    assert rule.name in incident.cause


def test_a_request_joins_an_open_incident_at_intake_and_its_resident_is_told_once():
    area = make_area()
    incident = open_incident(station_id=area.household.building.station_id, cause="泵站故障")
    request = file_not_warm(area.household).request
    request.refresh_from_db()
    assert request.incident == incident
    assert request.assignee == area.owner  # still owned by the named person, still recorded
    assert notices() == 1
    assert "Part of network incident" in request.events.last().note
    correlate_incidents()
    assert notices() == 1


def test_an_update_tells_every_linked_open_request_again_and_a_resolved_incident_refuses(settings):
    area = make_area()
    homes = homes_of_one_station(area, 2)
    for home in homes:
        file_not_warm(home)
    incident = open_incident(station_id=area.household.building.station_id, cause="阀门故障")
    assert notices() == 2
    update_incident(
        incident=incident,
        actor=area.dispatcher,
        expected_recovery_at=timezone.now() + timedelta(hours=3),
    )
    assert notices() == 4
    with pytest.raises(IncidentRefused):
        update_incident(incident=incident, actor=area.dispatcher)
    resolve_incident(incident=incident, actor=area.dispatcher, note="阀门已更换")
    with pytest.raises(IncidentRefused):
        update_incident(incident=incident, actor=area.dispatcher, cause="again")
    assert notices() == 4


def test_resolving_the_incident_resolves_every_open_request_and_asks_residents_to_confirm():
    area = make_area()
    homes = homes_of_one_station(area, 3)
    requests = [file_not_warm(home).request for home in homes]
    accept_request(request=requests[0], actor=area.owner)
    incident = open_incident(station_id=area.household.building.station_id, cause="换热器堵塞")
    with pytest.raises(IncidentRefused):
        resolve_incident(incident=incident, actor=area.dispatcher, note=" ")
    assert resolve_incident(incident=incident, actor=area.dispatcher, note="已冲洗换热器") == 3
    for request in requests:
        request.refresh_from_db()
        assert request.status == Status.RESOLVED
        assert "已冲洗换热器" in request.events.filter(to_status=Status.RESOLVED).get().note
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert Notification.objects.filter(template="request_resolved").count() == 3


def test_one_open_incident_per_station():
    area = make_area()
    station_id = area.household.building.station_id
    open_incident(station_id=station_id, cause="first")
    with pytest.raises(IncidentRefused):
        open_incident(station_id=station_id, cause="second")
    assert Incident.objects.count() == 1


def test_complaints_from_several_stations_of_one_heat_source_make_one_heat_source_incident(
    settings,
):
    settings.INCIDENT_MIN_REQUESTS = 3
    settings.INCIDENT_SOURCE_MIN_STATIONS = 3
    area = make_area()
    stations = [make_station() for _ in range(3)]  # the factory feeds them from one source
    for station in stations:
        file_not_warm(make_household(make_building(zone=area.zone, station=station)))
    assert correlate_incidents()["opened"] == 1
    incident = Incident.objects.get()
    assert incident.station is None and incident.heat_source == stations[0].heat_source
    assert incident.requests.count() == 3
    # A later complaint from any station of that heat source joins it at intake.
    late = file_not_warm(make_household(make_building(zone=area.zone, station=stations[1]))).request
    late.refresh_from_db()
    assert late.incident == incident


def test_an_incident_is_of_a_station_or_a_heat_source_not_both_nor_neither():
    area = make_area()
    station = area.household.building.station
    with pytest.raises(IncidentRefused):
        open_incident(cause="x")
    with pytest.raises(IncidentRefused):
        open_incident(cause="x", station_id=station.pk, heat_source_id=station.heat_source_id)
    assert not Incident.objects.exists()


def test_linking_many_requests_writes_their_events_in_one_insert():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    area = make_area()
    for home in homes_of_one_station(area, 6):
        file_not_warm(home)
    with CaptureQueriesContext(connection) as queries:
        open_incident(station_id=area.household.building.station_id, cause="泵站故障")
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "service_requestevent"')]
    assert len(inserts) == 1
    assert Incident.objects.get().requests.count() == 6
