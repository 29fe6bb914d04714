"""The shared core of request state changes: limits, errors, the event log and status moves,
and the messages to residents and staff."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wennuan.notify.choices import Channel as NotifyChannel
from wennuan.notify.services import queue_notification
from wennuan.people.models import User
from wennuan.service.choices import (
    OPEN_STATUSES,
    PAUSED_STATUSES,
    TRANSITIONS,
    EventKind,
    Status,
)
from wennuan.service.models import (
    RequestEvent,
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
    instead of three is a measurable share of its cost under load. A block inside another
    joins the outer one, so events keep their order and are still written once.
    """
    if _pending_events.get() is not None:
        yield
        return
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
