"""Django admin for the notification outbox: a read-only view of what was sent, and how."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wennuan.core.privacy import masked_column
from wennuan.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = [
        "created_at",
        "channel",
        masked_column("recipient", _("recipient")),
        "template",
        "related_key",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "template"]
    search_fields = ["=recipient", "=related_key"]
    date_hierarchy = "created_at"
    # The outbox is written by services only: an edit here could resend or lose a message.
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
