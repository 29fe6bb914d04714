"""Django admin for staff."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wennuan.core.privacy import masked_column
from wennuan.people.models import HealthCheckIn, Leave, Shift, TwoFactorDevice, User


@admin.register(User)
class StaffAdmin(UserAdmin[User]):
    list_display = [
        "username",
        "full_name",
        "role",
        masked_column("phone", _("phone")),
        "health_status",
        "is_party_member",
        "is_active",
    ]
    list_filter = ["role", "health_status", "is_party_member", "is_active"]
    search_fields = ["username", "full_name", "phone"]
    autocomplete_fields = ["supervisor", "community"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Person"),
            {
                "fields": (
                    "full_name",
                    "email",
                    "phone",
                    "role",
                    "health_status",
                    "supervisor",
                    "community",
                )
            },
        ),
        (_("Party"), {"fields": ("is_party_member", "vanguard_post")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "role", "password1", "password2"),
            },
        ),
    )


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin[Shift]):
    list_display = ["staff", "starts_at", "ends_at", "leads_dispatch"]
    list_filter = ["leads_dispatch", "staff__role"]
    search_fields = ["staff__username", "staff__full_name"]
    autocomplete_fields = ["staff"]
    date_hierarchy = "starts_at"


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin[Leave]):
    list_display = ["staff", "starts_at", "ends_at", "reason"]
    search_fields = ["staff__username", "staff__full_name"]
    autocomplete_fields = ["staff"]


@admin.register(HealthCheckIn)
class HealthCheckInAdmin(admin.ModelAdmin[HealthCheckIn]):
    """Read-only: check-ins are an audit trail, recorded only by ``services.check_in``."""

    list_display = [
        "staff",
        "day",
        "created_at",
        "temperature",
        "status",
        "health_before",
        "health_after",
        "requests_handed_over",
        "rounds_handed_over",
        "recorded_by",
    ]
    list_filter = ["status", "health_after", "day"]
    search_fields = ["staff__username", "staff__full_name"]
    date_hierarchy = "day"
    list_select_related = ["staff", "recorded_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TwoFactorDevice)
class TwoFactorDeviceAdmin(admin.ModelAdmin[TwoFactorDevice]):
    """Who has two-factor login on; the one thing to do here is reset it for someone who lost
    both phone and recovery codes. The secret is never shown."""

    list_display = ["user", "confirmed_at", "created_at"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]
    fields = ["user", "confirmed_at", "created_at"]
    readonly_fields = ["user", "confirmed_at", "created_at"]
    actions = ["reset_two_factor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # through the action, which records who reset it

    def has_reset_permission(self, request: HttpRequest) -> bool:
        """Only superusers reset someone's second factor: staff who may merely view this list
        (a master-data group) must not be able to switch off an administrator's."""
        return bool(getattr(request.user, "is_superuser", False))

    @admin.action(
        description=_("Reset two-factor login (the person sets it up again)"),
        permissions=["reset"],
    )
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[TwoFactorDevice]) -> None:
        from wennuan.core.forms import client_address
        from wennuan.people.two_factor import reset

        actor = request.user
        assert isinstance(actor, User)
        count = 0
        for device in queryset.select_related("user"):
            count += reset(user=device.user, actor=actor, ip_address=client_address(request))
            if device.user.pk == actor.pk:
                # The reset ends the person's sessions; a superuser resetting their own keeps
                # the one they are using.
                update_session_auth_hash(request, device.user)
        self.message_user(
            request, _("Two-factor login reset for %(count)d staff.") % {"count": count}
        )
