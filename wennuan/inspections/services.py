"""State changes of inspection rounds: generating the day's rounds from the plans, giving a
round to the zone's available inspector, keeping what a phone entered, submitting a round
once, and turning each failed item or out-of-range reading into a repair work order.

Every function checks before it writes and raises ``RoundRefused`` with the reasons to show;
nothing is written then.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.emergency.services import emergency_on
from wennuan.grid.choices import Duty
from wennuan.grid.models import Building
from wennuan.inspections.choices import OPEN_ROUND_STATUSES, ItemKind, RoundStatus
from wennuan.inspections.models import (
    ChecklistItem,
    CheckResult,
    Facility,
    Finding,
    InspectionPlan,
    InspectionRound,
    PlanStop,
    Visit,
)


class RoundRefused(Exception):
    """The change cannot be made; ``problems`` says why (one line each)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# --- schedules --------------------------------------------------------------------------


def interval_days(plan: InspectionPlan, *, emergency: bool) -> int:
    """Days between rounds: ``every_days``, or a week over the weekdays' count; in
    emergency mode divided by ``INSPECTION_EMERGENCY_MULTIPLIER`` (×2: twice as often)."""
    days = float(plan.every_days) if plan.every_days else 7 / max(1, len(plan.weekdays))
    if emergency:
        days /= settings.INSPECTION_EMERGENCY_MULTIPLIER
    return max(1, math.ceil(days - 1e-9))


def is_due(plan: InspectionPlan, day: date, last_due: date | None, *, emergency: bool) -> bool:
    """Whether ``plan`` has a round due on ``day``.

    Every-N-days plans count from their last round (a day the job did not run is caught up
    the next day, not lost). Weekly plans are due on their weekdays; in emergency mode also
    whenever the shortened interval has passed since the last round.
    """
    if not plan.active or not plan.active_from <= day <= plan.active_until:
        return False
    if last_due is not None and last_due >= day:
        return False
    if plan.every_days:
        return last_due is None or (day - last_due).days >= interval_days(plan, emergency=emergency)
    if day.weekday() in plan.weekdays:
        return True
    shortened = interval_days(plan, emergency=True)
    return emergency and (last_due is None or (day - last_due).days >= shortened)


@dataclass
class Generated:
    rounds: list[InspectionRound]
    unassigned: int


def generate_rounds(*, today: date | None = None, now: datetime | None = None) -> Generated:
    """Make today's rounds of every due plan (once: a second run makes none), each given to
    the zone's inspection owner, else the first available deputy (the dispatch rules: on
    shift, not on leave, fit, under the work cap)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    emergency = emergency_on()
    last = dict(
        InspectionRound.objects.values("plan_id")
        .annotate(last=Max("due_on"))
        .values_list("plan_id", "last")
    )
    plans = [
        plan
        for plan in InspectionPlan.objects.filter(
            active=True, active_from__lte=today, active_until__gte=today, stops__isnull=False
        ).distinct()
        if is_due(plan, today, last.get(plan.pk), emergency=emergency)
    ]
    made: list[InspectionRound] = []
    unassigned = 0
    for plan in plans:
        assignee, reason = _available_inspector(plan, now)
        unassigned += assignee is None
        with transaction.atomic():
            round_, created = InspectionRound.objects.get_or_create(
                plan=plan,
                due_on=today,
                defaults={"assignee": assignee, "assign_reason": reason, "emergency": emergency},
            )
        if created:
            made.append(round_)
    return Generated(made, unassigned)


def _available_inspector(
    plan: InspectionPlan, now: datetime, *, exclude_ids: Collection[int] = ()
) -> tuple[Any, str]:
    """The first available of the zone's inspection owner and deputies, with why; else
    (None, the reasons nobody could take it). ``exclude_ids``: people passed over."""
    from wennuan.service.dispatch import reason_text, zone_candidates

    candidates = zone_candidates(
        zone_id=plan.zone_id, duty=Duty.INSPECTION, at=now, exclude_ids=exclude_ids
    )
    for candidate in candidates:
        if candidate.reason is None:
            role = _("owner") if candidate.rank == 0 else _("deputy %(n)s") % {"n": candidate.rank}
            return candidate.staff, role
    if not candidates:
        return None, _("the zone has no inspection owner")
    return None, "; ".join(
        f"{c.staff.display_name}: {reason_text(c.reason, c.staff)}" for c in candidates if c.reason
    )[:200]


def assign_round(*, round_: InspectionRound, assignee: Any, actor: Any) -> InspectionRound:
    """A dispatcher gives an open round to someone (nobody in the zone was available); who
    does which work is dispatch's decision (``User.can_dispatch``)."""
    if not actor.can_dispatch:
        raise RoundRefused([_("Only dispatchers, managers and administrators decide this.")])
    if round_.status not in OPEN_ROUND_STATUSES:
        raise RoundRefused([_("The round is already submitted.")])
    if not assignee.is_active:
        raise RoundRefused([_("%(name)s is not an active user.") % {"name": assignee}])
    round_.assignee = assignee
    round_.assign_reason = _("given by %(name)s") % {"name": actor.display_name}
    round_.save(update_fields=["assignee", "assign_reason"])
    return round_


