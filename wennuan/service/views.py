"""Staff pages for service requests: the dispatch board, my work, the request page, intake
on behalf of residents. Thin: reads from selectors, every change through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wennuan.core.forms import apply_styles
from wennuan.core.paging import CappedPaginator, page_size
from wennuan.emergency.services import read_flags, record_flag_views
from wennuan.grid.models import Household
from wennuan.grid.privacy import may_call_requester
from wennuan.grid.selectors import duty_people_for_zone
from wennuan.operations.access import sees_network
from wennuan.operations.models import Alarm
from wennuan.people.choices import Role
from wennuan.people.models import User
from wennuan.people.selectors import request_user
from wennuan.service.choices import OPEN_STATUSES, Channel, Status
from wennuan.service.filters import RequestFilter
from wennuan.service.forms import (
    CallerForm,
    CheckInForm,
    GuidanceForm,
    HandoverForm,
    IntakeForm,
    ReasonForm,
    ReassignForm,
    ResolveForm,
    ScheduleVisitForm,
)
from wennuan.service.models import ServiceCategory, ServiceRequest
from wennuan.service.selectors import (
    answers_display,
    board_requests,
    dispatch_board_requests,
    my_work,
    network_summary,
    request_context,
)
from wennuan.service.services import (
    RequestInvalid,
    TransitionRefused,
    accept_request,
    cancel_request,
    check_in,
    check_out,
    dispatch_request,
    give_guidance,
    mark_duplicate,
    reassign_open_work,
    reassign_request,
    resolve_request,
    schedule_visit,
    submit_request,
)

# Rows a request list or the board shows unless ?page_size= asks for up to 100: a screenful.
# Each row costs ~0.3 ms to render; at 25 the board's 30-second refresh stays within 10x of a
# primary-key read on a million households (docs/performance.md).
LIST_PAGE_SIZE = 25


def get_request_for_user(request: HttpRequest, pk: int) -> ServiceRequest:
    """The request if this user may see it, else 404."""
    found = (
        ServiceRequest.objects.for_user(request.user)
        .select_related(
            "category", "assignee", "household__building__station", "zone", "created_by", "incident"
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404(_("Not found, or not in your area."))
    return found


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The dispatch board; htmx refreshes the table every 30 seconds. Agents read it (to
    answer callers); its bulk actions and the hand-over are for dispatch (``can_dispatch``)."""
    user = request_user(request)
    if not user.sees_whole_city:
        raise PermissionDenied
    data = request.GET.copy()
    if not data.getlist("status"):
        data.setlist("status", list(OPEN_STATUSES))
    filterset = RequestFilter(data, queryset=dispatch_board_requests(user))
    apply_styles(filterset.form)
    page = CappedPaginator(filterset.qs, page_size(request, LIST_PAGE_SIZE)).get_page(
        request.GET.get("page")
    )
    refresh = bool(request.headers.get("HX-Request"))  # the table alone, every 30 seconds
    context = {
        "filter": filterset,
        "page": page,
        "network": {} if refresh else network_summary(user),  # the strip above the table
        "reassign_form": ReassignForm(),
        "handover_form": HandoverForm(),
        "query": request.GET.urlencode(),
    }
    template = "service/_board_table.html" if refresh else "service/board.html"
    return render(request, template, context)


