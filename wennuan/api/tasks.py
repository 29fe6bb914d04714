"""Background tasks of the REST API."""

from __future__ import annotations

from django_tasks import task

from wennuan.api.idempotency import purge


@task()
def purge_idempotency_keys_task() -> int:
    """Hourly: forget Idempotency-Key answers older than API_IDEMPOTENCY_KEEP_HOURS."""
    return purge()
