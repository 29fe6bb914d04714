"""Alarm rules with controlled time: threshold for a duration, rate, stale data, pump stopped;
the lifecycle active → acknowledged → cleared, one open alarm per station and rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from wennuan.grid.tests.factories import make_station, make_user
from wennuan.notify.models import Notification
from wennuan.operations.alarms import AlarmRefused, acknowledge_alarm, clear_alarm, evaluate_alarms
from wennuan.operations.choices import AlarmStatus
from wennuan.operations.models import Alarm, AlarmEvent, AlarmRule
from wennuan.operations.services import ingest
from wennuan.people.choices import Role
from wennuan.service.tests.factories import on_shift

pytestmark = pytest.mark.django_db


def run_worker() -> None:
    """Run every queued task, as the `worker` process would (on either queue)."""
    from wennuan.core.tests.task_queue import run_queued_tasks

    run_queued_tasks()


NOW = timezone.now().replace(second=0, microsecond=0)


def only(kind: str) -> AlarmRule:
    """Keep just the seeded rule of this kind enabled."""
    AlarmRule.objects.exclude(kind=kind).update(enabled=False)
    return AlarmRule.objects.get(kind=kind)


def feed(station: Any, minutes: range, now: datetime = NOW, **values: Any) -> None:
    """One reading a minute, ``minutes`` ago; outdoor 0 °C gives the default target 47 °C."""
    result = ingest(
        [
            {
                "station": station.code,
                "time": (now - timedelta(minutes=m)).isoformat(),
                "outdoor_c": 0,
                **values,
            }
            for m in minutes
        ],
        now=now,
    )
    assert not result.rejected, result.rejected


def test_below_the_curve_for_the_whole_window_raises_one_alarm_then_clears_itself():
    only("threshold")
    station = make_station()
    feed(station, range(16), secondary_supply_c=40)  # 7 °C below the 47 °C target
    assert evaluate_alarms(now=NOW)["raised"] == 1
    assert evaluate_alarms(now=NOW + timedelta(minutes=1))["raised"] == 0  # extended, not doubled
    alarm = Alarm.objects.get()
    assert (alarm.status, alarm.station, alarm.severity) == (AlarmStatus.ACTIVE, station, "warning")
    assert "deviation" in alarm.detail
    later = NOW + timedelta(minutes=20)
    feed(station, range(15), now=later, secondary_supply_c=47)
    assert evaluate_alarms(now=later)["cleared"] == 1
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLEARED
    assert [e.to_status for e in alarm.events.all()] == ["active", "cleared"]


def test_a_short_dip_or_an_uncovered_window_raises_nothing():
    only("threshold")
    dip, young = make_station(), make_station()
    feed(dip, range(16), secondary_supply_c=40)
    feed(dip, range(3), now=NOW + timedelta(seconds=30), secondary_supply_c=46)  # back within 5 °C
    feed(young, range(5), secondary_supply_c=30)  # only 5 minutes of data in a 15-minute window
    assert evaluate_alarms(now=NOW + timedelta(seconds=30))["raised"] == 0


def test_a_fast_fall_raises_the_rate_rule():
    only("rate")
    station, steady = make_station(), make_station()
    for minute in range(10):
        feed(station, range(minute, minute + 1), secondary_supply_c=50 - (9 - minute) * 1.2)
    feed(steady, range(10), secondary_supply_c=50)
    evaluate_alarms(now=NOW)
    assert list(Alarm.objects.values_list("station_id", "severity")) == [(station.pk, "critical")]


def test_a_station_that_went_quiet_is_stale_until_it_reports_again():
    only("stale")
    quiet, talking = make_station(), make_station()
    feed(quiet, range(20, 40), secondary_supply_c=47)
    feed(talking, range(5), secondary_supply_c=47)
    evaluate_alarms(now=NOW)
    alarm = Alarm.objects.get()
    assert alarm.station == quiet and "no reading for 20 min" in alarm.detail
    feed(quiet, range(1), now=NOW + timedelta(minutes=1), secondary_supply_c=47)
    assert evaluate_alarms(now=NOW + timedelta(minutes=1))["cleared"] == 1


def test_a_stopped_pump_raises_a_critical_alarm_and_texts_the_dispatcher_on_duty():
    only("pump_stopped")
    dispatcher = make_user(Role.DISPATCHER, phone="13900000044")
    on_shift(dispatcher, start=NOW - timedelta(hours=1), lead=True)
    station = make_station()
    feed(station, range(2), pump_on=False, secondary_supply_c=35)
    evaluate_alarms(now=NOW)
    alarm = Alarm.objects.get()
    assert alarm.severity == "critical"
    message = Notification.objects.get(template="alarm_raised")
    assert message.recipient == "13900000044"
    assert message.context["station"] == station.name


def test_one_open_alarm_per_station_and_rule_is_enforced_by_the_database():
    rule = AlarmRule.objects.first()
    station = make_station()
    fields = {
        "rule": rule,
        "station": station,
        "severity": "warning",
        "raised_at": NOW,
        "last_seen_at": NOW,
    }
    Alarm.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alarm.objects.create(**fields)
    Alarm.objects.update(status=AlarmStatus.CLEARED)
    Alarm.objects.create(**fields)  # a new one once the first is cleared
    assert Alarm.objects.count() == 2


def test_the_lifecycle_refuses_what_it_does_not_allow_and_changes_nothing():
    rule = AlarmRule.objects.first()
    station = make_station()
    alarm = Alarm.objects.create(
        rule=rule, station=station, severity="warning", raised_at=NOW, last_seen_at=NOW
    )
    person = make_user(Role.DISPATCHER)
    acknowledge_alarm(alarm=alarm, actor=person, note="on my way")
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, person)
    events = AlarmEvent.objects.count()
    with pytest.raises(AlarmRefused):
        acknowledge_alarm(alarm=alarm, actor=person)
    with pytest.raises(AlarmRefused, match="why"):
        clear_alarm(alarm=alarm, actor=person, note=" ")
    assert AlarmEvent.objects.count() == events
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    clear_alarm(alarm=alarm, actor=person, note="valve reopened")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLEARED and alarm.cleared_at is not None


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)  # the worker closes connections
def test_a_planned_stop_tells_every_household_beneath_it_and_again_when_heat_is_back():
    from wennuan.grid.tests.factories import make_building, make_household
    from wennuan.operations.stops import StopRefused, announce_stop, end_stop

    station, elsewhere = make_station(), make_station()
    beneath = [make_household(make_building(station=station)) for _ in range(3)]
    make_household(make_building(station=elsewhere))
    with pytest.raises(StopRefused):
        announce_stop(station=station, starts_at=NOW, expected_end_at=NOW, reason="检修")
    assert not Notification.objects.exists()
    stop = announce_stop(
        station=station, starts_at=NOW, expected_end_at=NOW + timedelta(hours=4), reason="管道检修"
    )
    run_worker()
    stop.refresh_from_db()
    assert stop.households_told == 3
    told = set(
        Notification.objects.filter(template="stop_notice").values_list("recipient", flat=True)
    )
    assert told == {h.phone for h in beneath}
    end_stop(stop=stop)
    run_worker()
    assert Notification.objects.filter(template="heat_back").count() == 3
    with pytest.raises(StopRefused):
        end_stop(stop=stop)
    assert Notification.objects.filter(template="heat_back").count() == 3


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)  # the worker closes connections
def test_a_heat_source_stop_reaches_the_households_of_all_its_stations():
    from wennuan.grid.tests.factories import make_building, make_household
    from wennuan.operations.stops import announce_stop

    first, second = make_station(), make_station()  # both fed by the factory's heat source
    for station in (first, second):
        make_household(make_building(station=station))
    stop = announce_stop(
        heat_source=first.heat_source,
        starts_at=NOW,
        expected_end_at=NOW + timedelta(hours=2),
        reason="热源检修",
    )
    run_worker()
    stop.refresh_from_db()
    assert stop.households_told == 2


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)  # the worker closes connections
def test_a_large_stop_is_told_in_batches_each_its_own_task(settings, enqueued_tasks):
    from wennuan.grid.tests.factories import make_building, make_household
    from wennuan.operations.stops import announce_stop

    settings.STOP_FANOUT_BATCH = 2
    station = make_station()
    building = make_building(station=station)
    for i in range(5):
        make_household(building, phone=f"1390000{i:04d}")
    stop = announce_stop(
        station=station, starts_at=NOW, expected_end_at=NOW + timedelta(hours=1), reason="检修"
    )
    run_worker()
    stop.refresh_from_db()
    assert stop.households_told == 5
    assert Notification.objects.filter(template="stop_notice").count() == 5
    batches = [t for t in enqueued_tasks if t.task.module_path.endswith("tell_households_task")]
    assert len(batches) == 4  # 2 + 2 + 1, then one that finds nobody left


def test_a_critical_alarm_opens_one_work_order_for_the_zones_named_repair_owner():
    from wennuan.service.choices import Channel
    from wennuan.service.models import ServiceRequest
    from wennuan.service.tests.factories import make_area

    only("pump_stopped")
    area = make_area()
    station = area.household.building.station
    feed(station, range(2), pump_on=False, secondary_supply_c=35)
    evaluate_alarms(now=NOW)
    evaluate_alarms(now=NOW + timedelta(seconds=30))  # extended, not a second order
    alarm = Alarm.objects.get()
    order = alarm.work_order
    assert order is not None and ServiceRequest.objects.count() == 1
    assert (order.category.code, order.channel, order.assignee) == (
        "station_fault",
        Channel.ALARM,
        area.owner,
    )
    assert order.zone == area.zone and "循环泵停运" in order.description


def test_internal_categories_are_never_offered_to_residents_or_partners(client):
    from django.urls import reverse

    from wennuan.service.models import ServiceCategory

    assert ServiceCategory.objects.get(code="station_fault").internal
    services = client.get("/open311/v2/services.json").json()
    assert "station_fault" not in [s["service_code"] for s in services]
    assert client.get("/open311/v2/services/station_fault.json").status_code == 404
    assert "station_fault" not in [c.code for c in ServiceCategory.objects.public()]
    assert reverse("portal:new_request", args=["station_fault"])  # the URL exists, the page 404s


def test_the_repair_owner_acknowledges_the_alarm_from_the_work_order_page(client, english):
    from django.urls import reverse

    from wennuan.service.tests.factories import make_area

    only("pump_stopped")
    area = make_area()
    station = area.household.building.station
    feed(station, range(2), pump_on=False, secondary_supply_c=35)
    evaluate_alarms(now=NOW)
    alarm = Alarm.objects.get()
    order = alarm.work_order
    assert order is not None
    client.force_login(area.owner)
    page = client.get(reverse("service:detail", args=[order.pk]))
    assert page.status_code == 200
    shown = page.content.decode()
    assert 'data-testid="work-order-alarm"' in shown and alarm.rule.name in shown
    acknowledge = reverse("operations:alarm_action", args=[alarm.pk, "acknowledge"])
    assert acknowledge in shown
    back = reverse("service:detail", args=[order.pk])
    answer = client.post(acknowledge, {"next": back})
    assert answer.status_code == 302 and answer["Location"] == back
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, area.owner)
    # Clearing it with an off-site "next" clears it and stays on this site.
    answer = client.post(
        reverse("operations:alarm_action", args=[alarm.pk, "clear"]),
        {"next": "https://evil.example/", "note": "pump restarted"},
    )
    assert answer["Location"] == reverse("operations:dashboard")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLEARED


def test_staff_who_hold_neither_the_station_nor_the_work_order_cannot_touch_its_alarm(client):
    from django.urls import reverse

    from wennuan.service.tests.factories import make_area

    only("pump_stopped")
    area = make_area()
    feed(area.household.building.station, range(2), pump_on=False, secondary_supply_c=35)
    evaluate_alarms(now=NOW)
    alarm = Alarm.objects.get()
    client.force_login(make_user(Role.TECHNICIAN))
    refused = client.post(reverse("operations:alarm_action", args=[alarm.pk, "acknowledge"]))
    assert refused.status_code == 404
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE and alarm.events.count() == 1


def test_an_alarm_work_order_shows_in_the_owners_my_work(client):
    from django.urls import reverse

    from wennuan.service.tests.factories import make_area

    only("pump_stopped")
    area = make_area()
    feed(area.household.building.station, range(2), pump_on=False, secondary_supply_c=35)
    evaluate_alarms(now=NOW)
    order = Alarm.objects.get().work_order
    assert order is not None and order.household is None
    client.force_login(area.owner)
    page = client.get(reverse("service:my_work"))
    assert page.status_code == 200 and order.number in page.content.decode()


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_texts_of_a_stop_whose_chain_was_lost_are_resumed_and_nobody_is_told_twice(settings):
    """A worker killed between batches (or a lost Redis queue) leaves a stop half told: the
    sweep resumes from the stored cursor; a batch run twice texts nobody twice."""
    from wennuan.core.tests.task_queue import purge_the_queue, run_queued_tasks
    from wennuan.grid.tests.factories import make_building, make_household
    from wennuan.operations.models import PlannedStop
    from wennuan.operations.stops import (
        announce_stop,
        end_stop,
        resume_unfinished_stop_texts,
        tell_households,
    )

    settings.STOP_FANOUT_BATCH = 2
    station = make_station()
    building = make_building(station=station)
    phones = [f"1390000{i:04d}" for i in range(5)]
    for phone in phones:
        make_household(building, phone=phone)
    stop = announce_stop(
        station=station, starts_at=NOW, expected_end_at=NOW + timedelta(hours=1), reason="检修"
    )
    purge_the_queue()  # the chain is lost before it starts
    tell_households(stop_id=stop.pk, template="stop_notice", after=0)  # one batch got through
    tell_households(stop_id=stop.pk, template="stop_notice", after=0)  # …run again: the next
    assert Notification.objects.filter(template="stop_notice").count() == 4

    assert resume_unfinished_stop_texts(older_than=timedelta(0)) == 1
    run_queued_tasks()

    stop.refresh_from_db()
    assert stop.households_told == 5 and stop.notice_done_at is not None
    told = list(
        Notification.objects.filter(template="stop_notice").values_list("recipient", flat=True)
    )
    assert sorted(told) == sorted(phones)
    assert resume_unfinished_stop_texts(older_than=timedelta(0)) == 0, "nothing left to resume"

    end_stop(stop=stop)
    purge_the_queue()
    assert resume_unfinished_stop_texts(older_than=timedelta(0)) == 1
    run_queued_tasks()
    assert Notification.objects.filter(template="heat_back").count() == 5
    assert PlannedStop.objects.get().heat_back_done_at is not None


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_a_stop_that_ends_before_all_were_told_of_it_tells_the_rest_only_that_heat_is_back(
    settings,
):
    from wennuan.core.tests.task_queue import purge_the_queue, run_queued_tasks
    from wennuan.grid.tests.factories import make_building, make_household
    from wennuan.operations.stops import (
        announce_stop,
        end_stop,
        resume_unfinished_stop_texts,
        tell_households,
    )

    settings.STOP_FANOUT_BATCH = 2
    building = make_building(station=make_station())
    for i in range(5):
        make_household(building, phone=f"1390000{i:04d}")
    stop = announce_stop(
        station=building.station,
        starts_at=NOW,
        expected_end_at=NOW + timedelta(hours=1),
        reason="检修",
    )
    purge_the_queue()
    tell_households(stop_id=stop.pk, template="stop_notice", after=0)  # 2 told, chain lost
    end_stop(stop=stop)
    assert resume_unfinished_stop_texts(older_than=timedelta(0)) == 1  # the heat-back only
    run_queued_tasks()

    assert Notification.objects.filter(template="stop_notice").count() == 2
    assert Notification.objects.filter(template="heat_back").count() == 5
