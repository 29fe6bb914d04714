"""Stored briefings are read-only in the admin: they change only by generating a new version."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wennuan.reports.models import Briefing


@admin.register(Briefing)
class BriefingAdmin(admin.ModelAdmin[Briefing]):
    list_display = ["day", "version", "trigger", "complete", "generated_at", "generated_by"]
    list_filter = ["trigger", "complete"]
    date_hierarchy = "day"
    readonly_fields = [f.name for f in Briefing._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
