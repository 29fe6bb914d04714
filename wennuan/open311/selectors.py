"""Open311 reads: the discovery document, services and their definitions, requests.

Each function returns plain data (dicts and lists) for ``formats.respond``. Texts are in
the active language (Accept-Language). A list of requests costs the same number of
queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from wennuan.grid.choices import Duty
from wennuan.open311.models import ApiKey
from wennuan.open311.services import Open311Error
from wennuan.service.choices import OPEN_STATUSES, Datatype
from wennuan.service.models import CategoryAttribute, RequestEvent, ServiceCategory, ServiceRequest

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_DAYS = 90
MAX_RESULTS = 1000
OPEN = "open"
CLOSED = "closed"


def w3(moment: datetime | None) -> str | None:
    """ISO 8601 with the local offset, e.g. 2026-11-29T18:40:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def changeset() -> str:
    """When the catalogue last changed: clients refresh cached definitions after it."""
    latest = ServiceCategory.objects.public().aggregate(latest=Max("updated_at"))["latest"]
    return f"{timezone.localtime(latest):%Y-%m-%d %H:%M}" if latest else ""


def discovery(endpoint_url: str) -> dict[str, Any]:
    """The Service Discovery document for our one production endpoint."""
    stamp = changeset()
    return {
        "changeset": stamp,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": stamp,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def _group(category: ServiceCategory) -> str:
    return str(Duty(category.duty).label)


def services() -> list[dict[str, Any]]:
    """GET services: every category; a disabled one says why in its description."""
    categories = (
        ServiceCategory.objects.public().prefetch_related("attributes").order_by("order", "code")
    )
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description if c.enabled else (c.disabled_message or c.description),
            "metadata": bool(c.attributes.all()),
            "type": "realtime",
            "keywords": ", ".join(dict.fromkeys([c.name_zh, c.name_en, c.code])),
            "group": _group(c),
        }
        for c in categories
    ]


def _datatype_description(attribute: CategoryAttribute) -> str | None:
    if attribute.datatype == Datatype.NUMBER and (
        attribute.min_value is not None or attribute.max_value is not None
    ):
        low = "…" if attribute.min_value is None else f"{attribute.min_value.normalize():f}"
        high = "…" if attribute.max_value is None else f"{attribute.max_value.normalize():f}"
        return _("A number from %(low)s to %(high)s.") % {"low": low, "high": high}
    if attribute.datatype == Datatype.DATETIME:
        return _("ISO 8601, e.g. 2026-12-01T08:00:00+08:00")
    return None


def service_definition(code: str) -> dict[str, Any]:
    """GET services/{code}: the category's questions as Open311 attributes; 404 if unknown."""
    category = (
        ServiceCategory.objects.public().filter(code=code).prefetch_related("attributes").first()
    )
    if category is None:
        raise Open311Error(404, _("service_code “%(code)s” is not a service.") % {"code": code})
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": _datatype_description(a),
                "order": a.order,
                "description": a.label,
                "values": [{"key": key, "name": name} for key, name in a.value_choices()],
            }
            for a in sorted(category.attributes.all(), key=lambda a: (a.order, a.code))
        ],
    }


def _requests() -> QuerySet[ServiceRequest]:
    # The note of the resident-visible change that brought the request to its status
    # (e.g. what was done, when it was resolved).
    last_note = (
        RequestEvent.objects.filter(
            request=OuterRef("pk"), public=True, to_status=OuterRef("status")
        )
        .order_by("-created_at", "-pk")
        .values("note")[:1]
    )
    return ServiceRequest.objects.select_related("category", "building", "zone").annotate(
        status_note=Subquery(last_note)
    )


def _status_notes(request: ServiceRequest) -> str:
    """The status in words, with the note of the change that set it, e.g. "Resolved: …"."""
    label = str(request.get_status_display())
    note = getattr(request, "status_note", None)
    return f"{label}: {note}" if note else label


