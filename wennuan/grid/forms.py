"""Forms of the heating grid."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

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
