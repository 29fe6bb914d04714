"""Background tasks of reports."""

from __future__ import annotations

from django_tasks import task


@task()
def morning_briefing_task() -> str | None:
    """Every morning: yesterday's briefing, once (the day of the briefing, as ISO text)."""
    from wennuan.reports.services import generate_morning_briefing

    briefing, _ = generate_morning_briefing()
    return briefing.day.isoformat() if briefing is not None else None
