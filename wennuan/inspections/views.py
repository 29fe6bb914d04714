"""Inspection pages: my rounds (the inspector's phone), a round facility by facility with its
draft kept as the inspector goes, oversight for dispatchers and managers, facility history.
Thin: reads from selectors, every change through services."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wennuan.core.paging import page_size
from wennuan.inspections import selectors
from wennuan.inspections.choices import OPEN_ROUND_STATUSES, RoundStatus
from wennuan.inspections.forms import AssignForm, RoundForm, clean_draft
from wennuan.inspections.models import Facility, InspectionRound
from wennuan.inspections.services import (
    RoundRefused,
    assign_round,
    checklists,
    route,
    save_draft,
    submit_round,
)
from wennuan.people.selectors import request_user

OVERSIGHT_DAYS = 30


def get_round_for_user(request: HttpRequest, pk: int) -> InspectionRound:
    """The round if this user may see it (its inspector, or whole-city staff), else 404."""
    found = selectors.get_round(request.user, pk)
    if found is None:
        raise Http404(_("Not found, or not in your area."))
    return found


def get_facility_for_user(request: HttpRequest, pk: int) -> Facility:
    found = selectors.get_facility(request.user, pk)
    if found is None:
        raise Http404(_("Not found, or not in your area."))
    return found


@login_required
def my_rounds(request: HttpRequest) -> HttpResponse:
    """The inspector's rounds as cards: open ones (overdue and today's first), then the last
    week's submitted ones."""
    user = request_user(request)
    today = timezone.localdate()
    return render(
        request,
        "inspections/my_rounds.html",
        {"rounds": selectors.my_rounds(user, today), "today": today},
    )


def _round_form(
    round_: InspectionRound, data: Any = None, files: Any = None
) -> tuple[RoundForm, dict[str, Any]]:
    """The round's sheet, bound to a POST or filled in from the draft kept on the server."""
    facilities = route(round_)
    items = checklists({facility.kind for facility in facilities})
    draft = round_.draft if isinstance(round_.draft, dict) else {}
    kept = draft.get("values")
    values: dict[str, Any] = kept if isinstance(kept, dict) else {}
    key = draft.get("key") or str(uuid.uuid4())
    initial = {**values, "key": key}
    form = RoundForm(data, files, facilities=facilities, items=items, initial=initial)
    return form, draft


