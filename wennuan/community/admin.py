"""Django admin for partner communities: partnerships, their contacts and supply items are
master data edited here; the supplies ledger, support records, members reported in and
joint activities are read-only here (they change only through the pages' services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wennuan.community.models import (
    JointActivity,
    PartnerCommunity,
    PartnerContact,
    PartyMemberReport,
    SupplyEntry,
    SupplyItem,
    SupportRecord,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shown, never added, changed or deleted here: append-only records."""

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class PartnerContactInline(admin.TabularInline[PartnerContact, PartnerCommunity]):
    model = PartnerContact
    extra = 1


@admin.register(PartnerCommunity)
class PartnerCommunityAdmin(admin.ModelAdmin[PartnerCommunity]):
    list_display = ["community", "since", "liaison"]
    list_select_related = ["community", "liaison"]
    autocomplete_fields = ["community", "liaison"]
    filter_horizontal = ["zones"]
    inlines = [PartnerContactInline]


@admin.register(SupplyItem)
class SupplyItemAdmin(admin.ModelAdmin[SupplyItem]):
    list_display = ["code", "name_zh", "name_en", "category", "unit_zh", "active"]
    list_filter = ["category", "active"]


@admin.register(SupplyEntry)
class SupplyEntryAdmin(ReadOnlyAdmin):
    list_display = ["day", "item", "kind", "quantity", "to_staff", "partner", "created_by"]
    list_filter = ["kind", "item"]
    list_select_related = ["item", "to_staff", "partner__community", "created_by"]


@admin.register(SupportRecord)
class SupportRecordAdmin(ReadOnlyAdmin):
    list_display = ["day", "partner", "handed_over_by", "reversed_at"]
    list_select_related = ["partner__community", "handed_over_by"]


@admin.register(PartyMemberReport)
class PartyMemberReportAdmin(ReadOnlyAdmin):
    list_display = ["partner", "member", "vanguard_post", "reported_on", "ended_on"]
    list_select_related = ["partner__community", "member"]


@admin.register(JointActivity)
class JointActivityAdmin(ReadOnlyAdmin):
    list_display = ["day", "partner", "title", "community_volunteers"]
    list_select_related = ["partner__community"]
