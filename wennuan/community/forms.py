"""Forms of the partnership pages. They check shape; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wennuan.community.models import PartnerCommunity, PartyMemberReport, SupplyItem
from wennuan.community.services import MAX_LINES, DonationLine
from wennuan.core.forms import StyledForm
from wennuan.service.forms import staff_by_login


def _date_widget() -> forms.DateInput:
    # ISO whatever the language: the browser's date picker takes only yyyy-mm-dd.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _login_widget() -> forms.TextInput:
    return forms.TextInput(attrs={"list": "staff-suggestions", "autocomplete": "off"})


def _quantity_field(required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Quantity"),
        min_value=0.01,
        max_digits=12,
        decimal_places=2,
        required=required,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )


class _ItemField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.unit})"


def _item_field(required: bool = True) -> _ItemField:
    return _ItemField(
        label=_("Item"),
        queryset=SupplyItem.objects.filter(active=True).order_by("category", "code"),
        required=required,
        empty_label=_("— not from stock —") if not required else "---------",
    )


class ReceiptForm(StyledForm):
    """Supplies received into stock."""

    item = _item_field()
    day = forms.DateField(label=_("Day"), widget=_date_widget(), initial=timezone.localdate)
    quantity = _quantity_field()
    source = forms.CharField(label=_("Received from"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class IssueForm(StyledForm):
    """Supplies handed to a staff member."""

    item = _item_field()
    day = forms.DateField(label=_("Day"), widget=_date_widget(), initial=timezone.localdate)
    quantity = _quantity_field()
    staff = forms.CharField(label=_("Issued to (login name)"), max_length=150)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_staff(self) -> Any:
        return staff_by_login(self.cleaned_data["staff"])


class DonationForm(StyledForm):
    """Support handed over to a partner community; its lines come in ``LineFormSet``."""

    partner = forms.ModelChoiceField(
        label=_("Partner community"),
        queryset=PartnerCommunity.objects.select_related("community").order_by("community__code"),
    )
    day = forms.DateField(label=_("Day"), widget=_date_widget(), initial=timezone.localdate)
    handed_over_by = forms.CharField(
        label=_("Handed over by (login name)"), max_length=150, widget=_login_widget()
    )
    received_by = forms.CharField(label=_("Received by"), max_length=64, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, partner: PartnerCommunity | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partner is not None:
            # On a partner's own page the partner is that one.
            del self.fields["partner"]

    def clean_handed_over_by(self) -> Any:
        return staff_by_login(self.cleaned_data["handed_over_by"])


class LineForm(StyledForm):
    """One line of a donation: a stock item, or goods described in words; empty rows are
    left out."""

    item = _item_field(required=False)
    description = forms.CharField(
        label=_("Or goods not from stock"), max_length=100, required=False
    )
    unit = forms.CharField(label=_("Unit of measure"), max_length=16, required=False)
    quantity = _quantity_field(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        named = data.get("item") is not None or bool((data.get("description") or "").strip())
        if named and data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter the quantity."))
        if not named and data.get("quantity") is not None:
            self.add_error("item", _("Choose a stock item or describe the goods."))
        return data

    def line(self) -> DonationLine | None:
        data = self.cleaned_data
        if data.get("quantity") is None:
            return None
        return DonationLine(
            item=data.get("item"),
            description=data.get("description") or "",
            unit=data.get("unit") or "",
            quantity=data["quantity"],
        )


LineFormSet = forms.formset_factory(LineForm, extra=3, max_num=MAX_LINES, validate_max=True)


def donation_lines(formset: Any) -> list[DonationLine]:
    """The lines entered in a valid line formset, empty rows left out."""
    return [line for form in formset.forms if (line := form.line()) is not None]


class ReverseForm(StyledForm):
    reason = forms.CharField(label=_("Why it is wrong"), max_length=300)


class MemberReportForm(StyledForm):
    """A company Party member reported in to this community."""

    member = forms.CharField(
        label=_("Party member (login name)"), max_length=150, widget=_login_widget()
    )
    vanguard_post = forms.CharField(
        label=_("Vanguard post"),
        max_length=64,
        required=False,
        help_text=_("Leave empty for the member's usual post."),
    )
    reported_on = forms.DateField(
        label=_("Reported in on"), widget=_date_widget(), initial=timezone.localdate
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_member(self) -> Any:
        return staff_by_login(self.cleaned_data["member"])


class EndReportForm(StyledForm):
    ended_on = forms.DateField(
        label=_("Ended on"), widget=_date_widget(), initial=timezone.localdate
    )


class _MembersField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.member.display_name} · {obj.vanguard_post}"


class ActivityForm(StyledForm):
    """A joint activity: the members reported in who took part, and others by login name,
    each credited with the same hours (the usual case: they came for the whole activity)."""

    day = forms.DateField(label=_("Day"), widget=_date_widget(), initial=timezone.localdate)
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    members = _MembersField(
        label=_("Members reported in who took part"),
        queryset=PartyMemberReport.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = forms.CharField(
        label=_("Other company volunteers (login names, separated by spaces or commas)"),
        max_length=2000,
        required=False,
    )
    hours_each = forms.DecimalField(
        label=_("Volunteer hours each"),
        min_value=0.1,
        max_value=24,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
    )
    community_volunteers = forms.IntegerField(
        label=_("Community volunteers (how many)"), min_value=0, max_value=10_000, initial=0
    )

    def __init__(self, *args: Any, partner: PartnerCommunity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = partner.member_reports.filter(ended_on__isnull=True).select_related(
            "member"
        )

    def clean_others(self) -> list[Any]:
        names = (self.cleaned_data["others"] or "").replace(",", " ").replace("，", " ").split()
        return [staff_by_login(name) for name in names]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("members") and not data.get("others") and not self.errors:
            raise forms.ValidationError(_("Name at least one company volunteer."))
        return data

    def participants(self) -> list[tuple[Any, Any]]:
        """(person, hours) for everyone named, each once."""
        data = self.cleaned_data
        people = [r.member for r in data["members"]] + list(data["others"])
        unique = list({p.pk: p for p in people}.values())
        return [(p, data["hours_each"]) for p in unique]


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(label=_("Address, account number or phone"), max_length=100, required=False)
