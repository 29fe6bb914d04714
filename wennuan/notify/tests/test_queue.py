"""Queueing: checked up front, written in the caller's transaction, delivered after commit."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django.utils.translation import gettext_lazy
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from wennuan.core.tests.task_queue import (
    purge_the_queue,
    queued_count,
    result_of,
    run_queued_tasks,
)
from wennuan.notify.choices import Channel, Language, NotificationStatus, Template
from wennuan.notify.messages import MissingContextError
from wennuan.notify.models import Notification
from wennuan.notify.tasks import deliver_due_task
from wennuan.notify.tests.factories import PHONE, queue_sms

DELIVER_TASK = "wennuan.notify.tasks.deliver_notifications_task"


class Rollback(Exception):
    pass


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_queues_nothing(sms_gateway):
    with pytest.raises(Rollback), transaction.atomic():
        queue_sms()
        raise Rollback

    assert not Notification.objects.exists()
    assert queued_count() == 0
    run_queued_tasks()
    assert sms_gateway.requests == []


@pytest.mark.django_db(transaction=True)
def test_the_delivery_task_commits_with_the_callers_transaction(sms_gateway):
    """The database task backend writes the task row in the same transaction as the message,
    so a worker (another connection) sees neither until the caller commits."""
    with transaction.atomic():
        queue_sms()
        assert DBTaskResult.objects.filter(task_path=DELIVER_TASK).count() == 1
        assert tasks_seen_by_another_connection() == 0

    assert tasks_seen_by_another_connection() == 1


def tasks_seen_by_another_connection() -> int:
    """What a worker would see: a count made on a new connection, in another thread."""
    seen: list[int] = []

    def count() -> None:
        try:
            seen.append(DBTaskResult.objects.filter(task_path=DELIVER_TASK).count())
        finally:
            connection.close()

    worker = threading.Thread(target=count)
    worker.start()
    worker.join()
    return seen[0]


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_committed_message_is_enqueued_and_a_worker_delivers_it(sms_gateway, enqueued_tasks):
    with transaction.atomic():
        notification = queue_sms()

    (task,) = [t for t in enqueued_tasks if t.task.module_path == DELIVER_TASK]
    assert task.args == [] and task.kwargs == {"notification_ids": [notification.pk]}
    assert queued_count() == 1

    run_queued_tasks()

    assert [r.body["id"] for r in sms_gateway.requests] == [notification.pk]
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    stored = result_of(task.id)
    assert stored.status == TaskResultStatus.SUCCESSFUL
    assert stored.return_value == ["sent"]


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_sweep_task_delivers_what_the_fast_path_missed(sms_gateway):
    # given a queued message whose delivery task was lost (e.g. the queue was purged)
    notification = queue_sms()
    purge_the_queue()
    assert queued_count() == 0

    sweep = deliver_due_task.enqueue()
    run_queued_tasks()

    assert [r.body["id"] for r in sms_gateway.requests] == [notification.pk]
    assert result_of(sweep.id).return_value == 1


@pytest.mark.django_db
def test_missing_context_fails_at_queue_time_and_writes_nothing():
    with pytest.raises(MissingContextError, match="needs context category"):
        queue_sms(context={"number": "R1"})
    assert not Notification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("recipient", ["", "   "])
def test_empty_recipient_is_refused(recipient):
    with pytest.raises(ValueError, match="needs a recipient"):
        queue_sms(recipient=recipient)
    assert not Notification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "recipient", "message"),
    [
        (Channel.SMS, "12345", "not a phone number"),
        (Channel.SMS, "resident@example.com", "not a phone number"),
        (Channel.EMAIL, PHONE, "not an e-mail address"),
    ],
)
def test_recipient_that_does_not_fit_the_channel_is_refused(channel, recipient, message):
    with pytest.raises(ValueError, match=message):
        queue_sms(channel=channel, recipient=recipient)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_phone_number_is_stored_in_its_normal_form():
    assert queue_sms(recipient="+86 138-0013-8000").recipient == PHONE


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("channel", "fax", "unknown notification channel"),
        ("template", "birthday", "unknown notification template"),
        ("language", "fr", "unsupported notification language"),
        ("related_key", "R" * 65, "related_key is longer than 64"),
    ],
)
def test_unknown_channel_template_or_language_is_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        queue_sms(**{field: value})
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_regional_language_variant_is_stored_as_ours():
    assert queue_sms(language="en-us").language == Language.EN
    assert queue_sms(language="zh-CN").language == Language.ZH_HANS


@pytest.mark.django_db
def test_times_and_lazy_text_in_the_context_are_written_out_in_the_message_language():
    when = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    context = {"number": "R7", "when": when, "staff_name": gettext_lazy("Repair")}

    zh = queue_sms(template=Template.VISIT_SCHEDULED, context=context, language="zh-hans")
    en = queue_sms(template=Template.VISIT_SCHEDULED, context=context, language="en")

    assert zh.context == {"number": "R7", "when": "12月1日 08:30", "staff_name": "维修"}
    assert en.context == {"number": "R7", "when": "1 Dec 08:30", "staff_name": "Repair"}
    assert (
        queue_sms(
            template=Template.WORK_ESCALATED,
            context={"number": "R7", "reason": "超时", "due": date(2026, 12, 2)},
        ).context["due"]
        == "12月2日"
    )


@pytest.mark.django_db
def test_context_value_that_cannot_be_stored_is_refused():
    with pytest.raises(ValueError, match="'category' must be text"):
        queue_sms(context={"number": "R1", "category": object()})
    with pytest.raises(ValueError, match="naive datetime"):
        queue_sms(
            template=Template.VISIT_SCHEDULED,
            context={"number": "R1", "when": datetime(2026, 12, 1, 8), "staff_name": "王"},
        )
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_queued_message_is_pending_and_due_at_once():
    notification = queue_sms()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 0
    assert notification.next_attempt_at <= notification.created_at
    assert list(Notification.objects.filter(related_key="R2026-000123")) == [notification]
