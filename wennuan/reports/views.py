"""The daily briefing: the page (charts and tables, printable), regeneration by a manager,
and the Excel and PDF exports. Thin: figures come from selectors, generation from services.

A day without a stored briefing is computed when asked for and shown as "not stored".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wennuan.people.selectors import request_user
from wennuan.reports import export, selectors
from wennuan.reports.forms import BriefingDayForm
from wennuan.reports.models import Briefing
from wennuan.reports.services import BriefingRefused, generate_briefing


@dataclass
class Chosen:
    """The day asked for, the stored version shown (None: computed now), all versions."""

    form: BriefingDayForm
    day: date
    briefing: Briefing | None
    versions: list[Briefing]
    shown: dict[str, Any]


def _chosen(request: HttpRequest) -> Chosen:
    if not selectors.may_view(request.user):
        raise Http404(_("Not found, or not in your area."))
    form = BriefingDayForm(request.GET)
    day, version = form.chosen()
    stored = list(selectors.versions(day))
    briefing = next((b for b in stored if b.version == version), None) if version else None
    if version and briefing is None:
        raise Http404(_("That version of the briefing does not exist."))
    briefing = briefing or (stored[0] if stored else None)
    figures = briefing.figures if briefing else selectors.compute_figures(day)
    return Chosen(form, day, briefing, stored, selectors.present(figures))


def _query(chosen: Chosen) -> str:
    params: dict[str, str] = {"day": chosen.day.isoformat()}
    if chosen.briefing is not None and chosen.versions and chosen.briefing != chosen.versions[0]:
        params["version"] = str(chosen.briefing.version)
    return urlencode(params)


@login_required
def briefing(request: HttpRequest) -> HttpResponse:
    """One day's briefing (default: yesterday, the morning's): figures, charts, tables."""
    chosen = _chosen(request)
    today = timezone.localdate()
    return render(
        request,
        "reports/briefing.html",
        {
            "form": chosen.form,
            "day": chosen.day,
            "briefing": chosen.briefing,
            "versions": chosen.versions,
            "b": chosen.shown,
            "chart": selectors.chart_data(chosen.shown),
            "query": _query(chosen),
            "previous_day": chosen.day - timedelta(days=1),
            "next_day": chosen.day + timedelta(days=1) if chosen.day < today else None,
            "today": today,
            "may_regenerate": selectors.may_regenerate(request.user),
            "sla_definition": export.sla_definition(),
        },
    )


@login_required
@require_POST
def regenerate(request: HttpRequest) -> HttpResponse:
    """Generate the day's briefing again, as its next version (managers)."""
    user = request_user(request)
    if not selectors.may_regenerate(user):
        raise Http404(_("Not found, or not in your area."))
    form = BriefingDayForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("day", []):
            messages.error(request, str(error))
        return redirect("reports:briefing")
    day = form.cleaned_data["day"]
    try:
        made = generate_briefing(day=day, actor=user)
    except BriefingRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Briefing of %(day)s generated (version %(v)s).")
            % {"day": day.isoformat(), "v": made.version},
        )
    return redirect(f"{reverse('reports:briefing')}?{urlencode({'day': day.isoformat()})}")


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The briefing shown on the page as an Excel workbook, one sheet per section."""
    chosen = _chosen(request)
    return _download(
        export.workbook(chosen.shown, chosen.briefing),
        export.XLSX_TYPE,
        f"briefing-{chosen.day.isoformat()}.xlsx",
    )


@login_required
def export_pdf(request: HttpRequest) -> HttpResponse:
    """The briefing shown on the page as a PDF to print."""
    chosen = _chosen(request)
    return _download(
        export.pdf(chosen.shown, chosen.briefing),
        "application/pdf",
        f"briefing-{chosen.day.isoformat()}.pdf",
    )
