"""Switching emergency mode on and off (a manager, with a reason; every switch is a row)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from wennuan.emergency.models import EmergencyChange

# Every intake and page asks whether emergency mode is on: the answer is cached briefly.
# A switch clears it here at once; other processes (a cache per process unless CACHE_URL
# names Redis) see it within this many seconds.
CACHE_KEY = "emergency-mode-on"
CACHE_SECONDS = 10


class EmergencyRefused(Exception):
    """The switch was not changed, with the reason to show."""


def dispatches(user: Any) -> bool:
    """Dispatchers, managers and administrators: those who act on exposures and approve.
    (Customer-service agents see the whole city but do not decide for it.) ``User.can_dispatch``
    for anyone, the anonymous visitor included."""
    return bool(getattr(user, "is_authenticated", False) and user.can_dispatch)


def current_state() -> EmergencyChange | None:
    """The latest switch (on or off), or None if there never was one."""
    return (
        EmergencyChange.objects.select_related("changed_by").order_by("-changed_at", "-id").first()
    )


def emergency_on() -> bool:
    """Whether emergency mode is on now."""
    try:
        on = cache.get(CACHE_KEY)
    except Exception:  # the shared cache (Redis) is down: ask the database every time
        on = None
    if on is None:
        latest = EmergencyChange.objects.order_by("-changed_at", "-id").values_list("on", flat=True)
        on = bool(latest.first())
        with contextlib.suppress(Exception):  # the answer is right without the cache
            cache.set(CACHE_KEY, on, CACHE_SECONDS)
    return bool(on)


def set_emergency_mode(*, on: bool, actor: Any, reason: str = "") -> EmergencyChange:
    """Switch emergency mode on or off, with who and why. Refused: switching to the state it
    is already in (it would record a change that did not happen), a switch without a reason,
    a user who is not a manager. ``actor=None`` is the system (tests, commands)."""
    reason = reason.strip()
    if actor is not None and not getattr(actor, "can_manage", False):
        raise EmergencyRefused(_("Only managers switch emergency mode."))
    if actor is not None and not reason:
        raise EmergencyRefused(_("Say why emergency mode is switched."))
    with transaction.atomic():
        latest = EmergencyChange.objects.select_for_update().order_by("-changed_at", "-id").first()
        if bool(latest and latest.on) == on:
            raise EmergencyRefused(
                _("Emergency mode is already on.") if on else _("Emergency mode is already off.")
            )
        change = EmergencyChange.objects.create(on=on, reason=reason[:300], changed_by=actor)
        transaction.on_commit(lambda: cache.delete(CACHE_KEY))
    cache.delete(CACHE_KEY)
    return change


# --- disinfection -----------------------------------------------------------------------


def may_keep_disinfection_log(user: Any) -> bool:
    """The company's own staff read and keep the disinfection log of its sites (offices,
    stations, vehicles); partner communities' workers do not."""
    from wennuan.people.choices import Role

    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role != Role.COMMUNITY_WORKER
    )


def record_disinfection(
    *, site: Any, done_by: Any, agent: str, done_at: Any = None, note: str = ""
) -> Any:
    """Log one disinfection of a site (by the person who did it)."""
    from django.utils import timezone

    from wennuan.emergency.models import DisinfectionLog

    if not may_keep_disinfection_log(done_by):
        raise EmergencyRefused(_("Disinfections are recorded by the company's staff."))
    agent = agent.strip()
    if not agent:
        raise EmergencyRefused(_("Name the disinfectant used."))
    done_at = done_at or timezone.now()
    if done_at > timezone.now():
        raise EmergencyRefused(_("A disinfection cannot be in the future."))
    if not site.active:
        raise EmergencyRefused(_("This site is no longer disinfected on a schedule."))
    return DisinfectionLog.objects.create(
        site=site, done_at=done_at, done_by=done_by, agent=agent[:100], note=note.strip()[:300]
    )


# --- calls and exposure tracing ---------------------------------------------------------


