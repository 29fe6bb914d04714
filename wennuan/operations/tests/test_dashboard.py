"""The operations dashboard: live status per station, open alarms, scope, alarm actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wennuan.grid.tests.factories import make_building, make_station, make_user, make_zone
from wennuan.operations.choices import AlarmStatus
from wennuan.operations.models import Alarm, AlarmRule
from wennuan.operations.services import ingest
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db


def feed(station: Any, minutes_ago: float, supply: float) -> None:
    moment = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    ingest(
        [{"station": station.code, "time": moment, "secondary_supply_c": supply, "outdoor_c": 0}]
    )


def statuses(client: Any) -> dict[str, str]:
    page = client.get(reverse("operations:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    return {row.station.code: row.status for row in page.context["rows"]}


def test_each_station_shows_ok_deviation_alarm_or_stale(client):
    ok, cold, alarmed, quiet = (make_station() for _ in range(4))
    feed(ok, 1, 47)  # the default curve's target at 0 °C
    feed(cold, 1, 40)
    feed(alarmed, 1, 47)
    feed(quiet, 30, 47)
    Alarm.objects.create(
        rule=AlarmRule.objects.first(),
        station=alarmed,
        severity="critical",
        raised_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    client.force_login(make_user(Role.DISPATCHER))
    assert statuses(client) == {
        ok.code: "ok",
        cold.code: "deviation",
        alarmed.code: "alarm",
        quiet.code: "stale",
    }


def test_the_dashboard_costs_the_same_queries_for_more_stations(client):
    client.force_login(make_user(Role.DISPATCHER))
    counts = []
    for extra in (1, 5):
        for _ in range(extra):
            feed(make_station(), 1, 47)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("operations:dashboard"))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_technician_sees_and_acts_only_on_their_stations(client):
    mine, theirs = make_station(), make_station()
    zone = make_zone()
    make_building(zone=zone, station=mine)
    technician = make_user(Role.TECHNICIAN)
    from wennuan.grid.choices import Duty
    from wennuan.grid.tests.factories import assign

    assign(zone, Duty.REPAIR, technician)
    feed(mine, 1, 47)
    feed(theirs, 1, 47)
    alarm = Alarm.objects.create(
        rule=AlarmRule.objects.first(),
        station=theirs,
        severity="warning",
        raised_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    client.force_login(technician)
    assert set(statuses(client)) == {mine.code}
    refused = client.post(reverse("operations:alarm_action", args=[alarm.pk, "acknowledge"]))
    assert refused.status_code == 404
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE
    assert client.get(reverse("operations:station", args=[theirs.pk])).status_code == 404


def test_someone_who_may_see_no_station_gets_an_empty_dashboard(client):
    """On PostgreSQL the latest readings are read with raw SQL around the visible stations'
    query, which Django cannot write for "no station at all"."""
    feed(make_station(), 1, 47)
    client.force_login(make_user(Role.TECHNICIAN))  # holds no duty in any zone
    page = client.get(reverse("operations:dashboard"))
    assert page.status_code == 200
    assert statuses(client) == {}


def test_a_dispatcher_acknowledges_then_clears_an_alarm(client):
    station = make_station()
    alarm = Alarm.objects.create(
        rule=AlarmRule.objects.first(),
        station=station,
        severity="warning",
        raised_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    dispatcher = make_user(Role.DISPATCHER)
    client.force_login(dispatcher)
    client.post(reverse("operations:alarm_action", args=[alarm.pk, "acknowledge"]))
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, dispatcher)
    client.post(reverse("operations:alarm_action", args=[alarm.pk, "clear"]), {"note": "fixed"})
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLEARED
    assert [e.note for e in alarm.events.all()][-1] == "fixed"


def test_the_station_page_carries_its_trend_for_the_chart(client):
    station = make_station()
    feed(station, 5, 45)
    feed(station, 1, 46)
    client.force_login(make_user(Role.DISPATCHER))
    page = client.get(reverse("operations:station", args=[station.pk]))
    assert page.status_code == 200
    trend = page.context["trend"]
    assert trend["supply"] == [45, 46] and trend["target"] == [47, 47]
    assert 'id="trend-data"' in page.content.decode()


def test_a_dispatcher_updates_and_resolves_an_incident_from_the_dashboard(client):
    from wennuan.notify.models import Notification
    from wennuan.service.choices import IncidentStatus, Status
    from wennuan.service.incidents import open_incident
    from wennuan.service.tests.factories import file_not_warm, make_area

    area = make_area()
    request = file_not_warm(area.household).request
    incident = open_incident(station_id=area.household.building.station_id, cause="主泵跳闸")
    client.force_login(area.dispatcher)
    page = client.get(reverse("operations:dashboard"))
    assert f'data-incident="{incident.pk}"' in page.content.decode()
    client.post(
        reverse("operations:incident_action", args=[incident.pk, "update"]),
        {"expected_recovery_at": "2026-12-01T18:00"},
    )
    assert Notification.objects.filter(template="incident_notice").count() == 2
    client.post(
        reverse("operations:incident_action", args=[incident.pk, "resolve"]), {"note": "已复位"}
    )
    incident.refresh_from_db()
    request.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert request.status == Status.RESOLVED


def test_a_technician_cannot_resolve_an_incident(client):
    from wennuan.service.choices import IncidentStatus
    from wennuan.service.incidents import open_incident
    from wennuan.service.tests.factories import make_area

    area = make_area()
    incident = open_incident(station_id=area.household.building.station_id, cause="x")
    client.force_login(area.owner)
    response = client.post(
        reverse("operations:incident_action", args=[incident.pk, "resolve"]), {"note": "done"}
    )
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_the_dashboard_proposes_to_resolve_once_telemetry_is_back_on_the_curve(client, settings):
    from wennuan.operations.selectors import recovered_stations
    from wennuan.service.incidents import open_incident
    from wennuan.service.tests.factories import make_area

    settings.INCIDENT_RECOVERY_MINUTES = 30
    area = make_area()
    station = area.household.building.station
    open_incident(station_id=station.pk, cause="泵故障")
    for minutes in range(0, 31, 5):
        feed(station, minutes, 40)  # still 7 °C below the curve
    assert recovered_stations([station.pk]) == set()
    for minutes in range(0, 31, 5):
        ingest(
            [
                {
                    "station": station.code,
                    "time": (timezone.now() - timedelta(minutes=minutes, seconds=30)).isoformat(),
                    "secondary_supply_c": 46.5,
                    "outdoor_c": 0,
                }
            ]
        )
    from wennuan.operations.models import StationReading

    StationReading.objects.filter(station=station, secondary_supply_c=40).delete()
    assert recovered_stations([station.pk]) == {station.pk}
    client.force_login(area.dispatcher)
    page = client.get(reverse("operations:dashboard"))
    assert 'data-testid="recovered"' in page.content.decode()


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)  # the worker closes connections
def test_a_dispatcher_announces_a_stop_and_then_says_heat_is_back(client):
    from wennuan.grid.tests.factories import make_household
    from wennuan.notify.models import Notification
    from wennuan.operations.models import PlannedStop

    station = make_station()
    for _ in range(2):
        make_household(make_building(station=station))
    client.force_login(make_user(Role.DISPATCHER))
    bad = client.post(
        reverse("operations:stops"),
        {
            "code": "NOPE",
            "starts_at": "2026-12-01T08:00",
            "expected_end_at": "2026-12-01T12:00",
            "reason": "检修",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    assert "No station or heat source has the code NOPE" in bad.context["form"].errors["code"][0]
    backwards = client.post(
        reverse("operations:stops"),
        {
            "code": station.code,
            "starts_at": "2026-12-01T12:00",
            "expected_end_at": "2026-12-01T08:00",
            "reason": "检修",
        },
    )
    assert backwards.status_code == 400
    assert not PlannedStop.objects.exists() and not Notification.objects.exists()
    client.post(
        reverse("operations:stops"),
        {
            "code": station.code,
            "starts_at": "2026-12-01T08:00",
            "expected_end_at": "2026-12-01T12:00",
            "reason": "管道检修",
        },
    )
    from wennuan.operations.tests.test_alarms import run_worker

    run_worker()
    stop = PlannedStop.objects.get()
    assert stop.households_told == 2
    client.post(reverse("operations:stop_end", args=[stop.pk]))
    run_worker()
    assert Notification.objects.filter(template="heat_back").count() == 2


def test_only_dispatchers_and_managers_announce_stops(client):
    from wennuan.operations.models import PlannedStop

    station = make_station()
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.get(reverse("operations:stops")).status_code == 404
    client.post(
        reverse("operations:stops"),
        {
            "code": station.code,
            "starts_at": "2026-12-01T08:00",
            "expected_end_at": "2026-12-01T12:00",
            "reason": "x",
        },
    )
    assert not PlannedStop.objects.exists()


def test_a_heat_source_incident_shows_and_resolves_like_a_station_one(client):
    from wennuan.service.choices import IncidentStatus
    from wennuan.service.incidents import open_incident
    from wennuan.service.tests.factories import make_area

    area = make_area()
    source_id = area.household.building.station.heat_source_id
    incident = open_incident(heat_source_id=source_id, cause="热源降负荷")
    client.force_login(area.dispatcher)
    page = client.get(reverse("operations:dashboard"))
    assert f'data-incident="{incident.pk}"' in page.content.decode()
    client.post(
        reverse("operations:incident_action", args=[incident.pk, "resolve"]), {"note": "恢复"}
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_the_dispatch_board_says_how_many_alarms_and_incidents_are_open(client):
    from wennuan.service.incidents import open_incident
    from wennuan.service.tests.factories import make_area

    area = make_area()
    client.force_login(area.dispatcher)
    board = client.get(reverse("service:board"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="network-strip"' not in board.content.decode()
    station = area.household.building.station
    Alarm.objects.create(
        rule=AlarmRule.objects.first(),
        station=station,
        severity="warning",
        raised_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    open_incident(station_id=station.pk, cause="x")
    board = client.get(reverse("service:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 open station alarm" in board and "1 open network incident" in board


# --- least privilege (OWASP ASVS 4.1.3, docs/security.md "Authorization") -----------------


def _alarm_on(station: Any) -> Alarm:
    return Alarm.objects.create(
        rule=AlarmRule.objects.first(),
        station=station,
        severity="warning",
        raised_at=timezone.now(),
        last_seen_at=timezone.now(),
    )


def test_a_community_worker_sees_no_telemetry_not_even_of_their_own_community(client):
    """The network's telemetry is company-internal: the worker of the community a station
    feeds gets neither the dashboard, the station's page nor its alarms (404, as for what is
    not in one's area), and acknowledging or clearing one changes nothing."""
    from wennuan.grid.tests.factories import make_community
    from wennuan.operations.models import AlarmEvent

    community = make_community()
    station = make_station()
    make_building(community=community, station=station)
    feed(station, 1, 47)
    alarm = _alarm_on(station)
    worker = make_user(Role.COMMUNITY_WORKER, community=community)
    client.force_login(worker)
    assert client.get(reverse("operations:dashboard")).status_code == 404
    assert client.get(reverse("operations:dashboard"), HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(reverse("operations:station", args=[station.pk])).status_code == 404
    for action, body in (("acknowledge", {}), ("clear", {"note": "恢复"})):
        refused = client.post(reverse("operations:alarm_action", args=[alarm.pk, action]), body)
        assert refused.status_code == 404
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by) == (AlarmStatus.ACTIVE, None)
    assert not AlarmEvent.objects.filter(alarm=alarm).exists()
    # Nothing in the menu leads there.
    menu = [item["url"] for item in client.get(reverse("home")).context["nav_items"]]
    assert not [url for url in menu if url.startswith("/operations/")]


