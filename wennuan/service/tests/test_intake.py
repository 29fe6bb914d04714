"""Intake: one service function for every channel; bad input refused with nothing stored;
retries with the same idempotency key create exactly one request."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from wennuan.notify.models import Notification
from wennuan.service.choices import Priority, Status
from wennuan.service.models import RequestEvent, RequestPhoto, ServiceRequest
from wennuan.service.services import RequestInvalid, submit_request
from wennuan.service.tests.factories import category, file_not_warm, make_area

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def nothing_stored() -> bool:
    return (
        not ServiceRequest.objects.exists()
        and not RequestEvent.objects.exists()
        and not RequestPhoto.objects.exists()
    )


def refused(**kwargs) -> dict[str, list[str]]:
    with pytest.raises(RequestInvalid) as caught:
        submit_request(**kwargs)
    assert nothing_stored()
    return caught.value.errors


def test_request_gets_a_number_an_event_and_a_receipt_sms():
    area = make_area()
    result = file_not_warm(area.household, temperature="17.2")
    request = result.request
    assert result.created
    assert request.number and request.number.isdigit() and len(request.number) == 12
    assert str(request.measured_temperature) == "17.2"
    assert request.building == area.household.building and request.zone == area.zone
    assert RequestEvent.objects.filter(
        request=request, to_status=Status.SUBMITTED, public=True
    ).exists()
    assert Notification.objects.filter(
        recipient=area.household.phone, template="request_received"
    ).exists()


def test_below_16_degrees_is_more_urgent_with_tighter_targets():
    area = make_area()
    warm = file_not_warm(area.household, temperature="17").request
    cold = file_not_warm(area.household, temperature="14").request
    assert cold.priority < warm.priority
    assert cold.resolution_due - cold.assigned_at < warm.resolution_due - warm.assigned_at


def test_vulnerable_household_is_more_urgent():
    area = make_area()
    area.household.vulnerable = True
    area.household.save()
    request = file_not_warm(area.household, temperature="18").request
    assert request.priority == Priority.URGENT


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"rooms_affected": "whole_home"}, "attribute[indoor_temperature]"),  # missing required
        (
            {"indoor_temperature": "41", "rooms_affected": "whole_home"},
            "attribute[indoor_temperature]",
        ),
        (
            {"indoor_temperature": "-11", "rooms_affected": "whole_home"},
            "attribute[indoor_temperature]",
        ),
        (
            {"indoor_temperature": "warm", "rooms_affected": "whole_home"},
            "attribute[indoor_temperature]",
        ),
        ({"indoor_temperature": "15", "rooms_affected": "garage"}, "attribute[rooms_affected]"),
        (
            {"indoor_temperature": "15", "rooms_affected": "whole_home", "since": "yesterday"},
            "attribute[since]",
        ),
        (
            {"indoor_temperature": "15", "rooms_affected": "whole_home", "colour": "red"},
            "attribute[colour]",
        ),
    ],
)
def test_bad_answers_are_refused_field_by_field(attributes, field):
    area = make_area()
    errors = refused(
        category=category(), household=area.household, channel="portal", attributes=attributes
    )
    assert field in errors


def test_description_over_4000_characters_is_refused():
    area = make_area()
    errors = refused(
        category=category("billing"),
        household=area.household,
        channel="portal",
        description="热" * 4001,
    )
    assert "description" in errors


def test_disabled_category_gives_its_message():
    area = make_area()
    errors = refused(category=category("gas_smell"), household=area.household, channel="portal")
    assert "119" in errors["category"][0]


def test_household_is_required_except_for_anonymous_hazards():
    area = make_area()
    from wennuan.grid.choices import Duty
    from wennuan.grid.tests.factories import assign, make_user
    from wennuan.people.choices import Role
    from wennuan.service.tests.factories import on_shift

    inspector = make_user(Role.INSPECTOR)
    assign(area.zone, Duty.INSPECTION, inspector)
    on_shift(inspector)
    assert "household" in refused(category=category("billing"), channel="portal")
    assert "location" in refused(
        category=category("outdoor_hazard"), channel="portal", attributes={"hazard_kind": "steam"}
    )
    request = submit_request(
        category=category("outdoor_hazard"),
        channel="portal",
        attributes={"hazard_kind": "manhole"},
        location_text="福泰小区东门",
        latitude=37.5003,  # the test building stands at 37.5, 121.4
        longitude=121.4002,
    ).request
    assert request.household is None
    assert request.zone == area.zone
    assert request.assignee == inspector  # the inspection owner of the nearest building's zone


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        ([SimpleUploadedFile("a.jpg", b"GIF89a" + b"\x00" * 32)], "not a JPEG or PNG"),
        ([SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))], "5 MB"),
        ([SimpleUploadedFile(f"{i}.png", PNG) for i in range(4)], "At most 3"),
    ],
)
def test_bad_or_too_many_photos_are_refused(photos, message):
    area = make_area()
    errors = refused(
        category=category("radiator_leak"),
        household=area.household,
        channel="portal",
        attributes={"leak_size": "drip"},
        photos=photos,
    )
    assert message in " ".join(errors["photos"])


def test_photos_checked_by_content_are_stored(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    area = make_area()
    request = submit_request(
        category=category("radiator_leak"),
        household=area.household,
        channel="portal",
        attributes={"leak_size": "steady"},
        photos=[SimpleUploadedFile("photo.gif", JPEG), SimpleUploadedFile("x", PNG)],
    ).request
    assert sorted(request.photos.values_list("content_type", flat=True)) == [
        "image/jpeg",
        "image/png",
    ]


def test_retry_with_the_same_key_returns_the_first_request():
    area = make_area()
    first = file_not_warm(area.household, idempotency_key="phone-abc-1")
    again = file_not_warm(area.household, idempotency_key="phone-abc-1")
    assert first.created and not again.created
    assert again.request.pk == first.request.pk
    assert ServiceRequest.objects.count() == 1
    assert Notification.objects.filter(template="request_received").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_exactly_one_request():
    area = make_area()
    results, errors = [], []

    def submit() -> None:
        try:
            results.append(file_not_warm(area.household, idempotency_key="double-tap").request.pk)
        except Exception as exc:  # the test reports it below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert ServiceRequest.objects.count() == 1


def test_channel_and_filer_are_recorded_for_staff_on_behalf():
    from wennuan.grid.tests.factories import make_user
    from wennuan.people.choices import Role

    area = make_area()
    agent = make_user(Role.AGENT)
    request = file_not_warm(area.household, channel="hotline", created_by=agent).request
    assert request.channel == "hotline" and request.created_by == agent
    assert RequestEvent.objects.get(request=request, to_status=Status.SUBMITTED).actor == agent


def test_messages_speak_the_residents_language_not_the_staff_pages():
    area = make_area()
    english = file_not_warm(area.household, language="en").request
    # The tests run with English active, as an agent's English page would.
    hotline = file_not_warm(area.household, channel="hotline").request
    received = Notification.objects.filter(template="request_received")
    sent = dict(received.values_list("related_key", "language"))
    assert sent[english.number] == "en"
    assert sent[hotline.number] == "zh-hans"
    staff_message = Notification.objects.get(template="work_assigned", related_key=english.number)
    assert staff_message.language == "zh-hans"
    assert "室温不达标" in staff_message.context["category"]


def test_a_photo_is_served_only_to_those_who_may_see_its_request(client, settings, tmp_path):
    from django.urls import reverse

    from wennuan.grid.tests.factories import make_user
    from wennuan.people.choices import Role

    settings.MEDIA_ROOT = tmp_path
    area = make_area()
    request = submit_request(
        category=category(),
        household=area.household,
        channel="portal",
        attributes={"indoor_temperature": "15", "rooms_affected": "whole_home"},
        photos=[SimpleUploadedFile("x.png", PNG)],
    ).request
    photo = request.photos.get()
    url = reverse("service:photo", args=[photo.pk])
    client.force_login(area.owner)
    answer = client.get(url)
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == PNG
    assert answer["Content-Type"] == "image/png"
    client.force_login(make_user(Role.TECHNICIAN))  # another zone
    assert client.get(url).status_code == 404
