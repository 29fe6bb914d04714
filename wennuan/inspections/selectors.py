"""Reads of inspection rounds: an inspector's rounds, overdue rounds, completion rates by zone
and by inspector, findings with their work orders' state, a facility's history and the day's
summary for the briefing. Every read that a person asks for is scoped with ``for_user``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.grid.choices import Duty
from wennuan.grid.models import ZoneAssignment
from wennuan.inspections.choices import OPEN_ROUND_STATUSES, RoundStatus
from wennuan.inspections.models import (
    CheckResult,
    Facility,
    Finding,
    InspectionRound,
    Visit,
)
from wennuan.people.models import User
from wennuan.service.choices import OPEN_STATUSES

# A finding is open while its work order is (a finding whose order was deleted is not).
FINDING_OPEN = Q(work_order__status__in=sorted(OPEN_STATUSES))
OPEN_ROUNDS = sorted(OPEN_ROUND_STATUSES)
RECENT_DAYS = 7


def _is_open() -> Case:
    return Case(
        When(FINDING_OPEN, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def rounds_for_user(user: Any) -> QuerySet[InspectionRound]:
    """The rounds this user may see, with what their cards show: plan, zone, inspector and
    the number of facilities on the route."""
    rounds: QuerySet[InspectionRound] = InspectionRound.objects.for_user(user)
    return rounds.select_related("plan__zone", "assignee").annotate(
        stop_count=Count("plan__stops", distinct=True)
    )


def get_round(user: Any, pk: int) -> InspectionRound | None:
    """One round if this user may see it (its assignee, or whole-city staff)."""
    return rounds_for_user(user).filter(pk=pk).first()


def my_rounds(user: Any, today: date) -> list[InspectionRound]:
    """The open rounds given to this user, overdue and today's first (oldest due first), then
    what they submitted in the last week, newest first."""
    mine = rounds_for_user(user).filter(assignee_id=user.pk)
    open_rounds = list(mine.filter(status__in=OPEN_ROUNDS).order_by("due_on", "plan__name", "pk"))
    recent = mine.filter(
        status=RoundStatus.SUBMITTED,
        submitted_at__gte=_start_of(today - timedelta(days=RECENT_DAYS)),
    ).annotate(finding_count=Count("findings", distinct=True))
    return open_rounds + list(recent.order_by("-submitted_at")[:20])


def overdue_rounds(user: Any, today: date) -> QuerySet[InspectionRound]:
    """Open rounds due before ``today``: whole-city staff see all, others their own."""
    return (
        rounds_for_user(user)
        .filter(status__in=OPEN_ROUNDS, due_on__lt=today)
        .order_by("due_on", "plan__zone__code", "plan__name")
    )


def unassigned_rounds(user: Any, today: date) -> QuerySet[InspectionRound]:
    """Today's rounds nobody could take (no inspector of the zone was available)."""
    return (
        rounds_for_user(user)
        .filter(status__in=OPEN_ROUNDS, due_on=today, assignee__isnull=True)
        .order_by("plan__zone__code", "plan__name")
    )


def inspection_people(zone_ids: set[int]) -> dict[int, list[User]]:
    """The inspection owner and deputies of each zone, in rank order (one query)."""
    people: dict[int, list[User]] = {zone_id: [] for zone_id in zone_ids}
    assignments = (
        ZoneAssignment.objects.filter(
            zone_id__in=zone_ids, duty=Duty.INSPECTION, staff__is_active=True
        )
        .select_related("staff")
        .order_by("zone_id", "rank")
    )
    for assignment in assignments:
        people[assignment.zone_id].append(assignment.staff)
    return people


@dataclass
class CompletionRow:
    """Rounds due in a period for one zone or one inspector, and how many were done."""

    key: int | None
    label: str
    due: int
    submitted: int
    on_time: int

    @property
    def rate(self) -> int | None:
        """Submitted rounds in per cent of the rounds due (None when none were due)."""
        return round(100 * self.submitted / self.due) if self.due else None


def completion(
    *,
    by: Literal["zone", "inspector"],
    since: date,
    until: date,
    user: Any = None,
) -> list[CompletionRow]:
    """Rounds due from ``since`` to ``until`` (inclusive) per zone or per inspector: how many
    were due, submitted (at any time) and submitted by the end of their day. One aggregate
    query; scoped to ``user`` when given (the briefing reads the whole company)."""
    rounds = (
        InspectionRound.objects.all() if user is None else InspectionRound.objects.for_user(user)
    )
    if by == "zone":
        keys = ("plan__zone_id", "plan__zone__code", "plan__zone__name")
    else:
        keys = ("assignee_id", "assignee__username", "assignee__full_name")
    rows = (
        rounds.filter(due_on__gte=since, due_on__lte=until)
        .order_by()
        .values(*keys)
        .annotate(
            due=Count("pk"),
            submitted=Count("pk", filter=Q(status=RoundStatus.SUBMITTED)),
            on_time=Count(
                "pk",
                filter=Q(status=RoundStatus.SUBMITTED, submitted_at__date__lte=F("due_on")),
            ),
        )
    )
    out = []
    for row in rows:
        key, code, name = (row[k] for k in keys)
        if key is None:
            label = _("Nobody (unassigned)")
        elif by == "zone":
            label = f"{code} {name}"
        else:
            label = name or code
        out.append(CompletionRow(key, label, row["due"], row["submitted"], row["on_time"]))
    # Unassigned last; zones by code, inspectors by name.
    return sorted(out, key=lambda r: (r.key is None, r.label))