def test_the_alarm_lifecycle_refuses_a_community_worker():
    from wennuan.operations.alarms import AlarmRefused, acknowledge_alarm, clear_alarm

    alarm = _alarm_on(make_station())
    worker = make_user(Role.COMMUNITY_WORKER)
    with pytest.raises(AlarmRefused, match="company"):
        acknowledge_alarm(alarm=alarm, actor=worker)
    with pytest.raises(AlarmRefused, match="company"):
        clear_alarm(alarm=alarm, actor=worker, note="恢复")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE and not alarm.events.exists()


def test_an_agent_reads_the_stops_but_neither_announces_nor_ends_one(client):
    from wennuan.notify.models import Notification
    from wennuan.operations.models import PlannedStop

    station = make_station()
    stop = PlannedStop.objects.create(
        station=station,
        starts_at=timezone.now(),
        expected_end_at=timezone.now() + timedelta(hours=4),
        reason="检修",
    )
    client.force_login(make_user(Role.AGENT))
    page = client.get(reverse("operations:stops"))
    assert page.status_code == 200 and list(page.context["stops"]) == [stop]
    html = page.content.decode()
    assert reverse("operations:stop_end", args=[stop.pk]) not in html
    assert 'name="reason"' not in html  # no announce form
    client.force_login(make_user(Role.DISPATCHER))
    shown = client.get(reverse("operations:stops")).content.decode()
    assert reverse("operations:stop_end", args=[stop.pk]) in shown and 'name="reason"' in shown
    client.force_login(make_user(Role.AGENT))
    announced = client.post(
        reverse("operations:stops"),
        {
            "code": station.code,
            "starts_at": "2026-12-01T08:00",
            "expected_end_at": "2026-12-01T12:00",
            "reason": "管道检修",
        },
    )
    assert announced.status_code == 403
    assert client.post(reverse("operations:stop_end", args=[stop.pk])).status_code == 404
    assert list(PlannedStop.objects.all()) == [stop]
    stop.refresh_from_db()
    assert stop.ended_at is None and not Notification.objects.exists()


