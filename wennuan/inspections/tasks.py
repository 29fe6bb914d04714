"""Background tasks of inspection rounds."""

from __future__ import annotations

from django_tasks import task


@task()
def generate_rounds_task() -> int:
    """Every morning (and hourly after, for plans switched on during the day): today's rounds."""
    from wennuan.inspections.services import generate_rounds

    return len(generate_rounds().rounds)
