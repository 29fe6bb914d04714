"""State changes of service requests. Every channel (portal, hotline, community, Open311,
API) calls these functions; each runs in one transaction and writes an event row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from django.utils.translation import gettext_lazy

from wennuan.core.queries import one_or_none
from wennuan.core.validators import is_valid_phone, normalise_phone
from wennuan.grid.models import Building, Household
from wennuan.grid.selectors import nearest_building
from wennuan.notify.choices import Channel as NotifyChannel
from wennuan.notify.choices import Template
from wennuan.notify.services import queue_notification, queued_together
from wennuan.open311.models import ApiKey
from wennuan.people.models import User
from wennuan.service import dispatch, sla
from wennuan.service.choices import (
    OPEN_STATUSES,
    PAUSED_STATUSES,
    TRANSITIONS,
    Channel,
    Datatype,
    EventKind,
    Priority,
    SlaState,
    Status,
)
from wennuan.service.models import (
    CategoryAttribute,
    HomeVisit,
    RequestEvent,
    RequestPhoto,
    ServiceCategory,
    ServiceRequest,
)

MAX_DESCRIPTION = 4000
MAX_MEDIA_URL = 500
MAX_DEVICE_ID = 64
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
TEMPERATURE_ATTRIBUTE = "indoor_temperature"
TEMPERATURE_RANGE = (Decimal("-10"), Decimal("40"))
PPE_ITEMS = ("mask", "gloves", "shoe_covers", "hand_sanitiser")


def resident_label() -> str:
    """How the history names the resident as the actor."""
    return _("resident")


class RequestInvalid(Exception):
    """Intake refused: field → messages, in the user's language. Nothing was stored."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class TransitionRefused(Exception):
    """A change the lifecycle or the rules do not allow; the message says why."""


@dataclass
class Submitted:
    """What intake answers: the request, and whether this call created it (False on a retry)."""

    request: ServiceRequest
    created: bool


# Events of the change in progress inside _events_together(), not yet written.
_pending_events: ContextVar[list[RequestEvent] | None] = ContextVar("pending_events", default=None)


@contextmanager
def _events_together() -> Iterator[None]:
    """Write the events recorded inside in one insert as the block ends (none if it raises).

    Intake records three (submitted, assigned, the dispatch decision); one statement
    instead of three is a measurable share of its cost under load.
    """
    pending: list[RequestEvent] = []
    token = _pending_events.set(pending)
    try:
        yield
    finally:
        _pending_events.reset(token)
    RequestEvent.objects.bulk_create(pending)


def _record(
    request: ServiceRequest,
    *,
    kind: str,
    actor: User | None = None,
    actor_label: str = "",
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    public: bool = False,
) -> RequestEvent:
    event = RequestEvent(
        request=request,
        kind=kind,
        actor=actor,
        actor_label=actor_label or (actor.display_name if actor else _("system")),
        from_status=from_status,
        to_status=to_status,
        note=note,
        public=public,
    )
    pending = _pending_events.get()
    if pending is not None:
        pending.append(event)
    else:
        event.save()
    return event


def _move(
    request: ServiceRequest,
    to: str,
    *,
    actor: User | None,
    note: str = "",
    public: bool = True,
    actor_label: str = "",
    now: datetime | None = None,
    by_incident: bool = False,
) -> None:
    """Change status if the lifecycle allows it; pause or resume the SLA clock; write the event.

    ``by_incident``: a resolved network incident resolves its requests from any open state.
    """
    allowed = by_incident and to == Status.RESOLVED and request.status in OPEN_STATUSES
    if not allowed and to not in TRANSITIONS[request.status]:
        raise TransitionRefused(
            _("A request that is “%(from)s” cannot become “%(to)s”.")
            % {"from": Status(request.status).label, "to": Status(to).label}
        )
    now = now or timezone.now()
    from_status = request.status
    if to in PAUSED_STATUSES and request.paused_since is None:
        request.paused_since = now
    elif to not in PAUSED_STATUSES and request.paused_since is not None:
        # The clock stood still while we waited for the resident: push every target back.
        paused = now - request.paused_since
        for name in ("first_contact_due", "on_site_due", "resolution_due"):
            if getattr(request, name) is not None:
                setattr(request, name, getattr(request, name) + paused)
        request.paused_since = None
    request.status = to
    request.save()
    _record(
        request,
        kind=EventKind.STATUS,
        actor=actor,
        actor_label=actor_label,
        from_status=from_status,
        to_status=to,
        note=note,
        public=public,
    )


