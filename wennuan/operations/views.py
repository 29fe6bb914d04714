"""Operations pages: the live network view (htmx refresh), a station's trends, and alarm
acknowledge / clear. Thin: reads from selectors, every change through services."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wennuan.core.paging import page_size
from wennuan.grid.models import Station
from wennuan.operations.access import sees_network
from wennuan.operations.alarms import AlarmRefused, acknowledge_alarm, clear_alarm
from wennuan.operations.models import Alarm
from wennuan.operations.selectors import (
    StationStatus,
    incidents_for_user,
    network_status,
    open_alarms,
    open_incidents,
    station_trend,
)
from wennuan.people.models import User
from wennuan.people.selectors import request_user

TENTH = Decimal("0.1")


def one_decimal(value: float) -> str:
    """``value|floatformat:1`` ("12.3", halves rounded up) without its trip through the
    locale's number format (~20 µs a value, 4 ms of the network view's 200 values): both of
    the site's languages write a decimal point and no grouping (USE_THOUSAND_SEPARATOR is
    off)."""
    if not math.isfinite(value):  # ingest refuses these; a dash rather than a crash
        return "—"
    rounded = Decimal(str(value)).quantize(TENTH, rounding=ROUND_HALF_UP)
    return str(rounded.copy_abs() if rounded.is_zero() else rounded)  # "0.0", never "-0.0"


def _shown(rows: Iterable[StationStatus]) -> None:
    """Each row's link, status badge and values as the page shows them, written here rather
    than by the template's tags and filters (``url``, the status's if-chain, ``date``, four
    ``floatformat``): per row they cost the network view ~0.3 ms, 15 ms a page of 50. The
    values are what those filters write (``one_decimal`` is ``floatformat:1``)."""
    badges = {
        "ok": ("text-bg-success", _("ok")),
        "deviation": ("text-bg-warning", _("deviation")),
        "alarm": ("text-bg-danger", _("alarm")),
        "stale": ("text-bg-secondary", _("stale")),
    }
    station_url = reverse("operations:station", args=[0]).removesuffix("0/")

    def tenths(value: float | None) -> str:
        return "—" if value is None else one_decimal(value)

    for row in rows:
        row.url = f"{station_url}{row.station.pk}/"
        badge, label = badges[row.status]
        last = "—" if row.last_time is None else f"{timezone.localtime(row.last_time):%m-%d %H:%M}"
        row.shown = {
            "badge": badge,
            "label": label,
            "last": last,
            "supply": tenths(row.supply_c),
            "return": tenths(row.return_c),
            "target": tenths(row.target_c),
            "deviation": tenths(row.deviation_c),
        }


def _network_user(request: HttpRequest) -> User:
    """The user, if they may see the network's telemetry (``sees_network``), else 404: these
    pages are company-internal, not for partner communities' workers."""
    user = request_user(request)
    if not sees_network(user):
        raise Http404(_("Not found, or not in your area."))
    return user


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Heat sources → stations with live status, open alarms; the table refreshes itself."""
    user = _network_user(request)
    # Thousands of stations: their counts by status, and a page of them read from the
    # database, those that need a look first (?status= narrows).
    rows = network_status(user, status=request.GET.get("status", ""))
    page = Paginator(rows, page_size(request, 50)).get_page(request.GET.get("page"))
    _shown(page)
    context = {
        "rows": page,
        "page": page,
        "counts": rows.counts,
        "alarms": open_alarms(user)[:50],
        "incidents": open_incidents(user),
    }
    template = (
        "operations/_network.html"
        if request.headers.get("HX-Request")
        else "operations/dashboard.html"
    )
    return render(request, template, context)


@login_required
def station(request: HttpRequest, pk: int) -> HttpResponse:
    found = (
        Station.objects.for_user(_network_user(request))
        .select_related("heat_source")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404(_("Not found, or not in your area."))
    return render(
        request,
        "operations/station.html",
        {
            "station": found,
            "trend": station_trend(found),
            "alarms": found.alarms.select_related("rule").order_by("-raised_at")[:20],
        },
    )


@login_required
@require_POST
def alarm_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Acknowledge or clear an alarm on a station this user may see, or of a work order they
    hold; then back to the page it was done from (the dashboard, or the work order)."""
    user = _network_user(request)
    alarm = Alarm.objects.filter(
        Q(station__in=Station.objects.for_user(user)) | Q(work_order__assignee=user), pk=pk
    ).first()
    if alarm is None or action not in {"acknowledge", "clear"}:
        raise Http404(_("Not found, or not in your area."))
    note = request.POST.get("note", "")
    try:
        if action == "acknowledge":
            acknowledge_alarm(alarm=alarm, actor=user, note=note)
            messages.success(request, _("Alarm acknowledged."))
        else:
            clear_alarm(alarm=alarm, actor=user, note=note)
            messages.success(request, _("Alarm cleared."))
    except AlarmRefused as refusal:
        messages.error(request, str(refusal))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("operations:dashboard")  # never off-site: an open redirect
    return redirect(back)


