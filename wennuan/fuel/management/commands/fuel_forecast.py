"""Print a heat source's days of cover: the scenario comparison and the day-by-day forecast."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wennuan.fuel.forecast import Scenario, compare, parse_scenario
from wennuan.fuel.weather import forecast_age
from wennuan.grid.models import HeatSource


class Command(BaseCommand):
    help = (
        "Days of cover of one heat source's coal yard (or every one): stock, burn, run-out "
        "date, the reserve rule and what to order, as on the fuel page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", help="Heat-source code (default: every heat source).")
        parser.add_argument("--days", type=int, default=30, help="Days ahead to print (1-366).")
        parser.add_argument(
            "--scenario",
            default="",
            help="suspend=DAYS,cold=DEGREESxDAYS,efficiency=PERCENT (any of them), "
            "compared with the baseline.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["days"] <= 366:
            raise CommandError("--days must be between 1 and 366")
        try:
            custom = parse_scenario(options["scenario"]) if options["scenario"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        sources = HeatSource.objects.order_by("code")
        if options["source"]:
            sources = sources.filter(code=options["source"])
            if not sources.exists():
                raise CommandError(f"no heat source has the code {options['source']!r}")
        scenarios = [Scenario()] + ([custom] if custom else [])
        age = forecast_age()
        if age.updated_at is None:
            self.stdout.write("no weather forecast stored: the days ahead use normal temperatures")
        else:
            self.stdout.write(f"weather forecast updated {age.updated_at:%Y-%m-%d %H:%M}")
        if age.failing and age.last_attempt is not None:
            self.stdout.write(f"the last fetch failed: {age.last_attempt.error}")
        for source in sources:
            covers = compare(source, scenarios, horizon=options["days"])
            self._print(source, covers)

    def _print(self, source: HeatSource, covers: list[Any]) -> None:
        out = self.stdout
        base = covers[0]
        out.write(self.style.MIGRATE_HEADING(f"{source.code} {source.name}"))
        out.write(f"stock today {base.stock_t:,.1f} t; model {base.model_kind or 'none'}")
        if base.note:
            out.write(base.note)
        out.write(f"{'scenario':<62} {'burn t/d':>9} {'cover d':>8} {'run-out':>10}  reserve rule")
        for cover in covers:
            days = f"{cover.days_of_cover:.1f}" if cover.days_of_cover is not None else "366+"
            rule = (
                "met"
                if cover.meets_rule
                else f"below from {cover.below_rule_on}: "
                f"order {cover.order_t:,.0f} t by {cover.order_by}"
            )
            out.write(
                f"{cover.scenario.describe():<62} {cover.burn_per_day_t:>9.1f} {days:>8} "
                f"{cover.run_out.isoformat() if cover.run_out else '-':>10}  {rule}"
            )
        shown = covers[-1]
        out.write("")
        out.write(
            f"{'day':<10} {'°C':>6} {'':1} {'burn t':>9} {'in t':>9} {'stock t':>11}   "
            f"({shown.scenario.describe()})"
        )
        for day in shown.days:
            out.write(
                f"{day.day.isoformat():<10} {day.mean_c:>6.1f} "
                f"{'F' if day.from_forecast else 'N':1} "
                f"{day.burn_t:>9.1f} {day.delivered_t:>9.1f} {day.stock_t:>11.1f}"
            )
        out.write("(F: forecast temperature, N: normal)\n")
