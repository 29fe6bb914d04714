"""Open311 state changes: issuing and revoking API keys, and filing a request.

Filing calls ``service.services.submit_request`` like every other channel; this module
only turns GeoReport v2 parameters into its arguments (key, location, account, answers).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from wennuan.core.tokens import digest, new_token
from wennuan.grid.models import Building, Household
from wennuan.open311.models import ApiKey
from wennuan.people.models import User
from wennuan.service.choices import Channel
from wennuan.service.models import ServiceCategory
from wennuan.service.services import RequestInvalid, Submitted, submit_request

KEY_PREFIX = "wn311_"
METRES_PER_DEGREE = 111_320.0
IDEMPOTENCY_PREFIX = "o311:"


class Open311Error(Exception):
    """A refusal in GeoReport terms: HTTP status (400, 403, 404) and one or more messages."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions)


@dataclass
class IssuedKey:
    """A new key: the row, and the key itself, which is shown this once and never stored."""

    api_key: ApiKey
    key: str


def issue_key(*, name: str, issued_by: User | None = None) -> IssuedKey:
    """Issue a key for an integration; the name must be new (one key per integration)."""
    name = name.strip()
    if not name:
        raise ValueError(_("Name the integration the key is for."))
    if ApiKey.objects.filter(name=name).exists():
        raise ValueError(_("An integration named “%(name)s” already has a key.") % {"name": name})
    new = new_token(KEY_PREFIX)
    api_key = ApiKey.objects.create(
        name=name, prefix=new.prefix, digest=new.digest, created_by=issued_by
    )
    return IssuedKey(api_key, new.token)


