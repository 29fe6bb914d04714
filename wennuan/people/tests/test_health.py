"""The daily health check-in: validation, the health status it sets, handing a person's open
requests and rounds to their deputies (with history and texts), work returning for new jobs
when they are fit again, missing check-ins flagged to supervisors, and who sees what."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from wennuan.emergency.services import set_emergency_mode
from wennuan.grid.tests.factories import make_user
from wennuan.inspections.choices import RoundStatus
from wennuan.inspections.models import InspectionRound
from wennuan.inspections.services import generate_rounds, save_draft
from wennuan.inspections.tests.factories import make_patrol
from wennuan.notify.choices import Template
from wennuan.people.choices import HealthStatus, Role
from wennuan.people.models import HealthCheckIn, Leave, Shift, User
from wennuan.people.selectors import missing_check_ins, team_for_user
from wennuan.people.services import (
    CheckInRefused,
    check_in,
    flag_missing_check_ins,
    health_after,
)
from wennuan.people.tests.factories import report, texts
from wennuan.service.choices import EventKind, Status
from wennuan.service.models import HomeVisit, RequestEvent, ServiceRequest
from wennuan.service.services import accept_request
from wennuan.service.services import check_in as arrive
from wennuan.service.tests.factories import file_not_warm, make_area

pytestmark = pytest.mark.django_db
ZONE = timezone.get_current_timezone()


def assignees(*requests: ServiceRequest) -> list[User | None]:
    return [ServiceRequest.objects.get(pk=r.pk).assignee for r in requests]


# --- status drives reassignment ---------------------------------------------------------


def test_deputy_gets_requests_when_owner_checks_in_isolating():
    # Given the repair owner holds two open requests, one already accepted
    area = make_area()
    first = file_not_warm(area.household).request
    second = file_not_warm(area.household).request
    accept_request(request=second, actor=area.owner)

    # When the owner checks in as isolating
    record = report(area.owner, "isolating", "36.8")

    # Then they are unavailable and both requests are with the first deputy
    area.owner.refresh_from_db()
    assert area.owner.health_status == HealthStatus.ISOLATING
    assert assignees(first, second) == [area.deputy1, area.deputy1]
    assert (record.health_before, record.health_after) == ("fit", "isolating")
    assert (record.requests_handed_over, record.rounds_handed_over, record.work_waiting) == (
        2,
        0,
        0,
    )
    # with the history on each request: why, and the dispatch decision passing the owner over
    for request in (first, second):
        events = RequestEvent.objects.filter(request=request).order_by("pk")
        note = events.filter(kind=EventKind.NOTE).last()
        assert note is not None and "health check-in: Isolating, 36.8 °C" in note.note
        assert note.actor == area.owner
        decision = events.filter(kind=EventKind.ASSIGNMENT).last()
        assert decision is not None
        assert "王师傅 handing over their work" in decision.note
        assert "deputy 李师傅" in decision.note
    # and texts: each request to the deputy, a summary to the supervisor
    assert len(texts(Template.WORK_ASSIGNED, area.deputy1.phone)) == 2
    (summary,) = texts(Template.STAFF_NOT_FIT)
    assert summary.recipient == area.supervisor.phone
    assert {k: v for k, v in summary.context.items() if k != "status"} == {
        "name": "王师傅",
        "requests": 2,
        "rounds": 0,
        "waiting": 0,
    }


def test_new_work_skips_the_isolating_owner_at_once():
    area = make_area()
    report(area.owner, "confirmed")
    request = file_not_warm(area.household).request
    assert request.assignee == area.deputy1


def test_request_on_site_is_handed_over_and_the_visit_closed():
    # Given the owner is in a home when they learn they are a contact
    area = make_area()
    request = file_not_warm(area.household).request
    accept_request(request=request, actor=area.owner)
    arrive(
        request=request,
        actor=area.owner,
        equipment=["mask", "gloves", "shoe_covers", "hand_sanitiser"],
    )

    report(area.owner, "isolating")

    request.refresh_from_db()
    assert request.assignee == area.deputy1
    assert request.status == Status.ASSIGNED
    visit = HomeVisit.objects.get(request=request, staff=area.owner)
    assert visit.checked_out_at is not None  # exposure tracing sees when it ended
    moves = list(
        RequestEvent.objects.filter(request=request, kind=EventKind.STATUS)
        .order_by("pk")
        .values_list("from_status", "to_status")
    )
    assert moves[-2:] == [("on_site", "visit_scheduled"), ("visit_scheduled", "assigned")]


def test_open_rounds_pass_to_the_deputy_inspector_with_their_entries():
    # Given today's round of the zone's inspection owner, started on the phone
    patrol = make_patrol()
    generate_rounds()
    round_ = InspectionRound.objects.get(plan=patrol.plan)
    assert round_.assignee == patrol.inspector
    save_draft(round_=round_, actor=patrol.inspector, draft={"values": {"x": "1"}})

    # When the inspector checks in as a confirmed case
    record = report(patrol.inspector, "confirmed", "38.2")

    # Then the round is the deputy's, with what was entered and why
    round_.refresh_from_db()
    assert round_.assignee == patrol.deputy
    assert round_.status == RoundStatus.IN_PROGRESS
    assert round_.draft == {"values": {"x": "1"}}
    assert "handed over from 刘巡检" in round_.assign_reason
    assert record.rounds_handed_over == 1
    (text,) = texts(Template.ROUND_HANDED_OVER)
    assert text.recipient == patrol.deputy.phone
    assert text.context["from_name"] == "刘巡检"


def test_round_nobody_can_take_waits_without_an_assignee():
    patrol = make_patrol()
    generate_rounds()
    Shift.objects.filter(staff=patrol.deputy).delete()

    record = report(patrol.inspector, "isolating")

    round_ = InspectionRound.objects.get(plan=patrol.plan)
    assert round_.assignee is None  # listed on the oversight page for a dispatcher
    assert "off shift" in round_.assign_reason
    assert record.rounds_handed_over == 0
    assert texts(Template.ROUND_HANDED_OVER) == []


def test_fit_again_new_work_returns_to_the_owner_and_handed_over_work_stays():
    # Given the owner was isolating and their request went to the deputy
    area = make_area()
    earlier = file_not_warm(area.household).request
    report(area.owner, "isolating")
    assert assignees(earlier) == [area.deputy1]

    # When they check in as fit again
    record = report(area.owner, "fit", "36.4")

    # Then new work in their zone is theirs again; what was handed over stays
    assert (record.health_before, record.health_after) == ("isolating", "fit")
    assert file_not_warm(area.household).request.assignee == area.owner
    assert assignees(earlier) == [area.deputy1]
    assert len(texts(Template.STAFF_NOT_FIT)) == 1  # only when they fell out


def test_inspector_fit_again_gets_tomorrows_round():
    patrol = make_patrol()
    report(patrol.inspector, "isolating")
    report(patrol.inspector, "recovered")
    generate_rounds()
    assert InspectionRound.objects.get(plan=patrol.plan).assignee == patrol.inspector


@pytest.mark.parametrize(
    ("status", "temperature", "health"),
    [
        ("fit", "36.5", "fit"),
        ("recovered", "37.2", "fit"),
        ("fit", "37.3", "unwell"),
        ("recovered", "38.0", "unwell"),
        ("isolating", "36.5", "isolating"),
        ("confirmed", "36.5", "confirmed"),
    ],
)
def test_health_follows_the_status_and_a_fever_overrides_fit(status, temperature, health):
    assert health_after(status, Decimal(temperature)) == health


def test_a_fever_reported_as_fit_hands_work_over():
    area = make_area()
    request = file_not_warm(area.household).request
    record = report(area.owner, "fit", "37.8")
    assert record.health_after == HealthStatus.UNWELL
    assert assignees(request) == [area.deputy1]


def test_requests_nobody_can_take_stay_and_are_counted_for_the_supervisor():
    # Given nobody else in the zone, and no dispatcher, is on shift
    area = make_area()
    request = file_not_warm(area.household).request
    Shift.objects.exclude(staff=area.owner).delete()

    record = report(area.owner, "isolating")

    assert assignees(request) == [area.owner]
    assert record.work_waiting == 1
    (summary,) = texts(Template.STAFF_NOT_FIT, area.supervisor.phone)
    assert summary.context["waiting"] == 1


def test_without_a_supervisor_the_dispatcher_on_duty_is_told():
    area = make_area()
    User.objects.filter(pk=area.owner.pk).update(supervisor=None)
    area.owner.refresh_from_db()
    report(area.owner, "isolating")
    (summary,) = texts(Template.STAFF_NOT_FIT)
    assert summary.recipient == area.dispatcher.phone


def test_a_second_day_isolating_with_nothing_to_move_sends_nothing_new():
    area = make_area()
    file_not_warm(area.household)
    report(area.owner, "isolating")
    report(area.owner, "isolating")
    assert len(texts(Template.STAFF_NOT_FIT)) == 1
    assert HealthCheckIn.objects.filter(staff=area.owner).count() == 2


def test_work_given_to_an_isolating_person_by_hand_is_handed_over_at_the_next_check_in():
    area = make_area()
    report(area.owner, "isolating")
    request = file_not_warm(area.household).request
    ServiceRequest.objects.filter(pk=request.pk).update(assignee=area.owner)
    record = report(area.owner, "isolating")
    assert assignees(request) == [area.deputy1]
    assert record.requests_handed_over == 1


# --- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"temperature": "33.9"}, "temperature", "between 34.0 and 43.0"),
        ({"temperature": "43.1"}, "temperature", "between 34.0 and 43.0"),
        ({"temperature": "warm"}, "temperature", "as a number"),
        ({"temperature": "NaN"}, "temperature", "as a number"),
        ({"temperature": "36.55"}, "temperature", "one decimal place"),
        ({"temperature": ""}, "temperature", "as a number"),
        ({"status": "unwell"}, "status", "fit, isolating, confirmed or recovered"),
        ({"symptoms": ["cough", "itchy"]}, "symptoms", "Unknown symptoms: itchy"),
        ({"symptoms_note": "x" * 201}, "symptoms_note", "at most 200"),
    ],
)
def test_bad_check_in_is_refused_and_changes_nothing(fields, field, message):
    area = make_area()
    request = file_not_warm(area.household).request
    values = {"temperature": "38.5", "status": "isolating", "symptoms": [], **fields}

    with pytest.raises(CheckInRefused) as refusal:
        check_in(staff=area.owner, actor=area.owner, **values)

    assert message in " ".join(refusal.value.errors[field])
    assert not HealthCheckIn.objects.exists()
    area.owner.refresh_from_db()
    assert area.owner.health_status == HealthStatus.FIT
    assert assignees(request) == [area.owner]


def test_every_problem_is_listed_at_once():
    staff = make_user(Role.TECHNICIAN)
    with pytest.raises(CheckInRefused) as refusal:
        check_in(staff=staff, actor=staff, temperature="99", status="?", symptoms=["x"])
    assert set(refusal.value.errors) == {"temperature", "status", "symptoms"}


def test_temperature_with_a_comma_and_symptoms_are_kept_in_order_once():
    staff = make_user(Role.TECHNICIAN)
    record = check_in(
        staff=staff,
        actor=staff,
        temperature=" 36,6 ",
        status="fit",
        symptoms=["fatigue", "cough", "fatigue"],
        symptoms_note=" 头痛 ",
    )
    assert record.temperature == Decimal("36.6")
    assert record.symptoms == ["cough", "fatigue"]
    assert record.symptom_labels == ["Cough", "Fatigue", "头痛"]


def test_check_ins_are_appended_and_the_latest_of_the_day_counts():
    staff = make_user(Role.TECHNICIAN)
    morning = datetime(2026, 12, 10, 7, 30, tzinfo=ZONE)
    with time_machine.travel(morning, tick=False):
        report(staff, "fit")
    with time_machine.travel(morning + timedelta(hours=3), tick=False):
        second = report(staff, "isolating")
    assert HealthCheckIn.objects.filter(staff=staff, day="2026-12-10").count() == 2
    latest = HealthCheckIn.objects.filter(staff=staff, day="2026-12-10").first()
    assert latest == second
    staff.refresh_from_db()
    assert staff.health_status == HealthStatus.ISOLATING


def test_the_day_is_the_local_date():
    staff = make_user(Role.TECHNICIAN)
    # 00:30 in Yantai is still the previous day in UTC
    with time_machine.travel(datetime(2026, 12, 10, 0, 30, tzinfo=ZONE), tick=False):
        record = report(staff)
    assert record.day.isoformat() == "2026-12-10"


# --- who may record ---------------------------------------------------------------------


def test_a_colleague_may_not_check_in_for_someone_else():
    area = make_area()
    with pytest.raises(CheckInRefused) as refusal:
        report(area.owner, "isolating", actor=area.deputy1)
    assert "only for yourself and your team" in refusal.value.errors["__all__"][0]
    assert not HealthCheckIn.objects.exists()
    area.owner.refresh_from_db()
    assert area.owner.health_status == HealthStatus.FIT


def test_a_supervisor_records_the_check_in_of_someone_who_phoned_in():
    area = make_area()
    record = report(area.owner, "isolating", actor=area.supervisor)
    assert record.recorded_by == area.supervisor
    assert record.staff == area.owner


def test_community_workers_do_not_check_in():
    worker = make_user(Role.COMMUNITY_WORKER)
    with pytest.raises(CheckInRefused, match="not active company staff"):
        report(worker)


# --- missing check-ins ------------------------------------------------------------------


def test_missing_check_ins_are_texted_to_supervisors_in_emergency_mode_once_a_day():
    # Given a supervisor with four reports: one checked in, one on leave, two missing
    boss = make_user(Role.MANAGER, phone="13900000020")
    done, away, late1, late2 = (
        make_user(Role.TECHNICIAN, supervisor=boss, full_name=name)
        for name in ("甲", "乙", "丙", "丁")
    )
    report(done)
    now = timezone.now()
    Leave.objects.create(staff=away, starts_at=now - timedelta(days=1), ends_at=now + timedelta(1))

    # When emergency mode is off, nothing is sent
    assert flag_missing_check_ins().emergency is False
    assert texts(Template.CHECK_INS_MISSING) == []

    # When it is on, the supervisor gets one text naming the two missing
    set_emergency_mode(on=True, actor=None, reason="疫情")
    flagged = flag_missing_check_ins()
    assert set(missing_check_ins(timezone.localdate(), at=timezone.now())) >= {late1, late2}
    assert away not in missing_check_ins(timezone.localdate(), at=timezone.now())
    (text,) = texts(Template.CHECK_INS_MISSING)
    assert text.recipient == boss.phone
    assert text.context["count"] == 2
    assert "丙" in text.context["names"] and "丁" in text.context["names"]
    assert flagged.notified == 1

    # And a second run the same day sends nothing new
    assert flag_missing_check_ins().notified == 0
    assert len(texts(Template.CHECK_INS_MISSING)) == 1


def test_a_long_list_of_missing_names_is_cut_short():
    boss = make_user(Role.MANAGER, phone="13900000021")
    for n in range(5):
        make_user(Role.TECHNICIAN, supervisor=boss, full_name=f"员工{n}")
    set_emergency_mode(on=True, actor=None, reason="疫情")
    flag_missing_check_ins()
    (text,) = texts(Template.CHECK_INS_MISSING)
    assert text.context["count"] == 5
    assert text.context["names"].endswith("等")  # "… and others", in the SMS's Chinese


# --- who sees what ----------------------------------------------------------------------


def test_technician_sees_only_their_own_check_ins_supervisor_their_team_manager_all():
    boss = make_user(Role.DISPATCHER)
    first, second = (make_user(Role.TECHNICIAN, supervisor=boss) for _ in range(2))
    outsider = make_user(Role.TECHNICIAN)
    for person in (boss, first, second, outsider):
        report(person)
    manager = make_user(Role.MANAGER)

    def seen(user: User) -> set[int]:
        return set(HealthCheckIn.objects.for_user(user).values_list("staff", flat=True))

    assert seen(first) == {first.pk}
    assert seen(boss) == {boss.pk, first.pk, second.pk}
    assert seen(manager) == {boss.pk, first.pk, second.pk, outsider.pk}
    assert set(team_for_user(first)) == set()
    assert set(team_for_user(boss)) == {first, second}
