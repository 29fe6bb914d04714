"""Background tasks of people."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django_tasks import task


@task()
def flag_missing_check_ins_task() -> dict[str, Any]:
    """Every morning at 10:00, in emergency mode: text supervisors who has not checked in."""
    from wennuan.people.services import flag_missing_check_ins

    return asdict(flag_missing_check_ins())
