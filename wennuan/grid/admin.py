"""Django admin for the grid's master data (sized for a million households)."""

from django.contrib import admin

from wennuan.grid.models import (
    Building,
    Community,
    Complex,
    CoverageReport,
    District,
    HeatSource,
    Household,
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
