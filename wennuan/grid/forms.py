"""Forms of the heating grid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from wennuan.core.forms import StyledForm
from wennuan.grid.choices import ImportKind


class HouseholdSearchForm(forms.Form):
    """Search by account number, phone number or an address fragment."""

    q = forms.CharField(
        label=_("Account number, phone or address"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "search"}),
    )


class ImportForm(forms.Form):
    """Upload one CSV file of one kind."""

    kind = forms.ChoiceField(label=_("What the file contains"), choices=ImportKind.choices)
    file = forms.FileField(label=_("CSV file (UTF-8 or GB18030)"))

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if upload.size and upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it or use the import_grid command.")
                % {"mb": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


class EraseForm(StyledForm):
    """Erasing a household's personal data: why, and the account number typed to confirm."""

    reason = forms.CharField(
        label=_("Reason (e.g. the resident's written request and its date)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.CharField(label=_("Type the account number to confirm"), max_length=20)

    def __init__(self, *args: Any, account_number: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_number = account_number

    def clean_confirm(self) -> str:
        typed: str = self.cleaned_data["confirm"].strip()
        if typed != self.account_number:
            raise forms.ValidationError(_("This is not the household's account number."))
        return typed
