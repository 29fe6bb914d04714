"""Import facilities: `manage.py import_facilities FILE.csv` (all-or-nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from wennuan.grid.importing import ImportFailed
from wennuan.inspections.importing import OPTIONAL, REQUIRED, import_facilities


class Command(BaseCommand):
    help = (
        f"Create or update inspected facilities from CSV (UTF-8 or GB18030) by code, all or "
        f"nothing. Columns: {', '.join(REQUIRED)}; optional {', '.join(OPTIONAL)}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(file)s: no such file") % {"file": path})
        try:
            result = import_facilities(path.read_bytes())
        except ImportFailed as failed:
            for error in failed.errors:
                self.stderr.write(f"{path.name}: {error}")
            raise CommandError(
                _("%(n)s problems; nothing was imported.") % {"n": len(failed.errors)}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(file)s (%(encoding)s): %(rows)s rows — %(created)s created, "
                    "%(updated)s updated, %(unchanged)s unchanged."
                )
                % {
                    "file": path.name,
                    "encoding": result.encoding,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                }
            )
        )