@login_required
@require_POST
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Update (cause, expected recovery) or resolve a network incident (dispatchers, managers)."""
    from django.utils.dateparse import parse_datetime

    from wennuan.service.incidents import IncidentRefused, resolve_incident, update_incident

    user = request_user(request)
    incident = incidents_for_user(user).filter(pk=pk).first()
    if incident is None or action not in {"update", "resolve"} or not user.can_dispatch:
        raise Http404(_("Not found, or not in your area."))
    try:
        if action == "update":
            eta_text = request.POST.get("expected_recovery_at", "").strip()
            eta = parse_datetime(eta_text) if eta_text else None
            if eta_text and eta is None:
                raise IncidentRefused(_("Enter the expected recovery as a date and time."))
            if eta is not None and timezone.is_naive(eta):
                eta = timezone.make_aware(eta)
            update_incident(
                incident=incident,
                actor=user,
                cause=request.POST.get("cause", ""),
                expected_recovery_at=eta,
            )
            messages.success(request, _("Incident updated; every linked resident is told."))
        else:
            count = resolve_incident(
                incident=incident, actor=user, note=request.POST.get("note", "")
            )
            messages.success(
                request, _("Incident resolved; %(n)s requests resolved.") % {"n": count}
            )
    except IncidentRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("operations:dashboard")


@login_required
def stops(request: HttpRequest) -> HttpResponse:
    """Announce a planned stop (every household beneath is texted) and end current ones.
    Whole-city staff read the current stops (agents, to answer callers); announcing one is a
    dispatch decision (``can_dispatch``)."""
    from wennuan.operations.forms import StopForm
    from wennuan.operations.models import PlannedStop
    from wennuan.operations.stops import StopRefused, announce_stop

    user = request_user(request)
    if not user.sees_whole_city:
        raise Http404(_("Not found, or not in your area."))
    if request.method == "POST" and not user.can_dispatch:
        raise PermissionDenied
    form = StopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            announce_stop(
                station=data["station"],
                heat_source=data["heat_source"],
                starts_at=data["starts_at"],
                expected_end_at=data["expected_end_at"],
                reason=data["reason"],
                actor=user,
            )
        except StopRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request, _("Stop announced; every household beneath it is being texted.")
            )
            return redirect("operations:stops")
    current = PlannedStop.objects.select_related("station", "heat_source").filter(
        ended_at__isnull=True
    )
    return render(
        request,
        "operations/stops.html",
        {"form": form, "stops": current},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def stop_end(request: HttpRequest, pk: int) -> HttpResponse:
    """Heat is back: every household beneath the stop is texted again."""
    from wennuan.operations.models import PlannedStop
    from wennuan.operations.stops import StopRefused, end_stop

    user = request_user(request)
    stop = PlannedStop.objects.filter(pk=pk).first()
    if stop is None or not user.can_dispatch:
        raise Http404(_("Not found, or not in your area."))
    try:
        end_stop(stop=stop, actor=user)
        messages.success(request, _("Households told that heat is back."))
    except StopRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("operations:stops")
