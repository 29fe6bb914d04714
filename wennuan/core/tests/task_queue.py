"""Test helpers that run and inspect background tasks on whichever queue is configured.

`make test` runs the tests marked ``tasks`` twice: on the database queue (the default) and,
when Redis is reachable, on the Redis queue (``TASKS_BACKEND=rq``, `make test-rq`). These
helpers keep those tests free of backend details.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django_tasks import default_task_backend
from django_tasks.base import TaskResult

ON_RQ = settings.TASKS_BACKEND == "rq"


def run_queued_tasks() -> None:
    """Run every queued task and return when the queue is empty, as a worker process would.

    On Redis the worker runs in this process (RQ's SimpleWorker, no fork) so it uses the
    test database connection settings.
    """
    if ON_RQ:
        import django_rq
        from django_tasks_rq import Job
        from rq import SimpleWorker

        queue = django_rq.get_queue("default", job_class=Job)
        worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
        worker.work(burst=True, logging_level="WARNING")
    else:
        call_command(
            "db_worker", "--batch", "--queue-name", "default", "--no-startup-delay", verbosity=0
        )


def result_of(task_id: str) -> TaskResult[Any]:
    """The stored result of one enqueued task, read back from the queue's own storage."""
    return default_task_backend.get_result(task_id)


def queued_count() -> int:
    """How many tasks wait in the queue for a worker."""
    if ON_RQ:
        import django_rq

        return int(django_rq.get_queue("default").count)
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().count()


def empty_the_queue() -> None:
    """Drop everything queued and every stored result, as if the queue had been purged.

    Run before every test on the shared Redis database; the database queue is emptied by
    the test's own rollback or flush, so only tests that simulate a purge need it there.
    """
    if ON_RQ:
        import django_rq

        django_rq.get_connection("default").flushdb()


def purge_the_queue() -> None:
    """Lose every queued task, on either queue (a test of what the periodic sweeps recover)."""
    if ON_RQ:
        empty_the_queue()
    else:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()
