"""The scheduler: one lease holder enqueues periodic tasks; a real worker runs them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from wennuan.core.models import Lease, ScheduledRun
from wennuan.core.schedule import PeriodicJob
from wennuan.core.services import (
    _claim_period,
    acquire_lease,
    release_lease,
    run_scheduler_tick,
)
from wennuan.core.tests.task_queue import queued_count, result_of, run_queued_tasks
from wennuan.grid.models import CoverageReport

pytestmark = pytest.mark.django_db(transaction=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")
AUDIT_TASK = "wennuan.grid.tasks.run_coverage_audit"


def test_second_holder_cannot_take_a_live_lease():
    assert acquire_lease(name="x", holder="a", seconds=30)
    assert not acquire_lease(name="x", holder="b", seconds=30)
    assert Lease.objects.get(name="x").holder == "a"
    assert acquire_lease(name="x", holder="a", seconds=30), "the holder renews its own lease"


def test_expired_lease_passes_to_the_standby():
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI), tick=False) as clock:
        assert acquire_lease(name="x", holder="a", seconds=30)
        clock.shift(timedelta(seconds=31))
        assert acquire_lease(name="x", holder="b", seconds=30)
        assert not acquire_lease(name="x", holder="a", seconds=30)


def test_released_lease_is_free_at_once():
    acquire_lease(name="x", holder="a", seconds=30)
    release_lease(name="x", holder="a")
    assert acquire_lease(name="x", holder="b", seconds=30)


@pytest.mark.tasks
def test_only_the_lease_holder_enqueues(demo_city, enqueued_tasks):
    first = run_scheduler_tick(holder="scheduler-a")
    second = run_scheduler_tick(holder="scheduler-b")

    assert "coverage-audit" in first
    assert second == []
    assert [r.task.module_path for r in enqueued_tasks].count(AUDIT_TASK) == 1


@pytest.mark.tasks
def test_two_schedulers_that_both_think_they_lead_enqueue_a_period_once(demo_city, enqueued_tasks):
    """A scheduler paused past its lease (GC, a frozen VM) wakes up still believing it leads
    while the standby has taken over: the per-job compare-and-set lets only one enqueue."""
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI), tick=False) as clock:
        assert "coverage-audit" in run_scheduler_tick(holder="a")
        clock.shift(timedelta(days=1))
        previous = ScheduledRun.objects.get(name="coverage-audit").last_enqueued_at
        now = timezone.now()
        # Both read the same last run, then both try to claim the new period.
        assert _claim_period(name="coverage-audit", previous=previous, now=now)
        assert not _claim_period(name="coverage-audit", previous=previous, now=now)
        # A job never run before: the row's unique name decides.
        assert _claim_period(name="brand-new", previous=None, now=now)
        assert not _claim_period(name="brand-new", previous=None, now=now)
    assert [r.task.module_path for r in enqueued_tasks].count(AUDIT_TASK) == 1


@pytest.mark.tasks
def test_enqueued_audit_is_run_by_a_worker(demo_city, enqueued_tasks):
    run_scheduler_tick(holder="scheduler-a")
    assert not CoverageReport.objects.exists()

    run_queued_tasks()

    report = CoverageReport.objects.get()
    assert report.gap_count == 0
    (audit,) = [r for r in enqueued_tasks if r.task.module_path == AUDIT_TASK]
    assert result_of(audit.id).status == TaskResultStatus.SUCCESSFUL


def test_nightly_job_runs_once_per_night(demo_city):
    with time_machine.travel(datetime(2026, 12, 1, 1, 0, tzinfo=SHANGHAI), tick=False) as clock:
        assert "coverage-audit" in run_scheduler_tick(holder="a")  # first start: run at once
        clock.shift(timedelta(minutes=30))
        assert "coverage-audit" not in run_scheduler_tick(holder="a")
        clock.shift(timedelta(minutes=31))  # 02:01, past the nightly slot
        assert "coverage-audit" in run_scheduler_tick(holder="a")
        clock.shift(timedelta(hours=12))
        assert "coverage-audit" not in run_scheduler_tick(holder="a")
    assert ScheduledRun.objects.get(name="coverage-audit").last_enqueued_at == datetime(
        2026, 12, 1, 2, 1, tzinfo=SHANGHAI
    )


def test_interval_job_is_due_after_its_interval():
    job = PeriodicJob(name="j", task_path="x", every=timedelta(hours=1))
    last = datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)
    assert job.is_due(now=last, last_enqueued_at=None)
    assert not job.is_due(now=last + timedelta(minutes=59), last_enqueued_at=last)
    assert job.is_due(now=last + timedelta(hours=1), last_enqueued_at=last)


def test_daily_job_slot_is_in_local_time():
    job = PeriodicJob(name="j", task_path="x", daily_at=time(2, 0))
    last = datetime(2026, 12, 1, 2, 0, tzinfo=SHANGHAI)
    # 01:59 Shanghai the next day is 17:59 UTC: not yet due.
    assert not job.is_due(now=datetime(2026, 12, 2, 1, 59, tzinfo=SHANGHAI), last_enqueued_at=last)
    assert job.is_due(now=datetime(2026, 12, 2, 2, 0, tzinfo=SHANGHAI), last_enqueued_at=last)


def test_scheduler_command_runs_one_tick_and_releases_its_lease(demo_city, capsys):
    call_command("scheduler", "--once")
    assert "enqueued coverage-audit" in capsys.readouterr().out
    assert not Lease.objects.exists()


def test_old_task_results_are_pruned_and_recent_ones_kept(demo_city, settings):
    from django.utils import timezone

    from wennuan.core.tasks import prune_task_results_task

    settings.TASK_RESULT_KEEP_DAYS = 7
    run_scheduler_tick(holder="a")
    call_command("db_worker", "--batch", "--queue-name", "default", "--no-startup-delay")
    finished = DBTaskResult.objects.filter(status="SUCCESSFUL")
    old = finished.first()
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    count = finished.count()
    prune_task_results_task.call()
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == count - 1


@pytest.mark.tasks
def test_the_worker_command_runs_the_queue_in_burst_mode(demo_city, enqueued_tasks):
    """`manage.py worker` is what the Procfile and systemd run, on either queue."""
    run_scheduler_tick(holder="scheduler-a")
    assert not CoverageReport.objects.exists()

    call_command("worker", "--burst")

    assert CoverageReport.objects.get().gap_count == 0
    assert queued_count() == 0