def hand_over_rounds(
    *, staff: Any, actor: Any, reason: str, at: datetime | None = None
) -> list[InspectionRound]:
    """Give each of one person's open rounds to the next available inspector of its zone
    (``_available_inspector``, passing ``staff`` over); a round nobody can take loses its
    assignee and waits on the oversight page. What was entered so far stays with the round.
    The reason is kept in ``assign_reason``; each new inspector is texted. Returns the rounds
    that found someone."""
    from wennuan.notify.choices import Channel as NotifyChannel
    from wennuan.notify.choices import Template
    from wennuan.notify.services import queue_notification

    now = at or timezone.now()
    moved: list[InspectionRound] = []
    with transaction.atomic():
        rounds = (
            InspectionRound.objects.select_for_update(of=("self",))
            .filter(assignee=staff, status__in=OPEN_ROUND_STATUSES)
            .select_related("plan")
            .order_by("due_on", "pk")
        )
        for round_ in rounds:
            assignee, why = _available_inspector(round_.plan, now, exclude_ids={staff.pk})
            round_.assignee = assignee
            round_.assign_reason = (
                _("handed over from %(name)s (%(reason)s): %(why)s")
                % {"name": staff.display_name, "reason": reason.strip(), "why": why}
            )[:200]
            round_.save(update_fields=["assignee", "assign_reason"])
            if assignee is None:
                continue
            moved.append(round_)
            if assignee.phone:
                queue_notification(
                    channel=NotifyChannel.SMS,
                    recipient=assignee.phone,
                    template=Template.ROUND_HANDED_OVER,
                    context={
                        "plan": round_.plan.name,
                        "due": round_.due_on,
                        "from_name": staff.display_name,
                    },
                    language=settings.LANGUAGE_CODE,
                    related_key=f"round-{round_.pk}",
                )
    return moved


# --- doing a round ----------------------------------------------------------------------


def route(round_: InspectionRound) -> list[Facility]:
    """The round's facilities in route order."""
    stops = PlanStop.objects.filter(plan_id=round_.plan_id).select_related("facility")
    return [stop.facility for stop in stops.order_by("position")]


def checklists(kinds: set[str]) -> dict[str, list[ChecklistItem]]:
    """The active checklist of each facility kind, in order."""
    out: dict[str, list[ChecklistItem]] = {kind: [] for kind in kinds}
    for item in ChecklistItem.objects.filter(facility_kind__in=kinds, active=True):
        out[item.facility_kind].append(item)
    return out


def _require_assignee(round_: InspectionRound, actor: Any) -> None:
    if round_.assignee_id != getattr(actor, "pk", None):
        raise RoundRefused([_("This round is given to someone else.")])


def save_draft(*, round_: InspectionRound, actor: Any, draft: dict[str, Any]) -> InspectionRound:
    """Keep what the phone has entered so far (the page saves as the inspector goes)."""
    _require_assignee(round_, actor)
    if round_.status not in OPEN_ROUND_STATUSES:
        raise RoundRefused([_("The round is already submitted.")])
    if not isinstance(draft, dict) or len(str(draft)) > 200_000:
        raise RoundRefused([_("The entries could not be read.")])
    round_.draft = draft
    fields = ["draft"]
    if round_.status == RoundStatus.ASSIGNED:
        round_.status = RoundStatus.IN_PROGRESS
        round_.started_at = timezone.now()
        fields += ["status", "started_at"]
    round_.save(update_fields=fields)
    return round_


@dataclass
class Answer:
    """What was entered for one checklist item."""

    passed: bool | None = None
    reading: float | None = None
    text: str = ""


@dataclass
class FacilityAnswers:
    answers: dict[int, Answer]  # by checklist item id
    note: str = ""
    photo: Any = None  # an uploaded file, already checked to be a JPEG or PNG


def is_failed(item: ChecklistItem, answer: Answer) -> bool:
    """A failed item, or a reading outside the item's acceptable range: a finding."""
    if item.kind == ItemKind.PASS_FAIL:
        return answer.passed is False
    if item.kind == ItemKind.READING and answer.reading is not None:
        too_low = item.low is not None and answer.reading < item.low
        too_high = item.high is not None and answer.reading > item.high
        return too_low or too_high
    return False