# --- intake -----------------------------------------------------------------------------


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
    if not category.enabled:
        errors.setdefault("category", []).append(
            category.disabled_message or _("This service is not available online.")
        )
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
    urgent = bool(
        (household is not None and household.vulnerable)
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


# --- dispatch ---------------------------------------------------------------------------


def dispatch_request(
    *,
    request: ServiceRequest,
    urgent: bool | None = None,
    actor: User | None = None,
    at: datetime | None = None,
    exclude: User | None = None,
    decision: dispatch.Decision | None = None,
) -> dispatch.Decision:
    """Send the request to its zone's named person for the category's duty (see dispatch.py).

    Records the decision and its reasons; sets the SLA due times from now. With nobody
    available the request stays "submitted" on the dispatch board. ``decision``, if
    given, is one already made at ``at`` (intake decides before its write transaction).
    """
    now = at or timezone.now()
    # No savepoint when called inside intake's transaction: nothing here is retried alone.
    with transaction.atomic(savepoint=False):
        decision = decision or dispatch.choose_assignee(
            zone_id=request.zone_id,
            duty=request.category.duty,
            at=now,
            exclude_ids={exclude.pk} if exclude else frozenset(),
        )
        if decision.assignee is None:
            _record(request, kind=EventKind.ASSIGNMENT, actor=actor, note=decision.note)
            return decision
        if urgent is None:
            urgent = request.priority == Priority.URGENT
        _assign(request, decision.assignee, actor=actor, note=decision.note, now=now, urgent=urgent)
    return decision


def _assign(
    request: ServiceRequest,
    assignee: User,
    *,
    actor: User | None,
    note: str,
    now: datetime,
    urgent: bool,
) -> None:
    first_assignment = request.assigned_at is None
    request.assignee = assignee
    request.assigned_at = now
    if first_assignment or request.status == Status.REOPENED:
        first, on_site, resolution = sla.due_times(request.category, now, urgent=urgent)
        request.first_contact_due, request.on_site_due, request.resolution_due = (
            first,
            on_site,
            resolution,
        )
        request.first_contact_at = None
        request.sla_state = SlaState.ON_TIME
        request.escalation_level = 0
    # The resident sees that someone has it; the reasons (who was off shift) stay inside.
    _move(request, Status.ASSIGNED, actor=actor, public=True, now=now)
    _record(request, kind=EventKind.ASSIGNMENT, actor=actor, note=note)
    _notify_staff(
        assignee,
        Template.WORK_ASSIGNED,
        {
            "number": request.number,
            "category": category_name(request.category, settings.LANGUAGE_CODE),
            "address": request.household.address if request.household else request.location_text,
            "due": f"{timezone.localtime(request.first_contact_due):%m-%d %H:%M}"
            if request.first_contact_due
            else "",
        },
        related_key=request.number or "",
    )


def reassign_request(
    *, request: ServiceRequest, assignee: User, actor: User, reason: str
) -> ServiceRequest:
    """Hand an open request to someone else, with a reason (recorded, not shown to residents)."""
    if not reason.strip():
        raise TransitionRefused(_("Give a reason for the reassignment."))
    if not assignee.is_active:
        raise TransitionRefused(_("%(name)s is deactivated.") % {"name": assignee.display_name})
    with transaction.atomic():
        request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
        note = _("reassigned from %(old)s to %(new)s: %(reason)s") % {
            "old": request.assignee.display_name if request.assignee else "—",
            "new": assignee.display_name,
            "reason": reason.strip(),
        }
        _assign(request, assignee, actor=actor, note=note, now=timezone.now(), urgent=False)
    return request


def reassign_open_work(*, staff: User, actor: User, reason: str) -> list[ServiceRequest]:
    """Send all of one person's open work on to their deputies (e.g. they fell ill)."""
    if not reason.strip():
        raise TransitionRefused(_("Give a reason for the reassignment."))
    moved = []
    with transaction.atomic():
        for request in (
            ServiceRequest.objects.select_for_update()
            .filter(
                assignee=staff,
                status__in=[
                    Status.ASSIGNED,
                    Status.ACCEPTED,
                    Status.GUIDANCE,
                    Status.VISIT_SCHEDULED,
                ],
            )
            .select_related("category")
        ):
            _record(request, kind=EventKind.NOTE, actor=actor, note=reason.strip())
            decision = dispatch_request(request=request, actor=actor, exclude=staff)
            if decision.assignee is not None and decision.assignee != staff:
                moved.append(request)
    return moved


# --- the work ---------------------------------------------------------------------------


def _require_assignee(request: ServiceRequest, actor: User) -> None:
    if request.assignee_id != actor.pk and not actor.sees_whole_city:
        raise TransitionRefused(_("Only the person it is assigned to can do this."))


def _locked(request: ServiceRequest) -> ServiceRequest:
    """Re-read the request with its row locked (of=self: the household is an outer join)."""
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("category", "household")
        .get(pk=request.pk)
    )


