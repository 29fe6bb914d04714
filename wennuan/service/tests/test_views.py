"""Staff pages through the test client: access rules, actions, filing on behalf, the roster."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from wennuan.grid.tests.factories import (
    make_building,
    make_community,
    make_household,
    make_user,
    make_zone,
)
from wennuan.people.choices import Role
from wennuan.people.models import Shift
from wennuan.service.choices import Status
from wennuan.service.models import RequestEvent, ServiceRequest
from wennuan.service.tests.factories import file_not_warm, make_area

pytestmark = pytest.mark.django_db


@pytest.fixture
def area():
    return make_area()


def test_board_is_for_dispatch_roles_only(client, area):
    file_not_warm(area.household)
    client.force_login(area.owner)
    assert client.get(reverse("service:board")).status_code == 403
    client.force_login(area.dispatcher)
    response = client.get(reverse("service:board"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 1


def test_board_filters_and_htmx_partial(client, area):
    file_not_warm(area.household)
    client.force_login(area.dispatcher)
    assert (
        len(
            client.get(reverse("service:board"), {"channel": "hotline"}).context["page"].object_list
        )
        == 0
    )
    partial = client.get(reverse("service:board"), HTTP_HX_REQUEST="true")
    assert partial.templates[0].name == "service/_board_table.html"


def test_a_board_row_shows_the_request_and_escapes_what_people_typed(client, area):
    from django.utils import timezone as tz

    area.household.address = '幸福小区<script>alert("x")</script>1号楼'
    area.household.save(update_fields=["address"])
    request = file_not_warm(area.household, temperature="14.5").request
    request.refresh_from_db()
    client.force_login(area.dispatcher)
    html = client.get(reverse("service:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = re.search(rf'<tr data-request="{request.number}">(.*?)</tr>', html, re.S)
    assert row, html
    cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]
    assert f'value="{request.pk}"' in cells[0]
    assert (
        f'<a href="{reverse("service:detail", args=[request.pk])}">{request.number}</a>'
        in (cells[1])
    )
    assert "Online (resident)" in cells[1]
    assert cells[2] == "Home not warm · 14.5 °C"
    assert "<script>" not in html.split("<tbody>")[1]
    assert cells[3] == "幸福小区&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;1号楼"
    assert cells[4] == "Assigned"
    assert cells[5] == "王师傅"
    assert cells[6] == tz.localtime(request.next_due).strftime("%m-%d %H:%M")
    assert "badge" in cells[7] and request.get_priority_display() in cells[7]
    chinese = client.get(reverse("service:board"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("zh-hans"):
        status_zh = str(Status.ASSIGNED.label)
    assert f"<td>{request.category.name_zh}" in chinese and f"<td>{status_zh}</td>" in chinese
    assert status_zh != "Assigned"


def test_the_board_filters_by_several_statuses_at_once(client, area):
    open_one = file_not_warm(area.household).request
    closed = file_not_warm(area.household).request
    ServiceRequest.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    client.force_login(area.dispatcher)

    def numbers(*statuses: str) -> set[str]:
        page = client.get(reverse("service:board"), {"status": list(statuses)}).context["page"]
        return {r.number for r in page.object_list}

    assert numbers() == {open_one.number}  # no status chosen: the open ones
    assert numbers(Status.CLOSED) == {closed.number}
    assert numbers(Status.CLOSED, Status.ASSIGNED) == {open_one.number, closed.number}


def test_an_empty_board_says_so(client, area):
    client.force_login(area.dispatcher)
    html = client.get(reverse("service:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing here." in html and "<tr data-request" not in html


def test_the_zone_filter_is_a_drop_down_in_a_small_city_and_a_text_box_in_a_large_one(
    client, area, monkeypatch
):
    from wennuan.grid.tests.factories import make_building, make_household, make_zone

    other = make_zone()
    mine = file_not_warm(area.household).request
    theirs = file_not_warm(make_household(make_building(zone=other))).request
    client.force_login(area.dispatcher)

    def numbers(**query: str) -> set[str]:
        page = client.get(reverse("service:board"), query).context["page"]
        return {r.number for r in page.object_list}

    small = client.get(reverse("service:board")).content.decode()
    zone_select = re.search(r'<select[^>]*name="zone"[^>]*>(.*?)</select>', small, re.S)
    assert zone_select and f'<option value="{area.zone.pk}">' in zone_select.group(1)
    assert numbers(zone=str(area.zone.pk)) == {mine.number}

    # Past the limit the page lists no zone, and takes a code or part of a name instead.
    monkeypatch.setattr("wennuan.service.filters.ZONE_SELECT_LIMIT", 1)
    large = client.get(reverse("service:board")).content.decode()
    assert not re.search(r'<select[^>]*name="zone"', large)
    assert re.search(r'<input[^>]*type="text"[^>]*name="zone"', large)
    assert numbers(zone=other.code.lower()) == {theirs.number}
    assert numbers(zone=area.zone.name[1:]) == {mine.number}
    assert numbers(zone=str(other.pk)) == {theirs.number}
    assert numbers(zone="no such zone") == set()


def test_board_costs_the_same_queries_for_one_and_many_requests(
    client, area, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(area.dispatcher)
    file_not_warm(area.household)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("service:board"))
    for _ in range(15):
        file_not_warm(area.household)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("service:board"))
    assert len(one) == len(many)


def test_technician_of_another_zone_cannot_open_the_request(client, area):
    request = file_not_warm(area.household).request
    stranger = make_user(Role.TECHNICIAN)
    client.force_login(stranger)
    assert client.get(reverse("service:detail", args=[request.pk])).status_code == 404
    response = client.post(reverse("service:action", args=[request.pk, "accept"]))
    assert response.status_code == 404
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ASSIGNED


def test_assignee_accepts_from_my_work(client, area):
    request = file_not_warm(area.household).request
    client.force_login(area.owner)
    assert request.number in client.get(reverse("service:my_work")).content.decode()
    client.post(reverse("service:action", args=[request.pk, "accept"]))
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ACCEPTED


def test_deputy_in_the_zone_sees_but_cannot_work_the_owners_request(client, area):
    request = file_not_warm(area.household).request
    client.force_login(area.deputy1)
    assert client.get(reverse("service:detail", args=[request.pk])).status_code == 200
    client.post(reverse("service:action", args=[request.pk, "accept"]))
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ASSIGNED


def test_check_in_without_equipment_is_refused_with_a_message(client, area):
    request = file_not_warm(area.household).request
    client.force_login(area.owner)
    client.post(reverse("service:action", args=[request.pk, "accept"]))
    response = client.post(
        reverse("service:action", args=[request.pk, "check_in"]),
        {"equipment": ["mask"]},
        follow=True,
    )
    assert any("protective" in str(m) or "防护" in str(m) for m in response.context["messages"])
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ACCEPTED


def test_technician_resolves_with_the_measured_temperature(client, area):
    request = file_not_warm(area.household).request
    client.force_login(area.owner)
    client.post(reverse("service:action", args=[request.pk, "accept"]))
    when = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("service:action", args=[request.pk, "schedule"]), {"when": when})
    client.post(
        reverse("service:action", args=[request.pk, "check_in"]),
        {"equipment": ["mask", "gloves", "shoe_covers", "hand_sanitiser"]},
    )
    client.post(
        reverse("service:action", args=[request.pk, "resolve"]),
        {"measured_temperature": "19", "note": "排气"},
    )
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    assert (
        "19" in RequestEvent.objects.filter(request=request, to_status=Status.RESOLVED).get().note
    )


def test_agent_files_for_a_caller_on_the_hotline(client, area):
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    url = reverse("service:on_behalf")
    page = client.get(url, {"account": area.household.account_number, "category": "billing"})
    key = page.context["form"].initial["idempotency_key"]
    response = client.post(
        url,
        {
            "account": area.household.account_number,
            "category": "billing",
            "description": "发票",
            "idempotency_key": key,
        },
    )
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.channel == "hotline" and request.created_by == agent


def test_community_worker_files_only_in_their_community(client, area):
    community = area.household.building.complex.community
    worker = make_user(Role.COMMUNITY_WORKER, community=community)
    other = make_household(make_building(zone=make_zone(), community=make_community()))
    client.force_login(worker)
    url = reverse("service:on_behalf")
    response = client.post(
        url, {"account": other.account_number, "category": "billing", "description": "x"}
    )
    assert response.status_code == 400  # not in their area: no household, nothing filed
    assert not ServiceRequest.objects.exists()
    client.post(
        url, {"account": area.household.account_number, "category": "billing", "description": "x"}
    )
    request = ServiceRequest.objects.get()
    assert request.channel == "community"
    assert client.get(reverse("service:detail", args=[request.pk])).status_code == 200


def test_bulk_reassign_needs_a_reason(client, area):
    request = file_not_warm(area.household).request
    client.force_login(area.dispatcher)
    client.post(
        reverse("service:bulk"),
        {
            "action": "reassign",
            "selected": [request.pk],
            "assignee": area.deputy2.username,
            "reason": "",
        },
    )
    assert ServiceRequest.objects.get(pk=request.pk).assignee == area.owner
    client.post(
        reverse("service:bulk"),
        {
            "action": "reassign",
            "selected": [request.pk],
            "assignee": area.deputy2.username,
            "reason": "顺路",
        },
    )
    assert ServiceRequest.objects.get(pk=request.pk).assignee == area.deputy2


def test_handover_moves_open_work_to_the_deputy(client, area):
    request = file_not_warm(area.household).request
    client.force_login(area.dispatcher)
    client.post(reverse("service:handover"), {"staff": area.owner.username, "reason": "发烧"})
    assert ServiceRequest.objects.get(pk=request.pk).assignee == area.deputy1


def test_roster_shows_the_dispatcher_on_duty_and_refuses_overlaps(client, area):
    client.force_login(area.dispatcher)
    page = client.get(reverse("people:roster"))
    assert page.context["dispatcher"] == area.dispatcher
    start = timezone.localtime() + timedelta(days=2)
    data = {
        "staff": area.deputy1.pk,
        "starts_at": start.strftime("%Y-%m-%dT08:00"),
        "ends_at": start.strftime("%Y-%m-%dT20:00"),
    }
    url = reverse("people:roster") + "?role=technician"
    assert client.post(url, data).status_code == 302
    count = Shift.objects.count()
    assert client.post(url, data).status_code == 400
    assert Shift.objects.count() == count


def test_technician_cannot_edit_the_roster(client, area):
    client.force_login(area.owner)
    count = Shift.objects.count()
    start = timezone.localtime() + timedelta(days=2)
    response = client.post(
        reverse("people:roster"),
        {
            "staff": area.owner.pk,
            "starts_at": start.strftime("%Y-%m-%dT08:00"),
            "ends_at": start.strftime("%Y-%m-%dT20:00"),
        },
    )
    assert response.status_code == 403
    assert Shift.objects.count() == count


def test_bad_caller_phone_is_shown_on_its_field_and_the_input_kept(client, area):
    client.force_login(make_user(Role.AGENT))
    response = client.post(
        reverse("service:on_behalf"),
        {
            "account": area.household.account_number,
            "category": "billing",
            "reporter_name": "王阿姨",
            "reporter_phone": "123",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    caller = response.context["caller"]
    assert "mobile number" in caller.errors["reporter_phone"][0]
    assert 'value="王阿姨"' in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_roster_lists_one_role_and_pages_keep_the_filters(client, area):
    client.force_login(area.dispatcher)
    page = client.get(reverse("people:roster"), {"role": "technician"})
    assert {s.staff.role for s in page.context["page"]} == {"technician"}
    assert page.context["counts"]["technician"] == 3
    assert set(page.context["form"].fields["staff"].queryset) == {
        area.owner,
        area.deputy1,
        area.deputy2,
    }


def test_reassigning_to_an_unknown_login_name_is_refused(client, area):
    request = file_not_warm(area.household).request
    client.force_login(area.dispatcher)
    response = client.post(
        reverse("service:action", args=[request.pk, "reassign"]),
        {"assignee": "nobody-here", "reason": "x"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert any("nobody-here" in str(m) for m in response.context["messages"])
    assert ServiceRequest.objects.get(pk=request.pk).assignee == area.owner


# --- dispatch decisions are dispatch's (OWASP ASVS 4.1.3): agents read, do not decide ------


def _unchanged(request: ServiceRequest) -> tuple[object, ...]:
    """What a refused dispatch decision must leave as it was."""
    found = ServiceRequest.objects.get(pk=request.pk)
    return (found.assignee_id, found.status, found.assigned_at, found.events.count())


def test_an_agent_reads_the_board_without_its_bulk_actions_or_hand_over(client, area):
    file_not_warm(area.household)
    client.force_login(make_user(Role.AGENT))
    page = client.get(reverse("service:board"))
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 1
    html = page.content.decode()
    assert 'name="action"' not in html  # the bulk-action card
    assert reverse("service:handover") not in html
    assert 'name="selected"' not in html  # no row to select for actions they cannot take
    client.force_login(area.dispatcher)
    html = client.get(reverse("service:board")).content.decode()
    assert 'name="action"' in html and reverse("service:handover") in html
    assert 'name="selected"' in html


def test_an_agents_bulk_actions_are_refused_and_change_nothing(client, area):
    request = file_not_warm(area.household).request
    before = _unchanged(request)
    client.force_login(make_user(Role.AGENT))
    for body in (
        {"action": "reassign", "assignee": area.deputy2.username, "reason": "顺路"},
        {"action": "dispatch"},
    ):
        response = client.post(reverse("service:bulk"), {**body, "selected": [request.pk]})
        assert response.status_code == 403, body
    assert _unchanged(request) == before


def test_an_agent_cannot_hand_over_a_persons_open_work(client, area):
    request = file_not_warm(area.household).request
    before = _unchanged(request)
    client.force_login(make_user(Role.AGENT))
    response = client.post(
        reverse("service:handover"), {"staff": area.owner.username, "reason": "发烧"}
    )
    assert response.status_code == 403
    assert _unchanged(request) == before


def test_an_agent_opens_a_request_but_cannot_reassign_or_dispatch_it(client, area):
    request = file_not_warm(area.household).request
    before = _unchanged(request)
    client.force_login(make_user(Role.AGENT))
    page = client.get(reverse("service:detail", args=[request.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("service:action", args=[request.pk, "reassign"]) not in html
    assert reverse("service:action", args=[request.pk, "dispatch"]) not in html
    # What agents may still do on the phone shows: accept, mark a duplicate, cancel.
    for action in ("accept", "duplicate", "cancel"):
        assert reverse("service:action", args=[request.pk, action]) in html, action
    reassign = client.post(
        reverse("service:action", args=[request.pk, "reassign"]),
        {"assignee": area.deputy2.username, "reason": "顺路"},
    )
    dispatch = client.post(reverse("service:action", args=[request.pk, "dispatch"]))
    assert (reassign.status_code, dispatch.status_code) == (403, 403)
    assert _unchanged(request) == before


def test_a_superuser_of_any_role_makes_dispatch_decisions(client, area):
    request = file_not_warm(area.household).request
    boss = make_user(Role.AGENT, is_superuser=True)
    assert boss.can_dispatch and not make_user(Role.AGENT).can_dispatch
    client.force_login(boss)
    client.post(
        reverse("service:action", args=[request.pk, "reassign"]),
        {"assignee": area.deputy2.username, "reason": "顺路"},
    )
    assert ServiceRequest.objects.get(pk=request.pk).assignee == area.deputy2