def test_an_agent_neither_updates_nor_resolves_an_incident(client):
    from wennuan.service.choices import IncidentStatus, Status
    from wennuan.service.incidents import open_incident
    from wennuan.service.tests.factories import file_not_warm, make_area

    area = make_area()
    request = file_not_warm(area.household).request
    incident = open_incident(station_id=area.household.building.station_id, cause="主泵跳闸")
    events = incident.events.count()
    client.force_login(make_user(Role.AGENT))
    update = client.post(
        reverse("operations:incident_action", args=[incident.pk, "update"]), {"cause": "x"}
    )
    resolve = client.post(
        reverse("operations:incident_action", args=[incident.pk, "resolve"]), {"note": "x"}
    )
    assert (update.status_code, resolve.status_code) == (404, 404)
    incident.refresh_from_db()
    request.refresh_from_db()
    assert (incident.status, incident.cause) == (IncidentStatus.OPEN, "主泵跳闸")
    assert incident.events.count() == events and request.status != Status.RESOLVED


def test_stops_and_incidents_refuse_an_agent_in_the_service_too():
    from wennuan.operations.stops import StopRefused, announce_stop
    from wennuan.service.incidents import IncidentRefused, open_incident, resolve_incident

    station = make_station()
    agent = make_user(Role.AGENT)
    with pytest.raises(StopRefused, match="dispatchers"):
        announce_stop(
            station=station,
            starts_at=timezone.now(),
            expected_end_at=timezone.now() + timedelta(hours=1),
            reason="检修",
            actor=agent,
        )
    incident = open_incident(station_id=station.pk, cause="x")
    with pytest.raises(IncidentRefused, match="dispatchers"):
        resolve_incident(incident=incident, actor=agent, note="done")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_one_decimal_writes_what_floatformat_writes(language):
    import random

    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from wennuan.operations.views import one_decimal

    rng = random.Random(5)
    values = [0.0, -0.0, 0.05, -0.05, -0.04, 12.25, -12.25, 99.95, 1e6 + 0.05, 1e-7, -1e-7]
    values += [round(rng.uniform(-40, 140), rng.randint(0, 5)) for _ in range(2000)]
    with translation.override(language):
        assert [one_decimal(v) for v in values] == [floatformat(v, 1) for v in values]
    assert one_decimal(float("nan")) == one_decimal(float("inf")) == "—"
