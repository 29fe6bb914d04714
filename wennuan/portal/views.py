"""Resident pages (网上问暖): mobile first, no account, identity proven by a texted code."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.core.queries import one_or_none
from wennuan.core.ratelimit import client_ip, over_limit
from wennuan.emergency.services import emergency_on
from wennuan.portal.forms import CodeForm, TrackForm, VerifyForm
from wennuan.portal.selectors import (
    HOUSEHOLD_KEY,
    TRACKED_KEY,
    VERIFIED_AT_KEY,
    find_for_tracking,
    portal_household,
    public_history,
    visible_request,
)
from wennuan.portal.services import PortalError, check_code, start_verification
from wennuan.service.choices import Channel, Status
from wennuan.service.forms import IntakeForm, LocationForm, RateForm, ReasonForm
from wennuan.service.models import ServiceCategory, ServiceRequest
from wennuan.service.services import (
    RequestInvalid,
    TransitionRefused,
    confirm_fix,
    rate_request,
    reopen_request,
    submit_request,
)

VERIFICATION_KEY = "portal_verification_id"
NEXT_KEY = "portal_next"
TRACK_ATTEMPTS_KEY = "portal_track_attempts"
MAX_TRACK_ATTEMPTS = 10

View = Callable[..., HttpResponse]


def filed_redirect(filed: ServiceRequest) -> HttpResponse:
    """To the new request's page, which then confirms the number in large type.

    A query flag rather than a flash message: no signed message cookie to write on
    every submission, and a reload still shows the number.
    """
    return redirect(f"{reverse('portal:request', kwargs={'number': filed.number})}?filed=1")


def posts_rate_limited(view: View) -> View:
    """At most PORTAL_RATE_PER_MINUTE_IP form submissions a minute from one address;
    beyond that a 429 page that says when to try again (pages themselves stay open)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            wait = over_limit(
                "portal", client_ip(request), per_minute=settings.PORTAL_RATE_PER_MINUTE_IP
            )
            if wait:
                response = render(
                    request, "portal/too_many.html", {"retry_after": wait}, status=429
                )
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return wrapper


