"""Who gets a request (包干到人): owner, then deputies in order, then the dispatcher on duty.

Reads only; ``services.dispatch_request`` applies the decision. Availability is decided
set-based for all candidates at once: on shift in the roster, not on leave, health
"fit", active, and under the open-work cap.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from wennuan.grid.models import ZoneAssignment
from wennuan.people.choices import HealthStatus, Role
from wennuan.people.models import Leave, Shift, User

OFF_SHIFT = "off_shift"
ON_LEAVE = "on_leave"
NOT_FIT = "not_fit"
INACTIVE = "inactive"
AT_CAP = "at_cap"
HANDED_OVER = "handed_over"


def reason_text(code: str, user: User) -> str:
    """The reason in words, for the event note and the dispatch board."""
    texts = {
        OFF_SHIFT: _("off shift"),
        ON_LEAVE: _("on leave"),
        NOT_FIT: _("health: %(status)s") % {"status": user.get_health_status_display()},
        INACTIVE: _("deactivated"),
        AT_CAP: _("at the open-work cap"),
        HANDED_OVER: _("handing over their work"),
    }
    return texts[code]


def _availability(staff: str, at: datetime) -> dict[str, Exists]:
    """Annotations saying whether the staff member at ``staff`` (a path to a user id)
    is on shift, on leave, and at the open-work cap at ``at``: subqueries, one query."""
    from wennuan.service.choices import OPEN_STATUSES
    from wennuan.service.models import ServiceRequest

    # "Has a cap-th open request" reads at most `cap` index entries, where a count would
    # read all of them: someone swamped with thousands of open requests stays cheap to skip.
    cap = settings.SERVICE_OPEN_WORK_CAP
    nth_open = (
        ServiceRequest.objects.filter(assignee=OuterRef(staff), status__in=OPEN_STATUSES)
        .order_by("pk")
        .values("pk")[cap - 1 : cap]
    )
    return {
        "on_shift": Exists(
            Shift.objects.filter(staff=OuterRef(staff), starts_at__lte=at, ends_at__gt=at)
        ),
        "on_leave": Exists(
            Leave.objects.filter(staff=OuterRef(staff), starts_at__lte=at, ends_at__gt=at)
        ),
        "at_cap": Exists(nth_open),
    }


def _reason(staff: User, flags: Any) -> str | None:
    """The first reason why ``staff`` cannot take work, or None when they can.

    ``flags`` is the row annotated with ``_availability`` (the user's or its assignment's).
    """
    if not staff.is_active:
        return INACTIVE
    if flags.on_leave:
        return ON_LEAVE
    if staff.health_status != HealthStatus.FIT:
        return NOT_FIT
    if not flags.on_shift:
        return OFF_SHIFT
    if flags.at_cap:
        return AT_CAP
    return None


@dataclass
class Skipped:
    """A candidate passed over, with their rank in the zone (0 = owner) and why."""

    user: User
    rank: int
    reason: str


@dataclass
class Decision:
    """The outcome of dispatch: who, by which rule, and everyone skipped on the way."""

    assignee: User | None
    via: str  # "owner", "deputy", "dispatcher" or "nobody"
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def note(self) -> str:
        """For example "owner 王某 off shift → deputy 李某", in the active language."""
        parts = [
            f"{_('owner') if s.rank == 0 else _('deputy')} {s.user.display_name} "
            f"{reason_text(s.reason, s.user)}"
            for s in self.skipped
        ]
        if self.via == "dispatcher" and not self.skipped:
            parts.append(_("nobody in the zone holds this duty"))
        labels = {
            "owner": _("owner"),
            "deputy": _("deputy"),
            "dispatcher": _("dispatcher on duty"),
            "nobody": _("nobody available: waiting on the dispatch board"),
        }
        target = labels[self.via]
        if self.assignee is not None:
            target = f"{target} {self.assignee.display_name}"
        return " → ".join([*parts, target])


def dispatcher_on_duty(at: datetime, *, exclude_ids: Collection[int] = ()) -> User | None:
    """The dispatcher leading the shift at ``at``; else any fit dispatcher on shift."""
    shifts = (
        Shift.objects.filter(
            starts_at__lte=at,
            ends_at__gt=at,
            staff__is_active=True,
            staff__health_status=HealthStatus.FIT,
        )
        .filter(staff__role__in=[Role.DISPATCHER, Role.MANAGER])
        .exclude(staff_id__in=list(exclude_ids))
        .select_related("staff")
        .order_by("-leads_dispatch", "staff__role", "starts_at")
    )
    first = shifts.first()
    return first.staff if first else None


@dataclass
class Candidate:
    """One of a zone's people for a duty, in rank order, and why they cannot take work
    now (None when they can)."""

    assignment: ZoneAssignment
    reason: str | None


def zone_candidates(
    *, zone_id: int | None, duty: str, at: datetime, exclude_ids: Collection[int] = ()
) -> list[Candidate]:
    """The zone's owner and deputies for ``duty`` with their availability: one query."""
    if zone_id is None:
        return []
    assignments = (
        ZoneAssignment.objects.filter(zone_id=zone_id, duty=duty)
        .select_related("staff")
        .annotate(**_availability("staff_id", at))
        .order_by("rank")
    )
    return [
        Candidate(
            assignment,
            HANDED_OVER
            if assignment.staff_id in exclude_ids
            else _reason(assignment.staff, assignment),
        )
        for assignment in assignments
    ]


def choose_assignee(
    *, zone_id: int | None, duty: str, at: datetime, exclude_ids: Collection[int] = ()
) -> Decision:
    """Owner first, then deputies by rank, skipping the unavailable; then the dispatcher."""
    skipped: list[Skipped] = []
    for candidate in zone_candidates(zone_id=zone_id, duty=duty, at=at, exclude_ids=exclude_ids):
        assignment = candidate.assignment
        if candidate.reason is None:
            via = "owner" if assignment.rank == 0 else "deputy"
            return Decision(assignment.staff, via, skipped)
        skipped.append(Skipped(assignment.staff, assignment.rank, candidate.reason))
    dispatcher = dispatcher_on_duty(at, exclude_ids=exclude_ids)
    return Decision(dispatcher, "dispatcher" if dispatcher else "nobody", skipped)
