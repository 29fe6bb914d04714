"""Personal data (#9): phone numbers masked in lists and shown whole only to those who call,
every view of care flags recorded, and a household's data exported or erased on request."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wennuan.core.privacy import mask_contact, mask_phone
from wennuan.emergency.models import CallReason, CallTask, FlagKind, FlagView, HouseholdFlag
from wennuan.emergency.services import add_flag
from wennuan.grid.choices import DataAction
from wennuan.grid.models import Household, HouseholdDataAction
from wennuan.grid.privacy import (
    ErasureRefused,
    erase_household_personal_data,
    export_household_data,
    export_json,
)
from wennuan.grid.tests.factories import make_household, make_user
from wennuan.notify.models import Notification
from wennuan.people.choices import Role
from wennuan.service.choices import Status
from wennuan.service.models import HomeVisit, RequestEvent, RequestPhoto, ServiceRequest
from wennuan.service.services import (
    PPE_ITEMS,
    accept_request,
    check_in,
    check_out,
    confirm_fix,
    rate_request,
    resolve_request,
    schedule_visit,
    submit_request,
)
from wennuan.service.tests.conftest import catalogue, english  # noqa: F401 - autouse fixtures
from wennuan.service.tests.factories import Area, category, file_not_warm, make_area

pytestmark = pytest.mark.django_db

PHONE = "13812345678"  # the household's, from make_area
MASKED = "138****5678"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def text(response: Any) -> str:
    return response.content.decode()


# --- masking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("02912345678", "029****5678"),
        ("12345678", "****5678"),
        ("1234567", "****567"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_masked_number_hides_at_least_four_digits(raw, masked):
    assert mask_phone(raw) == masked


def test_an_email_recipient_is_masked_too():
    assert mask_contact("wang@example.com") == "w****@example.com"
    assert mask_contact(PHONE) == MASKED


def _agent() -> Any:
    return make_user(Role.AGENT, phone="13700000001")


def test_household_page_shows_the_number_to_dispatch_and_the_zone_owner_only(client):
    area = make_area()
    url = reverse("grid:household_detail", args=[area.household.pk])
    for caller in (area.dispatcher, area.owner):
        client.force_login(caller)
        page = text(client.get(url))
        assert f'href="tel:{PHONE}"' in page
    for other in (_agent(), area.deputy1):  # the hotline, a deputy
        client.force_login(other)
        page = text(client.get(url))
        assert PHONE not in page and MASKED in page


def test_request_page_shows_the_number_to_the_assignee_and_masks_it_for_others(client):
    area = make_area()
    request = file_not_warm(area.household).request
    assert request.assignee == area.owner
    url = reverse("service:detail", args=[request.pk])
    client.force_login(area.owner)
    assert f'href="tel:{PHONE}"' in text(client.get(url))
    client.force_login(area.dispatcher)
    assert f'href="tel:{PHONE}"' in text(client.get(url))
    for other in (area.deputy1, _agent()):
        client.force_login(other)
        page = text(client.get(url))
        assert PHONE not in page and MASKED in page


def test_a_reporter_phone_given_with_the_request_follows_the_same_rule(client):
    area = make_area()
    request = file_not_warm(area.household, reporter_phone="13599998888").request
    url = reverse("service:detail", args=[request.pk])
    client.force_login(area.deputy1)
    page = text(client.get(url))
    assert "13599998888" not in page and "135****8888" in page
    client.force_login(area.owner)
    assert 'href="tel:13599998888"' in text(client.get(url))


def test_lists_boards_and_searches_never_carry_a_full_number(client):
    area = make_area()
    file_not_warm(area.household)
    make_household(area.household.building, phone="13811112222")  # the search lists two
    client.force_login(area.dispatcher)
    for url in (
        reverse("service:board"),
        reverse("service:list"),
        reverse("grid:household_search") + f"?q={area.household.address[:6]}",
        reverse("grid:building_detail", args=[area.household.building_id]),
        reverse("grid:zone_detail", args=[area.zone.pk]),
        reverse("service:on_behalf") + f"?account={area.household.account_number}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert PHONE not in text(response) and "13811112222" not in text(response), url


def test_staff_numbers_in_the_zone_lists_are_whole_for_dispatch_masked_for_others(client):
    area = make_area()
    url = reverse("grid:zone_detail", args=[area.zone.pk])
    client.force_login(area.dispatcher)
    assert 'href="tel:13900000001"' in text(client.get(url))  # the owner
    client.force_login(area.deputy1)
    page = text(client.get(url))
    assert "13900000001" not in page and "139****0001" in page


def test_the_exposure_export_masks_households_and_colleagues():
    from wennuan.emergency.export import trace_csv, trace_workbook

    area = make_area()
    trace = SimpleNamespace(
        visits=[
            SimpleNamespace(
                household=area.household,
                checked_in_at=timezone.now(),
                request=SimpleNamespace(number="2612010001"),
            )
        ],
        contacts=[SimpleNamespace(colleague=area.deputy1, how="shift", when=timezone.now())],
        disinfections=[],
    )
    csv_text = trace_csv(trace)
    assert PHONE not in csv_text and MASKED in csv_text
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(trace_workbook(trace)))
    cells = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row}
    assert PHONE not in cells and MASKED in cells
    assert "13900000002" not in cells and "139****0002" in cells


def _api(user: Any) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_api_household_list_masks_and_one_household_is_whole_for_dispatch():
    area = make_area()
    listed = _api(area.dispatcher).get("/api/v1/households/", {"q": PHONE})
    assert listed.status_code == 200
    assert PHONE not in text(listed) and MASKED in text(listed)
    one = f"/api/v1/households/{area.household.account_number}/"
    assert _api(area.dispatcher).get(one).json()["phone"] == PHONE
    assert _api(area.deputy1).get(one).json()["phone"] == MASKED


def test_api_request_detail_is_whole_for_the_assignee_masked_for_a_deputy():
    area = make_area()
    request = file_not_warm(area.household, reporter_phone="13599998888").request
    url = f"/api/v1/requests/{request.number}/"
    assert _api(area.owner).get(url).json()["reporter_phone"] == "13599998888"
    assert _api(area.deputy1).get(url).json()["reporter_phone"] == "135****8888"
    board = _api(area.dispatcher).get("/api/v1/requests/")
    assert "13599998888" not in text(board) and PHONE not in text(board)


def _care_call(area: Area, assignee: Any) -> CallTask:
    return CallTask.objects.create(
        household=area.household,
        reason=CallReason.INCIDENT,
        detail="循环泵故障",
        assignee=assignee,
        key=f"test-{area.household.pk}-{assignee.pk if assignee else 0}",
    )


def test_a_call_shows_the_number_to_its_caller_and_the_view_is_recorded(client):
    area = make_area()
    caller = _agent()
    _care_call(area, caller)
    client.force_login(caller)
    page = text(client.get(reverse("emergency:calls")))
    assert f'href="tel:{PHONE}"' in page
    assert FlagView.objects.filter(viewer=caller, where="calls to make").count() == 1
    client.force_login(area.dispatcher)  # sees every open call, but it is not theirs
    page = text(client.get(reverse("emergency:calls")))
    assert PHONE not in page and MASKED in page
    assert FlagView.objects.filter(viewer=area.dispatcher, where="calls to make").count() == 1


# --- every view of flags recorded --------------------------------------------------------


def test_the_vulnerability_note_on_the_request_page_is_a_recorded_view(client):
    area = make_area()
    Household.objects.filter(pk=area.household.pk).update(
        vulnerable=True, vulnerability_note="独居老人"
    )
    request = file_not_warm(area.household).request
    client.force_login(area.owner)
    assert "独居老人" in text(client.get(reverse("service:detail", args=[request.pk])))
    assert FlagView.objects.filter(viewer=area.owner, household=area.household).exists()
    client.force_login(area.deputy1)  # not shown: not recorded
    assert "独居老人" not in text(client.get(reverse("service:detail", args=[request.pk])))
    assert not FlagView.objects.filter(viewer=area.deputy1).exists()


def test_flags_seen_in_the_admin_are_recorded(client):
    area = make_area()
    flag = add_flag(
        household=area.household,
        kind=FlagKind.QUARANTINE,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
    )
    admin = make_user(Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:emergency_householdflag_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:emergency_householdflag_change", args=[flag.pk])).status_code
        == 200
    )
    _care_call(area, None)
    assert client.get(reverse("admin:emergency_calltask_changelist")).status_code == 200
    wheres = list(
        FlagView.objects.filter(viewer=admin, household=area.household).values_list(
            "where", flat=True
        )
    )
    assert sorted(wheres) == [
        "admin: calltask list",
        "admin: householdflag",
        "admin: householdflag list",
    ]


def test_a_staff_export_counts_as_seeing_the_flags():
    area = make_area()
    add_flag(
        household=area.household,
        kind=FlagKind.MEDICAL_NEEDS,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
    )
    export_household_data(area.household, by=area.supervisor)
    assert FlagView.objects.filter(viewer=area.supervisor, where="data export").count() == 1


# --- export and erasure ------------------------------------------------------------------


def _history(area: Area, settings: Any, tmp_path: Any) -> ServiceRequest:
    """A finished request with a photo, a visit, messages, a rating and a flag."""
    settings.MEDIA_ROOT = tmp_path
    request = submit_request(
        category=category("radiator_leak"),
        household=area.household,
        channel="portal",
        attributes={"leak_size": "steady"},
        description="暖气片漏水，王大爷家",
        reporter_name="王大爷",
        photos=[SimpleUploadedFile("leak.jpg", JPEG)],
    ).request
    accept_request(request=request, actor=request.assignee)
    schedule_visit(
        request=request, actor=request.assignee, when=timezone.now() + timedelta(hours=1)
    )
    check_in(request=request, actor=request.assignee, equipment=list(PPE_ITEMS))
    check_out(request=request, actor=request.assignee, note=f"王大爷在家，电话{PHONE}")
    request = resolve_request(
        request=request, actor=request.assignee, note="换了阀门", measured_temperature=Decimal(20)
    )
    request = confirm_fix(request=request)
    rate_request(request=request, rating=5, comment="王师傅很好，谢谢")
    add_flag(
        household=area.household,
        kind=FlagKind.ELDERLY_ALONE,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
        note="独居",
    )
    Household.objects.filter(pk=area.household.pk).update(
        occupant_name="王大爷", alt_phone="13600001111", vulnerable=True, vulnerability_note="独居"
    )
    area.household.refresh_from_db()
    request.refresh_from_db()
    return request


def _finished(request: ServiceRequest) -> None:
    ServiceRequest.objects.filter(pk=request.pk).update(
        status=Status.CLOSED, closed_at=timezone.now()
    )


def test_the_export_holds_everything_about_the_household(settings, tmp_path):
    area = make_area()
    request = _history(area, settings, tmp_path)
    data = json.loads(
        json.dumps(export_household_data(area.household, by=area.supervisor), default=str)
    )
    assert data["household"]["occupant_name"] == "王大爷"
    assert data["household"]["phone"] == PHONE and data["household"]["alt_phone"] == "13600001111"
    [exported] = data["requests"]
    assert exported["number"] == request.number and exported["description"].startswith("暖气片")
    assert exported["reporter_name"] == "王大爷"
    assert [p["content_type"] for p in exported["photos"]] == ["image/jpeg"]
    assert any("王师傅很好" in m["note"] for m in exported["messages"])
    assert data["ratings"] == [
        {"request": request.number, "rating": 5, "comment": "王师傅很好，谢谢"}
    ]
    assert data["visits"][0]["note"].startswith("王大爷在家")
    assert data["notifications"] and all(n["recipient"] for n in data["notifications"])
    assert [f["kind"] for f in data["flags"]] == ["elderly_alone"]
    action = HouseholdDataAction.objects.get(household=area.household)
    assert (action.action, action.by) == (DataAction.EXPORT, area.supervisor)


def test_erasure_anonymises_the_person_and_keeps_the_statistics(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    area = make_area()
    request = _history(area, settings, tmp_path)
    photo = request.photos.get().image.name
    assert default_storage.exists(photo)
    _finished(request)
    kept = ServiceRequest.objects.filter(pk=request.pk).values(
        "category", "status", "created_at", "resolved_at", "closed_at", "rating",
        "measured_temperature", "priority", "zone",
    ).get()  # fmt: skip
    events_before = RequestEvent.objects.filter(request=request).count()

    with django_capture_on_commit_callbacks(execute=True):
        record = erase_household_personal_data(
            area.household, by=area.supervisor, reason="居民书面申请 2026-12-01"
        )

    household = Household.objects.get(pk=area.household.pk)
    assert (household.occupant_name, household.phone, household.alt_phone) == ("", "", "")
    assert not household.vulnerable and household.vulnerability_note == ""
    assert household.account_number == area.household.account_number  # the dwelling stays
    request.refresh_from_db()
    assert (request.reporter_name, request.description, request.rating_comment) == ("", "", "")
    assert ServiceRequest.objects.filter(pk=request.pk).values(*kept).get() == kept
    assert RequestEvent.objects.filter(request=request).count() == events_before
    notes = " ".join(RequestEvent.objects.filter(request=request).values_list("note", flat=True))
    assert "王师傅很好" not in notes and "王大爷" not in notes
    assert "换了阀门" in notes  # the staff's work record stays
    visit = HomeVisit.objects.get(request=request)
    assert PHONE not in visit.note and "王大爷" not in visit.note and visit.checked_in_at
    assert not RequestPhoto.objects.filter(request=request).exists()
    assert not default_storage.exists(photo)
    assert not HouseholdFlag.objects.filter(household=household).exists()
    recipients = Notification.objects.filter(related_key=request.number)
    assert recipients.exists() and set(recipients.values_list("recipient", flat=True)) == {""}
    assert not Notification.objects.filter(recipient=PHONE).exists()
    assert record.action == DataAction.ERASE and record.by == area.supervisor
    assert record.reason == "居民书面申请 2026-12-01" and record.summary["photos"] == 1


def test_erasure_is_idempotent():
    area = make_area()
    request = file_not_warm(area.household).request
    _finished(request)
    first = erase_household_personal_data(area.household, by=area.supervisor, reason="申请")
    again = erase_household_personal_data(area.household, by=area.supervisor, reason="申请")
    assert again.pk == first.pk
    assert HouseholdDataAction.objects.filter(action=DataAction.ERASE).count() == 1


def _snapshot(area: Area) -> Any:
    household = Household.objects.filter(pk=area.household.pk).values().get()
    requests = list(ServiceRequest.objects.filter(household=area.household).values())
    notes = list(RequestEvent.objects.values_list("note", flat=True))
    return household, requests, notes, HouseholdFlag.objects.count(), Notification.objects.count()


def test_erasure_is_refused_while_a_request_is_open_and_nothing_changes():
    area = make_area()
    open_request = file_not_warm(area.household).request
    before = _snapshot(area)
    with pytest.raises(ErasureRefused, match=open_request.number):
        erase_household_personal_data(area.household, by=area.supervisor, reason="申请")
    assert _snapshot(area) == before
    assert not HouseholdDataAction.objects.exists()


def test_erasure_needs_a_manager_and_a_reason_and_changes_nothing_otherwise(client):
    area = make_area()
    _finished(file_not_warm(area.household).request)
    before = _snapshot(area)
    with pytest.raises(ErasureRefused, match="managers"):
        erase_household_personal_data(area.household, by=area.dispatcher, reason="申请")
    with pytest.raises(ErasureRefused, match="why"):
        erase_household_personal_data(area.household, by=area.supervisor, reason="  ")
    url = reverse("grid:household_data_erase", args=[area.household.pk])
    body = {"reason": "申请", "confirm": area.household.account_number}
    for user in (area.dispatcher, area.owner, _agent()):
        client.force_login(user)
        assert client.post(url, body).status_code == 404
        export = reverse("grid:household_data_export", args=[area.household.pk])
        assert client.post(export).status_code == 404
        page = text(client.get(reverse("grid:household_detail", args=[area.household.pk])))
        assert 'data-testid="personal-data"' not in page
    assert _snapshot(area) == before
    assert not HouseholdDataAction.objects.exists()


def test_a_manager_exports_and_erases_from_the_household_page(client):
    area = make_area()
    request = file_not_warm(area.household).request
    ServiceRequest.objects.filter(pk=request.pk).update(description="家里很冷，我叫王大爷")
    client.force_login(area.supervisor)  # a manager
    detail = reverse("grid:household_detail", args=[area.household.pk])
    assert 'data-testid="personal-data"' in text(client.get(detail))
    export = client.post(reverse("grid:household_data_export", args=[area.household.pk]))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/json")
    assert "attachment" in export["Content-Disposition"]
    assert json.loads(export.content)["household"]["phone"] == PHONE

    url = reverse("grid:household_data_erase", args=[area.household.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": "申请", "confirm": area.household.account_number})
    assert refused.status_code == 400 and request.number in text(refused)
    _finished(request)
    wrong = client.post(url, {"reason": "申请", "confirm": "nope"})
    assert wrong.status_code == 400
    assert Household.objects.get(pk=area.household.pk).phone == PHONE
    done = client.post(url, {"reason": "申请", "confirm": area.household.account_number})
    assert done.status_code == 302
    assert Household.objects.get(pk=area.household.pk).phone == ""
    assert ServiceRequest.objects.get(pk=request.pk).description == ""


def test_the_command_exports_and_erases(tmp_path):
    area = make_area()
    request = file_not_warm(area.household).request
    out = tmp_path / "export.json"
    call_command("household_data", "--export", area.household.account_number, "-o", str(out))
    assert json.loads(out.read_text())["household"]["phone"] == PHONE
    with pytest.raises(CommandError, match="not finished"):
        call_command("household_data", "--erase", str(area.household.pk), "--reason", "申请")
    _finished(request)
    with pytest.raises(CommandError, match="why"):
        call_command("household_data", "--erase", str(area.household.pk))
    call_command(
        "household_data",
        "--erase",
        str(area.household.pk),
        "--reason",
        "申请",
        stdout=io.StringIO(),
    )
    assert Household.objects.get(pk=area.household.pk).phone == ""
    labels = set(HouseholdDataAction.objects.values_list("action", "by_label"))
    assert labels == {(DataAction.EXPORT, "command line"), (DataAction.ERASE, "command line")}


def test_a_resident_downloads_their_own_data_from_the_portal(client):
    from wennuan.portal.selectors import HOUSEHOLD_KEY, VERIFIED_AT_KEY

    area = make_area()
    request = file_not_warm(area.household).request
    url = reverse("portal:my_data")
    assert client.post(url).status_code == 302  # not proven: to the code page
    session = client.session
    session[HOUSEHOLD_KEY] = area.household.pk
    session[VERIFIED_AT_KEY] = timezone.now().timestamp()
    session.save()
    assert 'data-testid="my-data"' in text(client.get(reverse("portal:home")))
    response = client.post(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["household"]["account_number"] == area.household.account_number
    assert [r["number"] for r in data["requests"]] == [request.number]
    assert all(m["visible_to_resident"] for m in data["requests"][0]["messages"])
    assert HouseholdDataAction.objects.get().by is None


def test_the_residents_copy_leaves_out_earlier_occupants_neighbours_and_internal_notes():
    """A household is a dwelling: whoever proves today's phone gets what was filed for it or
    from today's numbers, not a report filed under someone else's number (a neighbour, an
    earlier occupant who called the hotline), and no staff notes (flag notes, who recorded it)."""
    area = make_area()
    own = file_not_warm(area.household).request
    earlier = file_not_warm(area.household).request
    ServiceRequest.objects.filter(pk=earlier.pk).update(
        reporter_phone="13900009999", reporter_name="前住户"
    )
    add_flag(
        household=area.household,
        kind=FlagKind.ELDERLY_ALONE,
        starts_on=timezone.localdate(),
        actor=area.dispatcher,
        note="独居老人，耳背",
    )
    staff_copy = export_household_data(area.household, by=area.dispatcher)
    resident_copy = export_household_data(area.household, for_resident=True)

    assert {r["number"] for r in staff_copy["requests"]} == {own.number, earlier.number}
    assert staff_copy["flags"][0]["note"] == "独居老人，耳背"
    assert [r["number"] for r in resident_copy["requests"]] == [own.number]
    assert "note" not in resident_copy["flags"][0]
    assert "recorded_by" not in resident_copy["flags"][0]
    assert "前住户" not in export_json(resident_copy).decode()
    assert "13900009999" not in export_json(resident_copy).decode()


def test_a_hazard_reported_with_the_household_phone_is_part_of_its_data():
    area = make_area()
    hazard = submit_request(
        category=category("not_warm"),
        household=area.household,
        channel="portal",
        attributes={"indoor_temperature": "15", "rooms_affected": "whole_home"},
    ).request
    ServiceRequest.objects.filter(pk=hazard.pk).update(household=None, reporter_phone=PHONE)
    data = export_household_data(area.household)
    assert hazard.number in [r["number"] for r in data["requests"]]


def test_erasure_forgets_the_api_answers_kept_for_idempotent_replays():
    """An API filing's answer is kept 24-48 h for Idempotency-Key retries, and repeats the
    reporter's name, number and description: erasure removes it with the rest."""
    from wennuan.api.models import IdempotencyRecord
    from wennuan.api.tests.test_api import client_for, not_warm_body

    area = make_area()
    client = client_for(area.dispatcher)
    filed = client.post(
        "/api/v1/requests/", not_warm_body(area), format="json", HTTP_IDEMPOTENCY_KEY="keep-1"
    )
    assert filed.status_code == 201
    record = IdempotencyRecord.objects.get(key="keep-1")
    assert record.response["number"] == filed.json()["number"]
    _finished(ServiceRequest.objects.get(number=filed.json()["number"]))

    erase_household_personal_data(area.household, by=area.supervisor, reason="居民书面申请")

    assert not IdempotencyRecord.objects.filter(pk=record.pk).exists()
