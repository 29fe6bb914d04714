"""Pages of people: the 24-hour duty roster and the daily health check-in (the phone page,
a supervisor's team page, one person's history)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wennuan.people import selectors
from wennuan.people.choices import CHECK_IN_ROLES, CheckInStatus, HealthStatus, Role
from wennuan.people.forms import EARLIEST_DAY, CheckInForm, DayForm, ShiftForm
from wennuan.people.models import HealthCheckIn, Shift, User
from wennuan.people.selectors import on_duty_counts, on_duty_now, request_user, shifts_between
from wennuan.people.services import (
    CheckInRefused,
    RosterError,
    add_shift,
    check_in,
    remove_shift,
)
from wennuan.service.dispatch import dispatcher_on_duty

# The roles that work shifts, in the order the page offers them.
ROSTER_ROLES = [Role.DISPATCHER, Role.TECHNICIAN, Role.INSPECTOR, Role.AGENT, Role.MANAGER]
# How far ahead the roster looks: a year of planning.
ROSTER_AHEAD = timedelta(days=366)


def _may_edit(user: User) -> bool:
    return user.can_dispatch


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    """Who is on duty now, the dispatcher on duty, and the shifts of one day."""
    user = request_user(request)
    now = timezone.now()
    today = timezone.localdate(now)
    latest = today + ROSTER_AHEAD
    day_form = DayForm(request.GET, default=today, latest=latest)
    day = day_form.chosen()
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
            "day_form": day_form,
            "previous_day": day - timedelta(days=1) if day > EARLIEST_DAY else None,
            "next_day": day + timedelta(days=1) if day < latest else None,
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


# --- health check-ins -------------------------------------------------------------------

TEAM_PAGE_SIZE = 100
HISTORY_DAYS = 30


def _checkins_mandatory() -> bool:
    """Whether check-ins are mandatory: while emergency mode is on. (Not ``emergency`` in
    a page's context: that is the banner's switch row, from the context processor.)"""
    from wennuan.emergency.services import emergency_on

    return emergency_on()


def get_staff_for_user(request: HttpRequest, pk: int) -> User:
    """The person if this user may see their check-ins (themselves, a direct report, anyone
    for a manager), else 404."""
    user = request_user(request)
    if pk == user.pk:
        return user
    found = selectors.team_for_user(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("Not found, or not in your team."))
    return found


def _outcome(record: HealthCheckIn) -> str:
    """What the check-in did, in words, for the message after it."""
    status = CheckInStatus(record.status).label
    if record.health_after == HealthStatus.FIT:
        return _("Checked in: %(status)s, %(t)s °C. Thank you.") % {
            "status": status,
            "t": record.temperature,
        }
    if record.health_after == HealthStatus.UNWELL:
        text = _(
            "%(t)s °C is a fever: you get no work until a check-in without one. See a doctor."
        ) % {"t": record.temperature}
    else:
        text = _("Checked in as %(status)s: you get no work until you check in as fit.") % {
            "status": status
        }
    moved = [
        ngettext(
            "%(n)s request went to your deputies.",
            "%(n)s requests went to your deputies.",
            record.requests_handed_over,
        )
        % {"n": record.requests_handed_over},
        ngettext(
            "%(n)s inspection round went to your deputies.",
            "%(n)s inspection rounds went to your deputies.",
            record.rounds_handed_over,
        )
        % {"n": record.rounds_handed_over},
    ]
    if record.work_waiting:
        moved.append(
            ngettext(
                "%(n)s request found nobody available; your supervisor has been told.",
                "%(n)s requests found nobody available; your supervisor has been told.",
                record.work_waiting,
            )
            % {"n": record.work_waiting}
        )
    return " ".join([text, *moved])


@login_required
def health(request: HttpRequest) -> HttpResponse:
    """The daily health check-in on the phone; ``?for=<id>`` records it for a team member
    who phoned in (a supervisor or a manager)."""
    user = request_user(request)
    staff = user
    if request.GET.get("for", "").isdigit():
        staff = get_staff_for_user(request, int(request.GET["for"]))
    if staff.role not in CHECK_IN_ROLES:
        raise PermissionDenied
    today = timezone.localdate()
    latest = selectors.latest_check_in(staff, today)
    initial = {"status": latest.status if latest else CheckInStatus.FIT}
    form = CheckInForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = check_in(
                staff=staff,
                temperature=data["temperature"],
                symptoms=data["symptoms"],
                symptoms_note=data["symptoms_note"],
                status=data["status"],
                actor=user,
            )
        except CheckInRefused as refusal:
            for field, problems in refusal.errors.items():
                for problem in problems:
                    form.add_error(None if field not in form.fields else field, problem)
        else:
            text = _outcome(record)
            if staff != user:
                text = _("Recorded for %(name)s. %(outcome)s") % {
                    "name": staff.display_name,
                    "outcome": text,
                }
            if record.health_after == HealthStatus.FIT:
                messages.success(request, text)
            else:
                messages.warning(request, text)
            return redirect(request.get_full_path())
    return render(
        request,
        "people/health.html",
        {
            "form": form,
            "staff": staff,
            "for_other": staff != user,
            "today": today,
            "latest": latest,
            "checkins_mandatory": _checkins_mandatory(),
            "history": selectors.check_in_history(user, staff, days=14)[:14],
            "has_team": user.can_manage or User.objects.filter(supervisor=user).exists(),
        },
        status=400 if form.errors else 200,
    )


@login_required
def health_team(request: HttpRequest) -> HttpResponse:
    """A supervisor's team (a manager: everyone) for one day: who has not checked in, who is
    not fit and what open work they still hold, everyone's latest check-in."""
    user = request_user(request)
    if not user.can_manage and not User.objects.filter(supervisor=user).exists():
        raise PermissionDenied
    now = timezone.now()
    today = timezone.localdate(now)
    day_form = DayForm(request.GET, default=today, latest=today)
    day = day_form.chosen()
    show = request.GET.get("show", "all")
    if show not in selectors.SHOW:
        show = "all"
    page = Paginator(selectors.team_health(user, day, at=now, show=show), TEAM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ids = [getattr(person, "check_in_id", None) for person in page]
    check_ins = HealthCheckIn.objects.in_bulk([pk for pk in ids if pk])
    rows = [
        (person, check_ins.get(pk) if pk else None) for person, pk in zip(page, ids, strict=True)
    ]
    return render(
        request,
        "people/health_team.html",
        {
            "page": page,
            "rows": rows,
            "summary": selectors.team_summary(user, day, at=now),
            "day": day,
            "day_form": day_form,
            "today": today,
            "previous_day": day - timedelta(days=1) if day > EARLIEST_DAY else None,
            "next_day": day + timedelta(days=1) if day < today else None,
            "show": show,
            "checkins_mandatory": _checkins_mandatory(),
        },
    )


@login_required
def health_history(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's check-ins over the last 30 days (theirs, their supervisor, managers)."""
    user = request_user(request)
    staff = get_staff_for_user(request, pk)
    return render(
        request,
        "people/health_history.html",
        {
            "staff": staff,
            "check_ins": selectors.check_in_history(user, staff, days=HISTORY_DAYS),
            "days": HISTORY_DAYS,
            "may_record": staff != user,
        },
    )
