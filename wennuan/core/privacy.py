"""Personal data shown on screens: phone numbers are masked wherever a list shows them.

One function decides what a masked number looks like (``mask_phone``); templates use the
``masked_phone`` filter and the ``phone`` tag of ``{% load privacy %}``, the API and the
exports call ``mask_phone`` directly. Who may see a full number is decided per place (the
assigned technician on a work order, the caller assigned to a call): see
``wennuan.grid.privacy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MASK = "****"


def mask_phone(value: Any) -> str:
    """A phone number with its middle hidden: ``13812345678`` → ``138****5678``.

    At least four characters are always hidden, so a short number (a landline without its
    area code, a typo) never shows whole: the last four at most, the first three only when
    enough remain hidden between them. Empty in, empty out.
    """
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    n = len(text)
    tail = min(4, max(n - 4, 0))
    head = min(3, max(n - 4 - tail, 0))
    return f"{text[:head]}{MASK}{text[n - tail :] if tail else ''}"


def mask_contact(value: Any) -> str:
    """A phone number masked as ``mask_phone``; an e-mail address as ``w****@example.com``."""
    text = "" if value is None else str(value).strip()
    if "@" in text:
        local, _at, domain = text.rpartition("@")
        return f"{local[:1]}{MASK}@{domain}"
    return mask_phone(text)


def masked_column(field: str, label: Any = "") -> Callable[[Any], str]:
    """An admin ``list_display`` column showing ``field`` masked (the change page, reached
    one row at a time, shows it whole)."""

    def column(obj: Any) -> str:
        return mask_contact(getattr(obj, field, ""))

    column.short_description = label or field  # type: ignore[attr-defined]
    column.__name__ = f"masked_{field}"
    return column
