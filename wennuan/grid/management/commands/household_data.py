"""A household's personal data on request: export it as JSON, or erase (anonymise) it."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wennuan.grid.models import Household


class Command(BaseCommand):
    help = (
        "Export everything held about a household as JSON (--export), or anonymise its "
        "personal data (--erase, with --reason). A household is named by its id or account "
        "number. Both are recorded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--export", metavar="ID", help="Household id or account number.")
        what.add_argument("--erase", metavar="ID", help="Household id or account number.")
        parser.add_argument("--reason", default="", help="Why the data is erased (required).")
        parser.add_argument(
            "--output", "-o", default="-", help="Where the export goes (default: standard out)."
        )
        parser.add_argument(
            "--by", default="", help="Login of the manager acting (recorded; optional)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from wennuan.grid.privacy import (
            ErasureRefused,
            erase_household_personal_data,
            export_household_data,
            export_json,
        )
        from wennuan.people.models import User

        by = None
        if options["by"]:
            by = User.objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise CommandError(f"No active staff member with the login {options['by']!r}.")
        household = self._household(options["export"] or options["erase"])
        label = "" if by else "command line"
        if options["export"]:
            data = export_json(export_household_data(household, by=by, by_label=label))
            if options["output"] == "-":
                sys.stdout.buffer.write(data + b"\n")
            else:
                with open(options["output"], "wb") as out:
                    out.write(data)
                self.stderr.write(f"Exported {household.account_number} to {options['output']}.")
            return
        try:
            done = erase_household_personal_data(
                household, by=by, reason=options["reason"], by_label=label
            )
        except ErasureRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(
            self.style.SUCCESS(
                f"Personal data of {household.account_number} erased "
                f"(record {done.pk}, {done.at:%Y-%m-%d %H:%M}): {done.summary}"
            )
        )

    def _household(self, value: str) -> Household:
        """By account number first (the number the resident quotes), else by id."""
        value = value.strip()
        households = Household.objects.select_related("building")
        found = households.filter(account_number=value).first()
        if found is None and value.isdigit():
            found = households.filter(pk=int(value)).first()
        if found is None:
            raise CommandError(f"No household with the account number or id {value!r}.")
        return found