@login_required
def board_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk actions on the selected rows: dispatch again, or reassign to one person."""
    user = request_user(request)
    if not user.can_dispatch or request.method != "POST":
        raise PermissionDenied
    selected = ServiceRequest.objects.for_user(user).filter(pk__in=request.POST.getlist("selected"))
    action = request.POST.get("action")
    done = 0
    try:
        if action == "dispatch":
            for item in selected.filter(status__in=[Status.SUBMITTED, Status.REOPENED]):
                if dispatch_request(request=item, actor=user).assignee is not None:
                    done += 1
        elif action == "reassign":
            form = ReassignForm(request.POST)
            if not form.is_valid():
                raise TransitionRefused(_("Choose a person and give a reason."))
            for item in selected.filter(status__in=OPEN_STATUSES):
                reassign_request(
                    request=item,
                    assignee=form.cleaned_data["assignee"],
                    actor=user,
                    reason=form.cleaned_data["reason"],
                )
                done += 1
        else:
            raise TransitionRefused(_("Choose an action."))
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("%(n)s requests updated.") % {"n": done})
    return redirect(f"/service/?{request.POST.get('query', '')}")


@login_required
def my_work_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    return render(request, "service/my_work.html", {"requests": list(my_work(user)[:100])})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    found = get_request_for_user(request, pk)
    is_assignee = found.assignee_id == user.pk
    # Vulnerability notes are personal data: the people who serve the home, and dispatch.
    show_vulnerability = user.sees_whole_city or is_assignee
    # Station alarms are the company's telemetry: not shown to partner-community workers.
    alarms = (
        found.alarms.select_related("rule", "station", "acknowledged_by")
        if sees_network(user)
        else Alarm.objects.none()
    )
    if show_vulnerability and found.household is not None and found.household.vulnerable:
        record_flag_views(
            household_ids=[found.household_id], viewer=user, where="request page: vulnerable"
        )
    return render(
        request,
        "service/detail.html",
        {
            "r": found,
            "events": found.events.all(),
            "visits": found.visits.select_related("staff"),
            "photos": found.photos.all(),
            # Why a home is remote-first is a care flag: shown (and the view recorded) only
            # to those who serve the home.
            "infection_flags": (
                read_flags(household=found.household, viewer=user, where="request page")
                if found.remote_first and found.household
                else []
            ),
            # A station-fault work order shows the alarm(s) that opened it, to acknowledge here.
            "alarms": alarms,
            "context": request_context(found),
            "answers": answers_display(found),
            # Suggestions for the reassignment field: the zone's people for this duty.
            "suggestions": duty_people_for_zone(found.zone_id)[found.category.duty],
            "is_assignee": is_assignee,
            "can_dispatch": user.can_dispatch,
            # Station telemetry and the network view are company-internal (operations.access).
            "sees_network": sees_network(user),
            "show_vulnerability": show_vulnerability,
            # The resident's full number for those who call them (masked for the others).
            "full_phone": may_call_requester(user, found),
            "forms": {
                "guidance": GuidanceForm(),
                "schedule": ScheduleVisitForm(),
                "check_in": CheckInForm(),
                "resolve": ResolveForm(),
                "reassign": ReassignForm(),
                "reason": ReasonForm(),
            },
        },
    )


Action = Callable[[HttpRequest, ServiceRequest, User], str]


def _form(form_class: type[Any], request: HttpRequest) -> Any:
    form = form_class(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(m) for messages_ in form.errors.values() for m in messages_)
        raise TransitionRefused(errors)
    return form.cleaned_data


def _accept(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    accept_request(request=found, actor=user)
    return _("Accepted.")


def _guidance(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    give_guidance(request=found, actor=user, note=_form(GuidanceForm, request)["note"])
    return _("Guidance recorded; the SLA clock waits for the resident.")


def _schedule(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    schedule_visit(request=found, actor=user, when=_form(ScheduleVisitForm, request)["when"])
    return _("Visit scheduled; the resident is told by SMS.")


def _check_in(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    check_in(request=found, actor=user, equipment=_form(CheckInForm, request)["equipment"])
    return _("Checked in.")


def _check_out(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    check_out(request=found, actor=user, note=request.POST.get("note", ""))
    return _("Checked out.")


def _resolve(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    data = _form(ResolveForm, request)
    resolve_request(
        request=found,
        actor=user,
        note=data["note"],
        measured_temperature=data["measured_temperature"],
    )
    return _("Resolved; the resident is asked to confirm.")


def _reassign(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    if not user.can_dispatch:
        raise PermissionDenied
    data = _form(ReassignForm, request)
    reassign_request(request=found, assignee=data["assignee"], actor=user, reason=data["reason"])
    return _("Reassigned.")


def _dispatch(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    # Dispatching again is the board's bulk "dispatch" for one request: a dispatch decision.
    if not user.can_dispatch:
        raise PermissionDenied
    decision = dispatch_request(request=found, actor=user)
    return decision.note


def _cancel(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    cancel_request(request=found, actor=user, reason=_form(ReasonForm, request)["reason"])
    return _("Cancelled.")


def _duplicate(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    number = request.POST.get("original", "").strip()
    original = ServiceRequest.objects.for_user(user).filter(number=number).first()
    if original is None:
        raise TransitionRefused(_("No request %(number)s.") % {"number": number})
    mark_duplicate(request=found, original=original, actor=user)
    return _("Marked as a duplicate.")


def _approve_visit(request: HttpRequest, found: ServiceRequest, user: User) -> str:
    from wennuan.service.services import approve_home_visit

    approve_home_visit(request=found, actor=user)
    return _("Home visit approved.")


ACTIONS: dict[str, Action] = {
    "accept": _accept,
    "approve_visit": _approve_visit,
    "guidance": _guidance,
    "schedule": _schedule,
    "check_in": _check_in,
    "check_out": _check_out,
    "resolve": _resolve,
    "reassign": _reassign,
    "dispatch": _dispatch,
    "cancel": _cancel,
    "duplicate": _duplicate,
}


@login_required
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One POST endpoint per action; refusals come back as a message and change nothing."""
    if request.method != "POST" or name not in ACTIONS:
        raise Http404
    user = request_user(request)
    found = get_request_for_user(request, pk)
    try:
        messages.success(request, ACTIONS[name](request, found, user))
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("service:detail", pk=pk)


