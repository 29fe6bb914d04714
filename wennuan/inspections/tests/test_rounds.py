"""Round generation with controlled time (frequencies, active dates, emergency multiplier),
availability fallback, idempotent submission, findings that open repair work orders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from wennuan.emergency.services import EmergencyRefused, emergency_on, set_emergency_mode
from wennuan.inspections.choices import ItemKind, RoundStatus
from wennuan.inspections.models import CheckResult, Finding, InspectionRound, Visit
from wennuan.inspections.services import (
    Answer,
    FacilityAnswers,
    RoundRefused,
    checklists,
    generate_rounds,
    interval_days,
    is_due,
    route,
    submit_round,
)
from wennuan.inspections.tests.factories import make_patrol, make_plan
from wennuan.people.models import Leave
from wennuan.service.choices import Channel
from wennuan.service.models import ServiceRequest
from wennuan.service.tests.factories import on_shift

pytestmark = pytest.mark.django_db
ZONE = timezone.get_current_timezone()


def at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)


def run_days(first: date, days: int, time_machine) -> list[date]:
    """Run the generator once a day; the days it made a round for."""
    made = []
    for i in range(days):
        day = first + timedelta(days=i)
        time_machine.move_to(at(day))
        if generate_rounds(today=day, now=at(day)).rounds:
            made.append(day)
    return made


def test_every_n_days_plans_and_their_emergency_interval(time_machine):
    patrol = make_patrol()
    patrol.plan.every_days = 4
    patrol.plan.save()
    first = date(2026, 12, 1)
    assert run_days(first, 9, time_machine) == [first, first + timedelta(4), first + timedelta(8)]
    assert interval_days(patrol.plan, emergency=False) == 4
    assert interval_days(patrol.plan, emergency=True) == 2  # ×2: twice as often
    set_emergency_mode(on=True, actor=None, reason="疫情封控")
    later = run_days(first + timedelta(9), 6, time_machine)
    assert later == [first + timedelta(10), first + timedelta(12), first + timedelta(14)]
    assert InspectionRound.objects.filter(emergency=True).count() == 3
    set_emergency_mode(on=False, actor=None, reason="解除")
    back = run_days(first + timedelta(15), 8, time_machine)
    assert back == [first + timedelta(18), first + timedelta(22)]  # every four days again


def test_weekly_plans_and_emergency_days_between(time_machine):
    patrol = make_patrol()
    patrol.plan.every_days = None
    patrol.plan.weekdays = [0, 3]  # Monday and Thursday
    patrol.plan.save()
    monday = date(2026, 11, 30)
    assert run_days(monday, 7, time_machine) == [monday, monday + timedelta(3)]
    set_emergency_mode(on=True, actor=None)
    # Twice a week becomes every two days (7 / 2 / 2 rounded up), and the weekdays stay.
    week = run_days(monday + timedelta(7), 7, time_machine)
    assert week == [
        monday + timedelta(7),  # Monday
        monday + timedelta(9),
        monday + timedelta(10),  # Thursday
        monday + timedelta(12),
    ]


def test_only_inside_the_plans_dates_and_once_a_day(time_machine):
    patrol = make_patrol()
    plan = patrol.plan
    plan.active_from, plan.active_until = date(2026, 12, 1), date(2026, 12, 3)
    plan.save()
    assert run_days(date(2026, 11, 29), 7, time_machine) == [
        date(2026, 12, 1),
        date(2026, 12, 2),
        date(2026, 12, 3),
    ]
    time_machine.move_to(at(date(2026, 12, 2)))
    assert not generate_rounds(today=date(2026, 12, 2)).rounds  # already made
    assert InspectionRound.objects.count() == 3
    assert not is_due(plan, date(2026, 12, 4), date(2026, 12, 3), emergency=True)


def test_a_plan_without_facilities_makes_no_round(time_machine):
    patrol = make_patrol()
    make_plan(patrol.area.zone, [], every_days=1)
    time_machine.move_to(at(date(2026, 12, 1)))
    made = generate_rounds(today=date(2026, 12, 1)).rounds
    assert [r.plan for r in made] == [patrol.plan]


def test_the_round_goes_to_the_owner_else_the_available_deputy_else_nobody(time_machine):
    day = date(2026, 12, 1)
    time_machine.move_to(at(day))
    patrol = make_patrol()
    for person in (patrol.inspector, patrol.deputy):
        on_shift(person, hours=96)  # on duty all the days below
    (first,) = generate_rounds(today=day).rounds
    assert (first.assignee, first.assign_reason) == (patrol.inspector, "owner")
    Leave.objects.create(
        staff=patrol.inspector,
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=5),
        reason="病假",
    )
    time_machine.move_to(at(day + timedelta(1)))
    (second,) = generate_rounds(today=day + timedelta(1)).rounds
    assert second.assignee == patrol.deputy and "deputy" in second.assign_reason
    Leave.objects.create(
        staff=patrol.deputy,
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=5),
        reason="隔离",
    )
    time_machine.move_to(at(day + timedelta(2)))
    generated = generate_rounds(today=day + timedelta(2))
    (third,) = generated.rounds
    assert third.assignee is None and generated.unassigned == 1
    assert patrol.inspector.display_name in third.assign_reason


def complete_answers(facilities, *, fail=None, reading=None) -> dict[int, FacilityAnswers]:
    """Every item answered: pass, readings in range, unless ``fail`` (a facility) fails its
    first pass/fail item or ``reading`` (facility, value) sets its reading."""
    items = checklists({f.kind for f in facilities})
    answers = {}
    for facility in facilities:
        given = {}
        failed_one = False
        for item in items[facility.kind]:
            if item.kind == ItemKind.PASS_FAIL:
                failing = facility == fail and not failed_one
                failed_one = failed_one or failing
                given[item.pk] = Answer(passed=not failing)
            elif item.kind == ItemKind.READING:
                value = item.low if item.low is not None else 1.0
                if reading is not None and reading[0] == facility:
                    value = reading[1]
                given[item.pk] = Answer(reading=value)
            else:
                given[item.pk] = Answer(text="正常")
        answers[facility.pk] = FacilityAnswers(given, note="已巡查")
    return answers


@pytest.fixture
def round_today(time_machine):
    day = date(2026, 12, 1)
    time_machine.move_to(at(day, 9))
    patrol = make_patrol()
    (round_,) = generate_rounds(today=day).rounds
    return patrol, round_


def test_a_failed_valve_opens_one_work_order_for_the_zones_repair_owner(round_today):
    patrol, round_ = round_today
    valve = patrol.facilities[0]
    answers = complete_answers(route(round_), fail=valve)
    submitted = submit_round(round_=round_, actor=patrol.inspector, answers=answers, key="k1")
    assert submitted.status == RoundStatus.SUBMITTED
    assert Visit.objects.filter(round=round_).count() == 3
    assert CheckResult.objects.filter(visit__round=round_, failed=True).count() == 1
    finding = Finding.objects.get()
    assert finding.facility == valve and finding.round == round_
    order = finding.work_order
    assert order is not None
    assert (order.category.code, order.channel, order.assignee) == (
        "facility_fault",
        Channel.INSPECTION,
        patrol.area.owner,
    )
    assert valve.code in order.location_text and order.zone == patrol.area.zone


def test_an_out_of_range_reading_is_a_finding(round_today):
    patrol, round_ = round_today
    valve = patrol.facilities[0]
    answers = complete_answers(route(round_), reading=(valve, 60.0))  # well air at 60 °C: a leak
    submit_round(round_=round_, actor=patrol.inspector, answers=answers, key="k1")
    finding = Finding.objects.get()
    assert "60" in finding.description and finding.work_order is not None


def test_submitting_twice_records_once(round_today):
    patrol, round_ = round_today
    answers = complete_answers(route(round_), fail=patrol.facilities[0])
    submit_round(round_=round_, actor=patrol.inspector, answers=answers, key="same")
    again = submit_round(round_=round_, actor=patrol.inspector, answers=answers, key="same")
    assert again.status == RoundStatus.SUBMITTED
    assert Visit.objects.count() == 3 and Finding.objects.count() == 1
    assert ServiceRequest.objects.filter(category__code="facility_fault").count() == 1
    with pytest.raises(RoundRefused, match="already submitted"):
        submit_round(round_=round_, actor=patrol.inspector, answers=answers, key="other")


def test_an_incomplete_round_lists_what_is_missing_and_records_nothing(round_today):
    patrol, round_ = round_today
    answers = complete_answers(route(round_))
    del answers[patrol.facilities[1].pk]  # the manhole skipped
    first_item = next(iter(answers[patrol.facilities[0].pk].answers))
    answers[patrol.facilities[0].pk].answers[first_item] = Answer()  # a pass/fail left open
    with pytest.raises(RoundRefused) as refused:
        submit_round(round_=round_, actor=patrol.inspector, answers=answers, key="k")
    assert len(refused.value.problems) == 2
    assert any("not inspected" in problem for problem in refused.value.problems)
    assert any("choose pass or fail" in problem for problem in refused.value.problems)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.ASSIGNED and not Visit.objects.exists()


def test_only_the_assignee_submits(round_today):
    patrol, round_ = round_today
    answers = complete_answers(route(round_))
    with pytest.raises(RoundRefused, match="someone else"):
        submit_round(round_=round_, actor=patrol.deputy, answers=answers, key="k")
    assert not Visit.objects.exists()


def test_the_emergency_switch_records_who_and_refuses_a_no_op():
    assert not emergency_on()
    change = set_emergency_mode(on=True, actor=None, reason="封控")
    assert emergency_on() and change.reason == "封控"
    with pytest.raises(EmergencyRefused):
        set_emergency_mode(on=True, actor=None)
    set_emergency_mode(on=False, actor=None)
    assert not emergency_on()
