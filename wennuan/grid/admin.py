"""Django admin for the grid's master data (sized for a million households)."""

from typing import Any

from django.contrib import admin

from wennuan.grid.models import (
    Building,
    Community,
    Complex,
    CoverageReport,
    District,
    HeatSource,
    Household,
    HouseholdDataAction,
    ImportRun,
    Station,
    Street,
    Zone,
    ZoneAssignment,
)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin[District]):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin[Street]):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]
    search_fields = ["code", "name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin[Community]):
    list_display = ["code", "name", "street"]
    list_select_related = ["street"]
    search_fields = ["code", "name"]


@admin.register(Complex)
class ComplexAdmin(admin.ModelAdmin[Complex]):
    list_display = ["name", "community"]
    list_select_related = ["community"]
    search_fields = ["name"]
    autocomplete_fields = ["community"]


@admin.register(HeatSource)
class HeatSourceAdmin(admin.ModelAdmin[HeatSource]):
    list_display = ["code", "name", "kind", "fuel", "capacity_mw"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin[Station]):
    list_display = ["code", "name", "heat_source", "capacity_mw"]
    list_filter = ["heat_source"]
    list_select_related = ["heat_source"]
    search_fields = ["code", "name"]


class ZoneAssignmentInline(admin.TabularInline[ZoneAssignment, Zone]):
    model = ZoneAssignment
    extra = 1
    autocomplete_fields = ["staff"]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin[Zone]):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [ZoneAssignmentInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin[Building]):
    list_display = ["code", "address", "station", "zone"]
    list_select_related = ["station", "zone"]
    search_fields = ["code", "address"]
    autocomplete_fields = ["complex", "station", "zone"]
    show_full_result_count = False


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin[Household]):
    list_display = ["account_number", "address", "heating_status", "occupant_name"]
    list_filter = ["heating_status"]
    search_fields = ["=account_number", "=phone", "=alt_phone"]
    raw_id_fields = ["building"]
    show_full_result_count = False

    def change_view(
        self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        # The vulnerability mark and note are care information: seeing them is recorded.
        from django.contrib.admin.utils import unquote

        from wennuan.emergency.services import record_flag_views

        response = super().change_view(request, object_id, form_url, extra_context)
        household = self.get_object(request, unquote(object_id))
        if household is not None and household.vulnerable:
            record_flag_views(household_ids=[household.pk], viewer=request.user, where="admin")
        return response


@admin.register(CoverageReport)
class CoverageReportAdmin(admin.ModelAdmin[CoverageReport]):
    list_display = ["created_at", "gap_count", "overloaded_count"]
    readonly_fields = ["created_at", "gap_count", "overloaded_count", "summary"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    list_display = [
        "created_at",
        "kind",
        "file_name",
        "rows",
        "created",
        "updated",
        "unchanged",
        "user",
    ]
    readonly_fields = [
        "created_at",
        "kind",
        "file_name",
        "rows",
        "created",
        "updated",
        "unchanged",
        "user",
        "encoding",
    ]


@admin.register(HouseholdDataAction)
class HouseholdDataActionAdmin(admin.ModelAdmin[HouseholdDataAction]):
    """The audit of personal-data exports and erasures: read only."""

    list_display = ["at", "household", "action", "by", "by_label", "reason"]
    list_filter = ["action"]
    raw_id_fields = ["household"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