def submit_round(
    *,
    round_: InspectionRound,
    actor: Any,
    answers: dict[int, FacilityAnswers],
    key: str,
) -> InspectionRound:
    """Record a round: every facility of the route with every item of its checklist.

    ``key`` (the page makes one per round and keeps it through reloads) makes a second
    submit a no-op that returns the round as the first left it. Each failure opens a repair
    work order for the zone, linked to the facility and the round.
    """
    key = key.strip()[:64]
    if not key:
        raise RoundRefused([_("The submission has no key; reload the page.")])
    with transaction.atomic():
        locked = InspectionRound.objects.select_for_update().get(pk=round_.pk)
        _require_assignee(locked, actor)
        if locked.status == RoundStatus.SUBMITTED:
            if locked.submission_key == key:
                return locked  # the same submit again (a retry, a double tap)
            raise RoundRefused([_("The round is already submitted.")])
        facilities = route(locked)
        items = checklists({f.kind for f in facilities})
        problems = _check_answers(facilities, items, answers)
        if problems:
            raise RoundRefused(problems)
        findings: list[tuple[Facility, ChecklistItem, Answer]] = []
        for position, facility in enumerate(facilities, start=1):
            given = answers[facility.pk]
            visit = Visit.objects.create(
                round=locked,
                facility=facility,
                position=position,
                note=given.note.strip()[:500],
                photo=given.photo or "",
            )
            results = []
            for item in items[facility.kind]:
                answer = given.answers.get(item.pk, Answer())
                failed = is_failed(item, answer)
                results.append(
                    CheckResult(
                        visit=visit,
                        item=item,
                        passed=answer.passed,
                        reading=answer.reading,
                        text=answer.text.strip()[:500],
                        failed=failed,
                    )
                )
                if failed:
                    findings.append((facility, item, answer))
            CheckResult.objects.bulk_create(results)
        locked.status = RoundStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.submission_key = key
        locked.draft = {}
        locked.save(update_fields=["status", "submitted_at", "submission_key", "draft"])
        for facility, item, answer in findings:
            _open_finding(locked, facility, item, answer)
    return locked


def _check_answers(
    facilities: list[Facility],
    items: dict[str, list[ChecklistItem]],
    answers: dict[int, FacilityAnswers],
) -> list[str]:
    """Every facility answered, every pass/fail item chosen, every reading a number."""
    problems = []
    for facility in facilities:
        given = answers.get(facility.pk)
        if given is None:
            problems.append(_("%(facility)s: not inspected") % {"facility": facility})
            continue
        for item in items[facility.kind]:
            answer = given.answers.get(item.pk, Answer())
            where = f"{facility.code} · {item.text}"
            if item.kind == ItemKind.PASS_FAIL and answer.passed is None:
                problems.append(_("%(where)s: choose pass or fail") % {"where": where})
            elif item.kind == ItemKind.READING and (
                answer.reading is None or not math.isfinite(answer.reading)
            ):
                problems.append(_("%(where)s: enter the reading") % {"where": where})
    return problems


def _describe(facility: Facility, item: ChecklistItem, answer: Answer) -> str:
    if item.kind == ItemKind.READING:
        return _(
            "Inspection of %(facility)s: %(item)s %(reading)s %(unit)s, outside %(low)s–%(high)s."
        ) % {
            "facility": facility,
            "item": item.text,
            "reading": f"{answer.reading:g}",
            "unit": item.unit,
            "low": "" if item.low is None else f"{item.low:g}",
            "high": "" if item.high is None else f"{item.high:g}",
        }
    return _("Inspection of %(facility)s failed: %(item)s.") % {
        "facility": facility,
        "item": item.text,
    }


def _open_finding(
    round_: InspectionRound, facility: Facility, item: ChecklistItem, answer: Answer
) -> Finding:
    """The finding and its repair work order (internal category ``facility_fault``),
    dispatched to the named repair owner of the facility's zone like any request."""
    from wennuan.service.choices import Channel
    from wennuan.service.models import ServiceCategory
    from wennuan.service.services import submit_request

    description = _describe(facility, item, answer)
    if answer.text.strip():
        description += " " + answer.text.strip()
    building = facility.building
    if building is None:  # a facility out in the street: any building of its zone places it
        building = Building.objects.filter(zone_id=facility.zone_id).order_by("code").first()
    category = ServiceCategory.objects.prefetch_related("attributes").get(code="facility_fault")
    order = submit_request(
        category=category,
        channel=Channel.INSPECTION,
        building=building,
        description=description[:1000],
        location_text=f"{facility.code} {facility.name}",
        idempotency_key=f"finding-{round_.pk}-{facility.pk}-{item.pk}",
    ).request
    return Finding.objects.create(
        round=round_,
        facility=facility,
        item=item,
        description=description[:500],
        work_order=order,
    )
