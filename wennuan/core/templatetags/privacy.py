"""``{% load privacy %}``: ``{{ number|masked_phone }}`` and ``{% phone number full %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from wennuan.core.privacy import mask_phone

register = template.Library()


@register.filter
def masked_phone(value: Any) -> str:
    """The number with its middle hidden (138****5678)."""
    return mask_phone(value)


@register.simple_tag
def phone(number: Any, full: bool = False) -> SafeString | str:
    """A callable ``tel:`` link with the full number when ``full``, else the masked number
    as plain text (a list must not carry the number, not even in a link)."""
    if not number:
        return ""
    if full:
        return format_html('<a href="tel:{}">{}</a>', number, number)
    return format_html('<span class="wn-masked-phone">{}</span>', mask_phone(number))
