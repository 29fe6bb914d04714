"""Planned stops (and known outages) by topology: every household beneath a station or a heat
source is texted when a stop is announced, and again when heat is back (state changes only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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


def _tell_households(stop: PlannedStop, template: str, context: dict[str, Any]) -> int:
    told = 0
    with queued_together():
        for phone in (
            _households_beneath(stop).exclude(phone="").values_list("phone", flat=True).iterator()
        ):
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
    return told


def announce_stop(
    *,
    station: Station | None = None,
    heat_source: HeatSource | None = None,
    starts_at: datetime,
    expected_end_at: datetime,
    reason: str,
    actor: Any = None,
) -> PlannedStop:
    """Record a stop of a station or heat source and text every household beneath it."""
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
        stop.households_told = _tell_households(
            stop,
            Template.STOP_NOTICE,
            {
                "where": (station or heat_source).name,  # type: ignore[union-attr]
                "start": starts_at,
                "end": expected_end_at,
                "reason": stop.reason,
            },
        )
        stop.save(update_fields=["households_told"])
    return stop


def end_stop(*, stop: PlannedStop, actor: Any = None) -> PlannedStop:
    """Heat is back: text every household beneath the stop again."""
    with transaction.atomic():
        stop = PlannedStop.objects.select_for_update().get(pk=stop.pk)
        if stop.ended_at is not None:
            raise StopRefused(_("This stop has already ended."))
        stop.ended_at = timezone.now()
        stop.save(update_fields=["ended_at"])
        where = stop.station.name if stop.station else stop.heat_source.name  # type: ignore[union-attr]
        _tell_households(stop, Template.HEAT_BACK, {"where": where})
    return stop
