"""State changes of the notification outbox: queueing messages and delivering them.

Delivery is at-least-once: a worker that dies after the gateway accepted a message
but before the row was marked sent leaves it pending, and it is sent again when its
lease runs out. Everything else (a gateway that is down, slow or answering errors)
only delays a message; the row stays in the outbox until it is sent or given up.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from wennuan.core.queueing import enqueue_with_commit
from wennuan.core.validators import is_valid_phone, normalise_phone
from wennuan.notify.choices import (
    Channel,
    DeliveryOutcome,
    Language,
    NotificationStatus,
    Template,
)
from wennuan.notify.messages import render, render_subject
from wennuan.notify.models import RELATED_KEY_LENGTH, Notification
from wennuan.notify.transports import DEFAULT_EMAIL_TIMEOUT_SECONDS, TransportError, transport_for

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=1)
# A claimed row is left alone for this long at least (and for twice the longest
# transport timeout if that is longer), so a live worker never loses its claim.
MIN_LEASE = timedelta(minutes=5)
# During one sweep, after this many failures in a row on one channel the rest of that
# channel waits for the next sweep: a gateway that times out must not hold the worker
# for (limit × timeout) seconds while the queue of sweeps grows behind it.
SWEEP_FAILURES_BEFORE_PAUSE = 3
LAST_ERROR_CHARS = 2000
# Messages queued inside queued_together(), not yet written.
_batch: ContextVar[list[Notification] | None] = ContextVar("notification_batch", default=None)
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def queue_notification(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: Mapping[str, Any],
    language: str = Language.ZH_HANS,
    related_key: str = "",
) -> Notification:
    """Put one message in the outbox, in the caller's transaction; deliver it once committed.

    Everything is checked here, so a bad call fails now and writes nothing: the channel,
    the recipient (a phone number for SMS, an address for e-mail), the template, the
    language, and the context, which is rendered once. Datetimes and dates in the
    context become local-time text in the message's language, lazy translations become
    text in that language. If the caller's transaction rolls back, nothing is queued.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown notification channel {channel!r}")
    if template not in Template.values:
        raise ValueError(f"unknown notification template {template!r}")
    language = _supported_language(language)
    if len(related_key) > RELATED_KEY_LENGTH:
        raise ValueError(f"related_key is longer than {RELATED_KEY_LENGTH}: {related_key!r}")
    recipient = _clean_recipient(channel=channel, recipient=recipient)
    plain = _plain_context(context, language=language)
    render(template, language, plain)
    render_subject(template, language, plain)
    notification = Notification(
        channel=channel,
        recipient=recipient,
        template=template,
        context=plain,
        language=language,
        related_key=related_key,
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(notification)  # written by queued_together() as it closes
        return notification
    notification.save()
    _deliver_after_commit([notification.pk])
    return notification


@contextmanager
def queued_together() -> Iterator[None]:
    """Write the messages queued inside in one insert, with one delivery task for all.

    For a change that notifies several people at once (a new request tells the resident
    and the assignee): fewer statements and one task row instead of one per message.
    Messages queued inside have no primary key until the block ends; if the block
    raises, none of them is written.
    """
    pending: list[Notification] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    if pending:
        Notification.objects.bulk_create(pending)
        _deliver_after_commit([n.pk for n in pending])


def _deliver_after_commit(notification_ids: list[int]) -> None:
    from wennuan.notify.tasks import deliver_notifications_task

    # If the queue is unreachable after commit, the periodic sweep delivers the rows instead.
    enqueue_with_commit(deliver_notifications_task, notification_ids=notification_ids)


def _clean_recipient(*, channel: str, recipient: str) -> str:
    recipient = (recipient or "").strip()
    if not recipient:
        raise ValueError("a notification needs a recipient (empty phone number or address)")
    if channel == Channel.EMAIL:
        try:
            validate_email(recipient)
        except ValidationError as exc:
            raise ValueError(f"{recipient!r} is not an e-mail address") from exc
        return recipient
    phone = normalise_phone(recipient)
    if not is_valid_phone(phone):
        raise ValueError(
            f"{recipient!r} is not a phone number (11-digit mobile, or landline with area code)"
        )
    return phone


def _supported_language(language: str) -> str:
    """``language`` as one of ours: "en-us" is "en", "zh-cn" is "zh-hans"."""
    try:
        variant = translation.get_supported_language_variant(language.lower())
    except LookupError:
        variant = ""
    if variant not in Language.values:
        raise ValueError(f"unsupported notification language {language!r}")
    return variant


def _plain_context(context: Mapping[str, Any], *, language: str) -> dict[str, Any]:
    """The context as JSON values, with times and lazy text written out in ``language``."""
    plain: dict[str, Any] = {}
    with translation.override(language):
        for key, value in context.items():
            if not isinstance(key, str):
                raise ValueError(f"context keys must be text, not {key!r}")
            plain[key] = _plain_value(key, value, language=language)
    return plain


def _plain_value(key: str, value: Any, *, language: str) -> Any:
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValueError(f"context {key!r} is a naive datetime; pass an aware one")
        local = timezone.localtime(value)
        if language == Language.EN:
            return f"{local.day} {EN_MONTHS[local.month - 1]} {local:%H:%M}"
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    if isinstance(value, date):
        if language == Language.EN:
            return f"{value.day} {EN_MONTHS[value.month - 1]}"
        return f"{value.month}月{value.day}日"
    if isinstance(value, Promise | Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float):
        return value
    raise ValueError(
        f"context {key!r} must be text, a number, a date or a datetime, not {type(value).__name__}"
    )


def retry_delay(*, attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: doubling, at most an hour."""
    seconds = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


def _lease() -> timedelta:
    email_timeout = settings.EMAIL_TIMEOUT or DEFAULT_EMAIL_TIMEOUT_SECONDS
    longest = max(settings.NOTIFY_SMS_TIMEOUT_SECONDS, email_timeout)
    return max(MIN_LEASE, timedelta(seconds=2 * longest))


def deliver_notification(*, notification_id: int) -> str:
    """Send one notification if it is pending and due; returns a ``DeliveryOutcome``.

    Three short steps, so that no transaction is open during the network call:

    1. claim: lock the row, skipping it if another worker holds the lock (PostgreSQL;
       on SQLite the IMMEDIATE transaction serialises claims), and move its
       next_attempt_at forward by the lease, so no other worker takes it meanwhile;
    2. send it through the channel's transport, outside any transaction;
    3. record the result: SENT, or one more failed attempt with exponential backoff,
       FAILED once NOTIFY_MAX_ATTEMPTS attempts have failed.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = Notification.objects.filter(
            pk=notification_id, status=NotificationStatus.PENDING, next_attempt_at__lte=now
        )
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        notification = rows.order_by().first()
        if notification is None:
            return DeliveryOutcome.SKIPPED
        try:
            text = render(notification.template, notification.language, notification.context)
            subject = render_subject(
                notification.template, notification.language, notification.context
            )
        except ValueError as exc:
            # The texts changed since the row was queued; no retry can fix that.
            notification.status = NotificationStatus.FAILED
            notification.last_error = f"cannot render the message: {exc}"[:LAST_ERROR_CHARS]
            notification.save(update_fields=["status", "last_error"])
            logger.error("notification %s given up: %s", notification.pk, exc)
            return DeliveryOutcome.FAILED
        transport = transport_for(notification.channel)
        notification.next_attempt_at = now + _lease()
        notification.save(update_fields=["next_attempt_at"])

    try:
        transport.send(notification, text, subject)
    except TransportError as exc:
        return _record_failure(notification_id=notification.pk, error=str(exc))
    except Exception as exc:
        # A bug in a transport still counts as a failed attempt, so the row ends up
        # FAILED and visible instead of being retried for ever at each lease expiry.
        logger.exception("notification %s: unexpected error in transport", notification.pk)
        return _record_failure(
            notification_id=notification.pk, error=f"{type(exc).__name__}: {exc}"
        )
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SENT, sent_at=timezone.now()
    )
    return DeliveryOutcome.SENT


def _record_failure(*, notification_id: int, error: str) -> DeliveryOutcome:
    """Count one failed attempt: retry later with backoff, or give up at the limit."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, status=NotificationStatus.PENDING)
            .first()
        )
        if notification is None:
            # Our lease ran out and another worker has since finished the row.
            return DeliveryOutcome.SKIPPED
        notification.attempts += 1
        notification.last_error = error[:LAST_ERROR_CHARS]
        if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            notification.status = NotificationStatus.FAILED
            outcome = DeliveryOutcome.FAILED
        else:
            delay = retry_delay(attempts=notification.attempts)
            notification.next_attempt_at = timezone.now() + delay
            outcome = DeliveryOutcome.RETRY
        notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
    logger.warning(
        "notification %s attempt %s failed (%s): %s",
        notification_id,
        notification.attempts,
        outcome,
        error,
    )
    return outcome


def deliver_due(*, limit: int = 200) -> int:
    """Deliver up to ``limit`` pending notifications that are due, oldest first.

    The periodic sweep behind the after-commit fast path: it sends what that path
    missed (a worker that was down, an enqueue that failed) and what is due for a
    retry. Returns how many were sent.
    """
    due = list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "channel")[:limit]
    )
    sent = 0
    failures_in_a_row: Counter[str] = Counter()
    for notification_id, channel in due:
        if failures_in_a_row[channel] >= SWEEP_FAILURES_BEFORE_PAUSE:
            continue
        outcome = deliver_notification(notification_id=notification_id)
        if outcome == DeliveryOutcome.SENT:
            sent += 1
            failures_in_a_row[channel] = 0
        elif outcome in {DeliveryOutcome.RETRY, DeliveryOutcome.FAILED}:
            failures_in_a_row[channel] += 1
    return sent
