"""Reads for the resident portal: which household the visitor proved, what they may see."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from wennuan.core.queries import one_or_none
from wennuan.core.validators import normalise_phone
from wennuan.grid.models import Household
from wennuan.service.models import RequestEvent, ServiceRequest

HOUSEHOLD_KEY = "portal_household_id"
VERIFIED_AT_KEY = "portal_verified_at"
TRACKED_KEY = "portal_tracked_ids"
VERIFIED_FOR = timedelta(hours=2)


def portal_household(request: HttpRequest) -> Household | None:
    """The household this browser proved with a code in the last two hours, if any.

    Memoised on the request: the guard and the view both ask.
    """
    if hasattr(request, "_portal_household"):
        return request._portal_household  # type: ignore[no-any-return]
    household = _proven_household(request)
    request._portal_household = household  # type: ignore[attr-defined]
    return household


def _proven_household(request: HttpRequest) -> Household | None:
    household_id = request.session.get(HOUSEHOLD_KEY)
    verified_at = request.session.get(VERIFIED_AT_KEY)
    if not household_id or not verified_at:
        return None
    if timezone.now().timestamp() - float(verified_at) > VERIFIED_FOR.total_seconds():
        return None
    return one_or_none(Household.objects.select_related("building").filter(pk=household_id))


def find_for_tracking(*, number: str, phone: str) -> ServiceRequest | None:
    """A request whose number and phone (reporter's or household's) both match."""
    request = (
        ServiceRequest.objects.select_related("household").filter(number=number.strip()).first()
    )
    if request is None:
        return None
    digits = normalise_phone(phone)
    phones = {request.reporter_phone}
    if request.household is not None:
        phones |= {request.household.phone, request.household.alt_phone}
    return request if digits and digits in phones else None


def visible_request(request: HttpRequest, number: str) -> ServiceRequest | None:
    """The request if it belongs to the proven household or was opened by number + phone."""
    found = (
        ServiceRequest.objects.select_related("category", "assignee", "household")
        .filter(number=number)
        .first()
    )
    if found is None:
        return None
    household = portal_household(request)
    if household is not None and found.household_id == household.pk:
        return found
    if found.pk in request.session.get(TRACKED_KEY, []):
        return found
    return None


def public_history(service_request: ServiceRequest) -> list[RequestEvent]:
    """The events a resident may read, oldest first."""
    return list(service_request.events.filter(public=True).order_by("created_at", "pk"))
