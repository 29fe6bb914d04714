"""Django admin: managers edit the service catalogue; requests are read here, worked elsewhere."""

from django.contrib import admin

from wennuan.service.models import CategoryAttribute, RequestEvent, ServiceCategory, ServiceRequest


class CategoryAttributeInline(admin.TabularInline[CategoryAttribute, ServiceCategory]):
    model = CategoryAttribute
    extra = 0


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin[ServiceCategory]):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "duty",
        "default_priority",
        "first_contact_minutes",
        "resolution_minutes",
        "enabled",
    ]
    list_editable = ["enabled"]
    inlines = [CategoryAttributeInline]


class RequestEventInline(admin.TabularInline[RequestEvent, ServiceRequest]):
    model = RequestEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "created_at",
        "actor",
        "actor_label",
        "kind",
        "from_status",
        "to_status",
        "note",
        "public",
    ]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # the history is append-only, written by the services


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin[ServiceRequest]):
    """Read-only: every change goes through the services so that it writes its event."""

    list_display = [
        "number",
        "category",
        "status",
        "priority",
        "sla_state",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "category", "channel", "sla_state"]
    search_fields = ["=number", "=household__account_number"]
    list_select_related = ["category", "assignee"]
    show_full_result_count = False
    inlines = [RequestEventInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
