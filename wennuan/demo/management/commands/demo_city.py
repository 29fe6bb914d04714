"""Build the demo city: `manage.py demo_city --households 20000 --seed 2020`."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from wennuan.demo.emergency import build_demo_sites
from wennuan.demo.fuel import build_demo_fuel
from wennuan.demo.inspections import build_demo_inspections
from wennuan.demo.services import build_demo_city, city_exists, clear_city
from wennuan.demo.telemetry import build_demo_telemetry


class Command(BaseCommand):
    help = "Build a realistic, deterministic Yantai demo city with staff, zones and households."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--households", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument(
            "--telemetry-days",
            type=int,
            default=21,
            help="Hourly station telemetry for this many past days, with one fault (0: none).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has households.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the existing city (grid and staff) first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        households: int = options["households"]
        if households < 100:
            raise CommandError("--households must be at least 100")
        if city_exists():
            if options["if_empty"]:
                self.stdout.write("The database already has a city; demo not rebuilt.")
                self._top_up(options["seed"])
                return
            if not options["replace"]:
                raise CommandError(
                    "The database already has households; add --replace to rebuild it."
                )
            self.stdout.write("Deleting the existing city …")
            clear_city()
        started = time.monotonic()
        bar = tqdm(total=households, unit="hh", desc="demo city", disable=options["verbosity"] == 0)

        def progress(step: str, n: int) -> None:
            bar.set_postfix_str(step)
            bar.update(n)

        stats = build_demo_city(households=households, seed=options["seed"], progress=progress)
        bar.close()
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{name} {count:,}" for name, count in stats.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo city built in {elapsed:.1f} s: {summary}"))
        telemetry_since = None
        if options["telemetry_days"] > 0:
            started = time.monotonic()
            readings = build_demo_telemetry(days=options["telemetry_days"], seed=options["seed"])
            self.stdout.write(
                f"Demo telemetry: {readings:,} station readings over "
                f"{options['telemetry_days']} days in {time.monotonic() - started:.1f} s"
            )
            # The first whole day of telemetry: the books take it from there.
            telemetry_since = timezone.localdate() - timedelta(days=options["telemetry_days"] - 1)
        started = time.monotonic()
        fuel = build_demo_fuel(seed=options["seed"], telemetry_since=telemetry_since)
        summary = ", ".join(f"{name} {count:,}" for name, count in fuel.items())
        self.stdout.write(f"Demo coal yards in {time.monotonic() - started:.1f} s: {summary}")
        started = time.monotonic()
        rounds = build_demo_inspections(seed=options["seed"])
        summary = ", ".join(f"{name} {count:,}" for name, count in rounds.items())
        self.stdout.write(f"Demo inspections in {time.monotonic() - started:.1f} s: {summary}")
        self.stdout.write(f"Demo disinfection sites: {build_demo_sites()}")

    def _top_up(self, seed: int) -> None:
        """A city built by an older version gains the demo parts added since (coal yards,
        inspections, disinfection sites), so `make run` on an old database shows them too."""
        from wennuan.emergency.models import DisinfectionSite
        from wennuan.fuel.models import CoalEntry
        from wennuan.inspections.models import Facility

        if not CoalEntry.objects.exists():
            fuel = build_demo_fuel(seed=seed)
            self.stdout.write(f"Demo coal yards added: {fuel}")
        if not Facility.objects.exists():
            self.stdout.write(f"Demo inspections added: {build_demo_inspections(seed=seed)}")
        if not DisinfectionSite.objects.exists():
            self.stdout.write(f"Demo disinfection sites added: {build_demo_sites()}")
