"""Forms of the resident portal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wennuan.core.forms import StyledForm


class VerifyForm(StyledForm):
    account_number = forms.CharField(
        label=_("Account number (户号, on your heating bill)"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    phone = forms.CharField(
        label=_("Registered phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class CodeForm(StyledForm):
    code = forms.CharField(
        label=_("The 6-digit code we texted you"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TrackForm(StyledForm):
    number = forms.CharField(
        label=_("Request number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
