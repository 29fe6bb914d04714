"""The history of emergency mode, read in the admin (it is switched on /emergency/)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wennuan.emergency.models import EmergencyChange


@admin.register(EmergencyChange)
class EmergencyChangeAdmin(admin.ModelAdmin[EmergencyChange]):
    list_display = ["changed_at", "on", "reason", "changed_by"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
