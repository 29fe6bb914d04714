"""Periodic state changes: the SLA sweep with escalation, and closing unanswered resolutions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.notify.choices import Template
from wennuan.people.models import User
from wennuan.service import dispatch, sla
from wennuan.service.choices import (
    OPEN_STATUSES,
    EventKind,
    SlaState,
    Status,
)
from wennuan.service.models import (
    ServiceRequest,
)
from wennuan.service.services.base import (
    _locked,
    _move,
    _notify_staff,
    _record,
)


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
