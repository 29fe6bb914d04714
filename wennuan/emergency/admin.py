"""The history of emergency mode, read in the admin (it is switched on /emergency/)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wennuan.emergency.models import (
    CallTask,
    DisinfectionLog,
    DisinfectionSite,
    EmergencyChange,
    FlagView,
    HouseholdFlag,
)


@admin.register(EmergencyChange)
class EmergencyChangeAdmin(admin.ModelAdmin[EmergencyChange]):
    list_display = ["changed_at", "on", "reason", "changed_by"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(DisinfectionSite)
class DisinfectionSiteAdmin(admin.ModelAdmin[DisinfectionSite]):
    """Managers keep the sites and their intervals; the log is kept on the page."""

    list_display = ["name", "kind", "every_hours", "active"]
    list_filter = ["kind", "active"]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(DisinfectionLog)
class DisinfectionLogAdmin(ReadOnlyAdmin):
    list_display = ["done_at", "site", "done_by", "agent"]


@admin.register(HouseholdFlag)
class HouseholdFlagAdmin(ReadOnlyAdmin):
    list_display = ["household", "kind", "starts_on", "ends_on", "created_by", "created_at"]
    list_filter = ["kind"]


@admin.register(FlagView)
class FlagViewAdmin(ReadOnlyAdmin):
    """The audit of who saw which household's flags."""

    list_display = ["viewed_at", "viewer", "household", "where"]


@admin.register(CallTask)
class CallTaskAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "household", "reason", "assignee", "done_at", "outcome"]
    list_filter = ["reason"]
