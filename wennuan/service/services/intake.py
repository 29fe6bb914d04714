"""Intake: every channel files through ``submit_request`` (checks everything, stores nothing
when any input is bad), and station work orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from wennuan.core.queries import one_or_none
from wennuan.core.validators import is_valid_phone, normalise_phone
from wennuan.emergency.models import CARE_FLAGS, INFECTION_FLAGS
from wennuan.emergency.services import emergency_on, flag_kinds
from wennuan.grid.models import Building, Household
from wennuan.grid.selectors import nearest_building
from wennuan.notify.choices import Template
from wennuan.notify.services import queued_together
from wennuan.open311.models import ApiKey
from wennuan.people.models import User
from wennuan.service import dispatch
from wennuan.service.choices import (
    Channel,
    Datatype,
    EventKind,
    Priority,
    Status,
)
from wennuan.service.models import (
    CategoryAttribute,
    RequestPhoto,
    ServiceCategory,
    ServiceRequest,
)
from wennuan.service.services.base import (
    MAX_DESCRIPTION,
    MAX_DEVICE_ID,
    MAX_MEDIA_URL,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    TEMPERATURE_ATTRIBUTE,
    TEMPERATURE_RANGE,
    RequestInvalid,
    Submitted,
    _events_together,
    _notify_resident,
    _record,
    category_name,
    resident_label,
    resident_language,
)
from wennuan.service.services.dispatching import (
    dispatch_request,
)


def _clean_attributes(
    category: ServiceCategory, answers: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    """Check answers against the category's questions; return them normalised."""
    questions: dict[str, CategoryAttribute] = {a.code: a for a in category.attributes.all()}
    cleaned: dict[str, Any] = {}
    for code in answers:
        if code not in questions:
            errors.setdefault(f"attribute[{code}]", []).append(_("This question is not asked."))
    for code, question in questions.items():
        raw = answers.get(code)
        field = f"attribute[{code}]"
        empty = raw is None or raw == "" or raw == []
        if empty:
            if question.required:
                errors.setdefault(field, []).append(
                    _("Please answer “%(question)s”.") % {"question": question.label}
                )
            continue
        keys = {v["key"] for v in question.values}
        if question.datatype == Datatype.NUMBER:
            try:
                number = Decimal(str(raw).strip())
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors.setdefault(field, []).append(_("Enter a number."))
                continue
            low, high = question.min_value, question.max_value
            if (low is not None and number < low) or (high is not None and number > high):
                errors.setdefault(field, []).append(
                    _("Enter a number from %(low)s to %(high)s.")
                    % {"low": _plain(low), "high": _plain(high)}
                )
                continue
            cleaned[code] = str(number)
        elif question.datatype == Datatype.DATETIME:
            text = str(raw).strip()
            moment = parse_datetime(text) or (
                datetime.combine(day, datetime.min.time()) if (day := parse_date(text)) else None
            )
            if moment is None:
                errors.setdefault(field, []).append(
                    _("Enter a date (and time), e.g. 2026-12-01 08:00.")
                )
                continue
            cleaned[code] = text
        elif question.datatype == Datatype.SINGLEVALUELIST:
            if str(raw) not in keys:
                errors.setdefault(field, []).append(_("Choose one of the options."))
                continue
            cleaned[code] = str(raw)
        elif question.datatype == Datatype.MULTIVALUELIST:
            chosen = [raw] if isinstance(raw, str) else list(raw or [])
            if not chosen or any(str(c) not in keys for c in chosen):
                errors.setdefault(field, []).append(_("Choose from the options."))
                continue
            cleaned[code] = [str(c) for c in chosen]
        else:
            text = str(raw).strip()
            limit = 200 if question.datatype == Datatype.STRING else 2000
            if len(text) > limit:
                errors.setdefault(field, []).append(_("At most %(n)s characters.") % {"n": limit})
                continue
            cleaned[code] = text
    return cleaned


def _plain(number: Decimal | None) -> str:
    """-10.00 → "-10", 37.50 → "37.5"; None (no bound) → "…"."""
    return "…" if number is None else f"{number.normalize():f}"


