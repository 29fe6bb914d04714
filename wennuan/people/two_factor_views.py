"""Pages of two-factor login: the second step of the login (/login/verify/) and the account's
two-factor page (/account/two-factor/: set up with a QR code, recovery codes, switch off).

After the right password, a user with a confirmed device is *not* logged in: the session only
holds the pending user and when the password was given (``PENDING_KEY``). Nothing reads that
as a login — ``request.user`` stays anonymous for every page and for the REST API — until the
code is right and ``django.contrib.auth.login`` runs.

Switching two-factor login on or off and making new recovery codes end the user's other
sessions (the service raises ``User.session_epoch``); ``update_session_auth_hash`` re-signs the
session that made the change, so only that one stays logged in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from wennuan.core.forms import ThrottledAuthenticationForm, client_address
from wennuan.core.services import clear_failed_logins, login_is_locked, record_failed_login
from wennuan.people import two_factor
from wennuan.people.forms import (
    EnrolmentConfirmForm,
    PasswordAndCodeForm,
    RecoveryCodeForm,
    TotpCodeForm,
)
from wennuan.people.models import TwoFactorEvent, User
from wennuan.people.selectors import request_user

PENDING_KEY = "two_factor_pending"
# How long the code may take after the password: then the password is asked again.
PENDING_SECONDS = 5 * 60


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def start_pending_login(request: HttpRequest, user: User, *, next_url: str) -> HttpResponse:
    """The password was right and the user has a device: remember who is half-way through
    (not a login) and send them to the code page."""
    # A new session key: a session id planted before the login is worth nothing after it.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
        "at": timezone.now().timestamp(),
        "next": next_url,
    }
    return HttpResponseRedirect(reverse("login_verify"))


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The user half-way through the login, while the 5 minutes last; else None (and the
    stale state is dropped)."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    age = timezone.now().timestamp() - float(pending.get("at", 0))
    user = User.objects.filter(pk=int(pending.get("user", 0)), is_active=True).first()
    if not 0 <= age <= PENDING_SECONDS or user is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return user, pending


@sensitive_post_parameters("code", "recovery_code")
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step of the login: the app's 6-digit code, or a recovery code. Wrong codes
    count as failed logins (the same throttling as wrong passwords)."""
    found = _pending_user(request)
    if found is None:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        messages.info(request, _("Log in again: the code must follow the password within 5 min."))
        return redirect("login")
    user, pending = found
    use_recovery = "recovery_code" in request.POST
    totp_form = TotpCodeForm(
        request.POST if request.method == "POST" and not use_recovery else None
    )
    recovery_form = RecoveryCodeForm(request.POST if use_recovery else None)
    form = recovery_form if use_recovery else totp_form
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        field = "recovery_code" if use_recovery else "code"
        if login_is_locked(username=user.username, ip_address=address):
            request.session.pop(PENDING_KEY, None)
            form.add_error(None, ThrottledAuthenticationForm.error_messages["locked"])
        elif use_recovery and two_factor.use_recovery_code(
            user=user, code=form.cleaned_data[field], ip_address=address
        ):
            left = two_factor.remaining_recovery_codes(user)
            messages.warning(
                request,
                ngettext(
                    "You logged in with a recovery code; %(count)d is left. "
                    "Make new ones on the two-factor page.",
                    "You logged in with a recovery code; %(count)d are left. "
                    "Make new ones on the two-factor page if you are running out.",
                    left,
                )
                % {"count": left},
            )
            return _finish_login(request, user, pending)
        elif not use_recovery and two_factor.verify(user=user, code=form.cleaned_data[field]):
            return _finish_login(request, user, pending)
        else:
            record_failed_login(username=user.username, ip_address=address)
            if login_is_locked(username=user.username, ip_address=address):
                request.session.pop(PENDING_KEY, None)
                form.add_error(None, ThrottledAuthenticationForm.error_messages["locked"])
            else:
                form.add_error(field, _("That code is not right, or it was used already."))
    return render(
        request,
        "people/login_verify.html",
        {
            "totp_form": totp_form,
            "recovery_form": recovery_form,
            "use_recovery": use_recovery,
            "locked": PENDING_KEY not in request.session,
        },
    )


