"""Forms of shared infrastructure."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wennuan.core.services import (
    clear_failed_logins,
    login_is_locked,
    record_failed_login,
)


def client_address(request: Any) -> str | None:
    """The client's address; behind a proxy, the one the proxy saw (``TRUSTED_PROXY_COUNT``,
    as for the rate limits) — else every login through the proxy would share one address
    and twenty failures by anyone would lock everyone out."""
    from wennuan.core.ratelimit import client_ip

    return (client_ip(request) or None) if request is not None else None


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form, refusing further tries after too many recent failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed attempts. Wait 15 minutes and try again, or ask an administrator."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").strip()
        address = client_address(self.request)
        if login_is_locked(username=username, ip_address=address):
            raise ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            record_failed_login(username=username, ip_address=address)
            raise
        from wennuan.people.two_factor import has_confirmed_device

        # With a code still to come, failures are cleared only once the code is right (the
        # verify step): else giving the password again would reset the count of wrong codes.
        user = self.get_user()
        if user is None or not has_confirmed_device(user):
            clear_failed_logins(username=username)
        return cleaned


def apply_styles(form: forms.BaseForm) -> None:
    """Give every widget Bootstrap's class (once), so templates stay plain."""
    for field in form.fields.values():
        widget = field.widget
        # wn_kind tells the shared field template how to lay the widget out.
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            css = "form-check-input"
            widget.wn_kind = "choices"  # type: ignore[attr-defined]
        elif isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
            widget.wn_kind = "check"  # type: ignore[attr-defined]
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        elif isinstance(widget, forms.HiddenInput):
            continue
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        if css not in classes:
            widget.attrs["class"] = " ".join([*classes, css])


class StyledForm(forms.Form):
    """A form whose widgets carry Bootstrap's classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        apply_styles(self)


class CsvUploadForm(StyledForm):
    """One CSV file, at most ``IMPORT_MAX_UPLOAD_BYTES`` (the fuel and facility uploads)."""

    file = forms.FileField(label=_("CSV file"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size and upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is larger than %(mb)s MB; split it.")
                % {"mb": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload
