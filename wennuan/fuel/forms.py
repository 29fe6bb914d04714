"""Forms of the coal reserve pages. They check shape; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wennuan.core.forms import StyledForm
from wennuan.fuel.forecast import Scenario


def _date_widget() -> forms.DateInput:
    # ISO whatever the language: the browser's date picker takes only yyyy-mm-dd (zh-hans
    # would print 2026/11/29, which the picker throws away).
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class DeliveryForm(StyledForm):
    """Coal weighed into the yard."""

    day = forms.DateField(label=_("Day"), widget=_date_widget(), initial=timezone.localdate)
    tonnes = forms.DecimalField(label=_("Weight (t)"), min_value=0.001, decimal_places=3)
    note_number = forms.CharField(label=_("Delivery note number"), max_length=40)
    supplier = forms.CharField(label=_("Supplier"), max_length=100, required=False)
    lhv_mj_kg = forms.DecimalField(
        label=_("Lower heating value (MJ/kg)"), required=False, min_value=5, max_value=35
    )
    moisture_pct = forms.DecimalField(
        label=_("Moisture (%)"), required=False, min_value=0, max_value=60
    )
    expected = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ConsumptionForm(StyledForm):
    """A day's coal burned, entered by hand where telemetry does not report it."""

    day = forms.DateField(label=_("Day"), widget=_date_widget(), initial=timezone.localdate)
    tonnes = forms.DecimalField(label=_("Coal burned (t)"), min_value=0, decimal_places=3)


class StocktakeForm(StyledForm):
    """A count of the yard; the difference from the books becomes an adjustment."""

    day = forms.DateField(label=_("Day"), widget=_date_widget(), initial=timezone.localdate)
    counted_tonnes = forms.DecimalField(label=_("Counted stock (t)"), min_value=0, decimal_places=3)
    reason = forms.CharField(label=_("Why it differs from the books"), max_length=300)


class ExpectedDeliveryForm(StyledForm):
    """A delivery the supplier has confirmed."""

    expected_on = forms.DateField(label=_("Expected on"), widget=_date_widget())
    tonnes = forms.DecimalField(label=_("Weight (t)"), min_value=0.001, decimal_places=3)
    supplier = forms.CharField(label=_("Supplier"), max_length=100, required=False)


class ReverseForm(StyledForm):
    reason = forms.CharField(label=_("Why the entry is wrong"), max_length=300)


class ScenarioForm(StyledForm):
    """A what-if (GET): any mix of suspended deliveries, a cold wave and lower efficiency."""

    suspend_days = forms.IntegerField(
        label=_("Deliveries suspended (days)"), min_value=0, max_value=366, required=False
    )
    cold_delta_c = forms.FloatField(
        label=_("Cold wave: colder than forecast by (°C)"),
        min_value=0,
        max_value=30,
        required=False,
    )
    cold_days = forms.IntegerField(
        label=_("Cold wave: for (days)"), min_value=0, max_value=366, required=False
    )
    efficiency_drop_pct = forms.FloatField(
        label=_("Boiler efficiency down by (%)"), min_value=0, max_value=50, required=False
    )

    def scenario(self) -> Scenario | None:
        """The scenario asked for, or None when the form is empty or invalid."""
        if not self.is_valid():
            return None
        data: dict[str, Any] = {k: v for k, v in self.cleaned_data.items() if v}
        if not data:
            return None
        return Scenario(key="custom", label=_("Your scenario"), **data)
