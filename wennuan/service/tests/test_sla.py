"""SLA: due times from the category (24/7 in season, working hours outside), breaches escalate."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from wennuan.notify.models import Notification
from wennuan.service.choices import EventKind, SlaState, Status
from wennuan.service.models import RequestEvent, ServiceRequest
from wennuan.service.services import accept_request, auto_close_resolved, resolve_request, sweep_sla
from wennuan.service.sla import add_service_minutes, in_heating_season
from wennuan.service.tests.factories import file_not_warm, make_area, on_shift

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_season_spans_the_new_year():
    assert in_heating_season(at(2026, 12, 31).date())
    assert in_heating_season(at(2027, 1, 15).date())
    assert in_heating_season(at(2027, 4, 5).date())
    assert not in_heating_season(at(2027, 4, 6).date())
    assert not in_heating_season(at(2026, 11, 14).date())


def test_in_season_the_clock_runs_through_the_night():
    assert add_service_minutes(at(2026, 12, 5, 23, 30), 60) == at(2026, 12, 6, 0, 30)


def test_outside_the_season_only_working_hours_count():
    # Friday 16:30 in June + 60 working minutes = Monday 08:30.
    assert add_service_minutes(at(2026, 6, 12, 16, 30), 60) == at(2026, 6, 15, 8, 30)
    # Saturday evening + 30 minutes = Monday 08:30.
    assert add_service_minutes(at(2026, 6, 13, 20, 0), 30) == at(2026, 6, 15, 8, 30)


def test_due_times_follow_the_category_and_tighten_when_cold():
    with time_machine.travel(at(2026, 12, 5, 10, 0), tick=False):
        area = make_area()
        request = file_not_warm(area.household, temperature="17").request
        assert request.first_contact_due == at(2026, 12, 5, 10, 30)
        assert request.on_site_due == at(2026, 12, 5, 14, 0)
        assert request.resolution_due == at(2026, 12, 6, 10, 0)
        cold = file_not_warm(area.household, temperature="12").request
        assert cold.first_contact_due == at(2026, 12, 5, 10, 15)


def test_sweep_marks_at_risk_then_breached_then_escalates_twice():
    with time_machine.travel(at(2026, 12, 5, 10, 0), tick=False) as clock:
        area = make_area()
        request = file_not_warm(area.household, temperature="17").request  # first contact due 10:30
        on_shift(area.dispatcher, start=at(2026, 12, 5, 9, 0), hours=12, lead=True)

        clock.move_to(at(2026, 12, 5, 10, 25))
        assert sweep_sla()["at_risk"] == 1
        assert ServiceRequest.objects.get(pk=request.pk).sla_state == SlaState.AT_RISK

        clock.move_to(at(2026, 12, 5, 10, 31))
        sweep_sla()
        request.refresh_from_db()
        assert request.sla_state == SlaState.BREACHED and request.escalation_level == 1
        first = RequestEvent.objects.filter(request=request, kind=EventKind.ESCALATION).get()
        assert area.supervisor.display_name in first.note
        assert Notification.objects.filter(
            recipient=area.supervisor.phone, template="work_escalated"
        ).exists()

        sweep_sla()  # the same minute again: no second escalation
        assert RequestEvent.objects.filter(request=request, kind=EventKind.ESCALATION).count() == 1

        clock.move_to(at(2026, 12, 5, 11, 1))
        sweep_sla()
        request.refresh_from_db()
        assert request.escalation_level == 2
        assert Notification.objects.filter(
            recipient=area.dispatcher.phone, template="work_escalated"
        ).exists()


def test_accepting_meets_first_contact_so_the_next_target_counts():
    with time_machine.travel(at(2026, 12, 5, 10, 0), tick=False) as clock:
        area = make_area()
        request = file_not_warm(area.household, temperature="17").request
        accept_request(request=request, actor=area.owner)
        clock.move_to(at(2026, 12, 5, 10, 40))  # past first contact, before on site (14:00)
        sweep_sla()
        assert ServiceRequest.objects.get(pk=request.pk).sla_state == SlaState.ON_TIME


def test_resolved_requests_close_by_themselves_after_the_configured_days(settings):
    settings.SERVICE_AUTO_CLOSE_DAYS = 3
    from decimal import Decimal

    with time_machine.travel(at(2026, 12, 5, 10, 0), tick=False) as clock:
        area = make_area()
        request = file_not_warm(area.household).request
        accept_request(request=request, actor=area.owner)
        resolve_request(
            request=request, actor=area.owner, note="ok", measured_temperature=Decimal("19")
        )
        clock.move_to(at(2026, 12, 7, 10, 0))
        assert auto_close_resolved() == 0
        clock.move_to(at(2026, 12, 8, 10, 1))
        assert auto_close_resolved() == 1
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.CLOSED


def test_next_due_moves_on_as_targets_are_met():
    with time_machine.travel(at(2026, 12, 5, 10, 0), tick=False):
        area = make_area()
        request = file_not_warm(area.household, temperature="17").request
        assert request.next_due == request.first_contact_due
        accept_request(request=request, actor=area.owner)
        request.refresh_from_db()
        assert request.next_due == request.on_site_due
