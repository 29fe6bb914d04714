"""State changes of people: the duty roster and the daily health check-in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from wennuan.people.choices import (
    CHECK_IN_ROLES,
    HEALTH_AFTER_CHECK_IN,
    CheckInStatus,
    HealthStatus,
    Symptom,
)
from wennuan.people.models import (
    FEVER_C,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    HealthCheckIn,
    Shift,
    User,
)

MAX_SHIFT = timedelta(hours=24)


class RosterError(Exception):
    """A shift that cannot be entered; the message says why. Nothing was changed."""


def add_shift(
    *, staff: User, starts_at: datetime, ends_at: datetime, leads_dispatch: bool = False
) -> Shift:
    """Put someone on the roster; a shift is at most 24 hours and may not overlap their others."""
    if ends_at <= starts_at:
        raise RosterError(_("A shift must end after it starts."))
    if ends_at - starts_at > MAX_SHIFT:
        raise RosterError(_("A shift is at most 24 hours."))
    if not staff.is_active:
        raise RosterError(_("%(name)s is deactivated.") % {"name": staff.display_name})
    with transaction.atomic():
        if Shift.objects.filter(staff=staff, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
            raise RosterError(
                _("%(name)s already has a shift in that time.") % {"name": staff.display_name}
            )
        return Shift.objects.create(
            staff=staff, starts_at=starts_at, ends_at=ends_at, leads_dispatch=leads_dispatch
        )


def remove_shift(*, shift: Shift) -> None:
    """Take a shift off the roster."""
    shift.delete()


# --- daily health check-in -------------------------------------------------------------

MAX_SYMPTOMS_NOTE = 200
# How many names a missing check-ins text lists before "and others" (one SMS).
NAMES_IN_TEXT = 3


class CheckInRefused(Exception):
    """A check-in that cannot be recorded: field → messages ("__all__" for the whole).
    Nothing was stored."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def may_record_for(actor: User, staff: User) -> bool:
    """Whether ``actor`` may record ``staff``'s check-in: their own, their direct report's
    (someone who phoned in sick), or anyone's for a manager."""
    return actor.pk == staff.pk or staff.supervisor_id == actor.pk or actor.can_manage


def parse_temperature(value: Any) -> Decimal:
    """A body temperature in °C from a number or text ("36.6", "36,6"); ValueError says why."""
    text = str(value).strip().replace(",", ".").replace("，", ".")
    try:
        temperature = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Enter your temperature as a number, for example 36.5.")) from None
    if not temperature.is_finite():
        raise ValueError(_("Enter your temperature as a number, for example 36.5."))
    if not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
        raise ValueError(
            _("A body temperature is between %(low)s and %(high)s °C: measure again.")
            % {"low": TEMPERATURE_MIN, "high": TEMPERATURE_MAX}
        )
    exponent = temperature.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -1:
        raise ValueError(_("Enter the temperature to one decimal place, for example 36.5."))
    return temperature.quantize(Decimal("0.1"))


def health_after(status: str, temperature: Decimal) -> str:
    """The health status a check-in leads to: by the status reported, except that a fever
    makes "fit" or "recovered" "unwell" (nobody with a fever goes into homes)."""
    after = HEALTH_AFTER_CHECK_IN[status]
    if after == HealthStatus.FIT and temperature >= FEVER_C:
        return HealthStatus.UNWELL
    return after


def _validate_check_in(
    *, staff: User, actor: User, temperature: Any, symptoms: Iterable[str], status: str, note: str
) -> tuple[Decimal, list[str]]:
    errors: dict[str, list[str]] = {}
    parsed = Decimal(0)
    try:
        parsed = parse_temperature(temperature)
    except ValueError as problem:
        errors["temperature"] = [str(problem)]
    given = list(symptoms)
    unknown = sorted({s for s in given if s not in Symptom.values})
    if unknown:
        errors["symptoms"] = [_("Unknown symptoms: %(codes)s.") % {"codes": ", ".join(unknown)}]
    if status not in CheckInStatus.values:
        errors["status"] = [_("Choose how you are: fit, isolating, confirmed or recovered.")]
    if len(note) > MAX_SYMPTOMS_NOTE:
        errors["symptoms_note"] = [
            _("Describe other symptoms in at most %(n)s characters.") % {"n": MAX_SYMPTOMS_NOTE}
        ]
    whole = []
    if not may_record_for(actor, staff):
        whole.append(_("You may record check-ins only for yourself and your team."))
    elif not staff.is_active or staff.role not in CHECK_IN_ROLES:
        whole.append(
            _("%(name)s is not active company staff: no check-in.") % {"name": staff.display_name}
        )
    if whole:
        errors["__all__"] = whole
    if errors:
        raise CheckInRefused(errors)
    # Kept in the order the form lists them, once each.
    return parsed, [code for code in Symptom.values if code in given]


