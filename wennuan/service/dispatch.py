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
from django.db import connection
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


def _reason(row: Any) -> str | None:
    """The first reason why the person of a ``CANDIDATES_SQL`` row cannot take work, or None."""
    if not row.is_active:
        return INACTIVE
    if row.on_leave:
        return ON_LEAVE
    if row.health_status != HealthStatus.FIT:
        return NOT_FIT
    if not row.on_shift:
        return OFF_SHIFT
    if row.at_cap:
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


# Written out for the same reason as CANDIDATES_SQL: it runs on every intake in a surge,
# when everyone in the zone is busy.
DISPATCHER_SQL = """
SELECT u.* FROM {shift} s JOIN {user} u ON u.id = s.staff_id
WHERE s.starts_at <= %(at)s AND s.ends_at > %(at)s
  AND u.is_active = %(active)s AND u.health_status = %(fit)s
  AND u.role IN (%(dispatcher)s, %(manager)s)
  {exclude}
ORDER BY s.leads_dispatch DESC, u.role, s.starts_at
LIMIT 1
"""


def dispatcher_on_duty(at: datetime, *, exclude_ids: Collection[int] = ()) -> User | None:
    """The dispatcher leading the shift at ``at``; else any fit dispatcher (or manager) on shift."""
    excluded = sorted(exclude_ids)
    sql = DISPATCHER_SQL.format(
        shift=Shift._meta.db_table,
        user=User._meta.db_table,
        exclude=(
            "AND u.id NOT IN ({})".format(", ".join(f"%(x{i})s" for i in range(len(excluded))))
            if excluded
            else ""
        ),
    )
    params: dict[str, Any] = {
        "at": connection.ops.adapt_datetimefield_value(at),
        "active": True,
        "fit": HealthStatus.FIT.value,
        "dispatcher": Role.DISPATCHER.value,
        "manager": Role.MANAGER.value,
        **{f"x{i}": pk for i, pk in enumerate(excluded)},
    }
    return next(iter(User.objects.raw(sql, params)), None)


@dataclass
class Candidate:
    """One of a zone's people for a duty (rank 0 = owner), and why they cannot take work
    now (None when they can)."""

    staff: User
    rank: int
    reason: str | None


# The hottest read of intake, written out: the ORM spent longer compiling this query (three
# correlated subqueries and a join) than the database spent running it. One row per
# person holding the duty in the zone, with whether they are on shift, on leave, and
# holding a cap-th open request ("has a cap-th" reads at most `cap` index entries where a
# count would read them all, so someone swamped stays cheap to skip).
CANDIDATES_SQL = """
SELECT u.*, za.rank AS zone_rank,
  EXISTS (SELECT 1 FROM {shift} s
          WHERE s.staff_id = u.id AND s.starts_at <= %(at)s AND s.ends_at > %(at)s) AS on_shift,
  EXISTS (SELECT 1 FROM {leave} l
          WHERE l.staff_id = u.id AND l.starts_at <= %(at)s AND l.ends_at > %(at)s) AS on_leave,
  EXISTS (SELECT 1 FROM (SELECT r.id FROM {request} r
                         WHERE r.assignee_id = u.id AND r.status IN ({open_statuses})
                         ORDER BY r.id LIMIT 1 OFFSET %(skip)s) nth) AS at_cap
FROM {assignment} za JOIN {user} u ON u.id = za.staff_id
WHERE za.zone_id = %(zone)s AND za.duty = %(duty)s
ORDER BY za.rank
"""


def zone_candidates(
    *, zone_id: int | None, duty: str, at: datetime, exclude_ids: Collection[int] = ()
) -> list[Candidate]:
    """The zone's owner and deputies for ``duty`` with their availability: one query."""
    from wennuan.service.choices import OPEN_STATUSES
    from wennuan.service.models import ServiceRequest

    if zone_id is None:
        return []
    statuses = sorted(OPEN_STATUSES)
    sql = CANDIDATES_SQL.format(
        shift=Shift._meta.db_table,
        leave=Leave._meta.db_table,
        request=ServiceRequest._meta.db_table,
        assignment=ZoneAssignment._meta.db_table,
        user=User._meta.db_table,
        open_statuses=", ".join(f"%(status{i})s" for i in range(len(statuses))),
    )
    params: dict[str, Any] = {
        "at": connection.ops.adapt_datetimefield_value(at),
        "skip": settings.SERVICE_OPEN_WORK_CAP - 1,
        "zone": zone_id,
        "duty": duty,
        **{f"status{i}": status for i, status in enumerate(statuses)},
    }
    rows: list[Any] = list(User.objects.raw(sql, params))  # users with the extra columns
    return [
        Candidate(row, row.zone_rank, HANDED_OVER if row.pk in exclude_ids else _reason(row))
        for row in rows
    ]


def choose_assignee(
    *, zone_id: int | None, duty: str, at: datetime, exclude_ids: Collection[int] = ()
) -> Decision:
    """Owner first, then deputies by rank, skipping the unavailable; then the dispatcher."""
    skipped: list[Skipped] = []
    for candidate in zone_candidates(zone_id=zone_id, duty=duty, at=at, exclude_ids=exclude_ids):
        if candidate.reason is None:
            via = "owner" if candidate.rank == 0 else "deputy"
            return Decision(candidate.staff, via, skipped)
        skipped.append(Skipped(candidate.staff, candidate.rank, candidate.reason))
    dispatcher = dispatcher_on_duty(at, exclude_ids=exclude_ids)
    return Decision(dispatcher, "dispatcher" if dispatcher else "nobody", skipped)
