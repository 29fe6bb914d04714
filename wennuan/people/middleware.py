"""Middleware of people: staff whose role requires two-factor login use nothing else until
they have set it up (``TWO_FACTOR_REQUIRED_ROLES``)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from wennuan.people import two_factor
from wennuan.people.models import User

# What a user who must still enrol may reach: the enrolment page itself, logging out, the
# language switch, static files and the health checks.
ALLOWED_PREFIXES = ("/account/two-factor/", "/logout/", "/login/", "/i18n/", "/healthz", "/readyz")


class TwoFactorEnrolmentMiddleware:
    """Send a logged-in user of a required role without a confirmed device to the two-factor
    page (the API answers 403). Costs one query per request, and only for those roles."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.TWO_FACTOR_REQUIRED_ROLES and self._must_enrol(request):
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse(
                    {"detail": _("Set up two-factor login first (/account/two-factor/).")},
                    status=403,
                )
            target = reverse("account:two_factor")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if not isinstance(user, User):  # anonymous, or half-way through the login
            return False
        path = request.path
        static = "/" + settings.STATIC_URL.lstrip("/")
        if path.startswith((*ALLOWED_PREFIXES, static)):
            return False
        return two_factor.requires_two_factor(user) and not two_factor.has_confirmed_device(user)
