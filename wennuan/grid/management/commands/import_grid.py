"""Import a CSV file: `manage.py import_grid households FILE.csv` (all-or-nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wennuan.grid.choices import ImportKind
from wennuan.grid.importing import ImportFailed
from wennuan.grid.services import import_grid


class Command(BaseCommand):
    help = "Import buildings, households, staff or zone assignments from CSV (UTF-8 or GB18030)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            result = import_grid(kind=options["kind"], data=path.read_bytes(), file_name=path.name)
        except ImportFailed as failed:
            for error in failed.errors:
                self.stderr.write(f"{path.name}: {error}")
            raise CommandError(f"{len(failed.errors)} problems; nothing was imported.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name} ({result.encoding}): {result.rows} rows — {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged."
            )
        )
