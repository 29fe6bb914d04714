"""Print the coverage audit; exit 1 when it finds gaps (useful in cron and CI)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wennuan.grid.selectors import coverage_audit
from wennuan.grid.services import record_coverage_report


class Command(BaseCommand):
    help = "List buildings and zones without an owner or deputy per duty, and overloaded owners."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-households", type=int, default=None)
        parser.add_argument("--save", action="store_true", help="Also store the report.")

    def handle(self, *args: Any, **options: Any) -> None:
        audit = coverage_audit(max_households=options["max_households"])
        self.stdout.write(
            f"{audit.zones} zones, {audit.buildings} buildings, {audit.households} households; "
            f"load limit {audit.max_households} households per owner"
        )
        for gap in audit.gaps:
            where = gap.zone.code if gap.zone else gap.building.code if gap.building else "?"
            self.stdout.write(
                f"GAP {gap.kind:<9} {gap.duty or '-':<20} {where:<10} {gap.households} households"
            )
        for over in audit.overloaded:
            self.stdout.write(
                f"OVERLOAD {over.staff.username} {over.zones} zones {over.households} households"
            )
        if options["save"]:
            record_coverage_report()
        if audit.ok:
            self.stdout.write(self.style.SUCCESS("No gaps."))
        else:
            self.stdout.write(
                self.style.ERROR(
                    f"{len(audit.gaps)} gaps, {len(audit.overloaded)} overloaded owners."
                )
            )
            raise SystemExit(1)