def _render_round(
    request: HttpRequest,
    round_: InspectionRound,
    form: RoundForm | None = None,
    *,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request_user(request)
    context: dict[str, Any] = {
        "round": round_,
        "is_assignee": round_.assignee_id == user.pk,
        "problems": problems or [],
        "today": timezone.localdate(),
    }
    if round_.status == RoundStatus.SUBMITTED:
        context["visits"] = selectors.round_visits(round_)
        context["findings"] = selectors.round_findings(round_)
    else:
        draft: dict[str, Any] = {}
        if form is None:
            form, draft = _round_form(round_)
        sheet = form.sheet(mark_missing=bool(problems))
        context |= {
            "form": form,
            "sheet": sheet,
            "done": sum(1 for facility in sheet if facility.done),
            "first_open": next((f.position for f in sheet if not f.done), None),
            "draft_t": draft.get("t") or 0,
            "editable": context["is_assignee"],
            "js_messages": {
                "saving": _("Saving…"),
                "saved": _("Saved"),
                "offline": _("Offline — kept on this phone"),
                "refused": _("Not saved on the server — kept on this phone"),
            },
        }
    return render(request, "inspections/round.html", context, status=status)


@login_required
def round_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A round facility by facility (GET); the whole round submitted at once (POST)."""
    user = request_user(request)
    round_ = get_round_for_user(request, pk)
    if request.method != "POST":
        return _render_round(request, round_)
    if round_.assignee_id != user.pk:
        raise PermissionDenied  # whole-city staff read a round; only its inspector submits
    key = request.POST.get("key", "")
    if round_.status == RoundStatus.SUBMITTED:
        # A second submit (a double tap, a retry after a lost answer): the services return
        # the round as the first submit left it when the key is the same.
        try:
            submit_round(round_=round_, actor=user, answers={}, key=key)
        except RoundRefused as refusal:
            messages.error(request, "; ".join(refusal.problems))
        return redirect("inspections:round", pk=round_.pk)
    form, _draft = _round_form(round_, request.POST, request.FILES)
    if not form.is_valid():
        return _render_round(request, round_, form, problems=form.problems(), status=400)
    try:
        submit_round(
            round_=round_, actor=user, answers=form.answers(), key=form.cleaned_data["key"]
        )
    except RoundRefused as refusal:
        return _render_round(request, round_, form, problems=refusal.problems, status=400)
    messages.success(request, _("Round submitted. Thank you!"))
    return redirect("inspections:round", pk=round_.pk)


@login_required
@require_POST
def round_draft(request: HttpRequest, pk: int) -> JsonResponse:
    """Keep what the phone has entered so far (JSON in, JSON out)."""
    user = request_user(request)
    round_ = get_round_for_user(request, pk)
    if round_.assignee_id != user.pk:
        return JsonResponse({"problems": [_("This round is given to someone else.")]}, status=403)
    try:
        draft = clean_draft(json.loads(request.body or b"null"))
    except (ValueError, UnicodeDecodeError):
        draft = None
    if draft is None:
        return JsonResponse({"problems": [_("The entries could not be read.")]}, status=400)
    try:
        save_draft(round_=round_, actor=user, draft=draft)
    except RoundRefused as refusal:
        return JsonResponse({"problems": refusal.problems}, status=409)
    return JsonResponse({"saved": True, "t": draft["t"]})


def _require_whole_city(request: HttpRequest) -> Any:
    user = request_user(request)
    if not user.sees_whole_city:
        raise Http404(_("Not found, or not in your area."))
    return user


@login_required
def oversight(request: HttpRequest) -> HttpResponse:
    """Rounds needing a person, overdue rounds, completion by zone and inspector over the
    last 30 days, findings open and recently closed (dispatchers and managers)."""
    user = _require_whole_city(request)
    today = timezone.localdate()
    since, until = today - timedelta(days=OVERSIGHT_DAYS), today - timedelta(days=1)
    overdue = list(selectors.overdue_rounds(user, today)[:200])
    unassigned = list(selectors.unassigned_rounds(user, today)[:200])
    people = selectors.inspection_people({r.plan.zone_id for r in overdue + unassigned})
    by_zone = selectors.completion(by="zone", since=since, until=until, user=user)
    by_inspector = selectors.completion(by="inspector", since=since, until=until, user=user)
    closed_since = timezone.now() - timedelta(days=OVERSIGHT_DAYS)
    open_findings = list(selectors.findings(user, open_only=True)[:100])
    closed_findings = list(selectors.findings(user, closed_since=closed_since)[:100])
    due = sum(row.due for row in by_zone)
    submitted = sum(row.submitted for row in by_zone)
    return render(
        request,
        "inspections/oversight.html",
        {
            "today": today,
            "since": since,
            "until": until,
            "days": OVERSIGHT_DAYS,
            "attention": [(r, people.get(r.plan.zone_id, [])) for r in unassigned + overdue],
            "overdue_count": len(overdue),
            "unassigned_count": len(unassigned),
            "by_zone": by_zone,
            "by_inspector": by_inspector,
            "rate": round(100 * submitted / due) if due else None,
            "open_findings": open_findings,
            "closed_findings": closed_findings,
            "chart": {
                "labels": [row.label for row in by_zone],
                "rates": [row.rate for row in by_zone],
            },
        },
    )


@login_required
@require_POST
def round_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give an open round to one of its zone's inspection people: a dispatch decision (agents
    read the oversight page, they do not give work)."""
    user = request_user(request)
    if not user.can_dispatch:
        raise Http404(_("Not found, or not in your area."))
    round_ = get_round_for_user(request, pk)
    people = selectors.inspection_people({round_.plan.zone_id})[round_.plan.zone_id]
    form = AssignForm(request.POST, people=people)
    if round_.status not in OPEN_ROUND_STATUSES:
        messages.error(request, _("The round is already submitted."))
    elif not form.is_valid():
        messages.error(request, _("Choose one of the zone's inspection people."))
    else:
        try:
            assign_round(round_=round_, assignee=form.assignee(), actor=user)
        except RoundRefused as refusal:
            messages.error(request, "; ".join(refusal.problems))
        else:
            messages.success(
                request,
                _("%(round)s given to %(name)s.")
                % {"round": round_, "name": form.assignee().display_name},
            )
    return redirect("inspections:oversight")


@login_required
def facility_list(request: HttpRequest) -> HttpResponse:
    """The facilities in this user's zones, searched by code or name; managers upload the
    registry as CSV here (all or nothing, every bad row listed)."""
    from wennuan.core.forms import CsvUploadForm
    from wennuan.grid.importing import ImportFailed
    from wennuan.inspections.importing import import_facilities

    user = request_user(request)
    upload = CsvUploadForm(request.POST or None, request.FILES or None) if user.can_manage else None
    errors: list[Any] = []
    if request.method == "POST":
        if upload is None:
            raise Http404(_("Not found, or not in your area."))
        if upload.is_valid():
            try:
                result = import_facilities(upload.cleaned_data["file"].read())
            except ImportFailed as failure:
                errors = failure.errors
            else:
                messages.success(
                    request,
                    _(
                        "Facilities imported: %(created)s new, %(updated)s updated, "
                        "%(unchanged)s unchanged."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect("inspections:facilities")
    query = request.GET.get("q", "")
    found = selectors.facilities_for_user(user, query)
    page = Paginator(found, page_size(request, 50)).get_page(request.GET.get("page"))
    return render(
        request,
        "inspections/facilities.html",
        {"page": page, "query": query, "upload": upload, "errors": errors},
        status=400 if errors or (upload is not None and upload.errors) else 200,
    )


@login_required
def facility_history(request: HttpRequest, pk: int) -> HttpResponse:
    """One facility: its data, every visit with results, every finding with its work order."""
    facility = get_facility_for_user(request, pk)
    history = selectors.facility_history(facility)
    return render(
        request,
        "inspections/facility.html",
        {"facility": facility, "visits": history.visits, "findings": history.findings},
    )


@login_required
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit's photo, to those who may see its round or its facility."""
    visit = selectors.get_visit(request.user, pk)
    if visit is None or not visit.photo:
        raise Http404(_("Not found, or not in your area."))
    return FileResponse(visit.photo.open("rb"))
