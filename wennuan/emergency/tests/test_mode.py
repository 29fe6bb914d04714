"""Emergency mode: the switch (managers, with a reason, audited) and each of its effects,
and every effect reverting when it is switched off."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wennuan.emergency.models import EmergencyChange
from wennuan.emergency.selectors import roster_gaps
from wennuan.emergency.services import EmergencyRefused, emergency_on, set_emergency_mode
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role
from wennuan.portal.tests.test_portal import verify
from wennuan.service.models import ServiceCategory, ServiceRequest
from wennuan.service.services import RequestInvalid, submit_request
from wennuan.service.tests.factories import file_not_warm, make_area, on_shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


def test_a_manager_switches_it_on_and_off_with_a_reason_on_the_page(client):
    manager = make_user(Role.MANAGER)
    client.force_login(manager)
    url = reverse("emergency:mode")
    refused = client.post(url, {"reason": "", "on": "1"})
    assert refused.status_code == 400 and not EmergencyChange.objects.exists()
    assert client.post(url, {"reason": "疫情防控，营业厅关闭", "on": "1"}).status_code == 302
    assert emergency_on()
    # A second click (or a page loaded before the switch) does not switch it back off.
    assert client.post(url, {"reason": "疫情防控，营业厅关闭", "on": "1"}).status_code == 400
    assert emergency_on() and EmergencyChange.objects.count() == 1
    change = EmergencyChange.objects.get()
    assert (change.on, change.changed_by, change.reason) == (True, manager, "疫情防控，营业厅关闭")
    page = client.get(url)
    assert 'data-testid="emergency-banner"' in page.content.decode()
    assert client.post(url, {"reason": "解除封控", "on": "0"}).status_code == 302
    assert not emergency_on() and EmergencyChange.objects.count() == 2
    assert 'data-testid="emergency-banner"' not in client.get(url).content.decode()


def test_only_managers_switch_and_field_staff_do_not_see_the_page(client):
    client.force_login(make_user(Role.DISPATCHER))
    assert client.get(reverse("emergency:mode")).status_code == 200
    assert client.post(reverse("emergency:mode"), {"reason": "x", "on": "1"}).status_code == 404
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.get(reverse("emergency:mode")).status_code == 404
    assert not EmergencyChange.objects.exists() and not emergency_on()
    with pytest.raises(EmergencyRefused):
        set_emergency_mode(on=True, actor=make_user(Role.DISPATCHER), reason="x")
    assert not EmergencyChange.objects.exists()


def test_residents_see_the_banner_only_while_it_is_on(client):
    area = make_area()
    verify(client, area.household)
    page = reverse("portal:categories")
    assert 'data-testid="emergency-banner"' not in client.get(page).content.decode()
    set_emergency_mode(on=True, actor=None, reason="封控")
    shown = client.get(page).content.decode()
    assert 'data-testid="emergency-banner"' in shown and "service halls are closed" in shown
    set_emergency_mode(on=False, actor=None, reason="解除")
    assert 'data-testid="emergency-banner"' not in client.get(page).content.decode()


def test_walk_in_services_close_with_a_message_and_reopen(client):
    area = make_area()
    hall = ServiceCategory.objects.get(code="hall_business")
    assert hall.walk_in
    set_emergency_mode(on=True, actor=None, reason="封控")
    with pytest.raises(RequestInvalid) as refused:
        submit_request(category=hall, household=area.household, channel="portal")
    assert "service halls are closed" in refused.value.errors["category"][0]
    assert not ServiceRequest.objects.exists()
    verify(client, area.household)
    listed = client.get(reverse("portal:categories")).content.decode()
    assert 'data-category="hall_business"' in listed and 'data-testid="unavailable"' in listed
    form = client.get(reverse("portal:new_request", args=["hall_business"])).content.decode()
    assert 'data-testid="disabled-message"' in form
    # Other services stay open.
    file_not_warm(area.household)
    set_emergency_mode(on=False, actor=None, reason="解除")
    made = submit_request(category=hall, household=area.household, channel="portal").request
    assert made.category == hall


def test_requests_filed_in_emergency_get_tighter_slas_and_later_ones_normal_again(settings):
    settings.EMERGENCY_SLA_PERCENT = 50
    area = make_area()
    normal = file_not_warm(area.household).request
    due_before = normal.resolution_due
    set_emergency_mode(on=True, actor=None, reason="封控")
    tight = file_not_warm(area.household, temperature="14").request
    set_emergency_mode(on=False, actor=None, reason="解除")
    after = file_not_warm(area.household, temperature="13").request

    def window(r):
        return r.resolution_due - r.created_at

    assert window(tight).total_seconds() == pytest.approx(
        window(normal).total_seconds() / 2, rel=0.01
    )
    assert window(after).total_seconds() == pytest.approx(window(normal).total_seconds(), rel=0.01)
    normal.refresh_from_db()
    assert normal.resolution_due == due_before  # filed before: kept its times


def test_roster_gaps_name_the_uncovered_hours(time_machine):
    now = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.get_current_timezone())
    time_machine.move_to(now)
    area = make_area(shifts=False)
    on_shift(area.owner, start=now, hours=12)  # 08:00–20:00
    on_shift(area.deputy1, start=now + timedelta(hours=12), hours=6)  # 20:00–02:00
    on_shift(area.dispatcher, start=now, hours=24, lead=True)
    gaps = roster_gaps(now=now)
    (repair,) = [g for g in gaps if g.zone == area.zone]
    assert repair.spans == [(now + timedelta(hours=18), now + timedelta(hours=24))]
    assert not [g for g in gaps if g.zone is None]  # a dispatcher leads all day


def test_back_to_back_shifts_cover_and_people_who_cannot_work_do_not(time_machine):
    from wennuan.people.choices import HealthStatus
    from wennuan.people.models import Leave

    now = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.get_current_timezone())
    time_machine.move_to(now)
    area = make_area(shifts=False)
    on_shift(area.owner, start=now, hours=12)
    # Two half-day shifts meeting at 20:00 cover the whole day between them.
    on_shift(area.deputy1, start=now + timedelta(hours=12), hours=12)
    on_shift(area.dispatcher, start=now, hours=24, lead=True)
    assert not [g for g in roster_gaps(now=now) if g.zone == area.zone]
    # The evening deputy falls ill; the day owner is on leave from 14:00.
    area.deputy1.health_status = HealthStatus.ISOLATING
    area.deputy1.save(update_fields=["health_status"])
    Leave.objects.create(
        staff=area.owner, starts_at=now + timedelta(hours=6), ends_at=now + timedelta(days=2)
    )
    (gap,) = [g for g in roster_gaps(now=now) if g.zone == area.zone]
    assert gap.spans == [(now + timedelta(hours=6), now + timedelta(hours=24))]
