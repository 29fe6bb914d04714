"""The emergency mode page: its state, the switch (managers), what it changes, the history,
and the 24-hour roster's gaps. Thin: reads from selectors, the switch through services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wennuan.emergency.forms import SwitchForm
from wennuan.emergency.selectors import history, roster_gaps
from wennuan.emergency.services import EmergencyRefused, current_state, set_emergency_mode
from wennuan.people.selectors import request_user


@login_required
def mode(request: HttpRequest) -> HttpResponse:
    """Whole-city staff read it; managers switch it, with a reason."""
    user = request_user(request)
    if not user.sees_whole_city:
        raise Http404(_("Not found, or not in your area."))
    state = current_state()
    on = bool(state and state.on)
    form = SwitchForm(request.POST or None)
    if request.method == "POST":
        if not user.can_manage:
            raise Http404(_("Not found, or not in your area."))
        if form.is_valid():
            # The state asked for, not "the other one": a second click, or a page loaded
            # before someone else switched, is refused instead of switching back.
            wanted = request.POST.get("on") == "1"
            try:
                set_emergency_mode(on=wanted, actor=user, reason=form.cleaned_data["reason"])
            except EmergencyRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(
                    request, _("Emergency mode is on.") if wanted else _("Emergency mode is off.")
                )
                return redirect("emergency:mode")
    return render(
        request,
        "emergency/mode.html",
        {
            "state": state,
            "on": on,
            "form": form,
            "may_switch": user.can_manage,
            "history": history(),
            "gaps": roster_gaps(),
            "sla_percent": settings.EMERGENCY_SLA_PERCENT,
            "multiplier": settings.INSPECTION_EMERGENCY_MULTIPLIER,
        },
        status=400 if form.errors else 200,
    )


@login_required
def disinfection(request: HttpRequest) -> HttpResponse:
    """Sites with their last disinfection (overdue first), and logging one."""
    from wennuan.emergency.forms import DisinfectionForm
    from wennuan.emergency.selectors import site_statuses
    from wennuan.emergency.services import may_keep_disinfection_log, record_disinfection

    user = request_user(request)
    if not may_keep_disinfection_log(user):
        raise Http404(_("Not found, or not in your area."))
    form = DisinfectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record_disinfection(
                site=form.cleaned_data["site"],
                done_by=user,
                agent=form.cleaned_data["agent"],
                note=form.cleaned_data["note"],
            )
        except EmergencyRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Disinfection recorded."))
            return redirect("emergency:disinfection")
    return render(
        request,
        "emergency/disinfection.html",
        {"sites": site_statuses(), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def tracing(request: HttpRequest) -> HttpResponse:
    """Trace a staff member's contacts between two days; act on it; export it."""
    from wennuan.emergency.forms import TraceForm
    from wennuan.emergency.selectors import trace_exposure
    from wennuan.emergency.services import act_on_exposure, dispatches

    user = request_user(request)
    if not dispatches(user):
        raise Http404(_("Not found, or not in your area."))
    form = TraceForm(request.GET or None)
    trace = None
    if form.is_valid() and form.cleaned_data.get("person"):
        data = form.cleaned_data
        trace = trace_exposure(staff=data["person"], since=data["since"], until=data["until"])
        if request.method == "POST":
            try:
                calls, requests, rounds = act_on_exposure(trace=trace, actor=user)
            except EmergencyRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(
                    request,
                    _(
                        "%(calls)s calls to make created; %(requests)s requests and %(rounds)s "
                        "rounds handed to deputies."
                    )
                    % {"calls": calls, "requests": requests, "rounds": rounds},
                )
            return redirect(f"{request.path}?{request.GET.urlencode()}")
        export = request.GET.get("export")
        if export in {"xlsx", "csv"}:
            from wennuan.emergency.export import trace_csv, trace_workbook

            name = f"exposure-{trace.staff.username}-{trace.since}-{trace.until}"
            if export == "csv":
                response = HttpResponse(trace_csv(trace), content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            else:
                response = HttpResponse(
                    trace_workbook(trace),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
    return render(request, "emergency/tracing.html", {"form": form, "trace": trace})


@login_required
def calls(request: HttpRequest) -> HttpResponse:
    """The calls to make: one's own (agents), every open one (dispatchers, managers)."""
    from wennuan.emergency.forms import CallDoneForm
    from wennuan.emergency.models import CallTask
    from wennuan.emergency.selectors import calls_for
    from wennuan.emergency.services import complete_call

    user = request_user(request)
    if request.method == "POST":
        task = calls_for(user).filter(pk=request.POST.get("task")).first()
        if task is None:
            raise Http404(_("Not found, or not in your area."))
        done = CallDoneForm(request.POST)
        try:
            if not done.is_valid():
                raise EmergencyRefused(_("Say what came of the call."))
            complete_call(task=task, actor=user, outcome=done.cleaned_data["outcome"])
            messages.success(request, _("Call recorded."))
        except EmergencyRefused as refusal:
            messages.error(request, str(refusal))
        return redirect("emergency:calls")
    from wennuan.emergency.models import CallReason
    from wennuan.emergency.services import dispatches, record_flag_views

    open_calls = list(calls_for(user)[:200])
    # "Vulnerable household" is care information: seeing it in the list is recorded.
    record_flag_views(
        household_ids=[
            c.household_id for c in open_calls if c.reason in (CallReason.INCIDENT, CallReason.STOP)
        ],
        viewer=user,
        where="calls to make",
    )
    return render(
        request,
        "emergency/calls.html",
        {
            "calls": open_calls,
            # The full number goes to the caller assigned; an unassigned call to dispatch.
            "may_take_unassigned": dispatches(user),
            "done_recently": CallTask.objects.filter(done_at__isnull=False)
            .filter(**({} if user.sees_whole_city else {"assignee": user}))
            .select_related("household")
            .order_by("-done_at")[:20],
        },
    )


@login_required
@require_POST
def flag_add(request: HttpRequest, household_pk: int) -> HttpResponse:
    """Flag a household (quarantine, confirmed case, elderly alone, medical needs)."""
    from wennuan.emergency.forms import FlagForm
    from wennuan.emergency.services import add_flag
    from wennuan.grid.models import Household

    user = request_user(request)
    household = (
        Household.objects.for_user(user)
        .select_related("building__complex")
        .filter(pk=household_pk)
        .first()
    )
    if household is None:
        raise Http404(_("Not found, or not in your area."))
    form = FlagForm(request.POST)
    try:
        if not form.is_valid():
            raise EmergencyRefused(
                "; ".join(str(m) for errors in form.errors.values() for m in errors)
            )
        add_flag(household=household, actor=user, **form.cleaned_data)
        messages.success(request, _("Flag recorded."))
    except EmergencyRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("grid:household_detail", pk=household.pk)


@login_required
@require_POST
def flag_end(request: HttpRequest, pk: int) -> HttpResponse:
    from django.utils import timezone

    from wennuan.emergency.models import HouseholdFlag
    from wennuan.emergency.services import end_flag
    from wennuan.grid.models import Household

    user = request_user(request)
    flag = (
        HouseholdFlag.objects.select_related("household__building__complex")
        .filter(pk=pk, household__in=Household.objects.for_user(user))
        .first()
    )
    if flag is None:
        raise Http404(_("Not found, or not in your area."))
    try:
        end_flag(flag=flag, ends_on=timezone.localdate(), actor=user)
        messages.success(request, _("Flag ended today."))
    except EmergencyRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("grid:household_detail", pk=flag.household_id)
