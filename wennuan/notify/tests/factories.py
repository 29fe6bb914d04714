"""Small helpers that queue notifications the way callers do."""

from __future__ import annotations

from typing import Any

from wennuan.notify.choices import Channel, Template
from wennuan.notify.models import Notification
from wennuan.notify.services import queue_notification

PHONE = "13800138000"


def queue_sms(**overrides: Any) -> Notification:
    """Queue a REQUEST_RECEIVED SMS (any field can be overridden)."""
    fields: dict[str, Any] = {
        "channel": Channel.SMS,
        "recipient": PHONE,
        "template": Template.REQUEST_RECEIVED,
        "context": {"number": "R2026-000123", "category": "室温不达标"},
        "related_key": "R2026-000123",
    }
    fields.update(overrides)
    return queue_notification(**fields)
