"""The lifecycle: allowed transitions as data, illegal ones refused, every change an event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from wennuan.service.choices import TRANSITIONS, EventKind, Status
from wennuan.service.models import HomeVisit, RequestEvent, ServiceRequest
from wennuan.service.services import (
    PPE_ITEMS,
    TransitionRefused,
    accept_request,
    cancel_request,
    check_in,
    check_out,
    confirm_fix,
    give_guidance,
    mark_duplicate,
    rate_request,
    reopen_request,
    resolve_request,
    schedule_visit,
)
from wennuan.service.tests.factories import file_not_warm, make_area

pytestmark = pytest.mark.django_db


def test_every_status_has_its_transitions_written_down():
    assert set(TRANSITIONS) == set(Status.values)
    for targets in TRANSITIONS.values():
        assert set(targets) <= set(Status.values)
    assert TRANSITIONS[Status.CLOSED] == frozenset()


def test_full_journey_writes_an_event_for_every_step():
    area = make_area()
    request = file_not_warm(area.household, temperature="14").request
    accept_request(request=request, actor=area.owner)
    schedule_visit(request=request, actor=area.owner, when=timezone.now() + timedelta(hours=1))
    check_in(request=request, actor=area.owner, equipment=list(PPE_ITEMS))
    check_out(request=request, actor=area.owner, note="更换阀门")
    resolve_request(
        request=request, actor=area.owner, note="已修好", measured_temperature=Decimal("19")
    )
    confirm_fix(request=ServiceRequest.objects.get(pk=request.pk))
    rate_request(request=ServiceRequest.objects.get(pk=request.pk), rating=5, comment="谢谢")

    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.rating == 5
    statuses = list(
        RequestEvent.objects.filter(request=request, kind=EventKind.STATUS).values_list(
            "to_status", flat=True
        )
    )
    assert statuses == [
        Status.SUBMITTED,
        Status.ASSIGNED,
        Status.ACCEPTED,
        Status.VISIT_SCHEDULED,
        Status.ON_SITE,
        Status.RESOLVED,
        Status.CLOSED,
    ]
    visit = HomeVisit.objects.get(request=request)
    assert visit.checked_in_at and visit.checked_out_at and visit.equipment == list(PPE_ITEMS)


def test_illegal_transition_is_refused_and_changes_nothing():
    area = make_area()
    request = file_not_warm(area.household).request
    events = RequestEvent.objects.count()
    with pytest.raises(TransitionRefused, match="cannot become"):
        confirm_fix(request=request)  # assigned → closed is not allowed
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ASSIGNED
    assert RequestEvent.objects.count() == events


def test_only_the_assignee_works_the_request():
    area = make_area()
    request = file_not_warm(area.household).request
    with pytest.raises(TransitionRefused):
        accept_request(request=request, actor=area.deputy1)
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ASSIGNED


def test_check_in_needs_every_item_of_protective_equipment():
    area = make_area()
    request = file_not_warm(area.household).request
    accept_request(request=request, actor=area.owner)
    with pytest.raises(TransitionRefused, match="protective"):
        check_in(request=request, actor=area.owner, equipment=["mask"])
    assert not HomeVisit.objects.exists()
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ACCEPTED


def test_not_warm_cannot_be_resolved_without_a_measured_temperature():
    area = make_area()
    request = file_not_warm(area.household).request
    accept_request(request=request, actor=area.owner)
    with pytest.raises(TransitionRefused, match="temperature"):
        resolve_request(request=request, actor=area.owner, note="ok")
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ACCEPTED


def test_resident_reopens_with_a_reason_and_it_is_dispatched_again():
    area = make_area()
    request = file_not_warm(area.household).request
    accept_request(request=request, actor=area.owner)
    resolve_request(
        request=request, actor=area.owner, note="ok", measured_temperature=Decimal("18.5")
    )
    with pytest.raises(TransitionRefused):
        reopen_request(request=ServiceRequest.objects.get(pk=request.pk), reason="")
    reopen_request(request=ServiceRequest.objects.get(pk=request.pk), reason="还是不热")
    request.refresh_from_db()
    assert request.status == Status.ASSIGNED
    assert request.assignee == area.owner
    assert RequestEvent.objects.filter(
        request=request, to_status=Status.REOPENED, note="还是不热"
    ).exists()


def test_guidance_pauses_the_sla_clock_and_resuming_moves_the_due_times():
    area = make_area()
    request = file_not_warm(area.household).request
    due = request.resolution_due
    accept_request(request=request, actor=area.owner)
    give_guidance(request=request, actor=area.owner, note="请给暖气片排气")
    request.refresh_from_db()
    assert request.paused_since is not None
    ServiceRequest.objects.filter(pk=request.pk).update(
        paused_since=request.paused_since - timedelta(hours=2)
    )
    schedule_visit(
        request=ServiceRequest.objects.get(pk=request.pk),
        actor=area.owner,
        when=timezone.now() + timedelta(hours=1),
    )
    request.refresh_from_db()
    assert request.paused_since is None
    assert request.resolution_due - due >= timedelta(hours=2)


def test_duplicate_links_to_its_original():
    area = make_area()
    original = file_not_warm(area.household).request
    copy = file_not_warm(area.household).request
    mark_duplicate(request=copy, original=original, actor=area.dispatcher)
    copy.refresh_from_db()
    assert copy.status == Status.DUPLICATE and copy.duplicate_of == original
    with pytest.raises(TransitionRefused):
        mark_duplicate(request=original, original=copy, actor=area.dispatcher)


def test_rating_outside_1_to_5_or_before_resolution_is_refused():
    area = make_area()
    request = file_not_warm(area.household).request
    with pytest.raises(TransitionRefused):
        rate_request(request=request, rating=5)
    accept_request(request=request, actor=area.owner)
    resolve_request(
        request=request, actor=area.owner, note="ok", measured_temperature=Decimal("20")
    )
    with pytest.raises(TransitionRefused):
        rate_request(request=ServiceRequest.objects.get(pk=request.pk), rating=6)
    assert ServiceRequest.objects.get(pk=request.pk).rating is None


def test_cancel_needs_a_reason():
    area = make_area()
    request = file_not_warm(area.household).request
    with pytest.raises(TransitionRefused):
        cancel_request(request=request, actor=None, reason="")
    cancel_request(request=request, actor=None, reason="已经热了")
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.CANCELLED


def test_seeing_a_request_is_not_enough_to_cancel_it_or_mark_it_a_duplicate():
    from wennuan.service.services import cancel_request, mark_duplicate

    area = make_area()
    request = file_not_warm(area.household).request
    other = file_not_warm(area.household, temperature="14").request
    with pytest.raises(TransitionRefused):
        cancel_request(request=request, actor=area.deputy1, reason="不需要了")
    with pytest.raises(TransitionRefused):
        mark_duplicate(request=request, original=other, actor=area.deputy1)
    request.refresh_from_db()
    assert request.status == Status.ASSIGNED
    cancel_request(request=request, actor=area.owner, reason="居民来电取消")  # the assignee
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