def accept_request(*, request: ServiceRequest, actor: User) -> ServiceRequest:
    """The assignee takes the work: first contact is made."""
    with transaction.atomic():
        request = _locked(request)
        _require_assignee(request, actor)
        now = timezone.now()
        request.first_contact_at = request.first_contact_at or now
        _move(request, Status.ACCEPTED, actor=actor, now=now)
        _notify_resident(
            request,
            Template.REQUEST_ACCEPTED,
            {"number": request.number, "staff_name": actor.display_name},
        )
    return request


def give_guidance(*, request: ServiceRequest, actor: User, note: str) -> ServiceRequest:
    """Remote guidance (e.g. "bleed the radiator"); the SLA clock waits for the resident."""
    if not note.strip():
        raise TransitionRefused(_("Write the guidance you gave."))
    with transaction.atomic():
        request = _locked(request)
        _require_assignee(request, actor)
        request.first_contact_at = request.first_contact_at or timezone.now()
        _move(request, Status.GUIDANCE, actor=actor, note=note.strip())
    return request


def schedule_visit(*, request: ServiceRequest, actor: User, when: datetime) -> HomeVisit:
    """Agree a time for a home visit."""
    if when < timezone.now() - timedelta(minutes=5):
        raise TransitionRefused(_("The visit time is in the past."))
    with transaction.atomic():
        request = _locked(request)
        _require_assignee(request, actor)
        request.first_contact_at = request.first_contact_at or timezone.now()
        local = timezone.localtime(when)
        _move(
            request,
            Status.VISIT_SCHEDULED,
            actor=actor,
            note=_("visit at %(when)s") % {"when": f"{local:%Y-%m-%d %H:%M}"},
        )
        visit = HomeVisit.objects.create(
            request=request, staff=actor, household=request.household, scheduled_for=when
        )
        _notify_resident(
            request,
            Template.VISIT_SCHEDULED,
            {
                "number": request.number,
                "when": f"{local:%m-%d %H:%M}",
                "staff_name": actor.display_name,
            },
        )
    return visit