def check_in(
    *,
    staff: User,
    temperature: Any,
    symptoms: Iterable[str],
    status: str,
    actor: User,
    symptoms_note: str = "",
    now: datetime | None = None,
) -> HealthCheckIn:
    """Record a daily health check-in and apply it to the person's health status at once.

    Steps, in one transaction:

    1. validate everything (``CheckInRefused`` lists every problem; nothing is stored);
    2. set ``User.health_status`` by ``health_after`` (the status reported, a fever → unwell);
    3. if the person is not fit now, hand over their open requests (each to the next
       available person of its zone, with history and a text to the new assignee) and open
       inspection rounds (likewise), and text their supervisor (else the dispatcher on duty)
       when their health changed or work moved;
    4. append the check-in row: what was reported, health before → after, what moved.

    Fit again (fit, or recovered, without a fever) needs nothing more: dispatch and round
    generation read ``health_status``, so new work in their zones goes to them again. Work
    handed over stays with whoever took it.
    """
    from wennuan.notify.services import queued_together

    note = symptoms_note.strip()
    parsed, codes = _validate_check_in(
        staff=staff,
        actor=actor,
        temperature=temperature,
        symptoms=symptoms,
        status=status,
        note=note,
    )
    now = now or timezone.now()
    with transaction.atomic(), queued_together():
        person = User.objects.select_for_update().get(pk=staff.pk)
        before = person.health_status
        after = health_after(status, parsed)
        if before != after:
            person.health_status = after
            person.save(update_fields=["health_status"])
        record = HealthCheckIn(
            staff=person,
            day=timezone.localdate(now),
            temperature=parsed,
            symptoms=codes,
            symptoms_note=note,
            status=status,
            health_before=before,
            health_after=after,
            recorded_by=actor,
            created_at=now,
        )
        if after != HealthStatus.FIT:
            _hand_over(record, person, actor=actor, now=now)
            if before != after or record.requests_handed_over or record.rounds_handed_over:
                _notify_not_fit(record, person, now=now)
        record.save()
    staff.health_status = after
    return record


def _hand_over(record: HealthCheckIn, person: User, *, actor: User, now: datetime) -> None:
    """Pass the person's open requests and rounds on, counting what moved on ``record``."""
    from wennuan.inspections.services import hand_over_rounds
    from wennuan.service.services.dispatching import hand_over_open_requests

    reason = _("health check-in: %(status)s, %(t)s °C") % {
        "status": HealthStatus(record.health_after).label,
        "t": record.temperature,
    }
    requests = hand_over_open_requests(staff=person, actor=actor, reason=reason, at=now)
    rounds = hand_over_rounds(staff=person, actor=actor, reason=reason, at=now)
    record.requests_handed_over = len(requests.moved)
    record.work_waiting = len(requests.waiting)
    record.rounds_handed_over = len(rounds)


def _notify_not_fit(record: HealthCheckIn, person: User, *, now: datetime) -> None:
    """Text the person's supervisor (else the dispatcher on duty): who, how, what moved."""
    from wennuan.notify.choices import Channel, Template
    from wennuan.notify.services import queue_notification
    from wennuan.service.dispatch import dispatcher_on_duty

    told = person.supervisor
    if told is None or not told.is_active:
        told = dispatcher_on_duty(now, exclude_ids={person.pk})
    if told is None or not told.phone:
        return
    queue_notification(
        channel=Channel.SMS,
        recipient=told.phone,
        template=Template.STAFF_NOT_FIT,
        context={
            "name": person.display_name,
            "status": HealthStatus(record.health_after).label,
            "requests": record.requests_handed_over,
            "rounds": record.rounds_handed_over,
            "waiting": record.work_waiting,
        },
        language=settings.LANGUAGE_CODE,
        related_key=f"health-{person.pk}-{record.day.isoformat()}",
    )


@dataclass
class MissingFlagged:
    """What the morning job did: staff without a check-in, texts sent, whether it applied."""

    missing: int
    notified: int
    emergency: bool


def flag_missing_check_ins(*, now: datetime | None = None) -> MissingFlagged:
    """Text each supervisor the names of their reports without a check-in today.

    Only while emergency mode is on: that is when the issue makes check-ins mandatory (the
    team page lists who has not checked in at any time). Staff on leave are not expected;
    staff without a supervisor are only listed on the managers' page. One text per
    supervisor and day: a second run sends nothing new.
    """
    from wennuan.core.validators import normalise_phone
    from wennuan.emergency.services import emergency_on
    from wennuan.notify.choices import Channel, Template
    from wennuan.notify.models import Notification
    from wennuan.notify.services import queue_notification, queued_together
    from wennuan.people.selectors import missing_check_ins

    now = now or timezone.now()
    if not emergency_on():
        return MissingFlagged(0, 0, emergency=False)
    day = timezone.localdate(now)
    missing = list(missing_check_ins(day, at=now).select_related("supervisor"))
    by_supervisor: dict[int, list[User]] = {}
    supervisors: dict[int, User] = {}
    for person in missing:
        boss = person.supervisor
        if boss is None or not boss.is_active or not boss.phone:
            continue
        by_supervisor.setdefault(boss.pk, []).append(person)
        supervisors[boss.pk] = boss
    related_key = f"health-missing-{day.isoformat()}"
    already = set(
        Notification.objects.filter(
            template=Template.CHECK_INS_MISSING, related_key=related_key
        ).values_list("recipient", flat=True)
    )
    notified = 0
    with transaction.atomic(), queued_together():
        for pk, people in by_supervisor.items():
            boss = supervisors[pk]
            if normalise_phone(boss.phone) in already:
                continue
            queue_notification(
                channel=Channel.SMS,
                recipient=boss.phone,
                template=Template.CHECK_INS_MISSING,
                context={"day": day, "count": len(people), "names": _names(people)},
                language=settings.LANGUAGE_CODE,
                related_key=related_key,
            )
            notified += 1
    return MissingFlagged(len(missing), notified, emergency=True)


def _names(people: list[User]) -> str:
    """The first few names, and "and others" when there are more, in the texts' language."""
    with translation.override(settings.LANGUAGE_CODE):
        names = [p.display_name for p in people[:NAMES_IN_TEXT]]
        text = pgettext("between names in a list", ", ").join(names)
        if len(people) > NAMES_IN_TEXT:
            text = _("%(names)s and others") % {"names": text}
    return text