def _finish_login(request: HttpRequest, user: User, pending: dict[str, Any]) -> HttpResponse:
    clear_failed_logins(username=user.username)
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=pending["backend"])  # cycles the session key again
    return HttpResponseRedirect(_safe_next(request, pending.get("next")))


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login form would skip the second factor: send everyone to ours."""
    if request.user.is_authenticated:
        raise PermissionDenied  # logged in, but the admin is not theirs
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(reverse("login") + (f"?{query}" if query else ""))


def _render_manage(request: HttpRequest, user: User, **extra: Any) -> HttpResponse:
    device = two_factor.confirmed_device(user)
    pending = None if device else two_factor.pending_device(user)
    context: dict[str, Any] = {
        "device": device,
        "pending": pending,
        "required": two_factor.requires_two_factor(user),
        "next": _safe_next(request, request.POST.get("next") or request.GET.get("next")),
        "remaining": two_factor.remaining_recovery_codes(user) if device else 0,
        "events": TwoFactorEvent.objects.filter(user=user)[:10],
        "confirm_form": EnrolmentConfirmForm(),
        "disable_form": PasswordAndCodeForm(auto_id="disable_%s"),
        "renew_form": PasswordAndCodeForm(auto_id="renew_%s"),
        **extra,
    }
    if pending is not None:
        context["qr_svg"] = two_factor.qr_svg(pending)
        # The secret in clear only here, while enrolling, for typing into the app by hand.
        secret = two_factor.device_secret(pending)
        context["secret_groups"] = [secret[i : i + 4] for i in range(0, len(secret), 4)]
    return render(request, "people/two_factor.html", context)


@sensitive_post_parameters("code", "password")
@never_cache
@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The account's two-factor page: status; set up (QR code and the secret as text, confirmed
    with the password and a first code; the recovery codes shown once); new recovery codes;
    switch off."""
    user = request_user(request)
    if not two_factor.offers_two_factor(user):
        raise PermissionDenied
    if request.method != "POST":
        return _render_manage(request, user)
    action = request.POST.get("action")
    address = client_address(request)
    try:
        if action == "begin":
            two_factor.begin_enrolment(user=user)
            return redirect(_manage_url(request))
        if action == "cancel":
            two_factor.cancel_enrolment(user=user)
            return redirect(_manage_url(request))
        if action == "confirm":
            return _confirm_action(request, user, address)
        if action in ("disable", "renew"):
            return _password_and_code_action(request, user, action, address)
    except two_factor.TwoFactorError as refusal:
        messages.error(request, str(refusal))
        return redirect(_manage_url(request))
    return redirect(_manage_url(request))


def _manage_url(request: HttpRequest) -> str:
    url = reverse("account:two_factor")
    next_url = request.POST.get("next") or request.GET.get("next")
    if next_url and _safe_next(request, next_url) == next_url:
        url += "?" + urlencode({"next": next_url})
    return url


def _confirm_action(request: HttpRequest, user: User, address: str | None) -> HttpResponse:
    """Finish the set-up with the password and the app's first code. A wrong password counts
    as a failed login; a wrong code does not (the code is of a secret this session was just
    shown, so guessing it proves nothing)."""
    form = EnrolmentConfirmForm(request.POST)
    if not form.is_valid():
        return _render_manage(request, user, confirm_form=form)
    if login_is_locked(username=user.username, ip_address=address):
        form.add_error(None, ThrottledAuthenticationForm.error_messages["locked"])
        return _render_manage(request, user, confirm_form=form)
    try:
        codes = two_factor.confirm_enrolment(
            user=user,
            password=form.cleaned_data["password"],
            code=form.cleaned_data["code"],
            ip_address=address,
        )
    except two_factor.WrongPasswordError as refusal:
        record_failed_login(username=user.username, ip_address=address)
        form.add_error("password", str(refusal))
        return _render_manage(request, user, confirm_form=form)
    except two_factor.TwoFactorError as refusal:
        form.add_error("code", str(refusal))
        return _render_manage(request, user, confirm_form=form)
    update_session_auth_hash(request, user)  # this session stays; the others have ended
    messages.success(request, _("Two-factor login is on."))
    return _render_manage(request, user, recovery_codes=codes)


def _password_and_code_action(
    request: HttpRequest, user: User, action: str, address: str | None
) -> HttpResponse:
    """Switch off or renew the recovery codes: both need the password and a code, and a
    wrong pair counts as a failed login. Either ends the user's other sessions."""
    form = PasswordAndCodeForm(request.POST, auto_id=f"{action}_%s")
    form_key = f"{action}_form"
    if not form.is_valid():
        return _render_manage(request, user, **{form_key: form, "open": action})
    if login_is_locked(username=user.username, ip_address=address):
        form.add_error(None, ThrottledAuthenticationForm.error_messages["locked"])
        return _render_manage(request, user, **{form_key: form, "open": action})
    try:
        if action == "disable":
            two_factor.disable(
                user=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                ip_address=address,
            )
        else:
            codes = two_factor.renew_recovery_codes(
                user=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                ip_address=address,
            )
    except two_factor.TwoFactorError as refusal:
        record_failed_login(username=user.username, ip_address=address)
        form.add_error(None, str(refusal))
        return _render_manage(request, user, **{form_key: form, "open": action})
    update_session_auth_hash(request, user)  # this session stays; the others have ended
    if action == "disable":
        messages.success(request, _("Two-factor login is off."))
        return redirect(_manage_url(request))
    messages.success(request, _("New recovery codes made; the old ones no longer work."))
    return _render_manage(request, user, recovery_codes=codes)
