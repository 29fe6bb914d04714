"""Back-office pages of the heating grid. Thin: reads come from selectors, writes from services."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wennuan.core.db import custom_plans
from wennuan.core.paging import page_size
from wennuan.grid.forms import HouseholdSearchForm, ImportForm
from wennuan.grid.importing import COLUMNS, ImportFailed
from wennuan.grid.models import Building, Household, ImportRun, Station, Zone
from wennuan.grid.privacy import may_call_household, may_handle_personal_data
from wennuan.grid.selectors import (
    HOUSEHOLD_CHAIN,
    coverage_audit,
    duty_people_for_zone,
    household_chain,
    search_households,
    stations_for_list,
    zones_for_list,
)
from wennuan.grid.services import import_grid

M = TypeVar("M", bound=Model)


def get_for_user(queryset: QuerySet[M], request: HttpRequest, pk: int) -> M:
    """The object if this user may see it, else 404 (never a bare get_object_or_404)."""
    try:
        return queryset.for_user(request.user).get(pk=pk)  # type: ignore[attr-defined, no-any-return]
    except ObjectDoesNotExist as exc:
        raise Http404(_("Not found, or not in your area.")) from exc


def require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


@login_required
def household_search(request: HttpRequest) -> HttpResponse:
    form = HouseholdSearchForm(request.GET or None)
    results: list[Household] | None = None
    if form.is_valid() and form.cleaned_data["q"]:
        with custom_plans():  # a fragment's rarity decides the plan (PostgreSQL)
            results = list(search_households(user=request.user, query=form.cleaned_data["q"]))
        if len(results) == 1:
            return redirect("grid:household_detail", pk=results[0].pk)
    return render(request, "grid/household_search.html", {"form": form, "results": results})


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        chain = household_chain(user=request.user, pk=pk)
    except Household.DoesNotExist as exc:
        raise Http404(_("Not found, or not in your area.")) from exc
    from wennuan.emergency.forms import FlagForm
    from wennuan.emergency.services import may_see_flags, read_flags

    household = chain.household
    return render(
        request,
        "grid/household_detail.html",
        {
            "chain": chain,
            "h": household,
            # Reading the flags is recorded (the resident's privacy).
            "flags": read_flags(household=household, viewer=request.user, where="household page"),
            "may_flag": may_see_flags(request.user, household),
            "flag_form": FlagForm(),
            # Full phone numbers for dispatch and the zone's named owners, masked for others.
            "full_phone": may_call_household(request.user, household),
            "may_handle_data": may_handle_personal_data(request.user),
        },
    )


@login_required
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_for_user(
        Building.objects.select_related(*(p.removeprefix("building__") for p in HOUSEHOLD_CHAIN)),
        request,
        pk,
    )
    page = Paginator(
        building.households.order_by("entrance", "unit"), page_size(request, 60)
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "grid/building_detail.html",
        {"building": building, "page": page, "duties": duty_people_for_zone(building.zone_id)},
    )


@login_required
def station_list(request: HttpRequest) -> HttpResponse:
    stations = stations_for_list(request.user)
    page = Paginator(stations, page_size(request, 50)).get_page(request.GET.get("page"))
    return render(request, "grid/station_list.html", {"page": page})


@login_required
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_for_user(Station.objects.select_related("heat_source"), request, pk)
    buildings = (
        Building.objects.for_user(request.user)
        .filter(station=station)
        .select_related("complex", "zone")
        .annotate(household_count=Count("households"))
        .order_by("code")
    )
    return render(request, "grid/station_detail.html", {"station": station, "buildings": buildings})


@login_required
def zone_list(request: HttpRequest) -> HttpResponse:
    zones = zones_for_list(request.user)
    page = Paginator(zones, page_size(request, 100)).get_page(request.GET.get("page"))
    return render(request, "grid/zone_list.html", {"page": page})


@login_required
def zone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    zone = get_for_user(Zone.objects.all(), request, pk)
    buildings = (
        zone.buildings.select_related("complex__community", "station")
        .annotate(household_count=Count("households"))
        .order_by("code")
    )
    return render(
        request,
        "grid/zone_detail.html",
        {
            "zone": zone,
            "buildings": buildings,
            "duties": duty_people_for_zone(zone.pk),
            "partners": list(zone.partner_communities.select_related("community")),
        },
    )


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    require(request.user.sees_whole_city)  # type: ignore[union-attr]
    audit = coverage_audit()
    loads = sorted((o.households for o in audit.overloaded), reverse=True)
    return render(
        request,
        "grid/coverage.html",
        {"audit": audit, "chart": {"limit": audit.max_households, "loads": loads}},
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    require(request.user.can_manage)  # type: ignore[union-attr]
    errors: list[Any] = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_grid(
                kind=form.cleaned_data["kind"],
                data=upload.read(),
                file_name=upload.name,
                user=request.user,
            )
        except ImportFailed as failed:
            errors = failed.errors
        else:
            messages.success(
                request,
                _(
                    "%(file)s: %(rows)s rows — %(created)s created, %(updated)s updated, "
                    "%(unchanged)s unchanged."
                )
                % {
                    "file": upload.name,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("grid:import")
    return render(
        request,
        "grid/import.html",
        {
            "form": form,
            "errors": errors,
            "columns": COLUMNS,
            "runs": ImportRun.objects.select_related("user")[:20],
        },
        status=400 if errors else 200,
    )


def _household_for_data(request: HttpRequest, pk: int) -> Household:
    """A household whose personal data a manager or administrator handles, else 404."""
    if not may_handle_personal_data(request.user):
        raise Http404(_("Not found, or not in your area."))
    return get_for_user(Household.objects.select_related("building"), request, pk)


@login_required
@require_POST
def household_data_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held about the household, as a JSON download (the export is recorded)."""
    from wennuan.grid.privacy import export_household_data, export_json

    household = _household_for_data(request, pk)
    data = export_household_data(household, by=request.user)
    response = HttpResponse(export_json(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="household-{household.account_number}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def household_data_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, with a reason, and anonymise the household's personal data."""
    from wennuan.grid.forms import EraseForm
    from wennuan.grid.privacy import ErasureRefused, erase_household_personal_data

    household = _household_for_data(request, pk)
    form = EraseForm(request.POST or None, account_number=household.account_number)
    if request.method == "POST" and form.is_valid():
        try:
            erase_household_personal_data(
                household, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ErasureRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("The household's personal data was erased."))
            return redirect("grid:household_detail", pk=household.pk)
    return render(
        request,
        "grid/household_erase.html",
        {
            "h": household,
            "form": form,
            "actions": household.data_actions.select_related("by")[:20],
        },
        status=400 if form.errors else 200,
    )
