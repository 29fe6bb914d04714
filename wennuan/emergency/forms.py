"""The emergency switch form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wennuan.core.forms import StyledForm
from wennuan.emergency.models import DisinfectionSite


class SwitchForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DisinfectionForm(StyledForm):
    site: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Site"), queryset=DisinfectionSite.objects.filter(active=True)
    )
    agent = forms.CharField(label=_("Disinfectant"), max_length=100, initial="含氯消毒液 500 mg/L")
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class TraceForm(StyledForm):
    staff = forms.CharField(label=_("Staff member (login name)"), max_length=150)
    since = forms.DateField(
        label=_("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        from datetime import date

        from django.utils import timezone

        from wennuan.people.models import User

        data = super().clean() or {}
        for name in ("since", "until"):
            day = data.get(name)
            if day is not None and not date(2000, 1, 1) <= day <= timezone.localdate():
                self.add_error(name, _("Choose a day between 2000 and today."))
                data.pop(name, None)
        username = (data.get("staff") or "").strip()
        if username:
            person = User.objects.filter(username=username).first()
            if person is None:
                self.add_error("staff", _("No staff member has this login name."))
            data["person"] = person
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end is before the start."))
        if since and until and (until - since).days > 60:
            self.add_error("until", _("Trace at most 60 days at a time."))
        return data


class CallDoneForm(StyledForm):
    outcome = forms.CharField(label=_("Outcome"), max_length=300)


class FlagForm(StyledForm):
    from wennuan.emergency.models import FlagKind

    kind = forms.ChoiceField(label=_("Flag"), choices=FlagKind.choices)
    starts_on = forms.DateField(
        label=_("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Until (empty: until further notice)"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