def check_in(*, request: ServiceRequest, actor: User, equipment: list[str]) -> HomeVisit:
    """Arrive at the home; every item of protective equipment must be confirmed."""
    missing = [item for item in PPE_ITEMS if item not in equipment]
    if missing:
        raise TransitionRefused(
            _("Confirm your protective equipment first: %(items)s.")
            % {"items": ", ".join(str(PPE_LABELS[m]) for m in missing)}
        )
    with transaction.atomic():
        request = _locked(request)
        _require_assignee(request, actor)
        now = timezone.now()
        visit = request.visits.filter(staff=actor, checked_in_at__isnull=True).order_by(
            "-pk"
        ).first() or HomeVisit(request=request, staff=actor, household=request.household)
        visit.checked_in_at = now
        visit.equipment = list(PPE_ITEMS)
        visit.save()
        request.first_contact_at = request.first_contact_at or now
        request.on_site_at = request.on_site_at or now
        _move(request, Status.ON_SITE, actor=actor, now=now, note=_("checked in at the home"))
        _record(
            request, kind=EventKind.VISIT, actor=actor, note=_("protective equipment confirmed")
        )
    return visit


def check_out(*, request: ServiceRequest, actor: User, note: str = "") -> HomeVisit:
    """Leave the home; the visit's times are what exposure tracing reads later."""
    with transaction.atomic():
        visit = (
            HomeVisit.objects.select_for_update()
            .filter(
                request=request,
                staff=actor,
                checked_in_at__isnull=False,
                checked_out_at__isnull=True,
            )
            .first()
        )
        if visit is None:
            raise TransitionRefused(_("You have not checked in to this home."))
        visit.checked_out_at = timezone.now()
        visit.note = note.strip()
        visit.save()
        _record(request, kind=EventKind.VISIT, actor=actor, note=_("checked out of the home"))
    return visit


def resolve_request(
    *, request: ServiceRequest, actor: User, note: str, measured_temperature: Decimal | None = None
) -> ServiceRequest:
    """Mark the problem fixed; "not warm" needs the indoor temperature measured now."""
    if request.category.code == "not_warm" and measured_temperature is None:
        raise TransitionRefused(_("Enter the indoor temperature you measured."))
    if measured_temperature is not None and not (
        TEMPERATURE_RANGE[0] <= measured_temperature <= TEMPERATURE_RANGE[1]
    ):
        raise TransitionRefused(_("An indoor temperature must be between -10 and 40 °C."))
    with transaction.atomic():
        request = _locked(request)
        _require_assignee(request, actor)
        now = timezone.now()
        HomeVisit.objects.filter(
            request=request, checked_in_at__isnull=False, checked_out_at__isnull=True
        ).update(checked_out_at=now)
        text = note.strip()
        if measured_temperature is not None:
            text = _("%(note)s (measured %(t)s °C)") % {"note": text, "t": measured_temperature}
        request.resolved_at = now
        request.first_contact_at = request.first_contact_at or now
        _move(request, Status.RESOLVED, actor=actor, note=text.strip(), now=now)
        _notify_resident(
            request,
            Template.REQUEST_RESOLVED,
            {
                "number": request.number,
                "confirm_url": f"{settings.PUBLIC_BASE_URL}/portal/track/?number={request.number}",
            },
        )
    return request


def resolve_by_incident(
    *, request: ServiceRequest, actor: User | None, note: str, now: datetime
) -> ServiceRequest:
    """Resolve a request because its network incident is fixed; the resident is asked to
    confirm, as for any resolution."""
    request = _locked(request)
    HomeVisit.objects.filter(
        request=request, checked_in_at__isnull=False, checked_out_at__isnull=True
    ).update(checked_out_at=now)
    request.resolved_at = now
    request.first_contact_at = request.first_contact_at or now
    _move(
        request,
        Status.RESOLVED,
        actor=actor,
        note=_("Network incident resolved: %(note)s") % {"note": note.strip()},
        now=now,
        by_incident=True,
    )
    _notify_resident(
        request,
        Template.REQUEST_RESOLVED,
        {
            "number": request.number,
            "confirm_url": f"{settings.PUBLIC_BASE_URL}/portal/track/?number={request.number}",
        },
    )
    return request


