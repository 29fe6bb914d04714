"""Delivery through a real HTTP SMS gateway: success, errors, retries with backoff, giving up."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction

from wennuan.notify.choices import Channel, DeliveryOutcome, NotificationStatus, Template
from wennuan.notify.models import Notification
from wennuan.notify.services import deliver_due, deliver_notification, retry_delay
from wennuan.notify.tests.conftest import GATEWAY_KEY
from wennuan.notify.tests.factories import PHONE, queue_sms

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)


def test_message_goes_through_the_gateway_with_the_bearer_key_and_json_body(sms_gateway):
    with time_machine.travel(START, tick=False):
        notification = queue_sms()

        outcome = deliver_notification(notification_id=notification.pk)

    assert outcome == DeliveryOutcome.SENT
    [request] = sms_gateway.requests
    assert request.method == "POST"
    assert request.path == "/sms/send"
    assert request.headers["authorization"] == f"Bearer {GATEWAY_KEY}"
    assert request.headers["content-type"].startswith("application/json")
    assert request.body == {
        "to": PHONE,
        "text": "【问暖】我们已收到您的诉求（室温不达标），单号R2026-000123，将尽快安排专人处理。",
        "id": notification.pk,
    }
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.sent_at == START
    assert notification.attempts == 0


def test_gateway_error_keeps_the_message_pending_and_it_is_sent_after_the_backoff(sms_gateway):
    sms_gateway.status = 500
    with time_machine.travel(START, tick=False) as clock:
        notification = queue_sms()

        # when the gateway answers 500
        assert deliver_notification(notification_id=notification.pk) == DeliveryOutcome.RETRY

        # then the row waits, pending, for the first backoff step
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.PENDING
        assert notification.attempts == 1
        assert "HTTP 500" in notification.last_error
        assert notification.next_attempt_at == START + timedelta(seconds=30)
        assert notification.sent_at is None

        # and is not tried again before it is due
        sms_gateway.status = 200
        clock.shift(timedelta(seconds=29))
        assert deliver_due() == 0
        assert len(sms_gateway.requests) == 1

        # once due, the sweep sends it
        clock.shift(timedelta(seconds=1))
        assert deliver_due() == 1

    assert len(sms_gateway.requests) == 2
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.sent_at == START + timedelta(seconds=30)
    assert notification.attempts == 1


def test_gateway_down_loses_nothing(sms_gateway):
    with time_machine.travel(START, tick=False) as clock:
        notification = queue_sms()
        sms_gateway.stop()

        assert deliver_due() == 0

        notification.refresh_from_db()
        assert notification.status == NotificationStatus.PENDING
        assert notification.attempts == 1
        assert "unreachable" in notification.last_error
        assert "Connection refused" in notification.last_error
        assert notification.next_attempt_at == START + timedelta(seconds=30)

        # the gateway comes back on the same address; the next sweep after the backoff sends
        sms_gateway.start()
        clock.shift(timedelta(minutes=1))
        assert deliver_due() == 1

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert [r.body["id"] for r in sms_gateway.requests] == [notification.pk]


def test_message_is_given_up_after_the_maximum_number_of_attempts(sms_gateway, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    sms_gateway.status = 503
    with time_machine.travel(START, tick=False) as clock:
        notification = queue_sms()

        outcomes = []
        for _ in range(3):
            outcomes.append(deliver_notification(notification_id=notification.pk))
            clock.shift(timedelta(hours=1))
        later = deliver_due()

    assert outcomes == [DeliveryOutcome.RETRY, DeliveryOutcome.RETRY, DeliveryOutcome.FAILED]
    assert later == 0
    assert len(sms_gateway.requests) == 3, "nothing is sent once the message is given up"
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == 3
    assert "HTTP 503" in notification.last_error


def test_backoff_doubles_from_the_base_and_is_capped_at_an_hour(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    delays = [retry_delay(attempts=n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_second_delivery_of_a_sent_message_sends_nothing(sms_gateway):
    notification = queue_sms()
    assert deliver_notification(notification_id=notification.pk) == DeliveryOutcome.SENT

    assert deliver_notification(notification_id=notification.pk) == DeliveryOutcome.SKIPPED
    assert deliver_due() == 0
    assert len(sms_gateway.requests) == 1


def test_delivery_of_a_missing_notification_does_nothing(sms_gateway):
    assert deliver_notification(notification_id=987654) == DeliveryOutcome.SKIPPED
    assert sms_gateway.requests == []


def test_sweep_sends_every_due_message_oldest_first(sms_gateway):
    with time_machine.travel(START, tick=False) as clock:
        first = queue_sms(context={"number": "R1", "category": "漏水"}, related_key="R1")
        clock.shift(timedelta(seconds=1))
        second = queue_sms(context={"number": "R2", "category": "不热"}, related_key="R2")
        clock.shift(timedelta(seconds=1))

        assert deliver_due() == 2

    assert [r.body["id"] for r in sms_gateway.requests] == [first.pk, second.pk]
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}


def test_sweep_stops_trying_a_failing_channel_but_still_sends_the_others(sms_gateway, mailoutbox):
    with time_machine.travel(START, tick=False):
        sms = [queue_sms() for _ in range(5)]
        email = queue_sms(channel=Channel.EMAIL, recipient="owner@example.com")
        sms_gateway.stop()

        # when the SMS gateway is down during a sweep
        sent = deliver_due()

    # then three SMS are tried and fail, the other two wait untouched for the next sweep,
    # and the e-mail goes out regardless
    assert sent == 1
    assert len(mailoutbox) == 1
    attempts = sorted(
        Notification.objects.filter(pk__in=[n.pk for n in sms]).values_list("attempts", flat=True)
    )
    assert attempts == [0, 0, 1, 1, 1]
    assert Notification.objects.get(pk=email.pk).status == NotificationStatus.SENT
    assert Notification.objects.filter(status=NotificationStatus.PENDING).count() == 5


def test_slow_gateway_times_out_and_the_message_stays_pending(sms_gateway, settings):
    settings.NOTIFY_SMS_TIMEOUT_SECONDS = 1
    sms_gateway.delay = 1.5
    notification = queue_sms()

    assert deliver_notification(notification_id=notification.pk) == DeliveryOutcome.RETRY

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert "did not answer within 1 s" in notification.last_error


def test_gateway_redirect_is_not_followed(sms_gateway):
    sms_gateway.status = 302
    sms_gateway.headers = {"Location": "http://127.0.0.1:9/elsewhere"}
    notification = queue_sms()

    assert deliver_notification(notification_id=notification.pk) == DeliveryOutcome.RETRY

    notification.refresh_from_db()
    assert "HTTP 302" in notification.last_error
    assert len(sms_gateway.requests) == 1


def test_gateway_rejecting_the_key_is_recorded_with_its_answer(sms_gateway, settings):
    settings.NOTIFY_SMS_GATEWAY_KEY = "wrong"
    sms_gateway.status = 401
    notification = queue_sms()

    deliver_notification(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.last_error == 'SMS gateway answered HTTP 401 Unauthorized: {"ok": false}'
    assert "wrong" not in notification.last_error, "the key is never written to the row"


@pytest.mark.django_db(transaction=True)
def test_message_being_sent_by_one_worker_is_not_sent_by_another(sms_gateway):
    # given a worker in the middle of a slow gateway call
    sms_gateway.delay = 1.0
    notification = queue_sms()
    outcomes: dict[str, str] = {}

    def first_worker() -> None:
        try:
            outcomes["first"] = deliver_notification(notification_id=notification.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    while not sms_gateway.requests:
        threading.Event().wait(0.01)

    # when a second worker (the sweep) looks at the same row meanwhile
    outcomes["second"] = deliver_notification(notification_id=notification.pk)
    swept = deliver_due()
    worker.join()

    # then only the first sends it, and the second was not kept waiting on a lock
    assert outcomes == {"first": DeliveryOutcome.SENT, "second": DeliveryOutcome.SKIPPED}
    assert swept == 0
    assert len(sms_gateway.requests) == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT


def test_email_goes_through_the_email_backend_with_a_subject(mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "noreply@wennuan.example"
    notification = queue_sms(
        channel=Channel.EMAIL,
        recipient="resident@example.com",
        template=Template.REQUEST_RESOLVED,
        context={"number": "R9", "confirm_url": "https://wennuan.example/track/"},
        language="en",
    )

    assert deliver_notification(notification_id=notification.pk) == DeliveryOutcome.SENT

    [message] = mailoutbox
    assert message.to == ["resident@example.com"]
    assert message.from_email == "noreply@wennuan.example"
    assert message.subject == "Request R9 resolved"
    assert "https://wennuan.example/track/" in message.body


@pytest.mark.django_db(transaction=True)
def test_row_locked_by_another_worker_is_skipped_without_waiting(sms_gateway):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises whole transactions instead")
    notification = queue_sms()
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=notification.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert locked.wait(10)
    try:
        outcome = deliver_notification(notification_id=notification.pk)
    finally:
        release.set()
        worker.join()

    assert outcome == DeliveryOutcome.SKIPPED
    assert sms_gateway.requests == []
    assert deliver_notification(notification_id=notification.pk) == DeliveryOutcome.SENT


def test_gateway_credentials_in_the_url_never_reach_the_error(sms_gateway, settings):
    settings.NOTIFY_SMS_GATEWAY_URL = sms_gateway.url + "?appkey=s3cret"
    sms_gateway.stop()
    notification = queue_sms()

    deliver_notification(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.last_error.startswith(f"SMS gateway unreachable at {sms_gateway.url}:")
    assert "s3cret" not in notification.last_error
