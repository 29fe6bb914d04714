"""The inspections REST API through HTTP: who sees which facilities, plans, rounds and
findings; a round's route with its checklists; submitting a round once, refusals that
write nothing, and the findings a failed item opens."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wennuan.grid.tests.factories import make_user
from wennuan.inspections.choices import FacilityKind, RoundStatus
from wennuan.inspections.models import CheckResult, Facility, Finding, InspectionRound, Visit
from wennuan.inspections.tests.factories import Patrol, make_facility, make_patrol
from wennuan.people.choices import Role
from wennuan.service.choices import Status
from wennuan.service.models import ServiceRequest

pytestmark = pytest.mark.django_db
API = "/api/v1/inspections"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def round_for(patrol: Patrol, assignee: Any = None) -> InspectionRound:
    return InspectionRound.objects.create(
        plan=patrol.plan,
        due_on=timezone.localdate(),
        assignee=assignee or patrol.inspector,
        assign_reason="owner",
    )


@pytest.fixture
def patrol() -> Patrol:
    return make_patrol()


@pytest.fixture
def elsewhere() -> Patrol:
    """Another zone with its own inspector, facilities, plan and round."""
    other = make_patrol()
    round_for(other)
    return other


def answers_body(detail: dict[str, Any], key: str, fail: str = "") -> dict[str, Any]:
    """What a phone sends for the round ``detail`` (as the API gave it): every item passed
    and every reading in range, except the first pass/fail item of facility ``fail``."""
    facilities = []
    for stop in detail["route"]:
        items = []
        failing = stop["facility"]["code"] == fail
        for item in stop["items"]:
            answer: dict[str, Any] = {"item": item["id"]}
            if item["kind"] == "pass_fail":
                answer["passed"] = not failing
                failing = False
            elif item["kind"] == "reading":
                answer["reading"] = item["low"] if item["low"] is not None else 1.0
            else:
                answer["text"] = "正常"
            items.append(answer)
        facilities.append({"facility": stop["facility"]["code"], "note": "已巡查", "items": items})
    return {"key": key, "facilities": facilities}


def submit(client: APIClient, round_: InspectionRound, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(f"{API}/rounds/{round_.pk}/submit/", body, format="json", **headers)


def detail(client: APIClient, round_: InspectionRound) -> dict[str, Any]:
    response = client.get(f"{API}/rounds/{round_.pk}/")
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def codes(response: Any, field: str = "code") -> list[Any]:
    assert response.status_code == 200, response.content
    return [row[field] for row in response.json()["results"]]


# --- who sees what -----------------------------------------------------------------------------


def test_no_token_no_data(patrol):
    assert APIClient().get(f"{API}/facilities/").status_code == 401
    assert APIClient().get(f"{API}/rounds/").status_code == 401


def test_an_inspector_sees_their_rounds_and_their_zones_facilities_and_plans(patrol, elsewhere):
    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    assert codes(client.get(f"{API}/rounds/"), "id") == [mine.pk]
    theirs = InspectionRound.objects.get(plan=elsewhere.plan)
    assert client.get(f"{API}/rounds/{theirs.pk}/").status_code == 404
    assert codes(client.get(f"{API}/facilities/")) == sorted(f.code for f in patrol.facilities)
    assert client.get(f"{API}/facilities/{elsewhere.facilities[0].code}/").status_code == 404
    plans = client.get(f"{API}/plans/").json()["results"]
    assert [(p["id"], p["zone"]) for p in plans] == [(patrol.plan.pk, patrol.area.zone.code)]
    assert plans[0]["route"] == [f.code for f in patrol.facilities]  # in route order
    assert client.get(f"{API}/plans/{elsewhere.plan.pk}/").status_code == 404
    # The deputy holds the zone's inspection duty but the round is not theirs.
    deputy = client_for(patrol.deputy)
    assert codes(deputy.get(f"{API}/rounds/"), "id") == []
    assert deputy.get(f"{API}/rounds/{mine.pk}/").status_code == 404
    assert len(codes(deputy.get(f"{API}/facilities/"))) == 3
    # Whole-city staff see every round.
    dispatcher = client_for(patrol.area.dispatcher)
    assert sorted(codes(dispatcher.get(f"{API}/rounds/"), "id")) == sorted([mine.pk, theirs.pk])
    assert len(codes(dispatcher.get(f"{API}/facilities/"))) == 6


def test_facility_filters(patrol, elsewhere):
    client = client_for(patrol.area.dispatcher)
    valve, manhole, _yard = patrol.facilities
    Facility.objects.filter(pk=manhole.pk).update(name="北大街检查井")
    by_zone = codes(client.get(f"{API}/facilities/", {"zone": elsewhere.area.zone.code}))
    assert by_zone == sorted(f.code for f in elsewhere.facilities)
    by_kind = client.get(f"{API}/facilities/", {"kind": "manhole", "zone": patrol.area.zone.code})
    assert codes(by_kind) == [manhole.code]
    assert codes(client.get(f"{API}/facilities/", {"q": "北大街"})) == [manhole.code]
    assert codes(client.get(f"{API}/facilities/", {"q": valve.code.lower()})) == [valve.code]
    assert client.get(f"{API}/facilities/", {"kind": "nonsense"}).status_code == 400
    one = client.get(f"{API}/facilities/{valve.code}/").json()
    assert one["building"] == patrol.area.household.building.code
    assert (one["zone"], one["kind"], one["condition"]) == (
        patrol.area.zone.code,
        FacilityKind.VALVE_WELL,
        "good",
    )
    assert client.get(f"{API}/facilities/{manhole.code}/").json()["building"] is None


def test_round_filters(patrol):
    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    today = mine.due_on.isoformat()
    assert codes(client.get(f"{API}/rounds/", {"status": "assigned", "due_on": today}), "id") == [
        mine.pk
    ]
    assert codes(client.get(f"{API}/rounds/", {"status": "submitted"}), "id") == []
    assert codes(client.get(f"{API}/rounds/", {"plan": patrol.plan.pk}), "id") == [mine.pk]
    assert client.get(f"{API}/rounds/", {"due_on": "yesterday"}).status_code == 400


def test_a_rounds_detail_has_the_route_with_each_facilitys_checklist(patrol):
    mine = round_for(patrol)
    route = detail(client_for(patrol.inspector), mine)["route"]
    assert [stop["facility"]["code"] for stop in route] == [f.code for f in patrol.facilities]
    assert [stop["position"] for stop in route] == [1, 2, 3]
    valve_items = route[0]["items"]
    assert valve_items[0]["text"] == "Cover intact"  # the request's language
    reading = next(item for item in valve_items if item["kind"] == "reading")
    assert (reading["unit"], reading["low"], reading["high"]) == ("°C", -20, 45)
    assert {"id", "text", "kind", "unit", "low", "high"} == set(reading)


def test_a_rounds_detail_costs_the_same_number_of_queries_for_a_longer_route(patrol):
    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            detail(client, mine)
        counts.append(len(queries))
        building = patrol.area.household.building
        longer = make_facility(patrol.area.zone, FacilityKind.BUILDING_ENTRY, building=building)
        patrol.plan.stops.create(facility=longer, position=patrol.plan.stops.count() + 1)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("collection", ["facilities", "plans", "rounds", "findings"])
def test_pages_cost_the_same_number_of_queries_at_any_size(patrol, collection):
    for n in range(3):
        more = make_patrol()
        round_ = round_for(more)
        client = client_for(more.inspector)
        body = answers_body(detail(client, round_), f"k{n}", fail=more.facilities[0].code)
        assert submit(client, round_, body).status_code == 200
    client = client_for(patrol.area.dispatcher)
    counts = []
    for size in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"{API}/{collection}/", {"page_size": size})
        assert len(page.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- submitting a round ----------------------------------------------------------------------


def test_a_round_is_recorded_once_for_its_key_and_refused_for_another(patrol):
    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    body = answers_body(detail(client, mine), "phone-key-1")
    first = submit(client, mine, body)
    assert first.status_code == 200, first.content
    assert first.json()["status"] == RoundStatus.SUBMITTED
    assert first.json()["submitted_at"]
    again = submit(client, mine, body)  # a retry, a double tap
    assert again.status_code == 200 and again.json() == first.json()
    assert Visit.objects.filter(round=mine).count() == 3
    assert CheckResult.objects.filter(visit__round=mine).count() == 11  # 5 + 2 + 4 items
    other = submit(client, mine, {**body, "key": "phone-key-2"})
    assert other.status_code == 400
    assert other.json() == {"problems": ["The round is already submitted."]}
    assert Visit.objects.filter(round=mine).count() == 3


def test_the_idempotency_key_header_replays_the_first_answer(patrol):
    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    body = answers_body(detail(client, mine), "k")
    first = submit(client, mine, body, HTTP_IDEMPOTENCY_KEY="uuid-1")
    again = submit(client, mine, body, HTTP_IDEMPOTENCY_KEY="uuid-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()


def test_an_incomplete_round_is_a_400_listing_the_problems_and_writes_nothing(patrol):
    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    body = answers_body(detail(client, mine), "k")
    valve, manhole, _yard = patrol.facilities
    body["facilities"] = [f for f in body["facilities"] if f["facility"] != manhole.code]
    body["facilities"][0]["items"][0]["passed"] = None  # a pass/fail left open
    refused = submit(client, mine, body)
    assert refused.status_code == 400
    problems = refused.json()["problems"]
    assert len(problems) == 2
    assert any(manhole.code in p and "not inspected" in p for p in problems)
    assert any(p.startswith(f"{valve.code} · Cover intact") for p in problems)
    mine.refresh_from_db()
    assert mine.status == RoundStatus.ASSIGNED and not mine.submission_key
    assert not Visit.objects.exists() and not Finding.objects.exists()


def test_answers_off_the_route_are_refused(patrol, elsewhere):
    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    body = answers_body(detail(client, mine), "k")
    stranger = elsewhere.facilities[0].code
    body["facilities"].append({"facility": stranger, "items": []})
    body["facilities"][0]["items"].append({"item": 999999, "passed": True})
    refused = submit(client, mine, body)
    assert refused.status_code == 400
    assert refused.json()["problems"] == [
        f"{patrol.facilities[0].code}: item 999999 is not on its checklist",
        f"{stranger}: not on this round's route",
    ]
    malformed = submit(client, mine, {"key": "k", "facilities": [{"facility": "x"}]})
    assert malformed.status_code == 400 and "facilities" in malformed.json()
    assert not Visit.objects.exists()


def test_only_the_assignee_submits(patrol, elsewhere):
    mine = round_for(patrol)
    body = answers_body(detail(client_for(patrol.inspector), mine), "k")
    # A dispatcher sees the round but it is not theirs; another zone's inspector does not.
    assert submit(client_for(patrol.area.dispatcher), mine, body).status_code == 403
    assert submit(client_for(elsewhere.inspector), mine, body).status_code == 404
    assert submit(client_for(patrol.deputy), mine, body).status_code == 404
    mine.refresh_from_db()
    assert mine.status == RoundStatus.ASSIGNED and not Visit.objects.exists()


# --- findings --------------------------------------------------------------------------------


def test_a_failed_item_opens_a_finding_with_a_work_order_seen_in_its_zone(patrol, elsewhere):
    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    valve = patrol.facilities[0]
    submitted = submit(client, mine, answers_body(detail(client, mine), "k", fail=valve.code))
    assert submitted.status_code == 200, submitted.content
    order = ServiceRequest.objects.get(category__code="facility_fault")
    findings = client.get(f"{API}/findings/").json()["results"]
    assert len(findings) == 1
    finding = findings[0]
    assert (finding["facility"], finding["round"], finding["item_text"]) == (
        valve.code,
        mine.pk,
        "Cover intact",
    )
    assert (finding["work_order"], finding["work_order_status"], finding["open"]) == (
        order.number,
        Status.ASSIGNED,
        True,
    )
    assert valve.code in finding["description"]
    assert codes(client.get(f"{API}/findings/", {"open": "true"}), "id") == [finding["id"]]
    assert codes(client.get(f"{API}/findings/", {"open": "false"}), "id") == []
    # The zone's repair owner sees it; another zone's inspector does not.
    assert codes(client_for(patrol.area.owner).get(f"{API}/findings/"), "id") == [finding["id"]]
    outsider = client_for(elsewhere.inspector)
    assert codes(outsider.get(f"{API}/findings/"), "id") == []
    assert outsider.get(f"{API}/findings/{finding['id']}/").status_code == 404
    # Closed work order: the finding is no longer open.
    ServiceRequest.objects.filter(pk=order.pk).update(status=Status.CLOSED)
    assert codes(client.get(f"{API}/findings/", {"open": "false"}), "id") == [finding["id"]]
    assert client.get(f"{API}/findings/{finding['id']}/").json()["open"] is False
    # A work order deleted from under it: no number, no status, not open.
    Finding.objects.update(work_order=None)
    gone = client.get(f"{API}/findings/{finding['id']}/").json()
    assert (gone["work_order"], gone["work_order_status"], gone["open"]) == (None, None, False)


def test_a_community_worker_sees_no_inspection_data_outside_their_community(patrol):
    round_for(patrol)
    make_facility(patrol.area.zone, FacilityKind.PIPE_SEGMENT)
    worker = client_for(make_user(Role.COMMUNITY_WORKER))  # no community
    for collection in ("facilities", "plans", "rounds", "findings"):
        assert worker.get(f"{API}/{collection}/").json()["count"] == 0


def test_facilities_and_rounds_carry_their_labels(patrol):
    from wennuan.inspections.choices import Condition, FacilityKind, RoundStatus

    mine = round_for(patrol)
    client = client_for(patrol.inspector)
    facility = client.get(f"{API}/facilities/{patrol.facilities[0].code}/").json()
    assert facility["kind_label"] == str(FacilityKind(facility["kind"]).label)
    assert facility["condition_label"] == str(Condition(facility["condition"]).label)
    found = client.get(f"{API}/rounds/{mine.pk}/").json()
    assert found["status_label"] == str(RoundStatus(found["status"]).label)
    assert found["status_label"] != found["status"]
