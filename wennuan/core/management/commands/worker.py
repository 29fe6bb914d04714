"""The task worker process, whichever queue is configured (TASKS_BACKEND).

One command for the Procfile, the systemd unit and the docs: with the database queue it runs
django-tasks-db's ``db_worker``; with the Redis queue it runs django-rq's ``rqworker`` with the
job class django-tasks-rq needs. Run as many as the load needs, on any machine.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import InterfaceError, OperationalError, close_old_connections

# Pause before taking up the database queue again after the database went away.
RETRY_SECONDS = 2


class Command(BaseCommand):
    help = "Run background tasks from the configured queue (database or Redis)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--burst",
            action="store_true",
            help="Run what is queued now, then exit (tests, one-off catch-up).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TASKS_BACKEND == "rq":
            rq_options: dict[str, Any] = {"job_class": "django_tasks_rq.Job"}
            if options["burst"]:
                rq_options["burst"] = True
            else:
                # Tasks enqueued with run_after wait in RQ's scheduled registry; one worker
                # at a time (RQ takes a lock in Redis) moves them to the queue when due.
                rq_options["with_scheduler"] = True
            call_command("rqworker", "default", **rq_options)
            return
        db_args = ["--queue-name", "default", "--interval", "1", "--no-reload"]
        if options["burst"]:
            db_args += ["--batch", "--no-startup-delay"]
            call_command("db_worker", *db_args)
            return
        while True:
            try:
                call_command("db_worker", *db_args)
                return
            except (OperationalError, InterfaceError) as exc:
                # db_worker exits when the database goes away (a restart, a failover); wait
                # and take up the queue again instead (bench/faults.py --pg-down). A task that
                # was running stays "running"; its periodic sweep does its work.
                self.stderr.write(f"database unreachable, retrying in {RETRY_SECONDS} s: {exc}")
                # Nothing runs while we wait: a stop signal may end the process at once.
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                close_old_connections()
                time.sleep(RETRY_SECONDS)
