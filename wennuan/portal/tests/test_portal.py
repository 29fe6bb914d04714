"""The resident portal through its pages: verify by SMS code, file, track, confirm, rate."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from wennuan.notify.models import Notification
from wennuan.portal.models import VerificationCode
from wennuan.service.choices import Status
from wennuan.service.models import ServiceRequest
from wennuan.service.tests.factories import make_area

pytestmark = pytest.mark.django_db


def sent_code(phone: str) -> str:
    message = Notification.objects.filter(recipient=phone, template="otp_code").latest("pk")
    return str(message.context["code"])


def verify(client, household, phone=None) -> None:
    response = client.post(
        reverse("portal:verify"),
        {"account_number": household.account_number, "phone": phone or household.phone},
    )
    assert response.status_code == 302, response.content.decode()
    response = client.post(reverse("portal:verify_code"), {"code": sent_code(household.phone)})
    assert response.status_code == 302


@pytest.fixture
def area():
    return make_area()


def test_unknown_account_and_wrong_phone_get_field_messages(client, area):
    response = client.post(
        reverse("portal:verify"),
        {"account_number": "NOPE123", "phone": "13800000000"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "We have no account NOPE123" in response.context["form"].errors["account_number"][0]
    response = client.post(
        reverse("portal:verify"),
        {"account_number": area.household.account_number, "phone": "13811112222"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "not registered" in response.context["form"].errors["phone"][0]
    assert not VerificationCode.objects.exists()
    assert not Notification.objects.exists()


def test_wrong_code_counts_attempts_and_locks_after_the_limit(client, area, settings):
    settings.OTP_MAX_ATTEMPTS = 3
    client.post(
        reverse("portal:verify"),
        {"account_number": area.household.account_number, "phone": area.household.phone},
    )
    right = sent_code(area.household.phone)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(3):
        response = client.post(
            reverse("portal:verify_code"), {"code": wrong}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 200
    assert VerificationCode.objects.get().attempts == 3
    response = client.post(
        reverse("portal:verify_code"), {"code": right}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Too many wrong codes" in response.context["form"].errors["code"][0]
    assert client.get(reverse("portal:categories")).status_code == 302  # still not verified


def test_expired_code_is_refused(client, area):
    client.post(
        reverse("portal:verify"),
        {"account_number": area.household.account_number, "phone": area.household.phone},
    )
    code = sent_code(area.household.phone)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.post(
            reverse("portal:verify_code"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert "expired" in response.context["form"].errors["code"][0]


def test_resident_files_not_warm_and_gets_a_number_once_despite_a_double_tap(client, area):
    verify(client, area.household)
    page = client.get(reverse("portal:new_request", args=["not_warm"]))
    key = page.context["form"].initial["idempotency_key"]
    data = {
        "attr_indoor_temperature": "14",
        "attr_rooms_affected": "whole_home",
        "description": "暖气不热",
        "idempotency_key": key,
    }
    first = client.post(reverse("portal:new_request", args=["not_warm"]), data)
    second = client.post(reverse("portal:new_request", args=["not_warm"]), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    request = ServiceRequest.objects.get()
    assert request.channel == "portal" and request.assignee == area.owner
    detail = client.get(first["Location"])
    assert request.number in detail.content.decode()
    # The page confirms the new number in large type (zh by default).
    assert f"您的诉求单号是 {request.number}" in detail.content.decode()
    assert (
        'data-testid="filed"'
        not in client.get(reverse("portal:request", args=[request.number])).content.decode()
    )


def test_too_many_submissions_from_one_address_get_429_and_store_nothing(client, area, settings):
    settings.PORTAL_RATE_PER_MINUTE_IP = 2
    for _ in range(2):
        client.post(
            reverse("portal:verify"),
            {"account_number": area.household.account_number, "phone": "13000000000"},
        )
    codes = VerificationCode.objects.count()
    refused = client.post(
        reverse("portal:verify"),
        {"account_number": area.household.account_number, "phone": area.household.phone},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Please try again in" in refused.content.decode()
    assert VerificationCode.objects.count() == codes
    # Reading pages is not limited.
    assert client.get(reverse("portal:verify")).status_code == 200


def test_bad_input_shows_field_messages_and_stores_nothing(client, area):
    verify(client, area.household)
    response = client.post(
        reverse("portal:new_request", args=["not_warm"]),
        {"attr_indoor_temperature": "55", "attr_rooms_affected": "", "description": "x" * 4001},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "from -10 to 40" in " ".join(errors["attr_indoor_temperature"])
    assert errors["attr_rooms_affected"]
    assert errors["description"]
    assert not ServiceRequest.objects.exists()


def test_disabled_category_shows_its_message_instead_of_a_form(client, area):
    verify(client, area.household)
    page = client.get(reverse("portal:categories")).content.decode()
    assert "119" in page
    direct = client.get(reverse("portal:new_request", args=["gas_smell"])).content.decode()
    assert "119" in direct and '<form method="post" enctype' not in direct
    response = client.post(reverse("portal:new_request", args=["gas_smell"]), {"description": "x"})
    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_track_by_number_and_phone_then_confirm_and_rate(client, area):
    from decimal import Decimal

    from wennuan.service.services import accept_request, resolve_request
    from wennuan.service.tests.factories import file_not_warm

    request = file_not_warm(area.household).request
    accept_request(request=request, actor=area.owner)
    resolve_request(
        request=request, actor=area.owner, note="换了阀门", measured_temperature=Decimal("19")
    )

    assert client.get(reverse("portal:request", args=[request.number])).status_code == 404
    wrong = client.post(reverse("portal:track"), {"number": request.number, "phone": "13800000000"})
    assert wrong.status_code == 400
    response = client.post(
        reverse("portal:track"), {"number": request.number, "phone": area.household.phone}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert area.owner.display_name in page
    assert area.owner.phone not in page  # the company does not show staff phones by default

    client.post(reverse("portal:request_action", args=[request.number, "confirm"]))
    client.post(
        reverse("portal:request_action", args=[request.number, "rate"]),
        {"rating": "5", "comment": "好"},
    )
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.rating == 5


def test_reopen_needs_a_reason(client, area):
    from decimal import Decimal

    from wennuan.service.services import accept_request, resolve_request
    from wennuan.service.tests.factories import file_not_warm

    request = file_not_warm(area.household).request
    accept_request(request=request, actor=area.owner)
    resolve_request(
        request=request, actor=area.owner, note="ok", measured_temperature=Decimal("19")
    )
    verify(client, area.household)
    client.post(reverse("portal:request_action", args=[request.number, "reopen"]), {"reason": ""})
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.RESOLVED
    client.post(
        reverse("portal:request_action", args=[request.number, "reopen"]), {"reason": "还是冷"}
    )
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ASSIGNED


def test_resident_sees_only_their_own_households_requests(client, area):
    from wennuan.grid.tests.factories import make_household
    from wennuan.service.tests.factories import file_not_warm

    neighbour = make_household(area.household.building, phone="13877776666")
    theirs = file_not_warm(neighbour).request
    verify(client, area.household)
    assert client.get(reverse("portal:request", args=[theirs.number])).status_code == 404
    mine = client.get(reverse("portal:my_requests")).content.decode()
    assert theirs.number not in mine


def test_anonymous_hazard_with_a_place(client, area):
    response = client.post(
        reverse("portal:hazard"),
        {
            "attr_hazard_kind": "manhole",
            "location_text": "福泰小区东门",
            "reporter_phone": "138-1234-0000",
        },
    )
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.household is None and request.reporter_phone == "13812340000"
    assert client.get(response["Location"]).status_code == 200


def test_request_number_format_is_digits_only(client, area):
    verify(client, area.household)
    client.post(
        reverse("portal:new_request", args=["billing"]),
        {"description": "发票", "idempotency_key": "k1"},
    )
    assert re.fullmatch(r"\d{12}", ServiceRequest.objects.get().number)


def test_hazard_without_a_place_marks_the_place_field(client, area):
    response = client.post(
        reverse("portal:hazard"), {"attr_hazard_kind": "steam"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "where the problem is" in response.context["place"].errors["location_text"][0]
    assert not ServiceRequest.objects.exists()
