"""Pages of shared infrastructure: login, the overview, health checks, the 500 handler."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext as _

from wennuan.core.forms import ThrottledAuthenticationForm
from wennuan.grid.selectors import overview_for_user
from wennuan.people import two_factor, two_factor_views


class WennuanLoginView(LoginView):
    """Login with throttling of failed attempts; staff with two-factor login on give their
    code next (/login/verify/) and are only logged in after it."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if two_factor.has_confirmed_device(user):
            return two_factor_views.start_pending_login(
                self.request, user, next_url=self.get_success_url()
            )
        return super().form_valid(form)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The overview: what this user is responsible for, and the state of coverage."""
    return render(request, "core/home.html", {"overview": overview_for_user(request.user)})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no database (load balancers poll it often)."""
    return HttpResponse("ok", content_type="text/plain")


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers too, and the shared cache when one is configured."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return HttpResponse(
            f"database: {exc.__class__.__name__}", status=503, content_type="text/plain"
        )
    if settings.CACHE_URL:
        from django.core.cache import cache

        try:
            cache.get("readyz")
        except Exception as exc:  # Redis down: rate limits fail open, but say so
            return HttpResponse(
                f"cache: {exc.__class__.__name__}", status=503, content_type="text/plain"
            )
    return HttpResponse("ok", content_type="text/plain")


# Errors of the database driver that mean "not reachable now", not "this request is wrong":
# the server is restarting, the connection dropped, SQLite's write lock timed out.
UNAVAILABLE = (OperationalError, InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: when the database is unreachable it answers 503 with Retry-After and
    a plain message (a client retries; nothing acknowledged was lost), else a plain 500."""
    error = sys.exc_info()[1]
    if isinstance(error, UNAVAILABLE):
        message = _(
            "The service is briefly unavailable. Please try again in a minute: what you were "
            "told was received is safe."
        )
        status, retry = 503, {"Retry-After": "30"}
    else:
        message = _("Something went wrong on our side. The error has been recorded.")
        status, retry = 500, {}
    if request.path.startswith(("/api/", "/open311/")):
        response: HttpResponse = JsonResponse({"detail": str(message)}, status=status)
    else:
        response = HttpResponse(
            f'<!doctype html><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>问暖 Wennuan</title>'
            f'<p style="font:1.2rem sans-serif;margin:2rem">{escape(message)}</p>',
            status=status,
        )
    for header, value in retry.items():
        response[header] = value
    return response
