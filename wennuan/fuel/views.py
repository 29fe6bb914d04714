"""Coal reserve pages: the company overview, a heat source's yard (books, forecast,
scenarios side by side, deliveries), the Excel export and CSV uploads. Thin: reads come from
selectors and forecast, every change goes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wennuan.core.forms import CsvUploadForm
from wennuan.fuel import forms, services
from wennuan.fuel.export import company_workbook, workbook
from wennuan.fuel.forecast import (
    compare,
    degree_days_so_far,
    hourly_heat,
    presets,
    season_plan,
)
from wennuan.fuel.importing import import_deliveries, import_weather
from wennuan.fuel.models import CoalEntry, ExpectedDelivery, FuelProfile
from wennuan.fuel.selectors import (
    chart_series,
    company_rows,
    ledger,
    may_correct,
    may_record,
    may_view,
    open_expected,
    stock_history,
)
from wennuan.fuel.units import DEFAULT_LHV_MJ_KG, energy_of_stock
from wennuan.fuel.weather import forecast_age
from wennuan.grid.importing import ImportFailed
from wennuan.grid.models import HeatSource
from wennuan.people.selectors import request_user


def _source(request: HttpRequest, code: str) -> HeatSource:
    if not may_view(request.user):
        raise Http404(_("Not found, or not in your area."))
    found: HeatSource | None = services.coal_sources().filter(code=code).first()
    if found is None:
        raise Http404(_("Not found, or not in your area."))
    return found


@login_required
def company(request: HttpRequest) -> HttpResponse:
    """Every yard: stock, days of cover, run-out, the rule, the season plan."""
    if not may_view(request.user):
        raise Http404(_("Not found, or not in your area."))
    today = timezone.localdate()
    rows = company_rows(today=today)
    observed_hdd, normal_hdd = degree_days_so_far(today)
    return render(
        request,
        "fuel/company.html",
        {
            "rows": rows,
            "total_stock": sum(r.cover.stock_t for r in rows),
            "total_procure": sum(r.plan.to_procure_t for r in rows),
            "hdd": (observed_hdd, normal_hdd),
            "age": forecast_age(),
            "may_correct": may_correct(request.user),
            "chart": {
                "names": [r.source.name for r in rows],
                "cover": [
                    round(r.cover.days_of_cover, 1) if r.cover.days_of_cover is not None else 366
                    for r in rows
                ],
                "rule": rows[0].cover.rule_days if rows else 15,
            },
        },
    )


def _source_page(
    request: HttpRequest, source: HeatSource, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    scenario_form = forms.ScenarioForm(request.GET or None)
    scenarios = presets()
    custom = scenario_form.scenario()
    if custom is not None:
        scenarios.append(custom)
    covers = compare(source, scenarios)
    history = stock_history(source)
    page_forms = {
        "delivery": forms.DeliveryForm(),
        "consumption": forms.ConsumptionForm(),
        "stocktake": forms.StocktakeForm(),
        "expected": forms.ExpectedDeliveryForm(),
        **(bound or {}),
    }
    profile = FuelProfile.objects.filter(heat_source=source).first()
    lhv = float(profile.lhv_mj_kg) if profile is not None else DEFAULT_LHV_MJ_KG
    return render(
        request,
        "fuel/source.html",
        {
            "source": source,
            "covers": covers,
            "custom": covers[-1] if custom is not None else None,
            "plan": season_plan(covers[0]),
            "profile": profile,
            "energy": energy_of_stock(max(covers[0].stock_t, 0.0), lhv),
            "chart": chart_series(history, covers),
            "hourly": _hourly_chart(source),
            "entries": ledger(source)[:100],
            "expected": open_expected(source),
            "scenario_form": scenario_form,
            "forms": page_forms,
            "may_record": may_record(request.user),
            "may_correct": may_correct(request.user),
            "age": forecast_age(),
        },
        status=status,
    )


def _hourly_chart(source: HeatSource) -> dict[str, Any] | None:
    hours = hourly_heat(source)
    if hours is None:
        return None
    return {
        "hours": [moment.strftime("%m-%d %H:%M") for moment, _ in hours],
        "mw": [round(mw, 2) for _, mw in hours],
    }


@login_required
def source(request: HttpRequest, code: str) -> HttpResponse:
    """One yard: books, forecast with its band, scenarios side by side, deliveries."""
    return _source_page(request, _source(request, code))


ACTIONS: dict[str, type[Any]] = {
    "delivery": forms.DeliveryForm,
    "consumption": forms.ConsumptionForm,
    "stocktake": forms.StocktakeForm,
    "expected": forms.ExpectedDeliveryForm,
}
# Who may do each action (see selectors).
ALLOWED = {"delivery": may_record, "consumption": may_record, "expected": may_record}


@login_required
@require_POST
def record(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Record a delivery, a day's consumption, a stocktake or an expected delivery."""
    heat_source = _source(request, code)
    user = request_user(request)
    if action not in ACTIONS or not ALLOWED.get(action, may_correct)(user):
        raise Http404(_("Not found, or not in your area."))
    form = ACTIONS[action](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "delivery":
                expected = None
                if data.get("expected"):
                    expected = ExpectedDelivery.objects.filter(
                        pk=data["expected"], heat_source=heat_source
                    ).first()
                    if expected is None:  # not silently a second delivery beside it
                        raise services.FuelRefused(_("That expected delivery is no longer open."))
                services.record_delivery(
                    heat_source=heat_source,
                    day=data["day"],
                    tonnes=data["tonnes"],
                    supplier=data["supplier"],
                    note_number=data["note_number"],
                    lhv_mj_kg=data["lhv_mj_kg"],
                    moisture_pct=data["moisture_pct"],
                    actor=user,
                    expected=expected,
                )
                messages.success(request, _("Delivery recorded."))
            elif action == "consumption":
                services.record_consumption(
                    heat_source=heat_source, day=data["day"], tonnes=data["tonnes"], actor=user
                )
                messages.success(request, _("Consumption recorded."))
            elif action == "stocktake":
                entry = services.record_stocktake(
                    heat_source=heat_source,
                    day=data["day"],
                    counted_tonnes=data["counted_tonnes"],
                    reason=data["reason"],
                    actor=user,
                )
                messages.success(
                    request,
                    _("Stocktake recorded: the books are adjusted by %(t)s t.")
                    % {"t": entry.tonnes},
                )
            else:
                services.expect_delivery(
                    heat_source=heat_source,
                    expected_on=data["expected_on"],
                    tonnes=data["tonnes"],
                    supplier=data["supplier"],
                    actor=user,
                )
                messages.success(request, _("Expected delivery added to the forecast."))
            return redirect("fuel:source", code=code)
        except services.FuelRefused as refusal:
            form.add_error(None, str(refusal))
    return _source_page(request, heat_source, {action: form}, status=400)


@login_required
@require_POST
def reverse(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Reverse a ledger entry, with the reason."""
    heat_source = _source(request, code)
    user = request_user(request)
    entry = CoalEntry.objects.filter(pk=pk, heat_source=heat_source).first()
    if entry is None or not may_correct(user):
        raise Http404(_("Not found, or not in your area."))
    form = forms.ReverseForm(request.POST)
    try:
        if not form.is_valid():
            raise services.FuelRefused(_("Say why the entry is reversed."))
        services.reverse_entry(entry=entry, reason=form.cleaned_data["reason"], actor=user)
        messages.success(request, _("Entry reversed."))
    except services.FuelRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("fuel:source", code=code)


@login_required
@require_POST
def cancel_expected(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    heat_source = _source(request, code)
    delivery = ExpectedDelivery.objects.filter(pk=pk, heat_source=heat_source).first()
    if delivery is None or not may_record(request_user(request)):
        raise Http404(_("Not found, or not in your area."))
    try:
        services.cancel_expected(delivery=delivery)
        messages.success(request, _("Expected delivery called off."))
    except services.FuelRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("fuel:source", code=code)


@login_required
def export(request: HttpRequest, code: str) -> HttpResponse:
    """The yard's books, forecast and scenarios as an Excel workbook."""
    heat_source = _source(request, code)
    scenario_form = forms.ScenarioForm(request.GET or None)
    scenarios = presets()
    custom = scenario_form.scenario()
    if custom is not None:
        scenarios.append(custom)
    content = workbook(heat_source, compare(heat_source, scenarios), ledger(heat_source))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"coal-{heat_source.code}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def company_export(request: HttpRequest) -> HttpResponse:
    """Every yard's cover and season plan, and the stock day by day, as an Excel workbook."""
    if not may_view(request.user):
        raise Http404(_("Not found, or not in your area."))
    response = HttpResponse(
        company_workbook(company_rows()),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"coal-yards-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """CSV uploads: deliveries (weighbridge export) and daily temperatures."""
    user = request_user(request)
    if not may_correct(user):
        raise Http404(_("Not found, or not in your area."))
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    errors: list[Any] = []
    kind = request.POST.get("kind", "deliveries")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        try:
            if kind == "weather":
                result = import_weather(data)
                messages.success(
                    request, _("%(n)s days of temperature stored.") % {"n": result.rows}
                )
            else:
                result = import_deliveries(data, actor=user)
                messages.success(request, _("%(n)s deliveries recorded.") % {"n": result.rows})
            return redirect("fuel:upload")
        except ImportFailed as failure:
            errors = failure.errors
    return render(
        request,
        "fuel/upload.html",
        {"form": form, "errors": errors, "kind": kind},
        status=400 if errors or form.errors else 200,
    )
