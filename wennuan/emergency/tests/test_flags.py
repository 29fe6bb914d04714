"""Household flags: who sees them (every view recorded), remote-first triage with a
supervisor's approval for a visit, priority and check-in calls for vulnerable homes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wennuan.emergency.models import CallReason, CallTask, FlagKind, FlagView
from wennuan.emergency.services import EmergencyRefused, add_flag, read_flags
from wennuan.grid.tests.factories import make_user
from wennuan.operations.stops import announce_stop
from wennuan.people.choices import Role
from wennuan.service.incidents import open_incident
from wennuan.service.services import (
    TransitionRefused,
    accept_request,
    approve_home_visit,
    schedule_visit,
)
from wennuan.service.tests.factories import file_not_warm, make_area

pytestmark = pytest.mark.django_db


def test_only_those_who_serve_the_home_see_its_flags_and_every_view_is_recorded():
    area = make_area()
    today = timezone.localdate()
    add_flag(household=area.household, kind=FlagKind.QUARANTINE, starts_on=today, actor=area.owner)
    assert [
        f.kind for f in read_flags(household=area.household, viewer=area.owner, where="test")
    ] == ["quarantine"]
    stranger = make_user(Role.TECHNICIAN)
    assert read_flags(household=area.household, viewer=stranger, where="test") == []
    assert list(FlagView.objects.values_list("viewer", flat=True)) == [area.owner.pk]
    with pytest.raises(EmergencyRefused):
        add_flag(household=area.household, kind=FlagKind.CONFIRMED, starts_on=today, actor=stranger)
    with pytest.raises(EmergencyRefused):
        add_flag(
            household=area.household,
            kind=FlagKind.CONFIRMED,
            starts_on=today,
            ends_on=today - timedelta(days=1),
            actor=area.dispatcher,
        )
    assert area.household.flags.count() == 1


def test_a_quarantined_home_is_helped_remotely_and_a_visit_needs_approval():
    area = make_area()
    add_flag(
        household=area.household,
        kind=FlagKind.QUARANTINE,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
    )
    request = file_not_warm(area.household).request
    assert request.remote_first
    accept_request(request=request, actor=area.owner)
    when = timezone.now() + timedelta(hours=2)
    with pytest.raises(TransitionRefused, match="supervisor"):
        schedule_visit(request=request, actor=area.owner, when=when)
    with pytest.raises(TransitionRefused):
        approve_home_visit(request=request, actor=area.deputy1)  # a colleague is not enough
    approve_home_visit(request=request, actor=area.supervisor)
    request.refresh_from_db()
    assert request.visit_approved_by == area.supervisor
    assert schedule_visit(request=request, actor=area.owner, when=when).household == area.household


def test_an_elderly_person_alone_gets_priority_and_calls_when_heat_is_in_trouble():
    area = make_area()
    normal = file_not_warm(area.household, temperature="18").request
    add_flag(
        household=area.household,
        kind=FlagKind.ELDERLY_ALONE,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
    )
    flagged = file_not_warm(area.household, temperature="18").request
    assert flagged.priority < normal.priority and not flagged.remote_first
    station = area.household.building.station
    open_incident(cause="循环泵故障", station_id=station.pk)
    calls = CallTask.objects.filter(reason=CallReason.INCIDENT)
    assert [c.household for c in calls] == [area.household]
    stop = announce_stop(
        station=station,
        starts_at=timezone.now() + timedelta(hours=1),
        expected_end_at=timezone.now() + timedelta(hours=5),
        reason="管网检修",
    )
    assert CallTask.objects.filter(
        reason=CallReason.STOP, key=f"stop-{stop.pk}-{area.household.pk}"
    ).exists()


def test_the_household_page_shows_flags_to_its_people_and_records_the_view(client):
    from django.urls import reverse

    area = make_area()
    add_flag(
        household=area.household,
        kind=FlagKind.MEDICAL_NEEDS,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
        note="透析",
    )
    client.force_login(area.owner)
    page = client.get(reverse("grid:household_detail", args=[area.household.pk]))
    assert "透析" in page.content.decode()
    assert FlagView.objects.filter(viewer=area.owner, where="household page").count() == 1
    url = reverse("emergency:flag_add", args=[area.household.pk])
    client.post(url, {"kind": "elderly_alone", "starts_on": str(timezone.localdate())})
    assert area.household.flags.count() == 2
    stranger = make_user(Role.TECHNICIAN)
    client.force_login(stranger)
    assert client.post(url, {"kind": "confirmed", "starts_on": "2026-12-01"}).status_code == 404
    assert area.household.flags.count() == 2


def test_flags_added_later_make_open_requests_remote_first_and_ending_them_lifts_it():
    from wennuan.emergency.services import end_flag

    area = make_area()
    request = file_not_warm(area.household).request
    assert not request.remote_first
    flag = add_flag(
        household=area.household,
        kind=FlagKind.CONFIRMED,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
    )
    request.refresh_from_db()
    assert request.remote_first
    end_flag(flag=flag, ends_on=timezone.localdate() - timedelta(days=0), actor=area.dispatcher)
    request.refresh_from_db()
    assert request.remote_first  # ends today: still active today
    flag.starts_on = timezone.localdate() - timedelta(days=3)
    flag.save(update_fields=["starts_on"])
    end_flag(flag=flag, ends_on=timezone.localdate() - timedelta(days=1), actor=area.dispatcher)
    request.refresh_from_db()
    assert not request.remote_first


def test_agents_neither_approve_visits_nor_see_flags_on_the_request_page(client):
    from django.urls import reverse

    area = make_area()
    add_flag(
        household=area.household,
        kind=FlagKind.QUARANTINE,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
    )
    request = file_not_warm(area.household).request
    agent = make_user(Role.AGENT)
    with pytest.raises(TransitionRefused):
        approve_home_visit(request=request, actor=agent)
    request.refresh_from_db()
    assert request.visit_approved_by is None
    inspector = make_user(Role.INSPECTOR)
    from wennuan.grid.choices import Duty
    from wennuan.grid.tests.factories import assign

    assign(area.zone, Duty.INSPECTION, inspector)
    client.force_login(inspector)  # sees the zone's requests, does not serve the home
    page = client.get(reverse("service:detail", args=[request.pk])).content.decode()
    assert 'data-testid="remote-first"' not in page
    assert not FlagView.objects.filter(viewer=inspector).exists()
    client.force_login(area.owner)
    page = client.get(reverse("service:detail", args=[request.pk])).content.decode()
    assert 'data-testid="remote-first"' in page
    assert FlagView.objects.filter(viewer=area.owner, where="request page").count() == 1
