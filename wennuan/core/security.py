"""Security headers Django does not send itself (docs/security.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

HEADER = "Permissions-Policy"


def permissions_policy(features: Mapping[str, Sequence[str]]) -> str:
    """The header value: ``{"camera": ["self"], "usb": []}`` → ``camera=(self), usb=()``.

    ``self`` and ``*`` are written as they are, any other entry as a quoted origin.
    """
    parts = []
    for feature, allowed in features.items():
        origins = " ".join(a if a in {"self", "*"} else f'"{a}"' for a in allowed)
        parts.append(f"{feature}=({origins})")
    return ", ".join(parts)


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` from settings.PERMISSIONS_POLICY to every response that
    has none (a view may set its own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.value = permissions_policy(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.value and HEADER not in response:
            response[HEADER] = self.value
        return response
