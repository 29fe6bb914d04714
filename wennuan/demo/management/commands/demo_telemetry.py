"""A heating season of station telemetry (and requests) for the demo city, at any size:
`manage.py demo_telemetry --days 150`."""

from __future__ import annotations

import resource
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from wennuan.demo.season import build_season_hours, build_season_requests, season_start
from wennuan.demo.telemetry import build_demo_telemetry
from wennuan.grid.models import Household, Station
from wennuan.operations.partitions import ensure_partitions


class Command(BaseCommand):
    help = (
        "Load a season of station telemetry for the demo city: hourly roll-ups of every "
        "station for --days days, raw readings for the last --raw-days, and the season's "
        "service requests. Set-based (COPY on PostgreSQL, executemany on SQLite)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=150, help="Length of the season.")
        parser.add_argument(
            "--raw-days",
            type=int,
            default=3,
            help="Raw readings (one an hour) for this many last days; the charts read them.",
        )
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument(
            "--requests",
            type=int,
            default=None,
            help="Service requests over the season (default: one per 30 households).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days, raw_days = options["days"], options["raw_days"]
        if days < 1 or raw_days < 0 or raw_days > days:
            raise CommandError("Give --days ≥ 1 and 0 ≤ --raw-days ≤ --days.")
        stations = Station.objects.count()
        if not stations:
            raise CommandError("No stations: build the demo city first (manage.py demo_city).")
        households = Household.objects.count()
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        start = season_start(days, now=now)
        raw_start = now - timedelta(days=raw_days)
        quiet = options["verbosity"] == 0
        hours_total = int((raw_start - start).total_seconds() // 3600) * stations
        bar = tqdm(total=hours_total, unit="rows", desc="station hours", disable=quiet)

        def progress(_step: str, n: int) -> None:
            bar.update(n)

        started = time.monotonic()
        ensure_partitions(start, now)
        with transaction.atomic():
            hours = build_season_hours(
                start=start, until=raw_start, seed=options["seed"], progress=progress
            )
        bar.close()
        hours_s = time.monotonic() - started
        self.stdout.write(
            f"Station hours: {hours:,} rows ({stations:,} stations, {start:%Y-%m-%d} to "
            f"{raw_start:%Y-%m-%d %H:%M}) in {hours_s:.1f} s"
        )
        readings = 0
        if raw_days:
            started = time.monotonic()
            readings = build_demo_telemetry(days=raw_days, seed=options["seed"], now=now)
            self.stdout.write(
                f"Raw readings: {readings:,} for the last {raw_days} days (rolled up too) "
                f"in {time.monotonic() - started:.1f} s"
            )
        count = households // 30 if options["requests"] is None else options["requests"]
        started = time.monotonic()
        bar = tqdm(total=count, unit="req", desc="requests", disable=quiet)
        filed = build_season_requests(
            count=count, start=start, seed=options["seed"], now=now, progress=progress
        )
        bar.close()
        self.stdout.write(f"Service requests: {filed:,} in {time.monotonic() - started:.1f} s")
        if connection.vendor == "postgresql":
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.stdout.write(f"ANALYZE in {time.monotonic() - started:.1f} s")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(self.style.SUCCESS(f"Done; peak memory {peak:.0f} MB."))
