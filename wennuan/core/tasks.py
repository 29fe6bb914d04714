"""Background tasks of shared infrastructure."""

from __future__ import annotations

from django_tasks import task

from wennuan.core.services import prune_failed_logins


@task()
def prune_failed_logins_task() -> int:
    """Delete login failures older than the throttling window."""
    return prune_failed_logins()
