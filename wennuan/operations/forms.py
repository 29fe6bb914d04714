"""Forms of heating operation: announcing a planned stop."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wennuan.core.forms import StyledForm
from wennuan.grid.models import HeatSource, Station


class StopForm(StyledForm):
    """A stop of a station or a heat source, by its code."""

    code = forms.CharField(
        label=_("Station or heat-source code"), max_length=20, help_text=_("e.g. S0001 or H01")
    )
    starts_at = forms.DateTimeField(
        label=_("Stops at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    expected_end_at = forms.DateTimeField(
        label=_("Heat back at (expected)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(label=_("Reason residents will read"), max_length=200)

    def clean_code(self) -> Any:
        code = self.cleaned_data["code"].strip()
        station = Station.objects.filter(code=code).first()
        heat_source = None if station else HeatSource.objects.filter(code=code).first()
        if station is None and heat_source is None:
            raise forms.ValidationError(
                _("No station or heat source has the code %(code)s."), params={"code": code}
            )
        self.cleaned_data["station"] = station
        self.cleaned_data["heat_source"] = heat_source
        return code
