"""The inspection pages: my rounds, a round on the phone (draft, submit once, refusals that
write nothing), oversight with completion rates, facility history, and who may see what."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wennuan.grid.choices import Duty
from wennuan.grid.models import ZoneAssignment
from wennuan.grid.tests.factories import make_user
from wennuan.inspections import selectors
from wennuan.inspections.checklists import seed_checklists
from wennuan.inspections.choices import FacilityKind, ItemKind, RoundStatus
from wennuan.inspections.models import (
    CheckResult,
    Facility,
    Finding,
    InspectionRound,
    Visit,
)
from wennuan.inspections.services import checklists, generate_rounds, route
from wennuan.inspections.tests.factories import Patrol, make_facility, make_patrol, make_plan
from wennuan.people.choices import Role
from wennuan.service.choices import Channel, Status
from wennuan.service.models import ServiceCategory, ServiceRequest

pytestmark = pytest.mark.django_db
ZONE = timezone.get_current_timezone()
TODAY = date(2026, 12, 10)
LEAKING = "Valves and flanges not leaking"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def in_december(time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 12, 10, 9, tzinfo=ZONE))


@pytest.fixture(autouse=True)
def seeded_checklists() -> None:
    seed_checklists()  # a transactional test elsewhere may have flushed the migration's rows


@pytest.fixture
def client() -> Client:
    """Pages in English here (the suite checks messages in English)."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def patrol() -> Patrol:
    """A zone with a valve well, a manhole and a station yard on a daily plan, and today's
    round given to the zone's inspection owner."""
    patrol = make_patrol()
    generate_rounds(today=TODAY)
    return patrol


def todays_round(patrol: Patrol) -> InspectionRound:
    return InspectionRound.objects.get(plan=patrol.plan, due_on=TODAY)


def answers(
    round_: InspectionRound, *, fail: str | None = None, key: str = "key-1", **extra: str
) -> dict[str, Any]:
    """A complete round's form: every item passes (readings in range) but the item ``fail``
    (English text) of the first valve well."""
    data: dict[str, Any] = {"key": key}
    facilities = route(round_)
    items = checklists({f.kind for f in facilities})
    for facility in facilities:
        for item in items[facility.kind]:
            prefix = f"f{facility.pk}-i{item.pk}"
            if item.kind == ItemKind.PASS_FAIL:
                failed = item.text_en == fail and facility.kind == FacilityKind.VALVE_WELL
                data[f"{prefix}-passed"] = "0" if failed else "1"
            elif item.kind == ItemKind.READING:
                data[f"{prefix}-reading"] = "5"
            else:
                data[f"{prefix}-text"] = ""
        data[f"f{facility.pk}-note"] = ""
    data.update(extra)
    return data


def item_field(patrol: Patrol, kind: str, text_en: str, suffix: str) -> str:
    facility = next(f for f in patrol.facilities if f.kind == kind)
    item = next(i for i in checklists({kind})[kind] if i.text_en == text_en)
    return f"f{facility.pk}-i{item.pk}-{suffix}"


def nothing_written(round_: InspectionRound, status: str = RoundStatus.ASSIGNED) -> None:
    round_.refresh_from_db()
    assert round_.status == status
    assert not Visit.objects.filter(round=round_).exists()
    assert not Finding.objects.filter(round=round_).exists()
    assert not ServiceRequest.objects.filter(channel=Channel.INSPECTION).exists()


# --- access -----------------------------------------------------------------------------


