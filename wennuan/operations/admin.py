"""Managers edit alarm rules and heating curves in the admin; gateways and alarms are listed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from wennuan.operations.models import Alarm, AlarmRule, Gateway, HeatingCurve
from wennuan.operations.services import clean_curve_points


@admin.register(AlarmRule)
class AlarmRuleAdmin(admin.ModelAdmin[AlarmRule]):
    list_display = [
        "name_zh",
        "kind",
        "metric",
        "direction",
        "threshold",
        "minutes",
        "severity",
        "enabled",
    ]
    list_filter = ["kind", "severity", "enabled"]


class HeatingCurveForm(ModelForm):  # type: ignore[type-arg]
    def clean_points(self) -> Any:
        try:
            return clean_curve_points(self.cleaned_data["points"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


@admin.register(HeatingCurve)
class HeatingCurveAdmin(admin.ModelAdmin[HeatingCurve]):
    form = HeatingCurveForm
    list_display = ["__str__", "points", "updated_at"]
    autocomplete_fields = ["station"]


@admin.register(Gateway)
class GatewayAdmin(admin.ModelAdmin[Gateway]):
    list_display = ["name", "prefix", "created_at", "last_seen_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_seen_at"]
    fields = ["name", "prefix", "created_at", "last_seen_at", "revoked_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # tokens are issued by `manage.py telemetry_gateway create`, shown once


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin[Alarm]):
    list_display = ["raised_at", "station", "rule", "severity", "status", "last_seen_at", "detail"]
    list_filter = ["status", "severity", "rule"]
    list_select_related = ["station", "rule"]
    readonly_fields = [f.name for f in Alarm._meta.fields]
