"""Dispatch to the named owner (包干到人) and reassignment (decisions in ``service.dispatch``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.notify.choices import Template
from wennuan.people.models import User
from wennuan.service import dispatch, sla
from wennuan.service.choices import (
    EventKind,
    Priority,
    SlaState,
    Status,
)
from wennuan.service.models import (
    HomeVisit,
    ServiceRequest,
)
from wennuan.service.services.base import (
    TransitionRefused,
    _move,
    _notify_staff,
    _record,
    category_name,
)


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
        first, on_site, resolution = sla.due_times(
            request.category, now, urgent=urgent, emergency=request.filed_in_emergency
        )
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


def _require_dispatcher(actor: User) -> None:
    # Who does which work is decided by dispatch (User.can_dispatch): the hotline's agents see
    # every request to answer callers, but do not move work between people.
    if not actor.can_dispatch:
        raise TransitionRefused(_("Only dispatchers, managers and administrators decide this."))


def reassign_request(
    *, request: ServiceRequest, assignee: User, actor: User, reason: str
) -> ServiceRequest:
    """Hand an open request to someone else, with a reason (recorded, not shown to residents).
    A dispatch decision: ``actor`` must be dispatch (``User.can_dispatch``)."""
    _require_dispatcher(actor)
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
    """Send all of one person's open work on to their deputies (e.g. they fell ill). A dispatch
    decision: ``actor`` must be dispatch (``User.can_dispatch``)."""
    _require_dispatcher(actor)
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


@dataclass
class HandOver:
    """What ``hand_over_open_requests`` did: each request moved with its new assignee, and
    the requests nobody could take (left with the person, listed for their supervisor)."""

    moved: list[tuple[ServiceRequest, User]]
    waiting: list[ServiceRequest]


# Every open state a request can be in while someone holds it. ON_SITE is included: a
# person who is no longer fit must not stay the one responsible for the home.
HAND_OVER_STATUSES = (
    Status.ASSIGNED,
    Status.ACCEPTED,
    Status.GUIDANCE,
    Status.VISIT_SCHEDULED,
    Status.ON_SITE,
    Status.REOPENED,
)


def hand_over_open_requests(
    *, staff: User, actor: User | None, reason: str, at: datetime | None = None
) -> HandOver:
    """Give each of one person's open requests to the next available person of its zone.

    Each request gets a note event with ``reason`` and the dispatch decision with its reasons
    (the owner, then deputies by rank, then the dispatcher on duty; ``staff`` is passed over),
    and the new assignee is texted. A visit in progress is closed first (see below). Runs in
    the caller's transaction when there is one.
    """
    if not reason.strip():
        raise TransitionRefused(_("Give a reason for the reassignment."))
    now = at or timezone.now()
    moved: list[tuple[ServiceRequest, User]] = []
    waiting: list[ServiceRequest] = []
    with transaction.atomic():
        requests = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .filter(assignee=staff, status__in=HAND_OVER_STATUSES)
            .select_related("category", "household")
            .order_by("pk")
        )
        for request in requests:
            _record(request, kind=EventKind.NOTE, actor=actor, note=reason.strip())
            if request.status == Status.ON_SITE:
                # The visit ends now as far as anyone knows: exposure tracing reads the visit's
                # times, and an open visit would count the whole time since as spent there.
                HomeVisit.objects.filter(
                    request=request,
                    staff=staff,
                    checked_in_at__isnull=False,
                    checked_out_at__isnull=True,
                ).update(checked_out_at=now, note=reason.strip()[:500])
                _move(
                    request,
                    Status.VISIT_SCHEDULED,
                    actor=actor,
                    public=False,
                    note=_("visit interrupted: %(name)s handed over")
                    % {"name": staff.display_name},
                    now=now,
                )
            decision = dispatch_request(request=request, actor=actor, at=now, exclude=staff)
            if decision.assignee is None:
                waiting.append(request)
            else:
                moved.append((request, decision.assignee))
    return HandOver(moved, waiting)