def household_required(view: View) -> View:
    """Send visitors who have not proven a household to the code page, then back."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if portal_household(request) is None:
            request.session[NEXT_KEY] = request.path  # back here once the code is checked
            return redirect("portal:verify")
        return view(request, *args, **kwargs)

    return wrapper


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"household": portal_household(request)})


@posts_rate_limited
def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification = start_verification(
                account_number=form.cleaned_data["account_number"], phone=form.cleaned_data["phone"]
            )
        except PortalError as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            request.session[VERIFICATION_KEY] = verification.pk
            return redirect("portal:verify_code")
    return render(request, "portal/verify.html", {"form": form})


@posts_rate_limited
def verify_code(request: HttpRequest) -> HttpResponse:
    verification_id = request.session.get(VERIFICATION_KEY)
    if not verification_id:
        return redirect("portal:verify")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            household = check_code(verification_id=verification_id, code=form.cleaned_data["code"])
        except PortalError as refusal:
            form.add_error("code", refusal.message)
        else:
            request.session.cycle_key()  # a new session id once identity is proven
            request.session[HOUSEHOLD_KEY] = household.pk
            request.session[VERIFIED_AT_KEY] = timezone.now().timestamp()
            request.session.pop(VERIFICATION_KEY, None)
            next_url = request.session.pop(NEXT_KEY, "")
            return redirect(next_url if next_url.startswith("/portal/") else "portal:categories")
    return render(request, "portal/verify_code.html", {"form": form})


def leave(request: HttpRequest) -> HttpResponse:
    """Forget the proven household on this device (a shared phone)."""
    for key in (HOUSEHOLD_KEY, VERIFIED_AT_KEY, TRACKED_KEY):
        request.session.pop(key, None)
    return redirect("portal:home")


@household_required
def categories(request: HttpRequest) -> HttpResponse:
    emergency = emergency_on()
    offered = list(ServiceCategory.objects.public())
    for category in offered:  # why one cannot be chosen now (disabled, or the halls closed)
        category.unavailable = category.unavailable_message(emergency=emergency)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/categories.html",
        {"categories": offered, "household": portal_household(request)},
    )


@posts_rate_limited
@household_required
def new_request(request: HttpRequest, code: str) -> HttpResponse:
    category = one_or_none(
        ServiceCategory.objects.public().filter(code=code).prefetch_related("attributes")
    )
    if category is None:
        raise Http404
    category.unavailable = category.unavailable_message(emergency=emergency_on())  # type: ignore[attr-defined]
    household = portal_household(request)
    form = IntakeForm(request.POST or None, request.FILES or None, category=category)
    if request.method == "POST" and form.is_valid():
        try:
            result = submit_request(
                category=category,
                household=household,
                channel=Channel.PORTAL,
                language=request.LANGUAGE_CODE,
                description=form.cleaned_data["description"],
                attributes=form.attributes(),
                photos=form.cleaned_data["photos"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except RequestInvalid as refusal:
            form.show_refusal(refusal)
        else:
            return filed_redirect(result.request)
    return render(
        request,
        "portal/new_request.html",
        {"category": category, "form": form, "household": household},
        status=400 if form.errors else 200,
    )


@posts_rate_limited
def hazard(request: HttpRequest) -> HttpResponse:
    """An outdoor hazard, reported by anyone, with a place instead of an account."""
    category = (
        ServiceCategory.objects.prefetch_related("attributes").filter(code="outdoor_hazard").first()
    )
    if category is None:
        raise Http404
    category.unavailable = category.unavailable_message(emergency=emergency_on())  # type: ignore[attr-defined]
    form = IntakeForm(request.POST or None, request.FILES or None, category=category)
    place = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and place.is_valid():
        try:
            result = submit_request(
                category=category,
                channel=Channel.PORTAL,
                language=request.LANGUAGE_CODE,
                description=form.cleaned_data["description"],
                attributes=form.attributes(),
                photos=form.cleaned_data["photos"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                location_text=place.cleaned_data["location_text"],
                latitude=place.cleaned_data["latitude"],
                longitude=place.cleaned_data["longitude"],
                reporter_phone=place.cleaned_data["reporter_phone"],
            )
        except RequestInvalid as refusal:
            form.show_refusal(refusal, place)
        else:
            tracked = request.session.get(TRACKED_KEY, [])
            request.session[TRACKED_KEY] = [*tracked, result.request.pk][-20:]
            return filed_redirect(result.request)
    return render(
        request,
        "portal/new_request.html",
        {"category": category, "form": form, "place": place},
        status=400 if form.errors or place.errors else 200,
    )


@household_required
def my_requests(request: HttpRequest) -> HttpResponse:
    household = portal_household(request)
    requests = ServiceRequest.objects.filter(household=household).select_related("category")[:50]
    return render(
        request, "portal/my_requests.html", {"requests": requests, "household": household}
    )


@posts_rate_limited
def track(request: HttpRequest) -> HttpResponse:
    """Open a request by its number and the phone used for it; no account needed."""
    form = TrackForm(request.POST or None, initial={"number": request.GET.get("number", "")})
    if request.method == "POST" and form.is_valid():
        attempts = request.session.get(TRACK_ATTEMPTS_KEY, 0)
        if attempts >= MAX_TRACK_ATTEMPTS:
            form.add_error(None, _("Too many tries. Call the hotline, or try again later."))
        else:
            found = find_for_tracking(
                number=form.cleaned_data["number"], phone=form.cleaned_data["phone"]
            )
            if found is None:
                request.session[TRACK_ATTEMPTS_KEY] = attempts + 1
                form.add_error(None, _("No request matches this number and phone."))
            else:
                tracked = request.session.get(TRACKED_KEY, [])
                request.session[TRACKED_KEY] = [*tracked, found.pk][-20:]
                return redirect("portal:request", number=found.number)
    return render(request, "portal/track.html", {"form": form}, status=400 if form.errors else 200)


def request_detail(request: HttpRequest, number: str) -> HttpResponse:
    found = visible_request(request, number)
    if found is None:
        raise Http404(_("No such request, or it is not yours."))
    return render(
        request,
        "portal/request_detail.html",
        {
            "r": found,
            "just_filed": request.GET.get("filed") == "1",
            "history": public_history(found),
            "show_phone": settings.SERVICE_SHOW_STAFF_PHONE,
            "reopen_form": ReasonForm(),
            "rate_form": RateForm(),
            "can_confirm": found.status == Status.RESOLVED,
            "can_rate": found.status in {Status.RESOLVED, Status.CLOSED} and found.rating is None,
        },
    )


@posts_rate_limited
def request_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Confirm the fix, reopen with a reason, or rate (POST only)."""
    found = visible_request(request, number)
    if found is None or request.method != "POST":
        raise Http404
    try:
        if action == "confirm":
            confirm_fix(request=found)
            messages.success(request, _("Thank you for confirming."))
        elif action == "reopen":
            reason = ReasonForm(request.POST)
            if not reason.is_valid():
                raise TransitionRefused(_("Tell us what is still wrong."))
            reopen_request(request=found, reason=reason.cleaned_data["reason"])
            messages.success(request, _("We have reopened your request."))
        elif action == "rate":
            rating = RateForm(request.POST)
            if not rating.is_valid():
                raise TransitionRefused(_("Choose from 1 to 5 stars."))
            rate_request(
                request=found,
                rating=rating.cleaned_data["rating"],
                comment=rating.cleaned_data["comment"],
            )
            messages.success(request, _("Thank you for your rating."))
        else:
            raise Http404
    except TransitionRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("portal:request", number=number)


@posts_rate_limited
@household_required
def my_data(request: HttpRequest) -> HttpResponse:
    """The proven household's own data as a JSON download (POST; the export is recorded).
    Internal staff notes are left out; the household page's export has everything."""
    from wennuan.grid.privacy import export_household_data, export_json

    household = portal_household(request)
    if household is None or request.method != "POST":
        raise Http404
    data = export_household_data(household, by_label=_("resident (portal)"), for_resident=True)
    response = HttpResponse(export_json(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="my-data-{household.account_number}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response
