"""Background tasks of heating operation."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from wennuan.operations.alarms import evaluate_alarms
from wennuan.operations.partitions import ensure_partitions
from wennuan.operations.services import roll_up_hours


@task()
def roll_up_hours_task() -> int:
    """Every five minutes: recompute the hourly roll-up of the last two hours."""
    return roll_up_hours(since=timezone.now() - timedelta(hours=2))


@task()
def ensure_partitions_task() -> list[str]:
    """Daily: keep monthly reading partitions two months ahead (PostgreSQL only)."""
    now = timezone.now()
    return ensure_partitions(now, now + timedelta(days=62))


@task()
def evaluate_alarms_task() -> dict[str, int]:
    """Every minute: raise, extend and clear station alarms by the enabled rules."""
    return evaluate_alarms()


@task()
def resume_stop_texts_task() -> int:
    """Every five minutes: resume planned-stop texts whose chain of batches was lost."""
    from wennuan.operations.stops import resume_unfinished_stop_texts

    return resume_unfinished_stop_texts()


@task()
def tell_households_task(stop_id: int, template: str, after: int = 0) -> int | None:
    """One batch of a planned stop's texts; enqueues the next batch until every home is told."""
    from wennuan.operations.stops import tell_households

    last = tell_households(stop_id=stop_id, template=template, after=after)
    if last is not None:
        tell_households_task.enqueue(stop_id=stop_id, template=template, after=last)
    return last
