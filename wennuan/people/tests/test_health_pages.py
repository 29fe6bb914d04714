"""The health check-in pages: the phone page records and says what happened, refuses bad
input with a 400 and stores nothing; the team page for supervisors and managers (and nobody
else), with who has not checked in; one person's history; the navigation and the job."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wennuan.core.schedule import SCHEDULE
from wennuan.emergency.services import set_emergency_mode
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import HealthStatus, Role
from wennuan.people.models import HealthCheckIn, Leave, User
from wennuan.people.selectors import missing_check_ins
from wennuan.people.tests.factories import report
from wennuan.service.models import ServiceRequest
from wennuan.service.tests.factories import file_not_warm, make_area

pytestmark = pytest.mark.django_db
HEALTH = reverse("people:health")
TEAM = reverse("people:health_team")


def as_user(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def history(user: User) -> str:
    return reverse("people:health_history", args=[user.pk])


def test_technician_checks_in_as_isolating_and_reads_where_their_work_went():
    area = make_area()
    request = file_not_warm(area.household).request
    client = as_user(area.owner)

    page = client.get(HEALTH)
    assert page.status_code == 200
    assert 'data-testid="not-yet"' in page.text
    assert 'inputmode="decimal"' in page.text

    answer = client.post(
        HEALTH,
        {"temperature": "36.9", "status": "isolating", "symptoms": ["cough"]},
        follow=True,
    )
    assert answer.status_code == 200
    assert "Checked in as Isolating" in answer.text
    assert "1 request went to your deputies." in answer.text
    assert ServiceRequest.objects.get(pk=request.pk).assignee == area.deputy1
    record = HealthCheckIn.objects.get(staff=area.owner)
    assert (record.status, record.symptoms, record.recorded_by) == (
        "isolating",
        ["cough"],
        area.owner,
    )
    assert 'data-testid="not-yet"' not in answer.text


def test_check_in_page_shows_problems_and_stores_nothing():
    area = make_area()
    client = as_user(area.owner)
    answer = client.post(HEALTH, {"temperature": "48", "status": "fit"})
    assert answer.status_code == 400
    assert "between 34.0 and 43.0" in answer.text
    answer = client.post(HEALTH, {"temperature": "36.5"})
    assert answer.status_code == 400
    assert 'data-field="status"' in answer.text
    assert not HealthCheckIn.objects.exists()
    area.owner.refresh_from_db()
    assert area.owner.health_status == HealthStatus.FIT


def test_check_in_page_says_when_check_ins_are_mandatory():
    staff = make_user(Role.TECHNICIAN)
    assert 'data-testid="mandatory"' not in as_user(staff).get(HEALTH).text
    set_emergency_mode(on=True, actor=None, reason="疫情")
    assert 'data-testid="mandatory"' in as_user(staff).get(HEALTH).text


def test_community_worker_has_no_check_in_page_or_menu_item():
    worker = make_user(Role.COMMUNITY_WORKER)
    client = as_user(worker)
    assert client.get(HEALTH).status_code == 403
    technician = make_user(Role.TECHNICIAN)
    assert f'href="{HEALTH}"' in as_user(technician).get(reverse("people:roster")).text


def test_supervisor_records_for_a_team_member_and_a_colleague_cannot():
    area = make_area()
    boss = as_user(area.supervisor)
    page = boss.get(f"{HEALTH}?for={area.owner.pk}")
    assert page.status_code == 200
    assert 'data-testid="for-other"' in page.text
    answer = boss.post(
        f"{HEALTH}?for={area.owner.pk}", {"temperature": "37.9", "status": "fit"}, follow=True
    )
    assert "Recorded for 王师傅" in answer.text
    record = HealthCheckIn.objects.get()
    assert (record.staff, record.recorded_by, record.health_after) == (
        area.owner,
        area.supervisor,
        HealthStatus.UNWELL,
    )

    colleague = as_user(area.deputy1)
    assert colleague.get(f"{HEALTH}?for={area.owner.pk}").status_code == 404
    assert colleague.post(f"{HEALTH}?for={area.owner.pk}", {}).status_code == 404
    assert HealthCheckIn.objects.count() == 1


def test_team_page_lists_missing_and_not_fit_for_the_supervisor_only():
    # Given a dispatcher supervising two technicians: one isolating, one not checked in
    boss = make_user(Role.DISPATCHER)
    sick = make_user(Role.TECHNICIAN, supervisor=boss, full_name="病号")
    late = make_user(Role.TECHNICIAN, supervisor=boss, full_name="迟到")
    outsider = make_user(Role.TECHNICIAN, full_name="外人")
    report(sick, "isolating", "38.1")
    report(outsider)

    page = as_user(boss).get(TEAM)
    assert page.status_code == 200
    rows = page.text
    assert f'data-staff="{late.username}" class="table-light" data-missing' in rows
    assert f'data-staff="{sick.username}"' in rows
    assert "fever" in rows
    summary = page.context["summary"]
    assert (summary.people, summary.checked_in, summary.missing, summary.not_fit) == (2, 1, 1, 1)
    assert summary.fever == 1
    assert outsider.username not in rows
    assert rows.index(late.username) < rows.index(sick.username)  # missing first
    assert 'data-testid="voluntary"' in rows

    only_missing = as_user(boss).get(TEAM, {"show": "missing"}).text
    assert late.username in only_missing and sick.username not in only_missing

    # A technician without a team has no team page
    assert as_user(late).get(TEAM).status_code == 403


def test_team_page_flags_missing_in_red_in_emergency_mode_and_managers_see_everyone():
    area = make_area()
    set_emergency_mode(on=True, actor=None, reason="疫情")
    page = as_user(area.supervisor).get(TEAM).text
    assert 'data-testid="mandatory"' in page
    assert f'data-staff="{area.owner.username}" class="table-danger" data-missing' in page
    assert area.dispatcher.username in page  # a manager sees everyone, not only reports


def test_team_page_makes_the_same_queries_for_one_person_and_many():
    boss = make_user(Role.DISPATCHER)

    def count() -> int:
        client = as_user(boss)
        cache.clear()  # the emergency switch is cached between requests
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TEAM).status_code == 200
        return len(queries)

    first = make_user(Role.TECHNICIAN, supervisor=boss)
    report(first, "isolating")
    one = count()
    for _ in range(6):
        person = make_user(Role.TECHNICIAN, supervisor=boss)
        report(person, "confirmed")
    make_user(Role.TECHNICIAN, supervisor=boss)
    assert count() == one


def test_history_is_visible_to_the_person_their_supervisor_and_managers_only():
    area = make_area()
    report(area.owner, "isolating")
    assert as_user(area.owner).get(history(area.owner)).status_code == 200
    page = as_user(area.supervisor).get(history(area.owner))
    assert page.status_code == 200
    assert "Fit → Isolating" in page.text
    assert as_user(area.deputy1).get(history(area.owner)).status_code == 404
    assert as_user(area.dispatcher).get(history(area.owner)).status_code == 404


def test_missing_check_ins_job_runs_each_morning_at_ten():
    (job,) = [j for j in SCHEDULE if j.name == "health-check-ins-missing"]
    assert job.daily_at == time(10, 0)
    assert job.task.name.endswith("flag_missing_check_ins_task")


def test_health_pages_keep_the_emergency_banners_switch_time():
    # The pages' own "check-ins are mandatory" flag must not hide the banner's switch row.
    boss = make_user(Role.DISPATCHER)
    make_user(Role.TECHNICIAN, supervisor=boss)
    change = set_emergency_mode(on=True, actor=None, reason="x")
    since = timezone.localtime(change.changed_at).strftime("%m-%d %H:%M")
    for url in (HEALTH, TEAM):
        page = as_user(boss).get(url)
        assert page.status_code == 200, url
        banner = re.search(r'data-testid="emergency-banner">(.*?)</div>', page.text, re.S)
        assert banner is not None, url
        assert f"Emergency mode since {since}:" in banner.group(1), url
        assert 'data-testid="mandatory"' in page.text, url


@pytest.mark.parametrize(
    "day", ["0001-01-01", "0001-01-10", "1999-12-31", "9999-12-31", "2024-02-30", "2024-13-45"]
)
def test_team_page_falls_back_to_today_for_a_day_out_of_range(day):
    boss = make_user(Role.DISPATCHER)
    make_user(Role.TECHNICIAN, supervisor=boss)
    page = as_user(boss).get(TEAM, {"day": day})
    assert page.status_code == 200
    assert page.context["day"] == timezone.localdate()
    assert 'data-testid="day-problem"' in page.text
    assert not HealthCheckIn.objects.exists()


def test_team_page_shows_an_early_day_in_range():
    boss = make_user(Role.DISPATCHER)
    make_user(Role.TECHNICIAN, supervisor=boss)
    page = as_user(boss).get(TEAM, {"day": "2000-01-01"})
    assert page.status_code == 200
    assert page.context["day"] == date(2000, 1, 1)
    assert 'data-testid="day-problem"' not in page.text


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-10", "9999-12-31", "2024-02-30"])
def test_roster_falls_back_to_today_for_a_day_out_of_range(day):
    manager = make_user(Role.MANAGER)
    page = as_user(manager).get(reverse("people:roster"), {"day": day})
    assert page.status_code == 200
    assert page.context["day"] == timezone.localdate()
    assert 'data-testid="day-problem"' in page.text


def test_team_page_leaves_out_staff_on_leave_that_day_like_the_job():
    # Given a technician on leave from midnight to midnight of the day looked at
    boss = make_user(Role.DISPATCHER)
    away = make_user(Role.TECHNICIAN, supervisor=boss, full_name="休假")
    late = make_user(Role.TECHNICIAN, supervisor=boss, full_name="迟到")
    yesterday = timezone.localdate() - timedelta(days=1)
    midnight = timezone.make_aware(datetime.combine(yesterday, time(0)))
    Leave.objects.create(staff=away, starts_at=midnight, ends_at=midnight + timedelta(days=1))

    page = as_user(boss).get(TEAM, {"day": yesterday.isoformat()})

    assert page.context["summary"].missing == 1
    assert f'data-staff="{late.username}" class="table-light" data-missing' in page.text
    assert f'data-staff="{away.username}">' in page.text
    team = User.objects.filter(supervisor=boss)
    assert list(missing_check_ins(yesterday, at=timezone.now(), team=team)) == [late]
