"""Forms of service requests. They collect input; ``services.submit_request`` judges it,
so the portal, the hotline form and the API give the same messages."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wennuan.core.forms import StyledForm, apply_styles
from wennuan.core.widgets import QuickTextInput
from wennuan.service.choices import Datatype
from wennuan.service.models import ServiceCategory
from wennuan.service.services import PPE_ITEMS, PPE_LABELS, RequestInvalid


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to three photos in one input; their content is checked by the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png", "multiple": True})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def attribute_field_name(code: str) -> str:
    return f"attr_{code}"


class IntakeForm(StyledForm):
    """The questions of one category, a description and photos; a hidden idempotency key."""

    description = forms.CharField(
        label=_("Describe the problem"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 4000}),
    )
    photos = MultipleFileField(label=_("Photos (up to 3, JPEG or PNG, 5 MB each)"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, category: ServiceCategory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        if not self.is_bound:
            # A fresh key per form: a double tap or a resent POST carries the same one.
            self.initial["idempotency_key"] = uuid.uuid4().hex
        for question in category.attributes.all():
            name = attribute_field_name(question.code)
            label = question.label + ("" if question.required else f" ({_('optional')})")
            if question.datatype in (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST):
                choices = [("", "—"), *question.value_choices()]
                widget: forms.Widget = (
                    forms.SelectMultiple(choices=choices[1:])
                    if question.datatype == Datatype.MULTIVALUELIST
                    else forms.Select(choices=choices)
                )
                field: forms.Field = (
                    forms.MultipleChoiceField(
                        label=label, required=False, choices=choices[1:], widget=widget
                    )
                    if question.datatype == Datatype.MULTIVALUELIST
                    else forms.CharField(label=label, required=False, widget=widget)
                )
            elif question.datatype == Datatype.NUMBER:
                field = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            elif question.datatype == Datatype.DATETIME:
                field = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                )
            elif question.datatype == Datatype.TEXT:
                field = forms.CharField(
                    label=label, required=False, widget=forms.Textarea(attrs={"rows": 3})
                )
            else:
                field = forms.CharField(label=label, required=False)
            field.widget.attrs.setdefault("data-required", "1" if question.required else "0")
            self.fields[name] = field
        # Questions first, then the free text and photos.
        order = [f for f in self.fields if f.startswith("attr_")]
        self.order_fields([*order, "description", "photos", "idempotency_key"])
        apply_styles(self)

    def attributes(self) -> dict[str, Any]:
        return {
            name.removeprefix("attr_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("attr_")
        }

    def show_refusal(self, refusal: RequestInvalid, *others: forms.Form) -> None:
        """Put each of the service's messages on the field it is about, in whichever of
        these forms has that field (the place and caller forms); the rest on this form."""
        for key, messages in refusal.errors.items():
            name = REFUSAL_FIELDS.get(key, key)
            if key.startswith("attribute["):
                name = attribute_field_name(key[len("attribute[") : -1])
            target = next((f for f in (self, *others) if name in f.fields), None)
            for message in messages:
                if target is None:
                    self.add_error(None, message)
                else:
                    target.add_error(name, message)


# Service error keys that name something other than a form field.
REFUSAL_FIELDS = {"location": "location_text"}


class LocationForm(StyledForm):
    """Where an outdoor hazard is, and a phone for updates (both optional but one place needed)."""

    location_text = forms.CharField(label=_("Where is it?"), max_length=200, required=False)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    reporter_phone = forms.CharField(
        label=_("Your phone, for updates (optional)"), max_length=20, required=False
    )


class CallerForm(StyledForm):
    """Who called, when staff file for a resident (both optional)."""

    reporter_name = forms.CharField(label=_("Caller's name"), max_length=64, required=False)
    reporter_phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )


class GuidanceForm(StyledForm):
    note = forms.CharField(label=_("Guidance given"), widget=forms.Textarea(attrs={"rows": 2}))


class ScheduleVisitForm(StyledForm):
    when = forms.DateTimeField(
        label=_("Visit at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class CheckInForm(StyledForm):
    equipment = forms.MultipleChoiceField(
        label=_("Protective equipment"),
        choices=[(item, PPE_LABELS[item]) for item in PPE_ITEMS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ResolveForm(StyledForm):
    measured_temperature = forms.DecimalField(
        label=_("Indoor temperature now (°C)"),
        required=False,
        max_digits=4,
        decimal_places=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


def staff_by_login(value: str) -> Any:
    """The active company staff member with this login name, or a clear error.

    A text field rather than a select: a city has thousands of staff.
    """
    from wennuan.people.choices import Role
    from wennuan.people.models import User

    user = (
        User.objects.filter(username=value.strip(), is_active=True)
        .exclude(role=Role.COMMUNITY_WORKER)
        .first()
    )
    if user is None:
        raise forms.ValidationError(
            _("No active staff member has the login name %(name)s.") % {"name": value.strip()}
        )
    return user


class ReassignForm(StyledForm):
    assignee = forms.CharField(
        label=_("Assign to (login name)"),
        max_length=150,
        widget=QuickTextInput(attrs={"list": "staff-suggestions", "autocomplete": "off"}),
    )
    # Written in Python: the dispatch board renders this form on every load.
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=QuickTextInput)

    def clean_assignee(self) -> Any:
        return staff_by_login(self.cleaned_data["assignee"])


class HandoverForm(StyledForm):
    """Hand all of one person's open work to their deputies (they fell ill, went home)."""

    # Written in Python: the dispatch board renders this form on every load.
    staff = forms.CharField(
        label=_("Whose work (login name)"), max_length=150, widget=QuickTextInput
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def clean_staff(self) -> Any:
        return staff_by_login(self.cleaned_data["staff"])


class RateForm(StyledForm):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment (optional)"), max_length=500, required=False)
