"""Forms of people."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wennuan.core.forms import StyledForm
from wennuan.people.choices import CheckInStatus, Symptom
from wennuan.people.models import User
from wennuan.people.services import MAX_SYMPTOMS_NOTE, parse_temperature

# The first day the pages look at: nothing was recorded before it, and days near the
# calendar's ends overflow the "day before" and "day after" links.
EARLIEST_DAY = date(2000, 1, 1)


def day_out_of_range(day: date, *, latest: date) -> str | None:
    """Why ``day`` cannot be shown (before ``EARLIEST_DAY`` or after ``latest``), or None."""
    if EARLIEST_DAY <= day <= latest:
        return None
    return gettext("Choose a day from %(first)s to %(last)s.") % {
        "first": EARLIEST_DAY.isoformat(),
        "last": latest.isoformat(),
    }


class DayForm(forms.Form):
    """A page's ``?day=YYYY-MM-DD``: ``default`` when absent; a day that is not a date or
    lies outside ``EARLIEST_DAY``..``latest`` is an error, and the page shows ``default``."""

    day = forms.DateField(label=_("Day"), required=False, input_formats=["%Y-%m-%d"])

    def __init__(self, data: Any, *, default: date, latest: date) -> None:
        super().__init__(data)
        self.default = default
        self.latest = latest

    def clean_day(self) -> date:
        day: date | None = self.cleaned_data.get("day")
        if day is None:
            return self.default
        problem = day_out_of_range(day, latest=self.latest)
        if problem:
            raise forms.ValidationError(problem)
        return day

    def chosen(self) -> date:
        """The valid day, or the default."""
        self.is_valid()
        day: date = self.cleaned_data.get("day") or self.default
        return day


class ShiftForm(StyledForm):
    staff: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Staff member"), queryset=User.objects.filter(is_active=True)
    )
    starts_at = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("To"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    leads_dispatch = forms.BooleanField(label=_("Dispatcher on duty"), required=False)

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One role's people: a city has thousands of staff, a select of all is unusable.
        field = self.fields["staff"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(is_active=True, role=role).order_by("full_name")


class TemperatureField(forms.CharField):
    """A body temperature typed on a phone: a decimal point or comma; checked by the service
    (the range and one decimal place), so the page and the service say the same thing."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=8,
            widget=forms.TextInput(
                attrs={
                    "inputmode": "decimal",
                    "autocomplete": "off",
                    "placeholder": "36.5",
                    "class": "form-control-lg wn-temperature",
                }
            ),
            **kwargs,
        )

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in self.empty_values:
            return text
        try:
            return parse_temperature(text)
        except ValueError as problem:
            raise forms.ValidationError(str(problem)) from None


class CheckInForm(StyledForm):
    """The daily health check-in on the phone: temperature, status, symptoms."""

    temperature = TemperatureField(label=_("Temperature (°C)"))
    status = forms.ChoiceField(
        label=_("How are you today?"),
        choices=CheckInStatus.choices,
        widget=forms.RadioSelect,
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    symptoms_note = forms.CharField(
        label=_("Other symptoms"),
        required=False,
        max_length=MAX_SYMPTOMS_NOTE,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Big buttons for thumbs: Bootstrap's toggle buttons instead of small radios and boxes.
        for name in ("status", "symptoms"):
            self.fields[name].widget.attrs["class"] = "btn-check"
        self.fields["symptoms_note"].widget.attrs["class"] = "form-control form-control-lg"
        self.fields["temperature"].widget.attrs["class"] = "form-control form-control-lg"


def _code_widget(*, numeric: bool) -> forms.TextInput:
    attrs = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
    if numeric:
        attrs |= {"inputmode": "numeric", "pattern": "[0-9 ]*", "maxlength": "8"}
    return forms.TextInput(attrs=attrs)


class TotpCodeForm(StyledForm):
    """The six-digit code of the authenticator app."""

    code = forms.CharField(label=_("6-digit code"), max_length=8, widget=_code_widget(numeric=True))


class RecoveryCodeForm(StyledForm):
    """One of the recovery codes printed at enrolment."""

    recovery_code = forms.CharField(
        label=_("Recovery code"), max_length=20, widget=_code_widget(numeric=False)
    )


class PasswordAndCodeForm(StyledForm):
    """The password and a current code (or a recovery code): needed to switch two-factor
    login off or to make new recovery codes."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("6-digit code or a recovery code"),
        max_length=20,
        widget=_code_widget(numeric=False),
    )


class EnrolmentConfirmForm(StyledForm):
    """The password and the app's first code: what switches two-factor login on. The password
    comes first because the code changes every 30 seconds."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(label=_("6-digit code"), max_length=8, widget=_code_widget(numeric=True))