def photo_type(head: bytes) -> str | None:
    """The image type by content, not by name: JPEG or PNG, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _check_photos(photos: list[UploadedFile[bytes]], errors: dict[str, list[str]]) -> list[str]:
    types: list[str] = []
    if len(photos) > MAX_PHOTOS:
        errors.setdefault("photos", []).append(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
        return types
    for photo in photos:
        name = photo.name or "?"
        if (photo.size or 0) > MAX_PHOTO_BYTES:
            errors.setdefault("photos", []).append(
                _("%(name)s is larger than 5 MB.") % {"name": name}
            )
            continue
        photo.seek(0)
        kind = photo_type(photo.read(16))
        photo.seek(0)
        if kind is None:
            errors.setdefault("photos", []).append(
                _("%(name)s is not a JPEG or PNG photo.") % {"name": name}
            )
            continue
        types.append(kind)
    return types


def _submitted_with(idempotency_key: str) -> ServiceRequest | None:
    """The request an earlier call with this key created, if any (the key is unique)."""
    return one_or_none(ServiceRequest.objects.filter(idempotency_key=idempotency_key))


def submit_request(
    *,
    category: ServiceCategory,
    channel: str,
    language: str = "",
    household: Household | None = None,
    building: Building | None = None,
    description: str = "",
    attributes: dict[str, Any] | None = None,
    photos: list[UploadedFile[bytes]] | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    location_text: str = "",
    device_id: str = "",
    media_url: str = "",
    api_key: ApiKey | None = None,
    idempotency_key: str = "",
    created_by: User | None = None,
) -> Submitted:
    """File a request from any channel: validate everything, store, dispatch, notify.

    ``language`` is the resident's (their messages use it); the company default if empty.
    The request is placed at the household's building, else at ``building`` (a place an
    integration resolved), else at the building nearest to ``latitude``/``longitude``.
    A retry with the same idempotency key returns the first answer and creates nothing.
    Raises RequestInvalid (field → messages) and stores nothing when any input is bad.
    """
    key = idempotency_key.strip()[:80] or None
    if key and (existing := _submitted_with(key)):
        return Submitted(existing, created=False)

    errors: dict[str, list[str]] = {}
    closed = category.unavailable_message(emergency=category.walk_in and emergency_on())
    if closed:
        errors.setdefault("category", []).append(closed)
    if household is None and not category.allows_anonymous:
        errors.setdefault("household", []).append(_("Tell us which home this is about."))
    if (
        household is None
        and category.allows_anonymous
        and not (location_text.strip() or (latitude is not None and longitude is not None))
    ):
        errors.setdefault("location", []).append(_("Tell us where the problem is."))
    phone = normalise_phone(reporter_phone) if reporter_phone.strip() else ""
    if phone and not is_valid_phone(phone):
        errors.setdefault("reporter_phone", []).append(
            _("Enter a mobile number (11 digits) or a landline with its area code.")
        )
    if reporter_email.strip():
        try:
            validate_email(reporter_email.strip())
        except ValidationError:
            errors.setdefault("reporter_email", []).append(_("Enter a valid e-mail address."))
    if media_url.strip():
        try:
            URLValidator(schemes=["http", "https"])(media_url.strip())
            if len(media_url.strip()) > MAX_MEDIA_URL:
                raise ValidationError("too long")
        except ValidationError:
            errors.setdefault("media_url", []).append(
                _("Enter an http(s) link of at most %(n)s characters.") % {"n": MAX_MEDIA_URL}
            )
    if len(device_id) > MAX_DEVICE_ID:
        errors.setdefault("device_id", []).append(
            _("At most %(n)s characters.") % {"n": MAX_DEVICE_ID}
        )
    if len(description) > MAX_DESCRIPTION:
        errors.setdefault("description", []).append(
            _("At most %(n)s characters (now %(len)s).")
            % {"n": MAX_DESCRIPTION, "len": len(description)}
        )
    answers = _clean_attributes(category, attributes or {}, errors)
    temperature = None
    if TEMPERATURE_ATTRIBUTE in answers:
        temperature = Decimal(answers[TEMPERATURE_ATTRIBUTE]).quantize(Decimal("0.1"))
        if not TEMPERATURE_RANGE[0] <= temperature <= TEMPERATURE_RANGE[1]:
            errors.setdefault(f"attribute[{TEMPERATURE_ATTRIBUTE}]", []).append(
                _("An indoor temperature must be between -10 and 40 °C.")
            )
    photo_types = _check_photos(photos or [], errors)
    if errors:
        raise RequestInvalid(errors)

    if household is not None:
        building = household.building
    if building is None and latitude is not None and longitude is not None:
        # A hazard reported at a place belongs to the zone of the nearest building.
        building = nearest_building(latitude, longitude)
    flags = flag_kinds(household) if household is not None else set()
    urgent = bool(
        (household is not None and household.vulnerable)
        or flags & CARE_FLAGS  # an elderly person alone, medical needs: vulnerable too
        or (temperature is not None and temperature < settings.SERVICE_COLD_CELSIUS)
    )
    priority = category.default_priority
    if urgent:
        priority = max(Priority.URGENT, priority - 1)
    # Decided before the write transaction: on SQLite that transaction holds the one write
    # lock, and the decision (a read) is most of its time. Availability read a few
    # milliseconds early is as good as read inside: the open-work cap is a soft limit.
    now = timezone.now()
    decision = dispatch.choose_assignee(
        zone_id=building.zone_id if building else None, duty=category.duty, at=now
    )
    try:
        with transaction.atomic(), _events_together(), queued_together():
            request = ServiceRequest.objects.create(
                category=category,
                household=household,
                building=building,
                station_id=building.station_id if building else None,
                zone_id=building.zone_id if building else None,
                channel=channel,
                language=resident_language(language),
                priority=priority,
                description=description.strip(),
                attributes=answers,
                measured_temperature=temperature,
                remote_first=bool(flags & INFECTION_FLAGS),
                filed_in_emergency=emergency_on(),
                reporter_name=reporter_name.strip()[:64],
                reporter_phone=phone,
                latitude=latitude,
                longitude=longitude,
                location_text=location_text.strip()[:200],
                reporter_email=reporter_email.strip(),
                device_id=device_id.strip(),
                media_url=media_url.strip(),
                api_key=api_key,
                idempotency_key=key,
                created_by=created_by,
            )
            request.number = f"{timezone.localtime(request.created_at):%y%m%d}{request.pk:06d}"
            for upload, kind in zip(photos or [], photo_types, strict=True):
                RequestPhoto.objects.create(
                    request=request, image=upload, content_type=kind, size=upload.size or 0
                )
            _record(
                request,
                kind=EventKind.STATUS,
                actor=created_by,
                actor_label="" if created_by else resident_label(),
                to_status=Status.SUBMITTED,
                note=str(Channel(channel).label),
                public=True,
            )
            dispatch_request(request=request, urgent=urgent, at=now, decision=decision)
            if category.code == "not_warm" and request.station_id is not None:
                from wennuan.service.incidents import link_on_intake

                link_on_intake(request)
            if decision.assignee is None:
                # An assignment saves the whole row, number included; without one the
                # number still has to be written.
                request.save(update_fields=["number"])
            _notify_resident(
                request,
                Template.REQUEST_RECEIVED,
                {"number": request.number, "category": category_name(category, request.language)},
            )
    except IntegrityError:
        # Two retries raced past the lookup above; the unique key let exactly one in.
        if key and (existing := _submitted_with(key)):
            return Submitted(existing, created=False)
        raise
    return Submitted(request, created=True)


def open_station_work_order(*, station_id: int, text: str, key: str) -> ServiceRequest | None:
    """A repair work order for a station (internal category ``station_fault``), filed like any
    request: placed at a building of the zone the station mostly feeds, dispatched to that
    zone's named repair owner, on the dispatch board. ``key`` makes it idempotent.
    None when the station feeds no building in a zone."""
    from django.db.models import Count

    zone_id = (
        Building.objects.filter(station_id=station_id, zone__isnull=False)
        .values("zone_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "zone_id")
        .values_list("zone_id", flat=True)
        .first()
    )
    if zone_id is None:
        return None
    building = (
        Building.objects.filter(station_id=station_id, zone_id=zone_id).order_by("code").first()
    )
    category = ServiceCategory.objects.prefetch_related("attributes").get(code="station_fault")
    return submit_request(
        category=category,
        channel=Channel.ALARM,
        building=building,
        description=text,
        location_text=str(building.station) if building and building.station_id else "",
        idempotency_key=key,
    ).request
