"""The scheduler process: enqueues periodic tasks; one instance active at a time."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
import uuid
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import InterfaceError, OperationalError, close_old_connections

from wennuan.core.services import SCHEDULER_LEASE, release_lease, run_scheduler_tick


class Command(BaseCommand):
    help = "Enqueue periodic tasks on their schedule (only the lease holder enqueues)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"scheduler {holder} started")
        try:
            while self.running:
                close_old_connections()
                try:
                    enqueued = run_scheduler_tick(holder=holder)
                except (OperationalError, InterfaceError) as exc:
                    # The database is restarting or unreachable: keep trying each tick rather
                    # than exit (bench/faults.py --pg-down). The lease has lapsed meanwhile,
                    # so any scheduler may lead once the database is back.
                    self.stderr.write(f"database unreachable, retrying: {exc}".strip())
                    enqueued = []
                for name in enqueued:
                    self.stdout.write(f"enqueued {name}")
                if options["once"]:
                    break
                # Sleep in short steps so Ctrl-C stops the process at once.
                deadline = time.monotonic() + settings.SCHEDULER_TICK_SECONDS
                while self.running and time.monotonic() < deadline:
                    time.sleep(0.2)
        finally:
            with contextlib.suppress(OperationalError, InterfaceError):  # it expires anyway
                release_lease(name=SCHEDULER_LEASE, holder=holder)
            self.stdout.write("scheduler stopped")
