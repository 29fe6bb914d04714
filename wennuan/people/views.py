"""Pages of people: the 24-hour duty roster."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from wennuan.people.choices import Role
from wennuan.people.forms import ShiftForm
from wennuan.people.models import Shift, User
from wennuan.people.selectors import on_duty_counts, on_duty_now, request_user, shifts_between
from wennuan.people.services import RosterError, add_shift, remove_shift
from wennuan.service.dispatch import dispatcher_on_duty

# The roles that work shifts, in the order the page offers them.
ROSTER_ROLES = [Role.DISPATCHER, Role.TECHNICIAN, Role.INSPECTOR, Role.AGENT, Role.MANAGER]


def _may_edit(user: User) -> bool:
    return user.sees_whole_city and user.role != Role.AGENT


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    """Who is on duty now, the dispatcher on duty, and the shifts of one day."""
    user = request_user(request)
    now = timezone.now()
    day = parse_date(request.GET.get("day", "")) or timezone.localdate()
    role = request.GET.get("role", "")
    if role not in ROSTER_ROLES:
        role = Role.DISPATCHER
    start = timezone.make_aware(datetime.combine(day, time(0)))
    form = ShiftForm(request.POST or None, role=role)
    if request.method == "POST":
        if not _may_edit(user):
            raise PermissionDenied
        if form.is_valid():
            try:
                add_shift(
                    staff=form.cleaned_data["staff"],
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    leads_dispatch=form.cleaned_data["leads_dispatch"],
                )
            except RosterError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("Shift added."))
                return redirect(f"{request.path}?day={day.isoformat()}&role={role}")
    return render(
        request,
        "people/roster.html",
        {
            "now_on_duty": on_duty_now(now, role=role)[:200],
            "counts": on_duty_counts(now),
            "roles": [(r, Role(r).label) for r in ROSTER_ROLES],
            "role": role,
            "dispatcher": dispatcher_on_duty(now),
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "page": Paginator(
                shifts_between(start, start + timedelta(days=1), role=role), 100
            ).get_page(request.GET.get("page")),
            "form": form if _may_edit(user) else None,
        },
        status=400 if form.errors else 200,
    )


@login_required
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    if request.method != "POST" or not _may_edit(user):
        raise PermissionDenied
    shift = Shift.objects.filter(pk=pk).first()
    if shift is not None:
        remove_shift(shift=shift)
        messages.success(request, _("Shift removed."))
    return redirect("people:roster")
