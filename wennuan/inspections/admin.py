"""Managers keep the facility registry, the checklists and the plans (with their routes) in
the admin; rounds and findings are read there, changed only through the pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wennuan.inspections.models import (
    ChecklistItem,
    Facility,
    Finding,
    InspectionPlan,
    InspectionRound,
    PlanStop,
)


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin[Facility]):
    list_display = ["code", "name", "kind", "zone", "condition", "active"]
    list_filter = ["kind", "condition", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["building", "station", "zone"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin[ChecklistItem]):
    list_display = ["facility_kind", "position", "text_zh", "kind", "unit", "low", "high", "active"]
    list_filter = ["facility_kind", "kind", "active"]


class PlanStopInline(admin.TabularInline[PlanStop, InspectionPlan]):
    model = PlanStop
    autocomplete_fields = ["facility"]
    extra = 1


@admin.register(InspectionPlan)
class InspectionPlanAdmin(admin.ModelAdmin[InspectionPlan]):
    list_display = [
        "name",
        "zone",
        "every_days",
        "weekdays",
        "active_from",
        "active_until",
        "active",
    ]
    list_filter = ["active"]
    inlines = [PlanStopInline]
    autocomplete_fields = ["zone"]


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(InspectionRound)
class InspectionRoundAdmin(ReadOnly):
    list_display = ["due_on", "plan", "assignee", "status", "emergency", "submitted_at"]
    list_filter = ["status", "emergency"]


@admin.register(Finding)
class FindingAdmin(ReadOnly):
    list_display = ["created_at", "facility", "description", "work_order"]
