"""State changes of the heating grid: imports and stored coverage reports."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from wennuan.grid.importing import PLANNERS, ImportResult, decode, read_rows
from wennuan.grid.models import CoverageReport, ImportRun
from wennuan.grid.selectors import coverage_audit


def import_grid(*, kind: str, data: bytes, file_name: str, user: Any = None) -> ImportResult:
    """Import one CSV file of ``kind`` all-or-nothing, upserting by natural key.

    Validates every row first and raises ``ImportFailed`` listing each bad row; only a
    clean file is written, in one transaction, with an ImportRun row as its record.
    """
    if kind not in PLANNERS:
        raise ValueError(f"unknown import kind {kind!r}")
    text, encoding = decode(data)
    rows = read_rows(kind, text)
    with transaction.atomic():
        # Planning reads inside the transaction so that the checks and the writes see
        # the same data (IMMEDIATE on SQLite, and unique keys on PostgreSQL, back this).
        plan = PLANNERS[kind](rows)
        plan.apply()
        ImportRun.objects.create(
            kind=kind,
            file_name=file_name[:200],
            encoding=encoding,
            rows=plan.rows,
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
            user=user if getattr(user, "pk", None) else None,
        )
    return ImportResult(
        kind=kind,
        encoding=encoding,
        rows=plan.rows,
        created=plan.created,
        updated=plan.updated,
        unchanged=plan.unchanged,
    )


def record_coverage_report() -> CoverageReport:
    """Run the coverage audit and store its digest (the nightly task calls this)."""
    audit = coverage_audit()
    return CoverageReport.objects.create(
        gap_count=len(audit.gaps), overloaded_count=len(audit.overloaded), summary=audit.summary()
    )
