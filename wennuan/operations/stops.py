"""Planned stops (and known outages) by topology: every household beneath a station or a heat
source is texted when a stop is announced, and again when heat is back (state changes only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.core.queueing import enqueue_with_commit
from wennuan.grid.models import HeatSource, Station
from wennuan.notify.choices import Channel as NotifyChannel
from wennuan.notify.choices import Template
from wennuan.notify.services import queue_notification, queued_together
from wennuan.operations.models import PlannedStop


class StopRefused(Exception):
    """A planned stop that cannot be announced or ended as asked; the message says why."""


def _households_beneath(stop: PlannedStop) -> Any:
    from wennuan.grid.models import Household

    if stop.station_id is not None:
        return Household.objects.filter(building__station_id=stop.station_id)
    return Household.objects.filter(building__station__heat_source_id=stop.heat_source_id)


def _context(stop: PlannedStop, template: str) -> dict[str, Any]:
    where = stop.station.name if stop.station else stop.heat_source.name  # type: ignore[union-attr]
    if template == Template.HEAT_BACK:
        return {"where": where}
    return {
        "where": where,
        "start": stop.starts_at,
        "end": stop.expected_end_at,
        "reason": stop.reason,
    }


def _progress_fields(template: str) -> tuple[str, str]:
    """The cursor and done-at fields of a stop for one of its two messages."""
    if template == Template.HEAT_BACK:
        return "heat_back_told_through", "heat_back_done_at"
    return "notice_told_through", "notice_done_at"


def tell_households(*, stop_id: int, template: str, after: int = 0) -> int | None:
    """Text the next STOP_FANOUT_BATCH households beneath a stop, in one transaction; returns
    the last key told, or None when all are told.

    A heat source may feed 100,000 homes: a background task runs this batch by batch
    (``tell_households_task`` enqueues the next one), so no request or transaction holds them
    all. The batch starts after the stop's stored cursor (``after`` is only a floor), read
    under the stop's row lock and moved in the same transaction as the texts: a batch that is
    run twice, or two chains of tasks for one stop (the sweep resuming a chain that was only
    slow), never text a household twice.
    """
    cursor_field, done_field = _progress_fields(template)
    with transaction.atomic(), queued_together():
        stop = (
            PlannedStop.objects.select_for_update(of=("self",))
            .select_related("station", "heat_source")
            .get(pk=stop_id)
        )
        cursor = getattr(stop, cursor_field)
        # Done, unless this is a chain of the code before the cursor existed, still running
        # past it (operations 0007 marked such stops done).
        if getattr(stop, done_field) is not None and after <= cursor:
            return None
        if template == Template.STOP_NOTICE and stop.ended_at is not None:
            return None  # heat is back already: "heat will stop" would only confuse
        start = max(after, cursor)
        homes = list(
            _households_beneath(stop)
            .filter(pk__gt=start)
            .order_by("pk")
            .values_list("pk", "phone")[: settings.STOP_FANOUT_BATCH]
        )
        if not homes:
            PlannedStop.objects.filter(pk=stop.pk).update(**{done_field: timezone.now()})
            return None
        context = _context(stop, template)
        told = 0
        for _pk, phone in homes:
            if not phone:
                continue
            try:
                queue_notification(
                    channel=NotifyChannel.SMS,
                    recipient=phone,
                    template=template,
                    context=context,
                    language=settings.LANGUAGE_CODE,
                    related_key=f"stop-{stop.pk}",
                )
            except ValueError:
                continue  # a malformed phone in the master data: skip it, tell the rest
            told += 1
        last = int(homes[-1][0])
        progress: dict[str, Any] = {cursor_field: last}
        if template == Template.STOP_NOTICE:
            progress["households_told"] = F("households_told") + told
        PlannedStop.objects.filter(pk=stop.pk).update(**progress)
    return last


def resume_unfinished_stop_texts(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Start the texts again, from their cursor, of every stop whose texting stopped partway
    (its chain of tasks was lost); returns how many chains were started.

    Run every few minutes by the scheduler. A chain that is only slow gets a second one
    beside it, which is harmless: batches are claimed under the stop's row lock.
    """
    from wennuan.operations.tasks import tell_households_task

    before = timezone.now() - older_than
    started = 0
    for stop_id in PlannedStop.objects.filter(
        notice_done_at__isnull=True, announced_at__lt=before, ended_at__isnull=True
    ).values_list("pk", flat=True):
        tell_households_task.enqueue(stop_id=stop_id, template=Template.STOP_NOTICE)
        started += 1
    for stop_id in PlannedStop.objects.filter(
        ended_at__lt=before, heat_back_done_at__isnull=True
    ).values_list("pk", flat=True):
        tell_households_task.enqueue(stop_id=stop_id, template=Template.HEAT_BACK)
        started += 1
    return started


def _start_telling(stop: PlannedStop, template: str) -> None:
    from wennuan.operations.tasks import tell_households_task

    enqueue_with_commit(tell_households_task, stop_id=stop.pk, template=template, after=0)


def _require_dispatcher(actor: Any) -> None:
    # Texting every home beneath a station is a dispatch decision, not the hotline's.
    if actor is not None and not actor.can_dispatch:
        raise StopRefused(_("Only dispatchers, managers and administrators decide this."))


def announce_stop(
    *,
    station: Station | None = None,
    heat_source: HeatSource | None = None,
    starts_at: datetime,
    expected_end_at: datetime,
    reason: str,
    actor: Any = None,
) -> PlannedStop:
    """Record a stop of a station or heat source; every household beneath it is texted by a
    background task, batch by batch (``households_told`` counts them as it goes). A person
    announcing it must be dispatch (``User.can_dispatch``); no actor is the system."""
    _require_dispatcher(actor)
    if (station is None) == (heat_source is None):
        raise StopRefused(_("Choose a station or a heat source."))
    if expected_end_at <= starts_at:
        raise StopRefused(_("The stop must end after it starts."))
    if not reason.strip():
        raise StopRefused(_("Give the reason residents will read."))
    with transaction.atomic():
        stop = PlannedStop.objects.create(
            station=station,
            heat_source=heat_source,
            starts_at=starts_at,
            expected_end_at=expected_end_at,
            reason=reason.strip()[:200],
            announced_by=actor,
        )
        _start_telling(stop, Template.STOP_NOTICE)
        # Vulnerable homes beneath also get a call: a text may not reach an old person alone.
        from wennuan.emergency.models import CallReason
        from wennuan.emergency.services import call_vulnerable_households

        call_vulnerable_households(
            station_id=stop.station_id,
            heat_source_id=stop.heat_source_id,
            reason=CallReason.STOP,
            detail=stop.reason,
            key=f"stop-{stop.pk}",
        )
    return stop


def end_stop(*, stop: PlannedStop, actor: Any = None) -> PlannedStop:
    """Heat is back: text every household beneath the stop again (dispatch, or the system)."""
    _require_dispatcher(actor)
    with transaction.atomic():
        stop = PlannedStop.objects.select_for_update().get(pk=stop.pk)
        if stop.ended_at is not None:
            raise StopRefused(_("This stop has already ended."))
        stop.ended_at = timezone.now()
        # Homes not yet told of the stop are not told now that heat is back.
        stop.notice_done_at = stop.notice_done_at or stop.ended_at
        stop.save(update_fields=["ended_at", "notice_done_at"])
        _start_telling(stop, Template.HEAT_BACK)
    return stop
