"""The periodic jobs the scheduler enqueues, written as data.

A job is due when its interval has passed since it was last enqueued, or, for a
daily job, when today's (local time) slot has passed and it has not been enqueued
since. A job never enqueued before is due at once, so a fresh install has results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PeriodicJob:
    """One periodic job: a task (by dotted path) and either an interval or a daily time."""

    name: str
    task_path: str
    every: timedelta | None = None
    daily_at: time | None = None

    def is_due(self, *, now: datetime, last_enqueued_at: datetime | None) -> bool:
        """Whether the job should be enqueued at ``now``."""
        if last_enqueued_at is None:
            return True
        if self.every is not None:
            return now - last_enqueued_at >= self.every
        assert self.daily_at is not None
        local_now = timezone.localtime(now)
        slot = local_now.replace(
            hour=self.daily_at.hour, minute=self.daily_at.minute, second=0, microsecond=0
        )
        if slot > local_now:
            slot -= timedelta(days=1)
        return last_enqueued_at < slot

    @property
    def task(self) -> Any:
        """The django-tasks Task object."""
        return import_string(self.task_path)


SCHEDULE: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        name="coverage-audit",
        task_path="wennuan.grid.tasks.run_coverage_audit",
        daily_at=time(2, 0),
    ),
    PeriodicJob(
        name="sla-sweep",
        task_path="wennuan.service.tasks.sweep_sla_task",
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="auto-close-resolved",
        task_path="wennuan.service.tasks.auto_close_task",
        every=timedelta(hours=1),
    ),
    PeriodicJob(
        name="deliver-notifications",
        task_path="wennuan.notify.tasks.deliver_due_task",
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="prune-task-results",
        task_path="wennuan.core.tasks.prune_task_results_task",
        daily_at=time(3, 30),
    ),
    PeriodicJob(
        name="station-alarms",
        task_path="wennuan.operations.tasks.evaluate_alarms_task",
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="network-incidents",
        task_path="wennuan.service.tasks.correlate_incidents_task",
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="telemetry-roll-up",
        task_path="wennuan.operations.tasks.roll_up_hours_task",
        every=timedelta(minutes=5),
    ),
    PeriodicJob(
        name="telemetry-partitions",
        task_path="wennuan.operations.tasks.ensure_partitions_task",
        daily_at=time(1, 0),
    ),
    PeriodicJob(
        name="prune-idempotency-keys",
        task_path="wennuan.api.tasks.purge_idempotency_keys_task",
        every=timedelta(hours=1),
    ),
    PeriodicJob(
        name="inspection-rounds",
        task_path="wennuan.inspections.tasks.generate_rounds_task",
        every=timedelta(hours=1),
    ),
    PeriodicJob(
        name="coal-morning-check",
        task_path="wennuan.fuel.tasks.morning_check_task",
        daily_at=time(6, 0),
    ),
    PeriodicJob(
        name="morning-briefing",
        task_path="wennuan.reports.tasks.morning_briefing_task",
        daily_at=time(7, 0),
    ),
    PeriodicJob(
        name="weather-forecast",
        task_path="wennuan.fuel.tasks.fetch_forecast_task",
        every=timedelta(hours=3),
    ),
    PeriodicJob(
        name="health-check-ins-missing",
        task_path="wennuan.people.tasks.flag_missing_check_ins_task",
        daily_at=time(10, 0),
    ),
    PeriodicJob(
        name="resume-stop-texts",
        task_path="wennuan.operations.tasks.resume_stop_texts_task",
        every=timedelta(minutes=5),
    ),
    PeriodicJob(
        name="prune-failed-logins",
        task_path="wennuan.core.tasks.prune_failed_logins_task",
        every=timedelta(hours=1),
    ),
)
