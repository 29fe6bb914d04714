"""Background tasks of the notification outbox."""

from __future__ import annotations

from django_tasks import task

from wennuan.notify.services import deliver_due, deliver_notification


@task()
def deliver_notifications_task(notification_ids: list[int]) -> list[str]:
    """Send queued notifications (enqueued after commit by ``queue_notification``).

    One outcome per id, in order; a message that fails here waits for its retry.
    """
    return [str(deliver_notification(notification_id=pk)) for pk in notification_ids]


@task()
def deliver_due_task() -> int:
    """Every minute: send what is due, retries included; returns how many were sent."""
    return deliver_due()
