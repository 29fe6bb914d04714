"""Background tasks of the heating grid."""

from __future__ import annotations

from django_tasks import task

from wennuan.grid.services import record_coverage_report


@task()
def run_coverage_audit() -> int:
    """Nightly: audit zone coverage and store the report; returns the number of gaps."""
    return record_coverage_report().gap_count
