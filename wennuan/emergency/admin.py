"""Managers switch emergency mode in the admin (a page of its own comes with issue #8):
adding a change switches it, through the service; history cannot be edited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wennuan.emergency.models import EmergencyChange
from wennuan.emergency.services import emergency_on, set_emergency_mode


class EmergencyChangeForm(forms.ModelForm[EmergencyChange]):
    class Meta:
        model = EmergencyChange
        fields = ["on", "reason"]

    def clean_on(self) -> bool:
        on = bool(self.cleaned_data["on"])
        if emergency_on() == on:
            raise forms.ValidationError(
                _("Emergency mode is already on.") if on else _("Emergency mode is already off.")
            )
        return on


@admin.register(EmergencyChange)
class EmergencyChangeAdmin(admin.ModelAdmin[EmergencyChange]):
    form = EmergencyChangeForm
    list_display = ["changed_at", "on", "reason", "changed_by"]

    def save_model(self, request: Any, obj: EmergencyChange, form: Any, change: bool) -> None:
        made = set_emergency_mode(on=obj.on, actor=request.user, reason=obj.reason)
        obj.pk, obj.changed_by, obj.changed_at = made.pk, made.changed_by, made.changed_at

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None  # the add form only: a change in the past stays as it was

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
