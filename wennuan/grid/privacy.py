"""Personal data of households (OWASP ASVS L2 "personal data", PIPL, GDPR).

Three things live here, in one place:

* who may see a resident's full phone number (everyone else sees ``138****5678``, made by
  ``wennuan.core.privacy.mask_phone``): ``may_call_household`` and ``may_call_requester``;
* ``export_household_data``: everything held about a household, as one JSON document;
* ``erase_household_personal_data``: the resident's personal data anonymised on request.

Both the export and the erasure write a ``HouseholdDataAction`` row (who, when, why, what).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.grid.choices import DataAction
from wennuan.grid.models import Household, HouseholdDataAction, ZoneAssignment

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "wennuan-household-export/1"
# What replaces a name or a phone number found inside text kept for the record.
ERASED = "[erased]"


class ErasureRefused(Exception):
    """Nothing was erased, with the reason to show."""


# --- who sees a full phone number ------------------------------------------------------


def is_zone_lead(user: Any, zone_id: Any) -> bool:
    """Whether the user is a named owner (rank 0, any duty) of the zone."""
    if not zone_id or not getattr(user, "is_authenticated", False):
        return False
    return ZoneAssignment.objects.filter(staff_id=user.pk, zone_id=zone_id, rank=0).exists()


def may_call_household(user: Any, household: Household) -> bool:
    """A household's full phone numbers: dispatchers, managers and administrators, and the
    named owners of its zone. Everyone else (the hotline, deputies, community workers)
    sees them masked."""
    from wennuan.emergency.services import dispatches

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return dispatches(user) or is_zone_lead(user, household.building.zone_id)


def may_call_requester(user: Any, request: Any) -> bool:
    """A request's full phone number (the reporter's, else the household's): the person
    assigned to it, dispatchers, managers and administrators, and the named owners of its
    zone."""
    from wennuan.emergency.services import dispatches

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if request.assignee_id is not None and request.assignee_id == user.pk:
        return True
    return dispatches(user) or is_zone_lead(user, request.zone_id)


def may_handle_personal_data(user: Any) -> bool:
    """Exports and erasures on a resident's request: managers and administrators."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.can_manage)


# --- what is held about a household ----------------------------------------------------


@dataclass
class Held:
    """The rows that hold a household's personal data."""

    household: Household
    requests: QuerySet[Any]
    visits: QuerySet[Any]
    notifications: QuerySet[Any]
    flags: QuerySet[Any]
    flag_views: QuerySet[Any]
    calls: QuerySet[Any]
    codes: QuerySet[Any]


def _phones(household: Household) -> list[str]:
    return [p for p in (household.phone, household.alt_phone) if p]


def held_about(household: Household) -> Held:
    """Every row that names the household: its requests (and requests without a household
    filed with one of its phone numbers, e.g. an outdoor hazard), their visits, the text
    messages sent to its numbers or about its requests, its flags, who saw them, the calls
    made to it and its portal codes."""
    from wennuan.emergency.models import CallTask, FlagView, HouseholdFlag
    from wennuan.notify.models import Notification
    from wennuan.portal.models import VerificationCode
    from wennuan.service.models import HomeVisit, ServiceRequest

    phones = _phones(household)
    mine = Q(household=household)
    if phones:
        mine |= Q(household__isnull=True, reporter_phone__in=phones)
    # Ids, not the conditions: the erasure changes the phone numbers these were found by.
    found = list(ServiceRequest.objects.filter(mine).values_list("pk", "number"))
    requests = ServiceRequest.objects.filter(pk__in=[pk for pk, _n in found]).select_related(
        "category", "assignee"
    )
    sent = Q(related_key__in=[n for _pk, n in found if n])
    if phones:
        sent |= Q(recipient__in=phones)
    sent_ids = list(Notification.objects.filter(sent).values_list("pk", flat=True))
    return Held(
        household=household,
        requests=requests.order_by("created_at", "pk"),
        visits=HomeVisit.objects.filter(Q(household=household) | Q(request__in=requests))
        .select_related("staff", "request")
        .order_by("pk"),
        notifications=Notification.objects.filter(pk__in=sent_ids).order_by("created_at", "pk"),
        flags=HouseholdFlag.objects.filter(household=household)
        .select_related("created_by")
        .order_by("starts_on", "pk"),
        flag_views=FlagView.objects.filter(household=household)
        .select_related("viewer")
        .order_by("viewed_at", "pk"),
        calls=CallTask.objects.filter(household=household)
        .select_related("assignee")
        .order_by("created_at", "pk"),
        codes=VerificationCode.objects.filter(household=household).order_by("created_at", "pk"),
    )


