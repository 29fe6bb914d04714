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


class RecordsFlagViews(ReadOnlyAdmin):
    """Flags seen in the admin are recorded as on the pages (``FlagView``, where "admin")."""

    def flagged_households(self, rows: Any) -> list[Any]:
        return [row.household_id for row in rows]

    def changelist_view(self, request: Any, extra_context: Any = None) -> Any:
        from wennuan.emergency.services import record_flag_views

        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            record_flag_views(
                household_ids=self.flagged_households(changelist.result_list),
                viewer=request.user,
                where=f"admin: {self.model._meta.model_name} list",
            )
        return response

    def change_view(
        self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        from django.contrib.admin.utils import unquote

        from wennuan.emergency.services import record_flag_views

        response = super().change_view(request, object_id, form_url, extra_context)
        row = self.get_object(request, unquote(object_id))
        if row is not None and getattr(response, "status_code", 200) == 200:
            record_flag_views(
                household_ids=self.flagged_households([row]),
                viewer=request.user,
                where=f"admin: {self.model._meta.model_name}",
            )
        return response


@admin.register(HouseholdFlag)
class HouseholdFlagAdmin(RecordsFlagViews):
    list_display = ["household", "kind", "starts_on", "ends_on", "created_by", "created_at"]
    list_filter = ["kind"]


@admin.register(FlagView)
class FlagViewAdmin(ReadOnlyAdmin):
    """The audit of who saw which household's flags."""

    list_display = ["viewed_at", "viewer", "household", "where"]


@admin.register(CallTask)
class CallTaskAdmin(RecordsFlagViews):
    list_display = ["created_at", "household", "reason", "assignee", "done_at", "outcome"]
    list_filter = ["reason"]

    def flagged_households(self, rows: Any) -> list[Any]:
        # "Vulnerable household: …" is care information; an exposure call is not a flag.
        from wennuan.emergency.models import CallReason

        care = (CallReason.INCIDENT, CallReason.STOP)
        return [row.household_id for row in rows if row.reason in care]