def call_households(
    *, households: list[Any], reason: str, detail: str, key_prefix: str
) -> list[Any]:
    """A call task per household (once per ``key_prefix`` and household), for the named
    customer-service owner of the household's zone; returns the tasks made now."""
    from wennuan.emergency.models import CallTask
    from wennuan.grid.choices import Duty
    from wennuan.grid.models import ZoneAssignment

    zones = {h.building.zone_id for h in households}
    owners = dict(
        ZoneAssignment.objects.filter(
            zone_id__in=zones, duty=Duty.CUSTOMER_SERVICE, rank=0
        ).values_list("zone_id", "staff_id")
    )
    keys = {household.pk: f"{key_prefix}-{household.pk}"[:80] for household in households}
    # bulk_create(ignore_conflicts) does not say which rows were new: ask first.
    existing = set(CallTask.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    tasks = [
        CallTask(
            household=household,
            reason=reason,
            detail=detail[:300],
            assignee_id=owners.get(household.building.zone_id),
            key=keys[household.pk],
        )
        for household in households
        if keys[household.pk] not in existing
    ]
    CallTask.objects.bulk_create(tasks, ignore_conflicts=True)  # a concurrent run: no duplicate
    return tasks


def complete_call(*, task: Any, actor: Any, outcome: str) -> Any:
    """The call was made: what came of it."""
    from django.utils import timezone

    outcome = outcome.strip()
    if not outcome:
        raise EmergencyRefused(_("Say what came of the call."))
    if task.done_at is not None:
        raise EmergencyRefused(_("This call is already done."))
    task.done_at = timezone.now()
    task.outcome = outcome[:300]
    task.assignee = task.assignee or actor
    task.save(update_fields=["done_at", "outcome", "assignee"])
    return task


def act_on_exposure(*, trace: Any, actor: Any) -> tuple[int, int, int]:
    """One action on a traced exposure: a call task for every household the staff member
    visited, and their open work handed to their deputies now (they are taken off work by
    their health status, which their check-in or their supervisor records). Returns the
    calls made, the requests and the rounds handed over."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from wennuan.emergency.models import CallReason, CallTask
    from wennuan.inspections.services import hand_over_rounds
    from wennuan.people.models import Leave
    from wennuan.service.services.dispatching import hand_over_open_requests

    if not dispatches(actor):
        raise EmergencyRefused(_("Only dispatchers and managers act on an exposure."))
    with transaction.atomic():
        # A home already waiting for this person's exposure call is not called twice,
        # whatever range is traced again.
        waiting = set(
            CallTask.objects.filter(
                key__startswith=f"exposure-{trace.staff.pk}-", done_at__isnull=True
            ).values_list("household_id", flat=True)
        )
        tasks = call_households(
            households=[h for h in trace.households if h.pk not in waiting],
            reason=CallReason.EXPOSURE,
            detail=_("Visited by %(name)s between %(since)s and %(until)s.")
            % {"name": trace.staff.display_name, "since": trace.since, "until": trace.until},
            key_prefix=f"exposure-{trace.staff.pk}-{timezone.localdate():%Y%m%d}",
        )
        # Off work while in quarantine: dispatch and inspections pass them over (a leave);
        # shortening it in the admin brings them back.
        now = timezone.now()
        if not Leave.objects.filter(
            staff=trace.staff, starts_at__lte=now, ends_at__gt=now
        ).exists():
            Leave.objects.create(
                staff=trace.staff,
                starts_at=now,
                ends_at=now + timedelta(days=settings.EXPOSURE_QUARANTINE_DAYS),
                reason=str(_("quarantine after exposure tracing"))[:120],
            )
        reason = _("exposure tracing")
        requests = hand_over_open_requests(staff=trace.staff, actor=actor, reason=reason)
        rounds = hand_over_rounds(staff=trace.staff, actor=actor, reason=reason)
    return len(tasks), len(requests.moved), len(rounds)


# --- household flags --------------------------------------------------------------------


def may_see_flags(user: Any, household: Any) -> bool:
    """Those who serve the home may see its flags: whole-city staff (dispatch, the hotline,
    managers), the zone's repair, customer-service and epidemic-prevention people, and the
    community workers of its community."""
    from wennuan.grid.models import ZoneAssignment
    from wennuan.people.choices import Role

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.sees_whole_city:
        return True
    if user.role == Role.COMMUNITY_WORKER:
        return (
            bool(user.community_id) and household.building.complex.community_id == user.community_id
        )
    # In the zone, the duties that go into homes or call them; inspectors walk the streets.
    from wennuan.grid.choices import Duty

    home_duties = [Duty.REPAIR, Duty.CUSTOMER_SERVICE, Duty.EPIDEMIC_PREVENTION]
    zone_id = household.building.zone_id
    return ZoneAssignment.objects.filter(staff=user, zone_id=zone_id, duty__in=home_duties).exists()


def active_flags(household: Any, *, on: Any = None) -> Any:
    from django.db.models import Q
    from django.utils import timezone

    from wennuan.emergency.models import HouseholdFlag

    on = on or timezone.localdate()
    return HouseholdFlag.objects.filter(household=household, starts_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=on)
    )


def read_flags(*, household: Any, viewer: Any, where: str) -> list[Any]:
    """A household's flags for someone allowed to see them, the view recorded; [] and no
    record for anyone else."""
    from wennuan.emergency.models import FlagView

    if not may_see_flags(viewer, household):
        return []
    flags = list(household.flags.select_related("created_by").order_by("-starts_on"))
    FlagView.objects.create(household=household, viewer=viewer, where=where[:100])
    return flags


def add_flag(
    *, household: Any, kind: str, starts_on: Any, actor: Any, ends_on: Any = None, note: str = ""
) -> Any:
    """Flag a household for a period (quarantine, confirmed case, elderly alone, medical
    needs). Requests filed from a home under an infection flag are helped remotely first."""
    from wennuan.emergency.models import FlagKind, HouseholdFlag

    if kind not in FlagKind.values:
        raise EmergencyRefused(_("Choose what the flag is."))
    if not may_see_flags(actor, household):
        raise EmergencyRefused(_("You do not serve this household."))
    if ends_on is not None and ends_on < starts_on:
        raise EmergencyRefused(_("The flag cannot end before it starts."))
    with transaction.atomic():
        flag = HouseholdFlag.objects.create(
            household=household,
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note.strip()[:300],
            created_by=actor,
        )
        _refresh_remote_first(household)
    return flag


def _refresh_remote_first(household: Any) -> None:
    """The home's open requests follow its infection flags: remote first while one is active."""
    from wennuan.emergency.models import INFECTION_FLAGS
    from wennuan.service.choices import OPEN_STATUSES
    from wennuan.service.models import ServiceRequest

    infected = bool(flag_kinds(household) & INFECTION_FLAGS)
    ServiceRequest.objects.filter(household=household, status__in=OPEN_STATUSES).exclude(
        remote_first=infected
    ).update(remote_first=infected)


def end_flag(*, flag: Any, ends_on: Any, actor: Any) -> Any:
    if not may_see_flags(actor, flag.household):
        raise EmergencyRefused(_("You do not serve this household."))
    if ends_on < flag.starts_on:
        raise EmergencyRefused(_("The flag cannot end before it starts."))
    with transaction.atomic():
        flag.ends_on = ends_on
        flag.save(update_fields=["ends_on"])
        _refresh_remote_first(flag.household)
    return flag


def flag_kinds(household: Any) -> set[str]:
    """The kinds of the home's flags active today (one query; intake asks it)."""
    return set(active_flags(household).values_list("kind", flat=True))


def call_vulnerable_households(
    *, station_id: Any = None, heat_source_id: Any = None, reason: str, detail: str, key: str
) -> int:
    """A check-in call for every vulnerable household beneath a station or heat source (the
    ``vulnerable`` mark, or an active elderly-alone or medical-needs flag): its heat is in
    trouble. Once per ``key`` and household."""
    from django.db.models import Q
    from django.utils import timezone

    from wennuan.emergency.models import CARE_FLAGS
    from wennuan.grid.models import Household

    today = timezone.localdate()
    beneath = (
        Q(building__station_id=station_id)
        if station_id
        else Q(building__station__heat_source_id=heat_source_id)
    )
    flagged = Q(flags__kind__in=CARE_FLAGS, flags__starts_on__lte=today) & (
        Q(flags__ends_on__isnull=True) | Q(flags__ends_on__gte=today)
    )
    homes = list(
        Household.objects.filter(beneath)
        .filter(Q(vulnerable=True) | flagged)
        .select_related("building")
        .distinct()
    )
    return len(call_households(households=homes, reason=reason, detail=detail, key_prefix=key))


def record_flag_views(*, household_ids: Any, viewer: Any, where: str) -> int:
    """Record that ``viewer`` saw care information of these households (a list that shows
    why a home is called, a vulnerability note): the same audit as ``read_flags``."""
    from wennuan.emergency.models import FlagView

    if not getattr(viewer, "is_authenticated", False):
        return 0
    rows = [
        FlagView(household_id=pk, viewer=viewer, where=where[:100])
        for pk in dict.fromkeys(household_ids)
        if pk is not None
    ]
    FlagView.objects.bulk_create(rows)
    return len(rows)
