"""Enqueueing background tasks so that they see the caller's committed work."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue_with_commit(task: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` so that it runs only once the caller's transaction has committed.

    With the database task backend the task row is written in the caller's transaction: it
    commits or rolls back with the work it is about (a worker sees it only after commit)
    and costs no second commit. Another queue (Redis) would run the task before the work is
    visible, so there the task is enqueued after commit; robust: if that queue is down, the
    change stays committed and the error is logged (periodic sweeps catch up).
    """
    from django_tasks_db.backend import DatabaseBackend

    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(**kwargs), robust=True)
