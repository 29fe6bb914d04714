"""Transports chosen by settings; the console transport's outbox log."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from wennuan.notify.checks import check_sms_transport
from wennuan.notify.choices import Channel, DeliveryOutcome, NotificationStatus
from wennuan.notify.models import Notification
from wennuan.notify.services import deliver_notification
from wennuan.notify.tests.factories import PHONE, queue_sms
from wennuan.notify.transports import (
    ConsoleTransport,
    EmailTransport,
    HttpSmsTransport,
    transport_for,
)


@pytest.mark.django_db
def test_console_transport_appends_each_message_to_the_outbox_log(settings, tmp_path):
    settings.NOTIFY_SMS_TRANSPORT = "console"
    settings.VAR_DIR = tmp_path / "var"
    first = queue_sms()
    second = queue_sms(context={"number": "R2", "category": "第一行\n第二行"})

    assert deliver_notification(notification_id=first.pk) == DeliveryOutcome.SENT
    assert deliver_notification(notification_id=second.pk) == DeliveryOutcome.SENT

    lines = (tmp_path / "var" / "outbox.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2, "a newline in the text does not split the record"
    fields = lines[0].split("\t")
    assert fields[1:5] == [str(first.pk), "sms", PHONE, "request_received"]
    assert fields[-1].startswith("【问暖】我们已收到您的诉求（室温不达标）")
    assert "第一行\\n第二行" in lines[1]
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 2


def test_transport_is_chosen_by_channel_and_settings(settings):
    settings.NOTIFY_SMS_TRANSPORT = "console"
    assert isinstance(transport_for(Channel.SMS), ConsoleTransport)
    assert isinstance(transport_for(Channel.EMAIL), EmailTransport)
    settings.NOTIFY_SMS_TRANSPORT = "http"
    settings.NOTIFY_SMS_GATEWAY_URL = "https://sms.example/send"
    assert isinstance(transport_for(Channel.SMS), HttpSmsTransport)
    with pytest.raises(ValueError, match="unknown notification channel"):
        transport_for("fax")


def test_unknown_sms_transport_is_a_configuration_error(settings):
    settings.NOTIFY_SMS_TRANSPORT = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="NOTIFY_SMS_TRANSPORT"):
        transport_for(Channel.SMS)
    assert [e.id for e in check_sms_transport()] == ["notify.E001"]


def test_http_transport_without_a_gateway_url_fails_the_system_check(settings):
    settings.NOTIFY_SMS_TRANSPORT = "http"
    settings.NOTIFY_SMS_GATEWAY_URL = ""
    assert [e.id for e in check_sms_transport()] == ["notify.E002"]
    settings.NOTIFY_SMS_GATEWAY_URL = "http://127.0.0.1:9000/send"
    assert check_sms_transport() == []


@pytest.mark.django_db
def test_http_transport_without_a_gateway_url_keeps_the_message_pending(settings):
    settings.NOTIFY_SMS_TRANSPORT = "http"
    settings.NOTIFY_SMS_GATEWAY_URL = ""
    notification = queue_sms()

    assert deliver_notification(notification_id=notification.pk) == DeliveryOutcome.RETRY

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.last_error == "NOTIFY_SMS_GATEWAY_URL is not set"