def confirm_fix(*, request: ServiceRequest) -> ServiceRequest:
    """The resident confirms the fix: the request closes."""
    with transaction.atomic():
        request = _locked(request)
        request.closed_at = timezone.now()
        _move(
            request,
            Status.CLOSED,
            actor=None,
            actor_label=resident_label(),
            note=_("confirmed by the resident"),
        )
    return request


def reopen_request(*, request: ServiceRequest, reason: str) -> ServiceRequest:
    """The resident says it is not fixed: reopen with their reason and dispatch again."""
    if not reason.strip():
        raise TransitionRefused(_("Tell us what is still wrong."))
    with transaction.atomic():
        request = _locked(request)
        request.resolved_at = None
        _move(
            request,
            Status.REOPENED,
            actor=None,
            actor_label=resident_label(),
            note=reason.strip()[:1000],
        )
        dispatch_request(request=request)
    return request


def rate_request(*, request: ServiceRequest, rating: int, comment: str = "") -> ServiceRequest:
    """The follow-up rating (回访), 1 to 5, once the request is resolved or closed."""
    if rating not in range(1, 6):
        raise TransitionRefused(_("A rating is from 1 to 5."))
    if request.status not in {Status.RESOLVED, Status.CLOSED}:
        raise TransitionRefused(_("You can rate a request once it is resolved."))
    with transaction.atomic():
        request = _locked(request)
        request.rating = rating
        request.rating_comment = comment.strip()[:500]
        request.save(update_fields=["rating", "rating_comment", "updated_at"])
        _record(
            request,
            kind=EventKind.RATING,
            actor_label=resident_label(),
            note=f"{'★' * rating} {request.rating_comment}".strip(),
            public=True,
        )
    return request


def cancel_request(*, request: ServiceRequest, actor: User | None, reason: str) -> ServiceRequest:
    """Withdraw a request (by the resident, or by staff with a reason)."""
    if not reason.strip():
        raise TransitionRefused(_("Give a reason for cancelling."))
    with transaction.atomic():
        request = _locked(request)
        _move(
            request,
            Status.CANCELLED,
            actor=actor,
            actor_label="" if actor else resident_label(),
            note=reason.strip(),
        )
    return request


def mark_duplicate(
    *, request: ServiceRequest, original: ServiceRequest, actor: User
) -> ServiceRequest:
    """Close a request as a duplicate of another, linking the two."""
    if original.pk == request.pk or original.status == Status.DUPLICATE:
        raise TransitionRefused(_("Choose an original request that is not itself a duplicate."))
    with transaction.atomic():
        request = _locked(request)
        request.duplicate_of = original
        _move(
            request,
            Status.DUPLICATE,
            actor=actor,
            note=_("duplicate of %(number)s") % {"number": original.number},
        )
    return request


# --- periodic ---------------------------------------------------------------------------