@login_required
def handover(request: HttpRequest) -> HttpResponse:
    """Send all of one person's open work to their deputies (dispatchers and managers)."""
    user = request_user(request)
    if not user.can_dispatch or request.method != "POST":
        raise PermissionDenied
    try:
        data = _form(HandoverForm, request)
        staff = data["staff"]
        moved = reassign_open_work(staff=staff, actor=user, reason=data["reason"])
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("%(n)s requests of %(name)s handed over.")
            % {"n": len(moved), "name": staff.display_name},
        )
    return redirect("service:board")


def _intake_channel(user: User) -> str:
    return Channel.COMMUNITY if user.role == Role.COMMUNITY_WORKER else Channel.HOTLINE


@login_required
def on_behalf(request: HttpRequest) -> HttpResponse:
    """File a request for a resident: the hotline, or a community worker at the door."""
    user = request_user(request)
    if not (user.sees_whole_city or user.role == Role.COMMUNITY_WORKER):
        raise PermissionDenied
    account = (request.GET.get("account") or request.POST.get("account") or "").strip()
    household = (
        Household.objects.for_user(user)
        .select_related("building")
        .filter(account_number=account)
        .first()
        if account
        else None
    )
    category = (
        ServiceCategory.objects.prefetch_related("attributes")
        .filter(code=request.GET.get("category") or request.POST.get("category") or "")
        .first()
    )
    form = (
        IntakeForm(request.POST or None, request.FILES or None, category=category)
        if category
        else None
    )
    caller = CallerForm(request.POST or None)
    if (
        request.method == "POST"
        and form is not None
        and category is not None
        and form.is_valid()
        and caller.is_valid()
    ):
        try:
            result = submit_request(
                category=category,
                household=household,
                channel=_intake_channel(user),
                description=form.cleaned_data["description"],
                attributes=form.attributes(),
                photos=form.cleaned_data["photos"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                reporter_name=caller.cleaned_data["reporter_name"],
                reporter_phone=caller.cleaned_data["reporter_phone"],
                created_by=user,
            )
        except RequestInvalid as refusal:
            form.show_refusal(refusal, caller)
        else:
            messages.success(
                request, _("Request %(number)s filed.") % {"number": result.request.number}
            )
            return redirect("service:detail", pk=result.request.pk)
    return render(
        request,
        "service/on_behalf.html",
        {
            "account": account,
            "household": household,
            "categories": ServiceCategory.objects.public().filter(enabled=True),
            "category": category,
            "form": form,
            "caller": caller,
            "not_found": bool(account) and household is None,
        },
        status=400 if (form is not None and form.errors) or caller.errors else 200,
    )


@login_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """Every request in this user's area (technicians, inspectors, community workers)."""
    user = request_user(request)
    filterset = RequestFilter(request.GET or None, queryset=board_requests(user))
    page = CappedPaginator(filterset.qs, page_size(request, LIST_PAGE_SIZE)).get_page(
        request.GET.get("page")
    )
    return render(request, "service/list.html", {"filter": filterset, "page": page})


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A request's photo, to those who may see the request (residents' photos are not public
    files: MEDIA_ROOT is never served as it is)."""
    from wennuan.service.models import RequestPhoto

    found = (
        RequestPhoto.objects.filter(
            pk=pk, request__in=ServiceRequest.objects.for_user(request_user(request))
        )
        .only("image", "content_type")
        .first()
    )
    if found is None or not found.image:
        raise Http404(_("Not found, or not in your area."))
    return FileResponse(found.image.open("rb"), content_type=found.content_type)
