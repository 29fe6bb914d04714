"""Exposure tracing on a planted history, disinfection overdue flags, and call tasks."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from wennuan.emergency.models import CallTask, DisinfectionLog, DisinfectionSite, SiteKind
from wennuan.emergency.selectors import site_statuses, trace_exposure
from wennuan.emergency.services import EmergencyRefused, complete_call, record_disinfection
from wennuan.grid.choices import Duty
from wennuan.grid.tests.factories import assign, make_household, make_user, make_zone
from wennuan.people.choices import Role
from wennuan.service.models import HomeVisit
from wennuan.service.tests.factories import file_not_warm, make_area, on_shift

pytestmark = pytest.mark.django_db
ZONE = timezone.get_current_timezone()
DAY = datetime(2026, 12, 3, 9, tzinfo=ZONE)


def visit(request, staff, household, at):
    return HomeVisit.objects.create(
        request=request,
        staff=staff,
        household=household,
        checked_in_at=at,
        checked_out_at=at + timedelta(hours=1),
    )


@pytest.fixture
def planted(time_machine):
    time_machine.move_to(DAY + timedelta(days=2))
    area = make_area(shifts=False)
    sick = area.owner
    agent = area.deputy2  # the zone's customer-service owner (make_area)
    other_home = make_household(area.household.building, phone="13812340000")
    request = file_not_warm(area.household).request
    visit(request, sick, area.household, DAY)
    visit(request, area.deputy1, area.household, DAY + timedelta(hours=3))  # same home, same day
    visit(request, sick, other_home, DAY + timedelta(days=1))
    visit(request, area.deputy2, other_home, DAY + timedelta(days=3))  # after the window
    on_shift(sick, start=DAY, hours=8)
    on_shift(area.deputy2, start=DAY + timedelta(hours=6), hours=8)  # overlaps, same zone
    stranger = make_user(Role.TECHNICIAN)
    assign(make_zone(), Duty.REPAIR, stranger)
    on_shift(stranger, start=DAY, hours=8)  # same time, no shared zone
    site = DisinfectionSite.objects.create(name="福泰站", kind=SiteKind.STATION, every_hours=24)
    DisinfectionLog.objects.create(site=site, done_at=DAY, done_by=sick, agent="84")
    return area, sick, agent, other_home


def test_a_trace_finds_homes_colleagues_and_sites(planted):
    area, sick, _agent, other_home = planted
    trace = trace_exposure(staff=sick, since=date(2026, 12, 3), until=date(2026, 12, 4))
    assert {h.pk for h in trace.households} == {area.household.pk, other_home.pk}
    found = {(c.colleague, c.how) for c in trace.contacts}
    assert found == {(area.deputy1, "visit"), (area.deputy2, "shift")}
    assert [d.site.name for d in trace.disinfections] == ["福泰站"]


def test_acting_on_it_makes_one_call_per_home_and_hands_work_over(planted):
    area, sick, agent, _other = planted
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(area.dispatcher)
    query = {"staff": sick.username, "since": "2026-12-03", "until": "2026-12-04"}
    url = reverse("emergency:tracing") + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a second time adds no call
    calls = CallTask.objects.all()
    assert calls.count() == 2 and {c.assignee for c in calls} == {agent}
    request = area.household.requests.get()
    assert request.assignee != sick
    # Off work for the quarantine: one leave, and new work in the zone passes them over.
    from wennuan.people.models import Leave

    assert Leave.objects.filter(staff=sick).count() == 1
    on_shift(area.deputy1)
    assert file_not_warm(area.household, temperature="14").request.assignee != sick
    book = load_workbook(io.BytesIO(client.get(url + "&export=xlsx").content))
    assert len(list(book.worksheets[0].values)) == 1 + 2
    csv_text = client.get(url + "&export=csv").content.decode("utf-8-sig")
    assert area.household.account_number in csv_text
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.post(url).status_code == 404


def test_a_call_is_done_with_its_outcome_once(planted):
    area, sick, agent, _other = planted
    trace = trace_exposure(staff=sick, since=date(2026, 12, 3), until=date(2026, 12, 4))
    from wennuan.emergency.services import act_on_exposure

    act_on_exposure(trace=trace, actor=area.dispatcher)
    task = CallTask.objects.first()
    assert task is not None
    with pytest.raises(EmergencyRefused):
        complete_call(task=task, actor=agent, outcome="")
    complete_call(task=task, actor=agent, outcome="居民无症状，已告知居家观察")
    with pytest.raises(EmergencyRefused):
        complete_call(task=task, actor=agent, outcome="again")
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(agent)
    page = client.get(reverse("emergency:calls"))
    assert len(page.context["calls"]) == 1


def test_overdue_sites_come_first_and_a_log_clears_them(planted, time_machine):
    _area, sick, _agent, _other = planted
    office = DisinfectionSite.objects.create(
        name="营业厅", kind=SiteKind.SERVICE_HALL, every_hours=12
    )
    statuses = site_statuses()
    assert [s.site.name for s in statuses if s.overdue] == ["福泰站", "营业厅"]
    record_disinfection(site=office, done_by=sick, agent="75% 酒精")
    assert [s.site.name for s in site_statuses() if s.overdue] == ["福泰站"]
    with pytest.raises(EmergencyRefused):
        record_disinfection(site=office, done_by=sick, agent=" ")
    assert DisinfectionLog.objects.count() == 2