def test_an_inspector_sees_only_their_rounds_and_zones(client, patrol):
    other = make_patrol()
    generate_rounds(today=TODAY)  # the other zone's round, for its own inspector
    mine, theirs = todays_round(patrol), todays_round(other)
    assert (mine.assignee, theirs.assignee) == (patrol.inspector, other.inspector)
    client.force_login(patrol.inspector)

    page = client.get(reverse("inspections:my_rounds"))
    assert page.status_code == 200
    assert [r.pk for r in page.context["rounds"]] == [mine.pk]
    assert patrol.plan.name in page.content.decode()
    assert other.plan.name not in page.content.decode()

    # Another inspector's round, its draft, its facilities: not found, and nothing changes.
    assert client.get(reverse("inspections:round", args=[theirs.pk])).status_code == 404
    posted = client.post(reverse("inspections:round", args=[theirs.pk]), answers(theirs))
    assert posted.status_code == 404
    draft = client.post(
        reverse("inspections:round_draft", args=[theirs.pk]),
        json.dumps({"values": {"f1-note": "x"}}),
        content_type="application/json",
    )
    assert draft.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.draft) == (RoundStatus.ASSIGNED, {})
    assert not Visit.objects.exists()
    facility = other.facilities[0]
    assert client.get(reverse("inspections:facility", args=[facility.pk])).status_code == 404
    assert (
        client.get(reverse("inspections:facility", args=[patrol.facilities[0].pk])).status_code
        == 200
    )
    listed = client.get(reverse("inspections:facilities")).context["page"].object_list
    assert {f.pk for f in listed} == {f.pk for f in patrol.facilities}
    # Oversight is for whole-city staff.
    assert client.get(reverse("inspections:oversight")).status_code == 404
    assign_url = reverse("inspections:round_assign", args=[theirs.pk])
    assert client.post(assign_url, {"username": patrol.inspector.username}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.assignee == other.inspector


def test_the_zone_deputy_who_was_not_given_the_round_cannot_open_it(client, patrol):
    client.force_login(patrol.deputy)
    round_ = todays_round(patrol)
    assert client.get(reverse("inspections:round", args=[round_.pk])).status_code == 404
    assert (
        client.post(reverse("inspections:round", args=[round_.pk]), answers(round_)).status_code
        == 404
    )
    nothing_written(round_)


def test_whole_city_staff_read_a_round_but_only_its_inspector_fills_it_in(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.area.dispatcher)
    page = client.get(reverse("inspections:round", args=[round_.pk]))
    assert page.status_code == 200
    assert "<fieldset disabled>" in page.content.decode()
    assert 'data-testid="submit"' not in page.content.decode()
    refused = client.post(reverse("inspections:round", args=[round_.pk]), answers(round_))
    assert refused.status_code == 403
    draft = client.post(
        reverse("inspections:round_draft", args=[round_.pk]),
        json.dumps({"values": {}}),
        content_type="application/json",
    )
    assert draft.status_code == 403
    nothing_written(round_)


def test_navigation_offers_my_rounds_to_inspectors_and_oversight_to_dispatch(client, patrol):
    def labels(user):
        client.force_login(user)
        return [item["label"] for item in client.get(reverse("home")).context["nav_items"]]

    assert "My rounds" in labels(patrol.inspector)
    assert "Inspections" not in labels(patrol.inspector)
    assert "Inspections" in labels(patrol.area.dispatcher)


# --- doing a round ----------------------------------------------------------------------


def test_the_round_page_shows_the_route_in_order_with_checklists(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    page = client.get(reverse("inspections:round", args=[round_.pk]))
    assert page.status_code == 200
    sheet = page.context["sheet"]
    assert [f.facility for f in sheet] == patrol.facilities  # route order
    assert [row.item.text_en for row in sheet[0].rows] == [
        "Cover intact",
        "No standing water in the well",
        LEAKING,
        "Air temperature in the well",
        "Anything else",
    ]
    html = page.content.decode()
    assert "0 / 3" in html
    assert 'inputmode="decimal"' in html and "°C" in html and "-20–45 °C" in html
    assert f'value="{page.context["form"]["key"].value()}"' in html


def test_a_complete_round_with_a_failed_valve_opens_a_work_order_for_the_repair_owner(
    client, patrol
):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    note = {f"f{patrol.facilities[0].pk}-note": "法兰滴水"}
    response = client.post(
        reverse("inspections:round", args=[round_.pk]), answers(round_, fail=LEAKING, **note)
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:round", args=[round_.pk])

    round_.refresh_from_db()
    assert round_.status == RoundStatus.SUBMITTED and round_.submission_key == "key-1"
    assert Visit.objects.filter(round=round_).count() == 3
    assert Visit.objects.get(round=round_, facility=patrol.facilities[0]).note == "法兰滴水"
    failed = CheckResult.objects.get(visit__round=round_, failed=True)
    assert (failed.item.text_en, failed.passed) == (LEAKING, False)
    finding = Finding.objects.get(round=round_)
    order = finding.work_order
    assert (finding.facility, finding.item.text_en) == (patrol.facilities[0], LEAKING)
    assert (order.channel, order.category.code) == (Channel.INSPECTION, "facility_fault")
    assert order.assignee == patrol.area.owner  # the zone's repair owner
    assert order.status == Status.ASSIGNED

    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'data-testid="submitted"' in html
    assert "1 finding sent for repair." in html
    assert reverse("service:detail", args=[order.pk]) in html
    assert order.number in html


def test_submitting_twice_with_the_same_key_records_the_round_once(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    url = reverse("inspections:round", args=[round_.pk])
    first = client.post(url, answers(round_, fail=LEAKING))
    second = client.post(url, answers(round_, fail=LEAKING))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Visit.objects.filter(round=round_).count() == 3
    assert Finding.objects.filter(round=round_).count() == 1
    assert ServiceRequest.objects.filter(channel=Channel.INSPECTION).count() == 1
    # Another key on a submitted round is refused and adds nothing either.
    third = client.post(url, answers(round_, fail="Cover intact", key="key-2"), follow=True)
    assert "already submitted" in third.content.decode()
    assert Finding.objects.filter(round=round_).count() == 1
    round_.refresh_from_db()
    assert round_.submission_key == "key-1"


def test_an_incomplete_round_is_refused_listing_every_missing_item_and_writes_nothing(
    client, patrol
):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    data = answers(round_)
    cover = item_field(patrol, FacilityKind.VALVE_WELL, "Cover intact", "passed")
    temperature = item_field(
        patrol, FacilityKind.VALVE_WELL, "Air temperature in the well", "reading"
    )
    del data[cover]
    data[temperature] = ""
    yard = patrol.facilities[2]
    for name in [n for n in data if n.startswith(f"f{yard.pk}-")]:
        del data[name]  # the station yard not visited at all
    data[item_field(patrol, FacilityKind.VALVE_WELL, "Anything else", "text")] = "井盖有裂纹"

    response = client.post(reverse("inspections:round", args=[round_.pk]), data)

    assert response.status_code == 400
    problems = response.context["problems"]
    valve = patrol.facilities[0].code
    assert f"{valve} · Cover intact: choose pass or fail" in problems
    assert f"{valve} · Air temperature in the well: enter the reading" in problems
    assert f"{yard}: not inspected" in problems
    assert len(problems) == 3
    html = response.content.decode()
    assert 'data-testid="problems"' in html and "Photos must be chosen again" in html
    assert "井盖有裂纹" in html  # what was entered is kept
    nothing_written(round_)
    assert round_.draft == {}


def test_a_reading_that_is_not_a_number_and_a_photo_that_is_not_an_image_are_refused(
    client, patrol
):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    data = answers(round_)
    temperature = item_field(
        patrol, FacilityKind.VALVE_WELL, "Air temperature in the well", "reading"
    )
    data[temperature] = "warm"
    data[f"f{patrol.facilities[1].pk}-photo"] = SimpleUploadedFile(
        "leak.jpg", b"not an image at all", content_type="image/jpeg"
    )
    response = client.post(reverse("inspections:round", args=[round_.pk]), data)
    assert response.status_code == 400
    problems = " ".join(response.context["problems"])
    assert "Air temperature in the well: Enter a number." in problems
    assert "not a JPEG or PNG" in problems
    assert 'value="warm"' in response.content.decode()
    nothing_written(round_)


def test_a_reading_with_a_decimal_comma_and_a_png_photo_are_recorded(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    data = answers(round_)
    temperature = item_field(
        patrol, FacilityKind.VALVE_WELL, "Air temperature in the well", "reading"
    )
    data[temperature] = "12,5"
    valve = patrol.facilities[0]
    data[f"f{valve.pk}-photo"] = SimpleUploadedFile("well.png", PNG, content_type="image/png")
    response = client.post(reverse("inspections:round", args=[round_.pk]), data)
    assert response.status_code == 302
    visit = Visit.objects.get(round=round_, facility=valve)
    assert visit.results.get(item__kind=ItemKind.READING).reading == 12.5
    assert visit.photo.name.endswith(".png")
    photo = client.get(reverse("inspections:visit_photo", args=[visit.pk]))
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")
    stranger = make_user(Role.INSPECTOR)
    client.force_login(stranger)
    assert client.get(reverse("inspections:visit_photo", args=[visit.pk])).status_code == 404


def test_the_draft_endpoint_keeps_the_entries_and_the_page_shows_them(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    cover = item_field(patrol, FacilityKind.VALVE_WELL, "Cover intact", "passed")
    temperature = item_field(
        patrol, FacilityKind.VALVE_WELL, "Air temperature in the well", "reading"
    )
    note = f"f{patrol.facilities[1].pk}-note"
    payload = {
        "values": {cover: "0", temperature: "7.5", note: "井盖松动", "evil": "x" * 10},
        "key": "phone-key",
        "t": 1765328400000,
    }
    url = reverse("inspections:round_draft", args=[round_.pk])
    response = client.post(url, json.dumps(payload), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["saved"] is True
    round_.refresh_from_db()
    assert round_.status == RoundStatus.IN_PROGRESS and round_.started_at is not None
    assert round_.draft == {
        "values": {cover: "0", temperature: "7.5", note: "井盖松动"},
        "key": "phone-key",
        "t": 1765328400000,
    }

    page = client.get(reverse("inspections:round", args=[round_.pk]))
    html = page.content.decode()
    assert f'id="{cover}-0" value="0" autocomplete="off" checked' in html
    assert 'value="7.5"' in html and "井盖松动" in html
    assert page.context["form"]["key"].value() == "phone-key"
    assert 'data-draft-t="1765328400000"' in html

    # Not JSON, or not the expected shape: refused, the draft kept.
    assert client.post(url, "{oops", content_type="application/json").status_code == 400
    assert client.post(url, "[1, 2]", content_type="application/json").status_code == 400
    assert client.get(url).status_code == 405
    round_.refresh_from_db()
    assert round_.draft["values"][note] == "井盖松动"


def test_a_submitted_round_keeps_no_draft_and_refuses_new_ones(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    client.post(reverse("inspections:round", args=[round_.pk]), answers(round_))
    response = client.post(
        reverse("inspections:round_draft", args=[round_.pk]),
        json.dumps({"values": {}}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["problems"] == ["The round is already submitted."]
    round_.refresh_from_db()
    assert round_.draft == {}


def test_my_rounds_lists_open_rounds_first_then_the_weeks_submitted_ones(client, patrol):
    today_round = todays_round(patrol)
    client.force_login(patrol.inspector)
    old = InspectionRound.objects.create(
        plan=patrol.plan, due_on=TODAY - timedelta(days=2), assignee=patrol.inspector
    )
    done = InspectionRound.objects.create(
        plan=patrol.plan,
        due_on=TODAY - timedelta(days=1),
        assignee=patrol.inspector,
        status=RoundStatus.SUBMITTED,
        submitted_at=timezone.now() - timedelta(hours=20),
        submission_key="k",
    )
    InspectionRound.objects.create(  # a month ago: not recent
        plan=patrol.plan,
        due_on=TODAY - timedelta(days=30),
        assignee=patrol.inspector,
        status=RoundStatus.SUBMITTED,
        submitted_at=timezone.now() - timedelta(days=30),
    )
    page = client.get(reverse("inspections:my_rounds"))
    assert [r.pk for r in page.context["rounds"]] == [old.pk, today_round.pk, done.pk]
    html = page.content.decode()
    assert "Overdue" in html and "3 facilities" in html
    chinese = Client(headers={"Accept-Language": "zh-hans"})
    chinese.force_login(patrol.inspector)
    assert chinese.get(reverse("inspections:my_rounds")).status_code == 200


# --- oversight --------------------------------------------------------------------------


def past_rounds(patrol: Patrol, *, submitted: int, open_: int) -> list[InspectionRound]:
    """Rounds of the patrol's plan on the days before today: ``submitted`` done on their
    day, then ``open_`` never done."""
    rounds = []
    for back in range(1, submitted + open_ + 1):
        day = TODAY - timedelta(days=back)
        done = back <= submitted
        rounds.append(
            InspectionRound.objects.create(
                plan=patrol.plan,
                due_on=day,
                assignee=patrol.inspector,
                status=RoundStatus.SUBMITTED if done else RoundStatus.ASSIGNED,
                submitted_at=datetime(day.year, day.month, day.day, 15, tzinfo=ZONE)
                if done
                else None,
            )
        )
    return rounds


def test_oversight_shows_overdue_rounds_and_completion_rates(client, patrol):
    other = make_patrol(shifts=False)  # a second zone, nobody on shift
    generate_rounds(today=TODAY)  # its round of today: nobody could take it
    assert todays_round(other).assignee is None
    past = past_rounds(patrol, submitted=3, open_=1)
    late = InspectionRound.objects.create(
        plan=other.plan, due_on=TODAY - timedelta(days=5), assign_reason="nobody on shift"
    )
    client.force_login(patrol.area.dispatcher)
    page = client.get(reverse("inspections:oversight"))
    assert page.status_code == 200

    attention = [r.pk for r, _people in page.context["attention"]]
    assert attention == [todays_round(other).pk, late.pk, past[3].pk]  # today's unassigned first
    assert page.context["overdue_count"] == 2
    zones = {
        row.key: (row.due, row.submitted, row.on_time, row.rate) for row in page.context["by_zone"]
    }
    assert zones == {patrol.area.zone.pk: (4, 3, 3, 75), other.area.zone.pk: (1, 0, 0, 0)}
    inspectors = {
        row.key: (row.due, row.submitted, row.rate) for row in page.context["by_inspector"]
    }
    assert inspectors == {patrol.inspector.pk: (4, 3, 75), None: (1, 0, 0)}
    assert page.context["rate"] == 60  # 3 of 5

    html = page.content.decode()
    assert 'data-due="4" data-submitted="3" data-rate="75"' in html
    # The unassigned late round offers the other zone's inspection people.
    form = reverse("inspections:round_assign", args=[late.pk])
    assert form in html
    people = dict(page.context["attention"])[late]
    assert people == [other.inspector, other.deputy]


def test_a_dispatcher_gives_an_unassigned_round_to_a_zone_inspector(client, patrol):
    late = InspectionRound.objects.create(plan=patrol.plan, due_on=TODAY - timedelta(days=1))
    client.force_login(patrol.area.dispatcher)
    url = reverse("inspections:round_assign", args=[late.pk])
    outsider = make_user(Role.INSPECTOR)
    refused = client.post(url, {"username": outsider.username}, follow=True)
    assert "Choose one of the zone&#x27;s inspection people." in refused.content.decode()
    late.refresh_from_db()
    assert late.assignee is None
    response = client.post(url, {"username": patrol.deputy.username})
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.assignee == patrol.deputy
    assert patrol.area.dispatcher.display_name in late.assign_reason


def test_an_agent_reads_the_oversight_but_gives_no_round(client, patrol):
    from wennuan.inspections.services import RoundRefused, assign_round

    late = InspectionRound.objects.create(plan=patrol.plan, due_on=TODAY - timedelta(days=1))
    agent = make_user(Role.AGENT)
    client.force_login(agent)
    page = client.get(reverse("inspections:oversight"))
    assert page.status_code == 200
    url = reverse("inspections:round_assign", args=[late.pk])
    assert url not in page.content.decode()
    assert client.post(url, {"username": patrol.deputy.username}).status_code == 404
    with pytest.raises(RoundRefused):
        assign_round(round_=late, assignee=patrol.deputy, actor=agent)
    late.refresh_from_db()
    assert (late.assignee, late.assign_reason) == (None, "")


def test_oversight_lists_findings_open_and_closed(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    client.post(reverse("inspections:round", args=[round_.pk]), answers(round_, fail=LEAKING))
    finding = Finding.objects.get()
    client.force_login(patrol.area.dispatcher)
    page = client.get(reverse("inspections:oversight"))
    assert [f.pk for f in page.context["open_findings"]] == [finding.pk]
    assert page.context["closed_findings"] == []
    ServiceRequest.objects.filter(pk=finding.work_order_id).update(
        status=Status.CLOSED, closed_at=timezone.now()
    )
    page = client.get(reverse("inspections:oversight"))
    assert page.context["open_findings"] == []
    assert [f.pk for f in page.context["closed_findings"]] == [finding.pk]
    assert reverse("inspections:facility", args=[finding.facility_id]) in page.content.decode()


def make_zone_round(n: int) -> None:
    """One more zone with a plan, two past rounds (one done with a finding, one overdue and
    unassigned), to grow the oversight page."""
    patrol = make_patrol(shifts=False)
    done, _late = past_rounds(patrol, submitted=1, open_=1)
    _late.assignee = None
    _late.save()
    visit = Visit.objects.create(round=done, facility=patrol.facilities[0], position=1)
    item = checklists({FacilityKind.VALVE_WELL})[FacilityKind.VALVE_WELL][0]
    CheckResult.objects.create(visit=visit, item=item, passed=False, failed=True)
    order = ServiceRequest.objects.create(
        category=ServiceCategory.objects.get(code="facility_fault"),
        channel=Channel.INSPECTION,
        status=Status.ASSIGNED if n % 2 else Status.CLOSED,
        building=patrol.area.household.building,
        zone=patrol.area.zone,
    )
    Finding.objects.create(
        round=done, facility=patrol.facilities[0], item=item, description="x", work_order=order
    )


def test_the_oversight_page_makes_as_many_queries_for_five_zones_as_for_one(client):
    client.force_login(make_user(Role.DISPATCHER))
    url = reverse("inspections:oversight")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_zone_round(1)
    one = queries()
    for n in range(2, 6):
        make_zone_round(n)
    assert len(client.get(url).context["attention"]) == 5
    assert queries() == one


# --- facility history -------------------------------------------------------------------


def test_facility_history_shows_every_visit_and_finding(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    client.post(reverse("inspections:round", args=[round_.pk]), answers(round_, fail=LEAKING))
    valve = patrol.facilities[0]
    earlier = past_rounds(patrol, submitted=1, open_=0)[0]
    Visit.objects.create(round=earlier, facility=valve, position=1, note="一切正常")

    page = client.get(reverse("inspections:facility", args=[valve.pk]))
    assert page.status_code == 200
    assert [v.round for v in page.context["visits"]] == [round_, earlier]  # newest first
    html = page.content.decode()
    assert html.count("data-failed") == 1 and LEAKING in html
    finding = Finding.objects.get()
    assert reverse("service:detail", args=[finding.work_order_id]) in html
    assert "一切正常" in html
    # The dispatcher sees it too; the facilities list finds it by code.
    client.force_login(patrol.area.dispatcher)
    assert client.get(reverse("inspections:facility", args=[valve.pk])).status_code == 200
    found = client.get(reverse("inspections:facilities"), {"q": valve.code})
    assert [f.pk for f in found.context["page"].object_list] == [valve.pk]
    assert found.context["page"].object_list[0].open_findings == 1


# --- selectors --------------------------------------------------------------------------


def test_overdue_rounds_are_scoped_and_the_daily_summary_counts_the_day(patrol):
    past = past_rounds(patrol, submitted=2, open_=1)
    other = make_patrol()
    InspectionRound.objects.create(plan=other.plan, due_on=TODAY - timedelta(days=4))
    assert [r.pk for r in selectors.overdue_rounds(patrol.inspector, TODAY)] == [past[2].pk]
    assert selectors.overdue_rounds(patrol.area.dispatcher, TODAY).count() == 2
    assert selectors.overdue_rounds(other.inspector, TODAY).count() == 0

    yesterday = TODAY - timedelta(days=1)
    assert selectors.daily_summary(yesterday) == {
        "rounds_due": 1,
        "rounds_due_submitted": 1,
        "rounds_submitted": 1,
        "rounds_overdue": 2,  # the open round of three days ago, the other zone's
        "findings_opened": 0,
        "findings_closed": 0,
        "findings_open": 0,
    }
    summary = selectors.daily_summary(TODAY)
    assert (summary["rounds_due"], summary["rounds_due_submitted"]) == (1, 0)
    assert summary["rounds_overdue"] == 2


def test_findings_are_open_while_their_work_order_is(client, patrol):
    round_ = todays_round(patrol)
    client.force_login(patrol.inspector)
    client.post(reverse("inspections:round", args=[round_.pk]), answers(round_, fail=LEAKING))
    finding = Finding.objects.get()
    assert selectors.daily_summary(TODAY)["findings_opened"] == 1
    assert list(selectors.findings(patrol.inspector, open_only=True)) == [finding]
    assert list(selectors.findings(patrol.inspector, open_only=False)) == []
    assert list(selectors.findings(make_user(Role.INSPECTOR))) == []
    ServiceRequest.objects.filter(pk=finding.work_order_id).update(
        status=Status.RESOLVED, resolved_at=timezone.now()
    )
    assert list(selectors.findings(patrol.inspector, open_only=False)) == [finding]
    summary = selectors.daily_summary(TODAY)
    assert (summary["findings_closed"], summary["findings_open"]) == (1, 0)


def test_completion_counts_late_submissions_apart(patrol):
    late = past_rounds(patrol, submitted=1, open_=0)[0]
    late.submitted_at = timezone.now()  # submitted a day late
    late.save()
    rows = selectors.completion(by="inspector", since=TODAY - timedelta(days=7), until=TODAY)
    assert [(r.key, r.due, r.submitted, r.on_time) for r in rows] == [
        (patrol.inspector.pk, 2, 1, 0)
    ]


def test_a_facility_on_a_second_plan_and_a_new_zone_person_do_not_leak(client, patrol):
    other = make_patrol()
    shared = make_facility(other.area.zone, FacilityKind.MANHOLE)
    make_plan(other.area.zone, [shared])
    ZoneAssignment.objects.create(  # now a repair deputy there too
        zone=other.area.zone, duty=Duty.REPAIR, rank=9, staff=patrol.area.owner
    )
    client.force_login(patrol.area.owner)  # a technician: sees facilities of both zones
    assert client.get(reverse("inspections:facility", args=[shared.pk])).status_code == 200
    assert (
        client.get(reverse("inspections:round", args=[todays_round(patrol).pk])).status_code == 404
    )
    assert Facility.objects.for_user(patrol.inspector).filter(pk=shared.pk).count() == 0