def _who(user: Any) -> str:
    return user.display_name if user is not None else ""


def _request_data(request: Any, *, for_resident: bool) -> dict[str, Any]:
    events = request.events.select_related("actor").order_by("created_at", "pk")
    if for_resident:
        events = events.filter(public=True)
    return {
        "number": request.number,
        "category": request.category.code,
        "category_name": str(request.category.name),
        "status": request.status,
        "channel": request.channel,
        "priority": request.priority,
        "created_at": request.created_at,
        "assigned_at": request.assigned_at,
        "first_contact_at": request.first_contact_at,
        "on_site_at": request.on_site_at,
        "resolved_at": request.resolved_at,
        "closed_at": request.closed_at,
        "assignee": _who(request.assignee),
        "description": request.description,
        "answers": request.attributes,
        "measured_temperature": request.measured_temperature,
        "reporter_name": request.reporter_name,
        "reporter_phone": request.reporter_phone,
        "reporter_email": request.reporter_email,
        "location": request.location_text,
        "latitude": request.latitude,
        "longitude": request.longitude,
        "device_id": request.device_id,
        "media_url": request.media_url,
        "language": request.language,
        "rating": request.rating,
        "rating_comment": request.rating_comment,
        "messages": [
            {
                "at": e.created_at,
                "kind": e.kind,
                "by": e.actor_label or _who(e.actor),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "visible_to_resident": e.public,
            }
            for e in events
        ],
        "photos": [
            {"name": p.image.name, "content_type": p.content_type, "size": p.size}
            for p in request.photos.order_by("pk")
        ],
    }


def export_household_data(
    household: Household, *, by: Any = None, by_label: str = "", for_resident: bool = False
) -> dict[str, Any]:
    """Everything held about a household, as a JSON-ready dict (dates as ISO strings after
    ``export_json``): the household and its residents, its requests with their messages and
    photos, ratings, visits, text messages sent, flags (and who saw them), calls, portal
    codes, and earlier exports and erasures.

    ``for_resident``: the copy the resident downloads from the portal. A household is a
    dwelling, and its occupants change: this copy holds only requests filed for the household
    itself or from its current phone numbers (not those someone else filed about the home under
    their own number), texts and portal codes sent to those numbers, and none of the company's
    internal notes (visit notes,
    flag and call notes, who recorded a flag or saw it). The export itself is recorded
    (``HouseholdDataAction``); a staff member's export also counts as seeing the household's
    flags (``FlagView``).
    """
    from wennuan.core.validators import normalise_phone
    from wennuan.emergency.models import FlagView

    held = held_about(household)
    requests = list(held.requests.prefetch_related("photos"))
    notifications = list(held.notifications)
    codes = list(held.codes)
    if for_resident:
        own = {normalise_phone(p) for p in (household.phone, household.alt_phone) if p}
        # A request filed for the household itself (portal, hotline) names no other number.
        own.add("")
        requests = [r for r in requests if normalise_phone(r.reporter_phone or "") in own]
        notifications = [n for n in notifications if normalise_phone(n.recipient) in own]
        codes = [c for c in codes if normalise_phone(c.phone) in own]
    numbers = {r.number for r in requests}
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "household": {
            "account_number": household.account_number,
            "address": household.address,
            "building": household.building.code,
            "entrance": household.entrance,
            "unit": household.unit,
            "heated_area_m2": household.heated_area_m2,
            "heating_status": household.heating_status,
            "occupant_name": household.occupant_name,
            "phone": household.phone,
            "alt_phone": household.alt_phone,
            "vulnerable": household.vulnerable,
            "vulnerability_note": household.vulnerability_note,
        },
        "requests": [_request_data(r, for_resident=for_resident) for r in requests],
        "ratings": [
            {"request": r.number, "rating": r.rating, "comment": r.rating_comment}
            for r in requests
            if r.rating is not None or r.rating_comment
        ],
        "visits": [
            {
                "request": v.request.number,
                "staff": _who(v.staff),
                "scheduled_for": v.scheduled_for,
                "checked_in_at": v.checked_in_at,
                "checked_out_at": v.checked_out_at,
                "protective_equipment": v.equipment,
                **({} if for_resident else {"note": v.note}),
            }
            for v in held.visits
            if v.request.number in numbers
        ],
        "notifications": [
            {
                "channel": n.channel,
                "recipient": n.recipient,
                "template": n.template,
                "status": n.status,
                "created_at": n.created_at,
                "sent_at": n.sent_at,
                "about": n.related_key,
            }
            for n in notifications
        ],
        "flags": [
            {
                "kind": f.kind,
                "starts_on": f.starts_on,
                "ends_on": f.ends_on,
                **({} if for_resident else {"note": f.note, "recorded_by": _who(f.created_by)}),
                "recorded_at": f.created_at,
            }
            for f in held.flags
        ],
        "flag_views": [
            {
                "at": v.viewed_at,
                "where": v.where,
                **({} if for_resident else {"by": _who(v.viewer)}),
            }
            for v in held.flag_views
        ],
        "calls": [
            {
                "reason": c.reason,
                **({} if for_resident else {"detail": c.detail, "outcome": c.outcome}),
                "created_at": c.created_at,
                "done_at": c.done_at,
            }
            for c in held.calls
        ],
        "portal_codes": [
            {"phone": c.phone, "sent_at": c.created_at, "used_at": c.used_at} for c in codes
        ],
        "data_actions": [
            {"action": a.action, "at": a.at, "by": a.by_label or _who(a.by), "reason": a.reason}
            for a in household.data_actions.select_related("by").order_by("at", "pk")
        ],
    }
    with transaction.atomic():
        HouseholdDataAction.objects.create(
            household=household,
            action=DataAction.EXPORT,
            by=by,
            by_label=by_label[:64],
            summary={"requests": len(requests), "for_resident": for_resident},
        )
        if by is not None and held.flags.exists():
            FlagView.objects.create(household=household, viewer=by, where="data export")
    return data


