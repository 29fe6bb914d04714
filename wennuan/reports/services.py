"""Generating daily briefings: the only writes of this app."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.people.forms import day_out_of_range
from wennuan.reports.choices import Trigger
from wennuan.reports.models import Briefing
from wennuan.reports.selectors import compute_figures, start_of


class BriefingRefused(Exception):
    """No briefing was generated, with the reason to show."""


def generate_briefing(
    *,
    day: date,
    actor: Any = None,
    trigger: str = Trigger.ON_DEMAND,
    now: datetime | None = None,
) -> Briefing:
    """Compute ``day``'s figures and store them as the day's next version (the earlier
    versions stay as they were). A day that has not begun, or before ``EARLIEST_DAY``, has
    no briefing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if day > today:
        raise BriefingRefused(_("There is no briefing for a day that has not begun."))
    problem = day_out_of_range(day, latest=today)
    if problem:
        raise BriefingRefused(problem)
    figures = compute_figures(day, now=now)
    complete = now >= start_of(day + timedelta(days=1))
    # Two generations at once (a double click, the job and a manager) take the next
    # version each; the loser of a race for the same number takes the one after.
    for attempt in range(3):
        try:
            with transaction.atomic():
                latest = Briefing.objects.filter(day=day).aggregate(v=Max("version"))["v"]
                return Briefing.objects.create(
                    day=day,
                    version=(latest or 0) + 1,
                    generated_at=now,
                    generated_by=actor,
                    trigger=trigger,
                    complete=complete,
                    figures=figures,
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def generate_morning_briefing(*, now: datetime | None = None) -> tuple[Briefing | None, bool]:
    """The morning job: yesterday's briefing, once. Returns (briefing, created); a complete
    briefing of yesterday already stored (the job ran, or a manager generated it after
    midnight) is returned as it is."""
    now = now or timezone.now()
    yesterday = timezone.localdate(now) - timedelta(days=1)
    existing = Briefing.objects.filter(day=yesterday, complete=True).order_by("-version").first()
    if existing is not None:
        return existing, False
    return generate_briefing(day=yesterday, trigger=Trigger.SCHEDULED, now=now), True
