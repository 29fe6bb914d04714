"""The REST API through HTTP: token auth, scoping as on the pages, filing, transitions,
Idempotency-Key, pagination. Refusals change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wennuan.api import serializers
from wennuan.api.idempotency import purge
from wennuan.api.models import IdempotencyRecord
from wennuan.grid.tests.factories import make_building, make_household, make_user, make_zone
from wennuan.people.choices import Role
from wennuan.service.choices import Channel, Status
from wennuan.service.models import RequestEvent, ServiceRequest
from wennuan.service.services import PPE_ITEMS
from wennuan.service.tests.factories import file_not_warm, make_area

pytestmark = pytest.mark.django_db
API = "/api/v1"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def area() -> Any:
    return make_area()


def not_warm_body(area: Any, **extra: Any) -> dict[str, Any]:
    body = {
        "category": "not_warm",
        "account_number": area.household.account_number,
        "attributes": {"indoor_temperature": "15", "rooms_affected": "whole_home"},
        "description": "热力不足",
        "reporter_name": "王女士",
        "reporter_phone": "13812345678",
    }
    body.update(extra)
    return body


def test_no_credentials_no_data(area):
    file_not_warm(area.household)
    response = APIClient().get(f"{API}/requests/")
    assert response.status_code == 401
    assert "results" not in response.json()


def test_a_bad_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.get(f"{API}/requests/").status_code == 401


def test_dispatcher_files_a_request_that_goes_to_the_named_owner(area):
    response = client_for(area.dispatcher).post(
        f"{API}/requests/", not_warm_body(area), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    filed = ServiceRequest.objects.get()
    assert body["number"] == filed.number
    assert body["assignee"]["username"] == area.owner.username
    assert body["status"] == Status.ASSIGNED
    assert [e["to_status"] for e in body["events"] if e["to_status"]] == ["submitted", "assigned"]
    assert filed.channel == Channel.API and filed.created_by == area.dispatcher


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"account_number": "X0000000"}, "account_number"),
        (
            {"attributes": {"indoor_temperature": "99", "rooms_affected": "whole_home"}},
            "attribute[indoor_temperature]",
        ),
        ({"attributes": {"indoor_temperature": "15"}}, "attribute[rooms_affected]"),
        ({"description": "冷" * 4001}, "description"),
        ({"reporter_phone": "12"}, "reporter_phone"),
        ({"category": "gas_smell"}, "category"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(area, changes, field):
    response = client_for(area.dispatcher).post(
        f"{API}/requests/", not_warm_body(area, **changes), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not ServiceRequest.objects.exists()


def test_technician_token_cannot_read_another_zones_requests(area):
    mine = file_not_warm(area.household).request
    other_zone = make_zone()
    theirs = file_not_warm(make_household(make_building(zone=other_zone))).request
    client = client_for(area.owner)
    listed = [r["number"] for r in client.get(f"{API}/requests/").json()["results"]]
    assert listed == [mine.number]
    assert client.get(f"{API}/requests/{theirs.number}/").status_code == 404
    before = theirs.status
    refused = client.post(f"{API}/requests/{theirs.number}/accept/")
    assert refused.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == before


def test_community_worker_cannot_file_for_a_household_outside_their_community(area):
    worker = make_user(Role.COMMUNITY_WORKER)  # no community: sees no household
    response = client_for(worker).post(f"{API}/requests/", not_warm_body(area), format="json")
    assert response.status_code == 400
    assert "account_number" in response.json()
    assert not ServiceRequest.objects.exists()


def test_the_assignee_works_a_request_through_its_life(area):
    number = file_not_warm(area.household).request.number
    client = client_for(area.owner)
    assert client.post(f"{API}/requests/{number}/accept/").json()["status"] == Status.ACCEPTED
    when = (timezone.now() + timedelta(hours=2)).isoformat()
    scheduled = client.post(f"{API}/requests/{number}/schedule/", {"when": when}, format="json")
    assert scheduled.json()["status"] == Status.VISIT_SCHEDULED
    unprotected = client.post(
        f"{API}/requests/{number}/check-in/", {"equipment": ["mask"]}, format="json"
    )
    assert unprotected.status_code == 409
    assert "protective equipment" in unprotected.json()["detail"]
    checked_in = client.post(
        f"{API}/requests/{number}/check-in/", {"equipment": list(PPE_ITEMS)}, format="json"
    )
    assert checked_in.json()["status"] == Status.ON_SITE
    client.post(f"{API}/requests/{number}/check-out/", {}, format="json")
    resolved = client.post(
        f"{API}/requests/{number}/resolve/",
        {"note": "排气阀放气", "measured_temperature": "19.5"},
        format="json",
    )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == Status.RESOLVED
    assert any("19.5 °C" in e["note"] for e in resolved.json()["events"])


def test_an_illegal_transition_is_409_and_changes_nothing(area):
    filed = file_not_warm(area.household).request
    events = RequestEvent.objects.count()
    response = client_for(area.owner).post(
        f"{API}/requests/{filed.number}/check-out/", {}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"]
    filed.refresh_from_db()
    assert filed.status == Status.ASSIGNED
    assert RequestEvent.objects.count() == events


def test_only_dispatchers_reassign(area):
    filed = file_not_warm(area.household).request
    body = {"assignee": area.deputy1.username, "reason": "closer"}
    refused = client_for(area.owner).post(
        f"{API}/requests/{filed.number}/reassign/", body, format="json"
    )
    assert refused.status_code == 403
    filed.refresh_from_db()
    assert filed.assignee == area.owner
    done = client_for(area.dispatcher).post(
        f"{API}/requests/{filed.number}/reassign/", body, format="json"
    )
    assert done.status_code == 200
    assert done.json()["assignee"]["username"] == area.deputy1.username


def test_an_agent_reads_a_request_but_neither_reassigns_nor_dispatches_it(area):
    filed = file_not_warm(area.household).request
    events = RequestEvent.objects.count()
    agent = client_for(make_user(Role.AGENT))
    assert agent.get(f"{API}/requests/{filed.number}/").status_code == 200
    reassign = agent.post(
        f"{API}/requests/{filed.number}/reassign/",
        {"assignee": area.deputy1.username, "reason": "closer"},
        format="json",
    )
    dispatch = agent.post(f"{API}/requests/{filed.number}/dispatch/", format="json")
    assert (reassign.status_code, dispatch.status_code) == (403, 403)
    filed.refresh_from_db()
    assert (filed.assignee, filed.status) == (area.owner, Status.ASSIGNED)
    assert RequestEvent.objects.count() == events


def test_a_community_worker_sees_their_station_but_not_its_telemetry(area):
    station = area.household.building.station
    worker = client_for(
        make_user(Role.COMMUNITY_WORKER, community=area.household.building.complex.community)
    )
    assert worker.get(f"{API}/stations/{station.code}/").status_code == 200
    assert worker.get(f"{API}/stations/{station.code}/readings/").status_code == 404
    assert worker.get(f"{API}/stations/{station.code}/hours/").status_code == 404


def test_the_board_filters_apply(area):
    cold = file_not_warm(area.household).request
    file_not_warm(area.household)
    ServiceRequest.objects.filter(pk=cold.pk).update(status=Status.CLOSED)
    client = client_for(area.dispatcher)
    closed = client.get(f"{API}/requests/", {"status": "closed"}).json()["results"]
    assert [r["number"] for r in closed] == [cold.number]
    by_text = client.get(f"{API}/requests/", {"q": cold.number}).json()["results"]
    assert [r["number"] for r in by_text] == [cold.number]
    assert client.get(f"{API}/requests/", {"status": "nonsense"}).status_code == 400


def test_pages_cost_the_same_number_of_queries_at_any_size(area):
    for _ in range(5):
        file_not_warm(area.household)
    client = client_for(area.dispatcher)
    counts = []
    for size in (1, 5):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"{API}/requests/", {"page_size": size})
        assert len(page.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Idempotency-Key ----------------------------------------------------------------------


def test_same_key_same_body_replays_the_first_answer(area):
    client = client_for(area.dispatcher)
    first = client.post(
        f"{API}/requests/", not_warm_body(area), format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    again = client.post(
        f"{API}/requests/", not_warm_body(area), format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ServiceRequest.objects.count() == 1


def test_same_key_other_body_is_422_and_files_nothing(area):
    client = client_for(area.dispatcher)
    client.post(f"{API}/requests/", not_warm_body(area), format="json", HTTP_IDEMPOTENCY_KEY="k")
    other = client.post(
        f"{API}/requests/",
        not_warm_body(area, description="另一件事"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert other.status_code == 422
    assert ServiceRequest.objects.count() == 1


def test_keys_belong_to_their_user(area):
    body = not_warm_body(area)
    client_for(area.dispatcher).post(
        f"{API}/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    manager = make_user(Role.MANAGER)
    client_for(manager).post(f"{API}/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert ServiceRequest.objects.count() == 2


def test_a_refused_transition_is_replayed_too(area):
    filed = file_not_warm(area.household).request
    client = client_for(area.owner)
    url = f"{API}/requests/{filed.number}/resolve/"
    first = client.post(url, {"note": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    again = client.post(url, {"note": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert first.status_code == again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"


def test_a_refusal_inside_a_services_transaction_is_409_with_a_key_and_changes_nothing(area):
    """dispatch_request refuses inside its atomic(savepoint=False) block, which can only roll
    back the whole transaction, the key's too: the answer is the refusal, never a 500, and a
    retry is refused again (found by Schemathesis)."""
    from wennuan.service.models import RequestEvent
    from wennuan.service.services import cancel_request

    filed = file_not_warm(area.household).request
    cancel_request(request=filed, actor=area.dispatcher, reason="重复")
    filed.refresh_from_db()
    before = (filed.status, filed.assignee_id, filed.assigned_at)
    events = RequestEvent.objects.count()
    client = client_for(area.dispatcher)
    url = f"{API}/requests/{filed.number}/dispatch/"
    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="d1")
    again = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="d1")
    assert first.status_code == again.status_code == 409
    filed.refresh_from_db()
    assert (filed.status, filed.assignee_id, filed.assigned_at) == before
    assert before[0] == "cancelled"
    assert RequestEvent.objects.count() == events
    assert not IdempotencyRecord.objects.filter(key="d1").exists()


def test_a_key_still_running_is_409(area):
    client = client_for(area.dispatcher)
    body = not_warm_body(area)
    client.post(f"{API}/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    # As if the first call had not finished yet (its record is claimed, no answer stored):
    IdempotencyRecord.objects.filter(key="busy").update(status=0, response=None)
    again = client.post(f"{API}/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert again.status_code == 409
    assert "still running" in again.json()["detail"]
    assert ServiceRequest.objects.count() == 1


def test_a_crash_after_filing_keeps_nothing_and_the_retry_files_once(area, monkeypatch):
    # Given a call that files the request, then dies before its answer is stored (as a
    # worker killed at that moment would; bench/faults.py --intake)
    client = client_for(area.dispatcher)
    client.raise_request_exception = False
    body = not_warm_body(area)

    def crash(self: Any) -> Any:
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(serializers.RequestDetailSerializer, "data", property(crash))
    first = client.post(f"{API}/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="crash")
    assert first.status_code == 500
    # Then nothing is kept: no request, and no key left "still running" to answer 409
    assert ServiceRequest.objects.count() == 0
    assert not IdempotencyRecord.objects.filter(key="crash").exists()
    # And the client's retry with the same key files it exactly once
    monkeypatch.undo()
    again = client.post(f"{API}/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="crash")
    assert again.status_code == 201
    assert ServiceRequest.objects.count() == 1


def test_keys_are_kept_24_hours_at_least_then_purged(area, settings):
    settings.API_IDEMPOTENCY_KEEP_HOURS = 1  # asks for less than 24: 24 still applies
    record = IdempotencyRecord.objects.create(
        user=area.dispatcher, key="old", method="POST", path="/", body_digest="x", status=201
    )
    assert purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert purge(now=timezone.now() + timedelta(hours=25)) == 1
    assert not IdempotencyRecord.objects.filter(pk=record.pk).exists()


# --- households, zones, availability ---------------------------------------------------------


def test_household_lookup_by_account_and_phone_within_scope(area):
    client = client_for(area.owner)
    by_account = client.get(f"{API}/households/", {"q": area.household.account_number})
    assert [h["account_number"] for h in by_account.json()["results"]] == [
        area.household.account_number
    ]
    by_phone = client.get(f"{API}/households/", {"q": area.household.phone})
    assert by_phone.json()["count"] == 1
    elsewhere = make_household(make_building(zone=make_zone()))
    assert client.get(f"{API}/households/{elsewhere.account_number}/").status_code == 404
    assert client.get(f"{API}/households/{area.household.account_number}/").status_code == 200


def test_zones_list_their_owners_in_rank_order(area):
    zone = client_for(area.dispatcher).get(f"{API}/zones/{area.zone.code}/").json()
    repair = [o["staff"]["username"] for o in zone["owners"] if o["duty"] == "repair"]
    assert repair == [area.owner.username, area.deputy1.username, area.deputy2.username]


def test_availability_says_who_could_take_work_and_why_not(area):
    area.owner.shifts.all().delete()
    rows = (
        client_for(area.dispatcher)
        .get(f"{API}/staff/availability/", {"zone": area.zone.code, "duty": "repair"})
        .json()
    )
    assert [(r["staff"]["username"], r["available"], r["reason"]) for r in rows] == [
        (area.owner.username, False, "off_shift"),
        (area.deputy1.username, True, None),
        (area.deputy2.username, True, None),
    ]
    assert rows[0]["reason_text"] == "off shift"
    bad = client_for(area.dispatcher).get(f"{API}/staff/availability/", {"zone": area.zone.code})
    assert bad.status_code == 400


def test_the_interactive_documentation_is_for_logged_in_staff(client, area):
    assert client.get(f"{API}/docs/").status_code == 302
    client.force_login(area.dispatcher)
    page = client.get(f"{API}/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn.jsdelivr" not in html


def test_a_stations_readings_page_by_cursor_within_the_window_and_scope(area):
    from wennuan.grid.tests.factories import make_station
    from wennuan.operations.services import ingest, roll_up_hours

    station = area.household.building.station
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=3)
    ingest(
        [
            {
                "station": station.code,
                "time": (start + timedelta(minutes=10 * i)).isoformat(),
                "secondary_supply_c": 40 + i,
                "outdoor_c": 0,
            }
            for i in range(12)
        ]
    )
    client = client_for(area.owner)
    url = f"{API}/stations/{station.code}/readings/"
    window = {"since": (start + timedelta(minutes=15)).isoformat(), "page_size": 4}
    first = client.get(url, window)
    assert first.status_code == 200, first.content
    body = first.json()
    assert [r["secondary_supply_c"] for r in body["results"]] == [42, 43, 44, 45]
    # The default curve's target at 0 °C is 47: the deviation comes with each reading.
    assert body["results"][0]["target_supply_c"] == 47
    assert body["results"][0]["deviation_c"] == -5
    rest = client.get(body["next"]).json()  # the cursor keeps the window
    assert [r["secondary_supply_c"] for r in rest["results"]] == [46, 47, 48, 49]
    # until is exclusive; an empty or reversed window is a 400 naming the field
    until = {"since": start.isoformat(), "until": (start + timedelta(minutes=20)).isoformat()}
    assert [r["secondary_supply_c"] for r in client.get(url, until).json()["results"]] == [40, 41]
    reversed_window = client.get(url, {"since": until["until"], "until": until["since"]})
    assert reversed_window.status_code == 400 and "since" in reversed_window.json()
    assert client.get(url, {"since": "yesterday"}).status_code == 400
    # Hourly roll-ups through the same window rules.
    roll_up_hours(since=start)
    hour_start = start.replace(minute=0)
    hours = client.get(f"{API}/stations/{station.code}/hours/", {"since": hour_start.isoformat()})
    assert hours.status_code == 200
    assert sum(h["readings"] for h in hours.json()["results"]) == 12
    # Another zone's technician does not see this station at all.
    stranger = make_user(Role.TECHNICIAN)
    assign_elsewhere = make_zone()
    make_building(zone=assign_elsewhere, station=make_station())
    from wennuan.grid.choices import Duty
    from wennuan.grid.tests.factories import assign

    assign(assign_elsewhere, Duty.REPAIR, stranger)
    assert client_for(stranger).get(url).status_code == 404


def test_labels_of_choices_come_in_the_callers_language(area):
    request = file_not_warm(area.household).request
    client = client_for(area.dispatcher)
    found = client.get(f"{API}/requests/{request.number}/").json()  # the client asks for English
    assert (found["status"], found["status_label"]) == ("assigned", "Assigned")
    assert (found["assignee"]["role"], found["assignee"]["role_label"]) == (
        "technician",
        "Technician",
    )
    token = Token.objects.get(user=area.dispatcher)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese = client.get(f"{API}/requests/{request.number}/")
    assert chinese.json()["status_label"] == "已派单"
    assert chinese.json()["assignee"]["role_label"] == "维修技术员"
