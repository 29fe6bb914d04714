"""Forms of people."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wennuan.core.forms import StyledForm
from wennuan.people.models import User


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
