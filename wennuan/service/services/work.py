"""The work on a request: accept, guidance, visits, resolve, confirm, reopen, rate, cancel,
duplicate."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.notify.choices import Template
from wennuan.people.models import User
from wennuan.service.choices import (
    EventKind,
    Status,
)
from wennuan.service.models import (
    HomeVisit,
    ServiceRequest,
)
from wennuan.service.services.base import (
    PPE_ITEMS,
    PPE_LABELS,
    TEMPERATURE_RANGE,
    TransitionRefused,
    _locked,
    _move,
    _notify_resident,
    _record,
    _require_assignee,
    resident_label,
)
from wennuan.service.services.dispatching import (
    dispatch_request,
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


def _require_visit_approval(request: ServiceRequest) -> None:
    if request.remote_first and request.visit_approved_by_id is None:
        raise TransitionRefused(
            _(
                "This home is under quarantine or has a confirmed case: help remotely first; "
                "a visit needs a supervisor's approval."
            )
        )


def approve_home_visit(*, request: ServiceRequest, actor: User) -> ServiceRequest:
    """A supervisor (of the assignee), a dispatcher or a manager approves a home visit to a
    remote-first home; the visit still needs the protective equipment checklist."""
    from wennuan.emergency.services import dispatches

    assignee = request.assignee
    allowed = dispatches(actor) or (assignee is not None and assignee.supervisor_id == actor.pk)
    if not allowed:
        raise TransitionRefused(
            _("Only the assignee's supervisor or dispatch approves this visit.")
        )
    if not request.remote_first:
        raise TransitionRefused(_("This request needs no approval for a home visit."))
    with transaction.atomic():
        request = _locked(request)
        if request.visit_approved_by_id is not None:
            raise TransitionRefused(_("The visit is already approved."))
        request.visit_approved_by = actor
        request.visit_approved_at = timezone.now()
        request.save(update_fields=["visit_approved_by", "visit_approved_at"])
        _record(request, kind=EventKind.NOTE, actor=actor, note=_("home visit approved"))
    return request


def schedule_visit(*, request: ServiceRequest, actor: User, when: datetime) -> HomeVisit:
    """Agree a time for a home visit (at a remote-first home, once a supervisor approved)."""
    if when < timezone.now() - timedelta(minutes=5):
        raise TransitionRefused(_("The visit time is in the past."))
    _require_visit_approval(request)
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
    _require_visit_approval(request)
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
    """Withdraw a request (by the resident, or by staff with a reason: dispatch, its
    assignee, or whoever filed it — not anyone who can merely see it)."""
    if not reason.strip():
        raise TransitionRefused(_("Give a reason for cancelling."))
    if actor is not None and not (
        actor.sees_whole_city or actor.pk in (request.assignee_id, request.created_by_id)
    ):
        raise TransitionRefused(_("Only dispatch, the assignee or whoever filed it cancels this."))
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
    """Close a request as a duplicate of another, linking the two (dispatch or the assignee)."""
    if not (actor.sees_whole_city or request.assignee_id == actor.pk):
        raise TransitionRefused(_("Only dispatch or the assignee marks this as a duplicate."))
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