def export_json(data: dict[str, Any]) -> bytes:
    """The export as UTF-8 JSON (Chinese kept readable, dates ISO 8601)."""
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


# --- erasure ---------------------------------------------------------------------------


def _scrub(text: str, secrets: list[str]) -> str:
    """Text kept for the record, with the erased names and numbers taken out of it."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, ERASED)
    return text


def _free_text_codes(request: Any) -> set[str]:
    """The codes of a request's answers typed as free text (not a number or a choice)."""
    from wennuan.service.choices import Datatype

    return {
        a.code
        for a in request.category.attributes.all()
        if a.datatype in (Datatype.STRING, Datatype.TEXT)
    }


def erase_household_personal_data(
    household: Household, *, by: Any, reason: str, by_label: str = ""
) -> HouseholdDataAction:
    """Anonymise a household's personal data on the resident's request; returns the record.

    Erasure is anonymisation, not deletion of rows: the household is the dwelling and its
    heating account, which stay with the property; and the requests, visits, calls and
    messages are the company's operational record — counts, categories, timings, SLA
    results and ratings feed the statistics the company reports to the city, and service
    records are kept for the retention periods the law sets (complaint handling, exposure
    tracing). So what identifies a person is removed and the rest is kept:

    * the household: occupant's name, phone numbers, vulnerability mark and note;
    * its requests: reporter's name, phone, e-mail, device id, media link, the description
      and free-text answers the resident wrote, the rating comment; the resident's own
      messages in the history; names and numbers found in staff notes are replaced;
      photos are deleted from storage;
    * text messages: recipient and content; pending ones are not sent;
    * flags (health data) deleted; portal codes deleted; call notes scrubbed.

    Refused, changing nothing: by someone who is not a manager or administrator, without a
    reason, or while a request of the household is not finished (or a call to it is still
    to be made). ``by=None`` is the command line. Idempotent: a second erasure finds nothing
    to change and returns the earlier record.
    """
    from wennuan.notify.choices import NotificationStatus
    from wennuan.service.choices import FINAL_STATUSES
    from wennuan.service.models import RequestEvent, RequestPhoto

    reason = reason.strip()
    if by is not None and not may_handle_personal_data(by):
        raise ErasureRefused(_("Only managers and administrators erase personal data."))
    if not reason:
        raise ErasureRefused(
            _("Say why the personal data is erased (e.g. the resident's request).")
        )
    with transaction.atomic():
        household = (
            Household.objects.select_for_update().select_related("building").get(pk=household.pk)
        )
        held = held_about(household)
        unfinished = [
            n or str(pk)
            for pk, n in held.requests.exclude(status__in=FINAL_STATUSES).values_list(
                "pk", "number"
            )
        ]
        if unfinished:
            raise ErasureRefused(
                _(
                    "Request %(numbers)s of this household is not finished yet: close or cancel "
                    "it first. Nothing was erased."
                )
                % {"numbers": ", ".join(unfinished)}
            )
        if held.calls.filter(done_at__isnull=True).exists():
            raise ErasureRefused(
                _("A call to this household is still to be made. Nothing was erased.")
            )

        secrets = [
            s
            for s in {
                household.occupant_name,
                household.phone,
                household.alt_phone,
                *held.requests.values_list("reporter_name", flat=True),
                *held.requests.values_list("reporter_phone", flat=True),
            }
            if s and len(s) >= 2
        ]
        counts: dict[str, int] = {}

        # The household.
        personal: dict[str, Any] = {
            "occupant_name": "",
            "phone": "",
            "alt_phone": "",
            "vulnerable": False,
            "vulnerability_note": "",
        }
        changed = [f for f, v in personal.items() if getattr(household, f) != v]
        for field in changed:
            setattr(household, field, personal[field])
        if changed:
            household.save(update_fields=changed)
        counts["household_fields"] = len(changed)

        # Requests: what the resident wrote and how to reach them.
        requests = list(held.requests.prefetch_related("category__attributes"))
        touched = 0
        for request in requests:
            before = (
                request.reporter_name,
                request.reporter_phone,
                request.reporter_email,
                request.device_id,
                request.media_url,
                request.description,
                request.rating_comment,
                json.dumps(request.attributes, sort_keys=True, cls=DjangoJSONEncoder),
            )
            free = _free_text_codes(request)
            request.attributes = {
                k: ("" if k in free else v) for k, v in (request.attributes or {}).items()
            }
            request.reporter_name = request.reporter_phone = request.reporter_email = ""
            request.device_id = request.media_url = ""
            request.description = request.rating_comment = ""
            after = ("",) * 7 + (
                json.dumps(request.attributes, sort_keys=True, cls=DjangoJSONEncoder),
            )
            if before != after:
                request.save(
                    update_fields=[
                        "reporter_name", "reporter_phone", "reporter_email", "device_id",
                        "media_url", "description", "rating_comment", "attributes",
                    ]
                )  # fmt: skip
                touched += 1
        counts["requests"] = touched

        # Their history: the resident's own words go; staff notes lose names and numbers.
        events = 0
        for event in RequestEvent.objects.filter(request__in=held.requests).exclude(note=""):
            note = "" if event.actor_id is None else _scrub(event.note, secrets)
            if note != event.note:
                RequestEvent.objects.filter(pk=event.pk).update(note=note)
                events += 1
        counts["messages"] = events

        # Photos: rows now, files once the transaction has committed (a rollback must not
        # lose them).
        photos = list(RequestPhoto.objects.filter(request__in=held.requests))
        names = [p.image.name for p in photos if p.image.name]
        RequestPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
        counts["photos"] = len(photos)
        transaction.on_commit(lambda: _delete_files(names))

        visits = 0
        for visit in held.visits.exclude(note=""):
            note = _scrub(visit.note, secrets)
            if note != visit.note:
                type(visit).objects.filter(pk=visit.pk).update(note=note)
                visits += 1
        counts["visits"] = visits

        calls = 0
        for call in held.calls:
            detail, outcome = _scrub(call.detail, secrets), _scrub(call.outcome, secrets)
            if (detail, outcome) != (call.detail, call.outcome):
                type(call).objects.filter(pk=call.pk).update(detail=detail, outcome=outcome)
                calls += 1
        counts["calls"] = calls

        held.notifications.filter(status=NotificationStatus.PENDING).update(
            status=NotificationStatus.FAILED, last_error="personal data erased"
        )
        notifications = held.notifications.exclude(recipient="", context={})
        counts["notifications"] = notifications.update(recipient="", context={})
        counts["flags"] = held.flags.delete()[0]
        counts["portal_codes"] = held.codes.delete()[0]
        # API answers kept for Idempotency-Key replays (24-48 h) repeat the request's contact
        # details and description: forget those of these requests.
        from wennuan.api.models import IdempotencyRecord

        counts["api_answers"] = IdempotencyRecord.objects.filter(
            response__number__in=[r.number for r in requests]
        ).delete()[0]

        earlier = household.data_actions.filter(action=DataAction.ERASE).order_by("-at").first()
        if earlier is not None and not any(counts.values()):
            return earlier  # already erased, nothing new since: the same result, no new row
        return HouseholdDataAction.objects.create(
            household=household,
            action=DataAction.ERASE,
            by=by,
            by_label=by_label[:64],
            reason=reason[:300],
            summary=counts,
        )


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # the rows are gone; a file left behind is logged for the admin
            logger.exception("could not delete erased photo %s", name)