def sweep_sla(*, now: datetime | None = None) -> dict[str, int]:
    """Mark requests about to breach or breached, and escalate breaches.

    A breach escalates first to the supervisor of the zone's owner for the duty, then,
    after SERVICE_ESCALATION_STEP_MINUTES, to the dispatcher on duty. Runs every minute.
    """
    from wennuan.grid.models import ZoneAssignment

    now = now or timezone.now()
    counts = {"at_risk": 0, "breached": 0, "escalated": 0}
    candidates = (
        ServiceRequest.objects.filter(status__in=OPEN_STATUSES, paused_since__isnull=True)
        .exclude(first_contact_due__isnull=True)
        .select_related("category", "assignee__supervisor")
    )
    step = timedelta(minutes=settings.SERVICE_ESCALATION_STEP_MINUTES)
    # A list, not a cursor: the loop writes, and SQLite must not hold a read open meanwhile.
    for request in list(candidates):
        state = sla.sla_state(request, now)
        if state != request.sla_state:
            with transaction.atomic():
                ServiceRequest.objects.filter(pk=request.pk).update(sla_state=state)
            request.sla_state = state
        if state == SlaState.AT_RISK:
            counts["at_risk"] += 1
        if state != SlaState.BREACHED:
            continue
        counts["breached"] += 1
        due = sla.next_due(request)
        assert due is not None
        target: User | None = None
        level = request.escalation_level
        if level == 0:
            owner = (
                ZoneAssignment.objects.filter(
                    zone_id=request.zone_id, duty=request.category.duty, rank=0
                )
                .select_related("staff__supervisor")
                .first()
                if request.zone_id is not None
                else None
            )
            target = (owner.staff.supervisor if owner else None) or (
                request.assignee.supervisor if request.assignee else None
            )
            label = _("supervisor")
        elif level == 1 and now >= due + step:
            target = dispatch.dispatcher_on_duty(now)
            label = _("dispatcher on duty")
        else:
            continue
        with transaction.atomic():
            locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
            if locked.escalation_level != level:
                continue  # another sweep got here first
            locked.escalation_level = level + 1
            locked.save(update_fields=["escalation_level", "updated_at"])
            note = _("overdue since %(due)s: escalated to %(who)s %(name)s") % {
                "due": f"{timezone.localtime(due):%m-%d %H:%M}",
                "who": label,
                "name": target.display_name if target else _("(nobody to escalate to)"),
            }
            _record(locked, kind=EventKind.ESCALATION, note=note)
            if target is not None:
                _notify_staff(
                    target,
                    Template.WORK_ESCALATED,
                    {
                        "number": locked.number,
                        "reason": note,
                        "due": f"{timezone.localtime(due):%m-%d %H:%M}",
                    },
                    related_key=locked.number or "",
                )
        counts["escalated"] += 1
    return counts


def auto_close_resolved(*, now: datetime | None = None) -> int:
    """Close resolved requests the resident has not answered within SERVICE_AUTO_CLOSE_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SERVICE_AUTO_CLOSE_DAYS)
    closed = 0
    for request in ServiceRequest.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff):
        with transaction.atomic():
            locked = _locked(request)
            if locked.status != Status.RESOLVED:
                continue
            locked.closed_at = now
            _move(
                locked,
                Status.CLOSED,
                actor=None,
                actor_label=_("system"),
                note=_("closed automatically: no answer from the resident"),
                now=now,
            )
            closed += 1
    return closed


# --- notifications ----------------------------------------------------------------------


PPE_LABELS = {
    "mask": gettext_lazy("mask"),
    "gloves": gettext_lazy("gloves"),
    "shoe_covers": gettext_lazy("shoe covers"),
    "hand_sanitiser": gettext_lazy("hand sanitiser"),
}


def resident_language(language: str) -> str:
    """English for a resident who used the English pages, else the company's language."""
    return "en" if language.lower().startswith("en") else settings.LANGUAGE_CODE


def category_name(category: ServiceCategory, language: str) -> str:
    """The category's name in a message's language (not the active page language)."""
    return category.name_en if language.startswith("en") and category.name_en else category.name_zh


def resident_phone(request: ServiceRequest) -> str:
    """Where to text the resident: the phone they gave, else the household's registered one."""
    if request.reporter_phone:
        return request.reporter_phone
    return request.household.phone if request.household else ""


def _notify_resident(request: ServiceRequest, template: str, context: dict[str, Any]) -> None:
    phone = resident_phone(request)
    if phone:
        queue_notification(
            channel=NotifyChannel.SMS,
            recipient=phone,
            template=template,
            context=context,
            language=request.language,
            related_key=request.number or "",
        )


def _notify_staff(user: User, template: str, context: dict[str, Any], *, related_key: str) -> None:
    if user.phone:
        queue_notification(
            channel=NotifyChannel.SMS,
            recipient=user.phone,
            template=template,
            context=context,
            language=settings.LANGUAGE_CODE,
            related_key=related_key,
        )
