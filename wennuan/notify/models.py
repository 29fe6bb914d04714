"""The notification outbox: every message is a row first, delivered after commit.

A row is written in the same transaction as the change it reports, so a message
exists exactly when its cause does; the worker delivers it afterwards and retries
with backoff, so a gateway that is down delays messages but loses none.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wennuan.notify.choices import Channel, Language, NotificationStatus, Template

RELATED_KEY_LENGTH = 64


class Notification(models.Model):
    """One message to one recipient over one channel, and how its delivery went."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(
        _("recipient"),
        max_length=254,
        db_index=True,
        help_text=_("A phone number or an e-mail address."),
    )
    template = models.CharField(_("template"), max_length=32, choices=Template.choices)
    context = models.JSONField(_("context"), default=dict, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    # Also the delivery lease: a worker that takes a row moves this forward before it
    # sends, so no other worker picks the row up while the gateway call is in flight.
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    related_key = models.CharField(
        _("related to"),
        max_length=RELATED_KEY_LENGTH,
        blank=True,
        default="",
        help_text=_("What the message is about, e.g. a request number; history pages list by it."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_due"),
            models.Index(fields=["related_key", "created_at"], name="notify_related"),
        ]

    def __str__(self) -> str:
        return f"{self.get_template_display()} → {self.recipient}"