def findings(
    user: Any,
    open_only: bool | None = None,
    *,
    closed_since: datetime | None = None,
) -> QuerySet[Finding]:
    """Findings at facilities this user may see, newest first, each with ``is_open`` (its work
    order is open) and ``closed_at`` (when the work order was resolved or closed).
    ``open_only``: None all, True the open ones, False the closed ones."""
    found = (
        Finding.objects.for_user(user)
        .select_related("facility__zone", "item", "work_order", "round__assignee")
        .annotate(
            is_open=_is_open(),
            closed_at=Coalesce(
                "work_order__resolved_at", "work_order__closed_at", "work_order__updated_at"
            ),
        )
        .order_by("-created_at", "-pk")
    )
    if open_only is True:
        found = found.filter(FINDING_OPEN)
    elif open_only is False:
        found = found.exclude(FINDING_OPEN)
    if closed_since is not None:
        found = found.exclude(FINDING_OPEN).filter(closed_at__gte=closed_since)
    return found


def facilities_for_user(user: Any, query: str = "") -> QuerySet[Facility]:
    """Facilities this user may see, searched by code or name, each with the day of its last
    visit and its number of open findings."""
    found: QuerySet[Facility] = Facility.objects.for_user(user)
    query = query.strip()
    if query:
        found = found.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return (
        found.select_related("zone")
        .annotate(
            last_visit=Max("visits__round__due_on"),
            open_findings=Count(
                "findings",
                filter=Q(findings__work_order__status__in=sorted(OPEN_STATUSES)),
                distinct=True,
            ),
        )
        .order_by("code")
    )


def get_facility(user: Any, pk: int) -> Facility | None:
    """One facility if it lies in this user's zones (or the user sees the whole city)."""
    found: QuerySet[Facility] = Facility.objects.for_user(user)
    return found.select_related("zone", "building", "station").filter(pk=pk).first()


@dataclass
class FacilityHistory:
    """Every visit (with its results) and every finding of one facility, newest first."""

    visits: list[Visit]
    findings: list[Finding]


def _results() -> Prefetch[Any]:
    return Prefetch(
        "results",
        queryset=CheckResult.objects.select_related("item").order_by("item__position", "item_id"),
    )


def facility_history(facility: Facility) -> FacilityHistory:
    """The facility's visits newest first, each with its results (failed ones marked), its
    round and inspector; and its findings with their work orders' state."""
    visits = (
        Visit.objects.filter(facility=facility)
        .select_related("round__assignee", "round__plan")
        .prefetch_related(_results())
        .order_by("-round__due_on", "-pk")
    )
    found = (
        Finding.objects.filter(facility=facility)
        .select_related("item", "work_order", "round__assignee")
        .annotate(is_open=_is_open())
        .order_by("-created_at", "-pk")
    )
    return FacilityHistory(list(visits), list(found))


def round_visits(round_: InspectionRound) -> list[Visit]:
    """A submitted round's visits in route order with their results."""
    return list(
        Visit.objects.filter(round=round_)
        .select_related("facility")
        .prefetch_related(_results())
        .order_by("position")
    )


def round_findings(round_: InspectionRound) -> list[Finding]:
    """The findings a round opened, in route order, with their work orders."""
    return list(
        Finding.objects.filter(round=round_)
        .select_related("facility", "item", "work_order")
        .annotate(is_open=_is_open())
        .order_by("facility__code", "item__position")
    )


def get_visit(user: Any, pk: int) -> Visit | None:
    """A visit of a round this user may see, or at a facility in their zones."""
    visible = Q(round__in=InspectionRound.objects.for_user(user).values("pk")) | Q(
        facility__in=Facility.objects.for_user(user).values("pk")
    )
    return Visit.objects.filter(visible, pk=pk).first()


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def daily_summary(day: date, user: Any = None) -> dict[str, int]:
    """The inspections part of a day's briefing (two aggregate queries):

    - ``rounds_due``: rounds due that day; ``rounds_due_submitted``: of those, how many were
      submitted (by now);
    - ``rounds_submitted``: rounds submitted that day, whatever their due day;
    - ``rounds_overdue``: rounds due before the day still not submitted at its end;
    - ``findings_opened`` / ``findings_closed``: findings raised that day / whose work order
      was resolved or closed that day (and is not open again);
    - ``findings_open``: findings open now.
    """
    rounds = (
        InspectionRound.objects.all() if user is None else InspectionRound.objects.for_user(user)
    )
    submitted = Q(status=RoundStatus.SUBMITTED)
    start, end = _start_of(day), _start_of(day + timedelta(days=1))
    counts = rounds.aggregate(
        rounds_due=Count("pk", filter=Q(due_on=day)),
        rounds_due_submitted=Count("pk", filter=Q(due_on=day) & submitted),
        rounds_submitted=Count(
            "pk", filter=submitted & Q(submitted_at__gte=start, submitted_at__lt=end)
        ),
        rounds_overdue=Count(
            "pk",
            filter=Q(due_on__lt=day) & (Q(submitted_at__isnull=True) | Q(submitted_at__gte=end)),
        ),
    )
    scoped = Finding.objects.all() if user is None else Finding.objects.for_user(user)
    closed_at = Coalesce(
        "work_order__resolved_at", "work_order__closed_at", "work_order__updated_at"
    )
    counts |= (
        scoped.order_by()
        .annotate(closed_on=closed_at)
        .aggregate(
            findings_opened=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            findings_open=Count("pk", filter=FINDING_OPEN),
            findings_closed=Count(
                "pk",
                filter=Q(work_order__isnull=False)
                & ~FINDING_OPEN
                & Q(closed_on__gte=start, closed_on__lt=end),
            ),
        )
    )
    return {key: int(value or 0) for key, value in counts.items()}
