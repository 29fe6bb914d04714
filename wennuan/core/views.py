"""Pages of shared infrastructure: login and the overview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wennuan.core.forms import ThrottledAuthenticationForm
from wennuan.grid.selectors import overview_for_user


class WennuanLoginView(LoginView):
    """Login with throttling of failed attempts."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The overview: what this user is responsible for, and the state of coverage."""
    return render(request, "core/home.html", {"overview": overview_for_user(request.user)})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches no database (load balancers poll it often)."""
    return HttpResponse("ok", content_type="text/plain")


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return HttpResponse(
            f"database: {exc.__class__.__name__}", status=503, content_type="text/plain"
        )
    return HttpResponse("ok", content_type="text/plain")
