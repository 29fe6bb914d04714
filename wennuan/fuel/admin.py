"""Managers set each heat source's coal quality and boiler efficiency in the admin; the
ledger is read-only there (it changes only through the fuel pages: append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wennuan.fuel.models import CoalEntry, FuelProfile, WeatherDay


@admin.register(FuelProfile)
class FuelProfileAdmin(admin.ModelAdmin[FuelProfile]):
    list_display = [
        "heat_source", "lhv_mj_kg", "boiler_efficiency", "model_kind", "holdout_mape",
        "baseline_mape", "history_days", "fitted_at",
    ]  # fmt: skip
    readonly_fields = [
        "model", "model_kind", "holdout_mape", "baseline_mape", "history_days", "fitted_at",
    ]  # fmt: skip


@admin.register(CoalEntry)
class CoalEntryAdmin(admin.ModelAdmin[CoalEntry]):
    list_display = [
        "day",
        "heat_source",
        "kind",
        "tonnes",
        "note_number",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind", "heat_source", "origin"]
    readonly_fields = [f.name for f in CoalEntry._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(WeatherDay)
class WeatherDayAdmin(admin.ModelAdmin[WeatherDay]):
    list_display = ["day", "place", "kind", "mean_c", "min_c", "max_c", "origin", "updated_at"]
    list_filter = ["kind", "place", "origin"]
