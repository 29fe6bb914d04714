"""Validation helpers shared by forms, imports and APIs."""

from __future__ import annotations

import re

# Mainland mobile numbers (11 digits, 1[3-9]…) and landlines with area code (0535-…).
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{9,11}$")


def normalise_phone(raw: str) -> str:
    """Digits only, without a +86 country prefix: the form phones are stored and searched in."""
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def is_valid_phone(normalised: str) -> bool:
    """Whether a normalised number is a mainland mobile or a landline with its area code."""
    return bool(MOBILE.match(normalised) or LANDLINE.match(normalised))
