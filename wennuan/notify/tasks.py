"""Background tasks of the notification outbox."""

from __future__ import annotations

from django_tasks import task

from wennuan.notify.services import deliver_due, deliver_notification


@task()
def deliver_notification_task(notification_id: int) -> str:
    """Send one queued notification (enqueued after commit by ``queue_notification``)."""
    return str(deliver_notification(notification_id=notification_id))


@task()
def deliver_due_task() -> int:
    """Every minute: send what is due, retries included; returns how many were sent."""
    return deliver_due()