def as_open311(request: ServiceRequest, *, viewer: ApiKey | None) -> dict[str, Any]:
    """One request in GeoReport terms.

    Privacy: a household's request shows its building, never the flat, and its
    description and media link only to the key that filed it; a report about a public place
    is public.
    """
    category = request.category
    building = request.building
    public_place = request.household_id is None
    may_read = public_place or (viewer is not None and request.api_key_id == viewer.pk)
    team = (
        _("%(zone)s %(duty)s team") % {"zone": request.zone.name, "duty": _group(category)}
        if request.zone
        else None
    )
    address = (request.location_text if public_place else "") or (
        building.address if building else request.location_text
    )
    latitude = (
        request.latitude if request.latitude is not None else getattr(building, "latitude", None)
    )
    longitude = (
        request.longitude if request.longitude is not None else getattr(building, "longitude", None)
    )
    return {
        "service_request_id": request.number,
        "status": OPEN if request.status in OPEN_STATUSES else CLOSED,
        "status_notes": _status_notes(request),
        "service_name": category.name,
        "service_code": category.code,
        "description": request.description if may_read and request.description else None,
        "agency_responsible": team,
        "service_notice": category.notice or None,
        "requested_datetime": w3(request.created_at),
        "updated_datetime": w3(request.updated_at),
        "expected_datetime": w3(request.resolution_due),
        "address": address or None,
        "address_id": building.code if building else None,
        "zipcode": None,
        "lat": latitude,
        "long": longitude,
        # A link to a photo of a home is as private as its description.
        "media_url": (request.media_url or None) if may_read else None,
    }


def one_request(number: str, *, viewer: ApiKey | None) -> dict[str, Any]:
    """GET requests/{id}; 404 if there is no such request."""
    found = _requests().filter(number=number).first()
    if found is None:
        raise Open311Error(404, _("service_request_id “%(id)s” is not a request.") % {"id": number})
    return as_open311(found, viewer=viewer)


def _moment(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise Open311Error(
            400,
            _("%(name)s must be a date-time with a time zone, e.g. 2026-01-01T00:00:00+08:00.")
            % {"name": name},
        )
    return moment


def _positive(value: str, name: str, *, default: int, high: int) -> int:
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= high:
        raise Open311Error(
            400,
            _("%(name)s must be a whole number from 1 to %(high)s.") % {"name": name, "high": high},
        )
    return int(value)


@dataclass
class RequestQuery:
    """GET requests' arguments, as sent (empty strings when absent)."""

    service_request_id: str = ""
    service_code: str = ""
    start_date: str = ""
    end_date: str = ""
    status: str = ""
    page: str = ""
    page_size: str = ""


def find_requests(
    query: RequestQuery, *, viewer: ApiKey | None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """GET requests: by ids (which override the rest), or by service, dates and status.

    Dates default to the last 90 days and may span at most 90; results are newest first,
    at most 1,000, paged with the ``page``/``page_size`` extension.
    """
    page = _positive(query.page, "page", default=1, high=1_000_000)
    size = _positive(query.page_size, "page_size", default=MAX_RESULTS, high=MAX_RESULTS)
    found = _requests().order_by("-created_at", "-pk")
    if ids := [i.strip() for i in query.service_request_id.split(",") if i.strip()]:
        found = found.filter(number__in=ids[:MAX_RESULTS])
    else:
        codes = [c.strip() for c in query.service_code.split(",") if c.strip()]
        if codes:
            found = found.filter(category__code__in=codes)
        start = _moment(query.start_date.strip(), "start_date")
        end = _moment(query.end_date.strip(), "end_date")
        if start and end and end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if start and end and end - start > timedelta(days=MAX_DAYS):
            raise Open311Error(
                400, _("start_date to end_date may span at most %(n)s days.") % {"n": MAX_DAYS}
            )
        if start is None and end is None:
            end = now or timezone.now()
        if start is None and end is not None:
            start = end - timedelta(days=MAX_DAYS)
        if end is None and start is not None:
            end = start + timedelta(days=MAX_DAYS)
        found = found.filter(created_at__gte=start, created_at__lte=end)
        statuses = {s.strip() for s in query.status.split(",") if s.strip()}
        if statuses - {OPEN, CLOSED}:
            raise Open311Error(400, _("status must be open, closed, or both (comma separated)."))
        if statuses == {OPEN}:
            found = found.filter(status__in=OPEN_STATUSES)
        elif statuses == {CLOSED}:
            found = found.exclude(status__in=OPEN_STATUSES)
    offset = (page - 1) * size
    return [as_open311(r, viewer=viewer) for r in found[offset : offset + size]]


def request_for_token(token: str) -> str:
    """GET tokens/{token}: the request a POST with ``Idempotency-Key: token`` filed.

    Our services are realtime (a POST answers with the id at once); a client that lost
    that answer can ask with the key it sent. 404 for a token we never saw.
    """
    from wennuan.open311.services import IDEMPOTENCY_PREFIX

    number = (
        ServiceRequest.objects.filter(idempotency_key=IDEMPOTENCY_PREFIX + token)
        .values_list("number", flat=True)
        .first()
    )
    if number is None:
        raise Open311Error(404, _("token “%(token)s” is not known.") % {"token": token})
    return number
