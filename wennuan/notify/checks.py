"""System checks: a mistyped notification setting stops start-up, not the first message."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_sms_transport(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """NOTIFY_SMS_TRANSPORT names a known transport; "http" needs a gateway URL."""
    from wennuan.notify.transports import SMS_TRANSPORTS

    kind = settings.NOTIFY_SMS_TRANSPORT
    if kind not in SMS_TRANSPORTS:
        return [
            Error(
                f"NOTIFY_SMS_TRANSPORT is {kind!r}.",
                hint=f"Use one of: {', '.join(SMS_TRANSPORTS)}.",
                id="notify.E001",
            )
        ]
    if kind == "http" and urlsplit(settings.NOTIFY_SMS_GATEWAY_URL).scheme not in {"http", "https"}:
        return [
            Error(
                "NOTIFY_SMS_TRANSPORT is 'http' but NOTIFY_SMS_GATEWAY_URL is not an http(s) URL.",
                hint="Set NOTIFY_SMS_GATEWAY_URL (and NOTIFY_SMS_GATEWAY_KEY) to the gateway's.",
                id="notify.E002",
            )
        ]
    return []
