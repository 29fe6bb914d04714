"""The briefing's figures against a planted day, the as-at rule for states, the morning job
(once a day) and regeneration (a new version; the earlier one stays)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from wennuan.core.schedule import SCHEDULE
from wennuan.grid.tests.factories import make_user
from wennuan.operations.models import Alarm, AlarmRule
from wennuan.people.choices import Role
from wennuan.people.models import Leave
from wennuan.people.selectors import missing_check_ins
from wennuan.reports.choices import Trigger
from wennuan.reports.models import Briefing
from wennuan.reports.selectors import compute_figures
from wennuan.reports.services import (
    BriefingRefused,
    generate_briefing,
    generate_morning_briefing,
)
from wennuan.reports.tasks import morning_briefing_task
from wennuan.reports.tests.factories import AFTER, BEFORE, DAY, MORNING_AFTER, at, plant_day

pytestmark = pytest.mark.django_db


def iso(day, hour, minute=0):
    return at(day, hour, minute).isoformat()


def test_every_figure_of_the_briefing_matches_the_planted_day(time_machine):
    planted = plant_day(time_machine)
    # Given the precondition the plan rests on: the request filed the evening before fell
    # due on DAY (24 hours, around the clock in the heating season).
    assert planted.requests["r5"].resolution_due == at(DAY, 22)

    briefing, created = generate_morning_briefing()

    assert created
    assert (briefing.day, briefing.version, briefing.trigger, briefing.complete) == (
        DAY,
        1,
        Trigger.SCHEDULED,
        True,
    )
    f = briefing.figures
    assert (f["start"], f["as_at"], f["complete"]) == (iso(DAY, 0), iso(AFTER, 0), True)
    requests = f["requests"]
    # Five received on DAY (the evening-before request is not); r1 and r2 resolved; open at
    # midnight: r3 (resolved only the morning after), r4, r5; r6 was cancelled.
    assert (requests["received"], requests["resolved"], requests["open"]) == (5, 2, 3)
    assert requests["by_channel"] == [
        {"channel": "hotline", "received": 2},
        {"channel": "portal", "received": 2},
        {"channel": "community", "received": 1},
    ]
    assert [
        (c["code"], c["received"], c["resolved"], c["on_time"], c["late"])
        for c in requests["by_category"]
    ] == [
        ("radiator_leak", 2, 1, 0, 2),  # r2 resolved after its 8 hours, r3 not at all
        ("not_warm", 1, 1, 1, 1),  # r1 on time; r5 (filed the day before) fell due unmet
        ("noise", 1, 0, 0, 0),  # due in three days: not decided yet
        ("billing", 1, 0, 0, 0),  # cancelled: nothing owed
    ]
    assert requests["trend"] == [
        {"day": (DAY - timedelta(days=back)).isoformat(), "received": 0, "resolved": 0}
        for back in range(6, 1, -1)
    ] + [
        {"day": BEFORE.isoformat(), "received": 1, "resolved": 0},
        {"day": DAY.isoformat(), "received": 5, "resolved": 2},
    ]
    assert f["sla"] == {"on_time": 1, "late": 3, "decided": 4, "compliance_pct": 25.0}
    assert [(c["code"], c["received"], c["share_pct"]) for c in f["top_categories"]] == [
        ("radiator_leak", 2, 40.0),
        ("not_warm", 1, 20.0),
        ("noise", 1, 20.0),
        ("billing", 1, 20.0),
    ]
    assert f["incidents"] == {
        "opened": 1,
        "resolved": 1,
        "open": 1,
        "items": [
            {
                "id": planted.incidents["new"].pk,
                "cause": "换热站循环泵故障",
                "place_code": planted.patrol.area.household.building.station.code,
                "place": planted.patrol.area.household.building.station.name,
                "opened_at": iso(DAY, 13),
                "resolved_at": None,
                "status": "open",
                "requests": 1,  # r5 joined it
            },
            {
                "id": planted.incidents["old"].pk,
                "cause": "锅炉检修",
                "place_code": "HS09",
                "place": "测试热源厂",
                "opened_at": iso(DAY - timedelta(days=2), 10),
                "resolved_at": iso(DAY, 15),
                "status": "resolved",
                "requests": 0,
            },
        ],
    }
    alarms = f["alarms"]
    # Raised on DAY: a1 (critical, still active) and a2 (cleared at 05:00); a3 was raised
    # the day before and was still open at midnight.
    assert (alarms["raised"], alarms["cleared"], alarms["open"]) == (2, 1, 2)
    assert alarms["by_severity"] == [
        {"severity": "critical", "raised": 1},
        {"severity": "warning", "raised": 1},
        {"severity": "info", "raised": 0},
    ]
    assert [(a["id"], a["severity"], a["status"], a["raised_at"], a["cleared_at"])
            for a in alarms["items"]] == [
        (planted.alarms["a1"].pk, "critical", "active", iso(DAY, 9), None),
        (planted.alarms["a2"].pk, "warning", "cleared", iso(DAY, 3), iso(DAY, 5)),
    ]  # fmt: skip
    coal = f["coal"]
    assert (coal["on"], coal["rule_days"]) == (AFTER.isoformat(), 15)
    hs01, hs09 = coal["sources"]
    assert hs09 == {
        "code": "HS09",
        "name": "测试热源厂",
        "stock_t": 1000.0,
        "burn_per_day_t": 100.0,
        "days_of_cover": 10.0,
        "run_out": (AFTER + timedelta(days=10)).isoformat(),
        "meets_rule": False,
        "below_rule_on": AFTER.isoformat(),
        "order_t": 3500.0,
        "order_by": AFTER.isoformat(),
        "estimated": True,
    }
    # The stations' plant has no coal books: no estimate, not "plenty".
    assert (hs01["code"], hs01["estimated"], hs01["days_of_cover"]) == ("HS01", False, None)
    assert f["inspections"] == {
        "rounds_due": 1,
        "rounds_due_submitted": 1,
        "rounds_submitted": 2,  # DAY's, and the day before's submitted late on DAY
        "rounds_overdue": 1,
        "findings_opened": 0,
        "findings_closed": 0,
        "findings_open": 0,
    }
    assert f["health"] == {
        "as_at": MORNING_AFTER.isoformat(),
        "staff": 7,  # active company staff: not the inactive one, not the community worker
        "by_status": [
            {"status": "fit", "staff": 5},
            {"status": "unwell", "staff": 0},
            {"status": "isolating", "staff": 1},
            {"status": "confirmed", "staff": 1},
        ],
        "checked_in": 3,
        "missing": 4,
        "check_ins": [
            {"status": "fit", "staff": 2},  # the owner's later check-in counts
            {"status": "isolating", "staff": 1},
            {"status": "confirmed", "staff": 0},
            {"status": "recovered", "staff": 0},
        ],
        "fever": 1,
    }
    # On at midnight (switched off only the morning after).
    assert f["emergency"] == {
        "on": True,
        "since": iso(DAY, 20),
        "reason": "寒潮",
        "by": "",
        "changes": [{"at": iso(DAY, 20), "on": True, "reason": "寒潮", "by": ""}],
    }
    # One record stands (the other was reversed; the day before's is not DAY's).
    supervisor = planted.patrol.area.supervisor
    masks = {"item": "mask-medical", "name_zh": "医用口罩", "name_en": "Medical masks",
             "unit_zh": "只", "unit_en": "pcs"}  # fmt: skip
    rice = {"item": "", "name_zh": "大米", "name_en": "大米", "unit_zh": "袋", "unit_en": "袋"}
    assert f["donations"] == {
        "records": 1,
        "partners": 1,
        "goods": [{**masks, "quantity": 200.0}, {**rice, "quantity": 10.0}],
        "items": [
            {
                "id": planted.donation.pk,
                "partner": planted.partners[1].community.name,
                "handed_over_by": supervisor.display_name,
                "received_by": "社区李主任",
                "lines": [{**masks, "quantity": 200.0}, {**rice, "quantity": 10.0}],
            }
        ],
    }


def test_the_days_around_read_their_own_flows_and_states(time_machine):
    plant_day(time_machine)

    before = compute_figures(BEFORE)
    assert (before["requests"]["received"], before["requests"]["open"]) == (1, 1)
    assert before["sla"]["decided"] == 0
    assert (before["donations"]["records"], before["donations"]["goods"][0]["quantity"]) == (1, 50)
    assert (before["alarms"]["raised"], before["alarms"]["open"]) == (1, 1)
    assert (before["incidents"]["opened"], before["incidents"]["open"]) == (0, 1)
    assert before["emergency"] == {
        "on": False,
        "since": None,
        "reason": "",
        "by": "",
        "changes": [],
    }

    # Today so far (07:00): r3 was resolved at 06:00, but its target was decided (missed)
    # on DAY; emergency mode went off at 06:00.
    today = compute_figures(AFTER)
    assert (today["complete"], today["as_at"]) == (False, MORNING_AFTER.isoformat())
    assert (today["requests"]["received"], today["requests"]["resolved"]) == (0, 1)
    assert today["requests"]["open"] == 2
    assert today["sla"] == {"on_time": 0, "late": 0, "decided": 0, "compliance_pct": None}
    assert (today["alarms"]["cleared"], today["alarms"]["open"]) == (1, 1)
    assert (today["emergency"]["on"], today["emergency"]["since"]) == (False, iso(AFTER, 6))


def test_the_sections_cost_the_same_queries_for_more_rows(time_machine):
    plant_day(time_machine)
    counts = []
    for day in (BEFORE, DAY):  # one request, alarm, incident against several of each
        with CaptureQueriesContext(connection) as queries:
            compute_figures(day)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_morning_job_generates_once_and_a_regenerate_adds_a_version(time_machine):
    planted = plant_day(time_machine)
    job = next(j for j in SCHEDULE if j.name == "morning-briefing")
    assert (job.daily_at.hour, job.daily_at.minute) == (7, 0)
    assert import_string(job.task_path) is morning_briefing_task

    assert morning_briefing_task.call() == DAY.isoformat()
    assert morning_briefing_task.call() == DAY.isoformat()
    first = Briefing.objects.get()
    assert (first.version, first.trigger, first.generated_by) == (1, Trigger.SCHEDULED, None)

    # A late record of DAY (an alarm entered afterwards), then a manager regenerates.
    Alarm.objects.create(
        rule=AlarmRule.objects.order_by("pk")[3],
        station=planted.alarms["a1"].station,
        severity="info",
        raised_at=at(DAY, 23),
        last_seen_at=at(DAY, 23),
    )
    manager = make_user(Role.MANAGER)
    time_machine.move_to(at(AFTER, 8), tick=False)
    second = generate_briefing(day=DAY, actor=manager)

    assert (second.version, second.trigger, second.generated_by) == (
        2,
        Trigger.ON_DEMAND,
        manager,
    )
    assert second.figures["alarms"]["raised"] == 3
    first.refresh_from_db()
    assert first.figures["alarms"]["raised"] == 2, "the morning's figures stay as they were"
    assert generate_morning_briefing() == (second, False)


def test_a_partial_briefing_does_not_stop_the_next_morning_job(time_machine):
    plant_day(time_machine)
    partial = generate_briefing(day=AFTER)  # today so far, at 07:00
    assert not partial.complete

    time_machine.move_to(at(AFTER + timedelta(days=1), 7), tick=False)
    morning, created = generate_morning_briefing()

    assert created and (morning.day, morning.version, morning.complete) == (AFTER, 2, True)


def test_a_day_that_has_not_begun_has_no_briefing(time_machine):
    time_machine.move_to(MORNING_AFTER, tick=False)
    with pytest.raises(BriefingRefused):
        generate_briefing(day=AFTER + timedelta(days=1))
    assert not Briefing.objects.exists()


def test_a_day_before_the_records_has_no_briefing(time_machine):
    time_machine.move_to(MORNING_AFTER, tick=False)
    for day in (date(1, 1, 1), date(1, 1, 10), date(1999, 12, 31)):
        with pytest.raises(BriefingRefused):
            generate_briefing(day=day)
    assert not Briefing.objects.exists()


def test_staff_on_leave_that_day_did_not_miss_a_check_in_as_on_the_team_page(time_machine):
    planted = plant_day(time_machine)
    assert compute_figures(DAY)["health"]["missing"] == 4
    # Given two of the four who did not check in on DAY away that day (all of it; the
    # afternoon), and a third away only the day before
    patrol = planted.patrol
    Leave.objects.create(staff=patrol.deputy, starts_at=at(DAY, 0), ends_at=at(AFTER, 0))
    Leave.objects.create(staff=patrol.inspector, starts_at=at(DAY, 13), ends_at=at(DAY, 18))
    Leave.objects.create(staff=patrol.area.dispatcher, starts_at=at(BEFORE, 0), ends_at=at(DAY, 0))

    health = compute_figures(DAY)["health"]

    assert (health["staff"], health["checked_in"], health["missing"]) == (7, 3, 2)
    # The same people as the team page (a manager's: everyone) and the 10:00 job's selector
    assert health["missing"] == len(missing_check_ins(DAY, at=timezone.now()))
    manager = make_user(Role.MANAGER)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(manager)
    page = client.get(reverse("people:health_team"), {"day": DAY.isoformat()})
    assert page.context["summary"].missing == health["missing"] + 1  # and the new manager