def revoke_key(*, api_key: ApiKey, revoked_by: User | None = None) -> ApiKey:
    """Stop a key from filing; its past requests keep pointing at it. Revoking twice is a no-op."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_by = revoked_by
        api_key.save(update_fields=["revoked_at", "revoked_by"])
    return api_key


def authenticate(key: str) -> ApiKey:
    """The active key matching ``key``, else Open311Error 403."""
    key = (key or "").strip()
    if not key:
        raise Open311Error(403, _("api_key is missing: every POST needs one."))
    found = ApiKey.objects.filter(digest=digest(key)).first()
    if found is None:
        raise Open311Error(403, _("api_key is not valid."))
    if found.revoked_at is not None:
        raise Open311Error(403, _("api_key was revoked."))
    return found


def check_jurisdiction(jurisdiction_id: str) -> None:
    """404 for a jurisdiction_id other than ours, when ours is configured (optional otherwise)."""
    ours = settings.OPEN311_JURISDICTION_ID
    given = (jurisdiction_id or "").strip()
    if ours and given and given != ours:
        raise Open311Error(
            404, _("jurisdiction_id “%(given)s” is not served here.") % {"given": given}
        )


def attribute_answers(params: MultiValueDict[str, str]) -> dict[str, Any]:
    """``attribute[CODE]=v`` (or ``attribute[CODE][]=v`` repeated) → {CODE: v or [v, ...]}."""
    answers: dict[str, Any] = {}
    for name, values in params.lists():
        if not (name.startswith("attribute[") and "]" in name):
            continue
        code = name[len("attribute[") : name.index("]")]
        listed = name.endswith("[]") or len(values) > 1
        if listed:
            previous = answers.get(code, [])
            answers[code] = [*(previous if isinstance(previous, list) else [previous]), *values]
        elif values:
            answers[code] = values[-1]
    return answers


def _number(value: str, field: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and low <= number <= high):
        raise Open311Error(
            400,
            _("%(field)s must be a number from %(low)s to %(high)s.")
            % {"field": field, "low": low, "high": high},
        )
    return number


def nearest_building_within(latitude: float, longitude: float, metres: float) -> Building | None:
    """The building nearest to a point if it lies within ``metres``, else None."""
    lat_span = metres / METRES_PER_DEGREE
    lon_span = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    candidates = Building.objects.filter(
        latitude__range=(latitude - lat_span, latitude + lat_span),
        longitude__range=(longitude - lon_span, longitude + lon_span),
    ).only("pk", "code", "address", "latitude", "longitude", "station_id", "zone_id")

    def distance(building: Building) -> float:
        dy = (building.latitude - latitude) * METRES_PER_DEGREE
        dx = (building.longitude - longitude) * METRES_PER_DEGREE * math.cos(math.radians(latitude))
        return math.hypot(dx, dy)

    nearest = min(candidates, key=distance, default=None)
    return nearest if nearest is not None and distance(nearest) <= metres else None


@dataclass
class Place:
    """Where a request is: a building when one could be found, and what the client sent."""

    building: Building | None
    latitude: float | None
    longitude: float | None
    text: str


def resolve_location(*, lat: str, long: str, address_string: str, address_id: str) -> Place:
    """One of lat+long, address_id (a building code) or address_string, as the spec asks.

    A point is placed at the nearest building within OPEN311_LOCATION_RADIUS_METRES; an
    address string must name a building's address exactly. Anything else is a 400.
    """
    lat, long, address_string, address_id = (
        lat.strip(),
        long.strip(),
        address_string.strip(),
        address_id.strip(),
    )
    if bool(lat) != bool(long):
        raise Open311Error(400, _("lat and long must be sent together."))
    if lat:
        latitude = _number(lat, "lat", -90, 90)
        longitude = _number(long, "long", -180, 180)
        radius = settings.OPEN311_LOCATION_RADIUS_METRES
        building = nearest_building_within(latitude, longitude, radius)
        if building is None:
            raise Open311Error(
                400,
                _("No building of ours lies within %(m)s m of lat %(lat)s, long %(long)s.")
                % {"m": radius, "lat": lat, "long": long},
            )
        return Place(building, latitude, longitude, address_string)
    if address_id:
        building = Building.objects.filter(code=address_id).first()
        if building is None:
            raise Open311Error(
                400, _("address_id “%(id)s” is not a building code.") % {"id": address_id}
            )
        return Place(building, None, None, address_string or building.address)
    if address_string:
        building = Building.objects.filter(address=address_string).first()
        if building is None:
            raise Open311Error(
                400,
                _(
                    "address_string “%(text)s” matches no building address; "
                    "send lat and long or address_id."
                )
                % {"text": address_string},
            )
        return Place(building, None, None, address_string)
    raise Open311Error(
        400, _("A location is required: lat and long, address_string, or address_id.")
    )


# Our field names in RequestInvalid → the Open311 parameter a client should fix.
PARAMETER_OF_FIELD = {
    "household": "account_id",
    "location": "lat/long",
    "reporter_phone": "phone",
    "reporter_email": "email",
    "category": "service_code",
}


def file_request(
    *,
    api_key: ApiKey,
    params: MultiValueDict[str, str],
    language: str,
    idempotency_key: str = "",
) -> Submitted:
    """File a POST requests.{format}: check everything, then call submit_request.

    ``params`` is the form body (a QueryDict). A client retrying
    with the same Idempotency-Key gets the request filed the first time. Raises
    Open311Error (404 unknown service_code, 400 anything else) and stores nothing then.
    """

    def one(name: str) -> str:
        return str(params.get(name) or "")

    code = one("service_code").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = (
        ServiceCategory.objects.public().filter(code=code).prefetch_related("attributes").first()
    )
    if category is None:
        raise Open311Error(404, _("service_code “%(code)s” is not a service.") % {"code": code})
    place = resolve_location(
        lat=one("lat"),
        long=one("long"),
        address_string=one("address_string"),
        address_id=one("address_id"),
    )
    household = None
    if account := one("account_id").strip():
        household = (
            Household.objects.select_related("building").filter(account_number=account).first()
        )
        if household is None:
            raise Open311Error(
                400, _("account_id “%(id)s” is not a household account.") % {"id": account}
            )
    name = " ".join(part for part in (one("last_name").strip(), one("first_name").strip()) if part)
    key = idempotency_key.strip()
    try:
        with transaction.atomic():
            submitted = submit_request(
                category=category,
                channel=Channel.OPEN311,
                language=language,
                household=household,
                building=place.building,
                description=one("description"),
                attributes=attribute_answers(params),
                reporter_name=name,
                reporter_phone=one("phone"),
                reporter_email=one("email"),
                latitude=place.latitude,
                longitude=place.longitude,
                location_text=place.text,
                device_id=one("device_id"),
                media_url=one("media_url"),
                api_key=api_key,
                idempotency_key=IDEMPOTENCY_PREFIX + (key or uuid.uuid4().hex),
            )
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    except RequestInvalid as refusal:
        raise Open311Error(
            400,
            *(
                f"{PARAMETER_OF_FIELD.get(field, field)}: {message}"
                for field, messages in refusal.errors.items()
                for message in messages
            ),
        ) from refusal
    return submitted
