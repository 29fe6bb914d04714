"""Delete raw readings older than TELEMETRY_KEEP_DAYS (hourly roll-ups are kept)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from wennuan.operations.services import prune_raw_readings, roll_up_hours


class Command(BaseCommand):
    help = "Roll up, then delete raw station and heat-source readings older than N days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=settings.TELEMETRY_KEEP_DAYS)

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        # Make sure the hours about to lose their raw rows are rolled up first.
        roll_up_hours(since=timezone.now() - timedelta(days=days + 2))
        deleted = prune_raw_readings(older_than_days=days)
        self.stdout.write(f"deleted {deleted} readings older than {days} days")
