"""Back office: managers issue and revoke Open311 API keys."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wennuan.core.forms import StyledForm
from wennuan.open311.models import ApiKey
from wennuan.open311.services import issue_key, revoke_key
from wennuan.people.selectors import request_user


class IssueKeyForm(StyledForm):
    name = forms.CharField(
        label=gettext_lazy("Integration"),
        max_length=100,
        help_text=gettext_lazy("Who will use the key, e.g. “Yantai 12345 hotline”."),
    )


def _require_manager(request: HttpRequest) -> None:
    if not request_user(request).can_manage:
        raise PermissionDenied


@login_required
def key_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = IssueKeyForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        try:
            issued = issue_key(name=form.cleaned_data["name"], issued_by=request_user(request))
        except ValueError as refusal:
            form.add_error("name", str(refusal))
        else:
            new_key = issued.key  # shown on this response only; never stored
            form = IssueKeyForm()
    keys = ApiKey.objects.select_related("created_by").annotate(filed=Count("requests"))
    return render(
        request,
        "open311/keys.html",
        {"form": form, "keys": keys, "new_key": new_key},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    api_key = get_object_or_404(ApiKey, pk=pk)
    revoke_key(api_key=api_key, revoked_by=request_user(request))
    messages.success(request, _("The key of %(name)s is revoked.") % {"name": api_key.name})
    return redirect("open311_keys:list")
