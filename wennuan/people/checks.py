"""System checks: a mistyped role in TWO_FACTOR_REQUIRED_ROLES stops start-up instead of
silently requiring two-factor login of nobody, and a malformed two-factor encryption key stops
it instead of failing the first login with a code."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_two_factor_roles(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every role in TWO_FACTOR_REQUIRED_ROLES is a known role code."""
    from wennuan.people.choices import Role

    unknown = [role for role in settings.TWO_FACTOR_REQUIRED_ROLES if role not in Role.values]
    if unknown:
        return [
            Error(
                f"TWO_FACTOR_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}.",
                hint=f"Use role codes: {', '.join(Role.values)}.",
                id="people.E001",
            )
        ]
    return []


@register()
def check_two_factor_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """TWO_FACTOR_ENCRYPTION_KEY and TWO_FACTOR_ENCRYPTION_OLD_KEYS are Fernet keys: a typo
    stops start-up, not the first login with a code."""
    from django.core.exceptions import ImproperlyConfigured

    from wennuan.people.two_factor import secret_box

    try:
        secret_box()
    except ImproperlyConfigured as problem:
        return [Error(str(problem), id="people.E002")]
    return []
