"""Background tasks of shared infrastructure."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django_tasks import task

from wennuan.core.services import prune_failed_logins


@task()
def prune_failed_logins_task() -> int:
    """Delete login failures older than the throttling window."""
    return prune_failed_logins()


@task()
def prune_task_results_task() -> None:
    """Daily: delete finished task results older than TASK_RESULT_KEEP_DAYS.

    Periodic jobs alone write thousands of result rows a day.
    """
    call_command(
        "prune_db_task_results", "--min-age-days", str(settings.TASK_RESULT_KEEP_DAYS), verbosity=0
    )
