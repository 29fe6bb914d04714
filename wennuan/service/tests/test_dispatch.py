"""Dispatch to the named owner (包干到人): every rule and its recorded reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wennuan.people.choices import HealthStatus
from wennuan.people.models import Leave, Shift, User
from wennuan.service.choices import EventKind, Status
from wennuan.service.models import RequestEvent, ServiceRequest
from wennuan.service.services import reassign_open_work, reassign_request
from wennuan.service.tests.factories import file_not_warm, make_area, on_shift

pytestmark = pytest.mark.django_db


def assignment_note(request: ServiceRequest) -> str:
    return RequestEvent.objects.filter(request=request, kind=EventKind.ASSIGNMENT).last().note


def test_owner_gets_the_request_when_available():
    area = make_area()
    request = file_not_warm(area.household, temperature="17").request
    assert request.assignee == area.owner
    assert request.status == Status.ASSIGNED
    assert area.owner.display_name in assignment_note(request)


def test_deputy_gets_request_when_owner_off_shift():
    area = make_area()
    Shift.objects.filter(staff=area.owner).delete()
    request = file_not_warm(area.household).request
    assert request.assignee == area.deputy1
    note = assignment_note(request)
    assert area.owner.display_name in note and area.deputy1.display_name in note
    assert "→" in note


def test_deputy_gets_request_when_owner_isolating():
    area = make_area()
    User.objects.filter(pk=area.owner.pk).update(health_status=HealthStatus.ISOLATING)
    assert file_not_warm(area.household).request.assignee == area.deputy1


def test_deputy_gets_request_when_owner_on_leave():
    area = make_area()
    now = timezone.now()
    Leave.objects.create(
        staff=area.owner, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )
    assert file_not_warm(area.household).request.assignee == area.deputy1


def test_second_deputy_when_owner_and_first_deputy_unavailable():
    area = make_area()
    User.objects.filter(pk=area.owner.pk).update(is_active=False)
    User.objects.filter(pk=area.deputy1.pk).update(health_status=HealthStatus.UNWELL)
    assert file_not_warm(area.household).request.assignee == area.deputy2


def test_owner_over_open_work_cap_is_skipped(settings):
    settings.SERVICE_OPEN_WORK_CAP = 2
    area = make_area()
    assert file_not_warm(area.household).request.assignee == area.owner
    assert file_not_warm(area.household).request.assignee == area.owner
    third = file_not_warm(area.household).request
    assert third.assignee == area.deputy1


def test_dispatcher_on_duty_when_nobody_in_zone_is_available():
    area = make_area()
    Shift.objects.exclude(staff=area.dispatcher).delete()
    request = file_not_warm(area.household).request
    assert request.assignee == area.dispatcher
    assert area.dispatcher.display_name in assignment_note(request)


def test_the_dispatcher_on_duty_is_the_fit_leader_then_any_fit_dispatcher_then_a_manager():
    from wennuan.grid.tests.factories import make_user
    from wennuan.people.choices import Role
    from wennuan.service.dispatch import dispatcher_on_duty

    now = timezone.now()
    leader = make_user(Role.DISPATCHER)
    other = make_user(Role.DISPATCHER)
    manager = make_user(Role.MANAGER)
    off_duty = make_user(Role.DISPATCHER)
    on_shift(leader, lead=True)
    on_shift(other)
    on_shift(manager)
    on_shift(off_duty, start=now + timedelta(hours=1))
    assert dispatcher_on_duty(now) == leader
    assert dispatcher_on_duty(now, exclude_ids={leader.pk}) == other
    User.objects.filter(pk=other.pk).update(health_status=HealthStatus.ISOLATING)
    assert dispatcher_on_duty(now, exclude_ids={leader.pk}) == manager
    User.objects.filter(pk=manager.pk).update(is_active=False)
    assert dispatcher_on_duty(now, exclude_ids={leader.pk}) is None
    assert dispatcher_on_duty(now + timedelta(hours=2), exclude_ids={leader.pk}) == off_duty


def test_request_waits_on_the_board_when_nobody_at_all_is_on_duty():
    area = make_area(shifts=False)
    request = file_not_warm(area.household).request
    assert request.assignee is None
    assert request.status == Status.SUBMITTED
    assert RequestEvent.objects.filter(request=request, kind=EventKind.ASSIGNMENT).exists()


def test_the_categorys_duty_picks_the_people():
    from wennuan.service.services import submit_request
    from wennuan.service.tests.factories import category

    area = make_area()
    request = submit_request(
        category=category("billing"), household=area.household, channel="hotline"
    ).request
    assert request.assignee == area.deputy2  # the customer-service owner of the zone


def test_manual_reassignment_needs_a_reason_and_is_recorded():
    area = make_area()
    request = file_not_warm(area.household).request
    with pytest.raises(Exception, match="reason"):
        reassign_request(request=request, assignee=area.deputy2, actor=area.dispatcher, reason=" ")
    assert ServiceRequest.objects.get(pk=request.pk).assignee == area.owner

    reassign_request(
        request=request, assignee=area.deputy2, actor=area.dispatcher, reason="王师傅在另一现场"
    )
    request.refresh_from_db()
    assert request.assignee == area.deputy2
    assert "王师傅在另一现场" in assignment_note(request)


def test_bulk_reassignment_sends_open_work_to_the_deputy():
    area = make_area()
    first = file_not_warm(area.household).request
    second = file_not_warm(area.household).request
    moved = reassign_open_work(staff=area.owner, actor=area.dispatcher, reason="发烧居家隔离")
    assert {r.pk for r in moved} == {first.pk, second.pk}
    assert set(ServiceRequest.objects.values_list("assignee", flat=True)) == {area.deputy1.pk}


def test_only_dispatch_reassigns_or_hands_over_and_a_refusal_changes_nothing():
    from wennuan.grid.tests.factories import make_user
    from wennuan.people.choices import Role
    from wennuan.service.services import TransitionRefused

    area = make_area()
    request = file_not_warm(area.household).request
    events = RequestEvent.objects.count()
    for role in (Role.AGENT, Role.TECHNICIAN, Role.COMMUNITY_WORKER):
        someone = make_user(role)
        with pytest.raises(TransitionRefused, match="dispatchers"):
            reassign_request(request=request, assignee=area.deputy2, actor=someone, reason="x")
        with pytest.raises(TransitionRefused, match="dispatchers"):
            reassign_open_work(staff=area.owner, actor=someone, reason="x")
    assert ServiceRequest.objects.get(pk=request.pk).assignee == area.owner
    assert RequestEvent.objects.count() == events
    for role in (Role.MANAGER, Role.ADMIN):
        reassign_request(request=request, assignee=area.deputy2, actor=make_user(role), reason="x")


def test_dispatcher_lead_is_preferred_over_other_dispatchers():
    area = make_area()
    Shift.objects.exclude(staff=area.dispatcher).delete()
    from wennuan.grid.tests.factories import make_user
    from wennuan.people.choices import Role

    other = make_user(Role.DISPATCHER)
    on_shift(other)
    assert file_not_warm(area.household).request.assignee == area.dispatcher
