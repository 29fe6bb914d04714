"""Import telemetry history from CSV, all or nothing (every bad row listed with its line)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from wennuan.operations.services import import_history


class Command(BaseCommand):
    help = (
        "Import readings from a CSV file with a header row: time and one of station, source "
        "or place, then value columns (see docs/operations.md). Stores nothing if any row is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = [
                    {k: v for k, v in row.items() if k and v not in (None, "")}
                    for row in csv.DictReader(handle)
                ]
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        with tqdm(total=len(rows), unit="rows", disable=options["verbosity"] < 1) as bar:
            result = import_history(rows, progress=lambda done: bar.update(done - bar.n))
        if result.rejected:
            for rejected in result.rejected:
                # Line numbers count the header as line 1.
                self.stderr.write(f"{path}:{rejected.index + 2}: {rejected.reason}")
            raise CommandError(
                f"{len(result.rejected)} bad rows; nothing was imported from {path}."
            )
        self.stdout.write(
            f"{path}: {result.received} rows, {result.stored} stored, "
            f"{result.duplicates} already there."
        )
