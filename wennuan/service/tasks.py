"""Background tasks of service requests."""

from __future__ import annotations

from django_tasks import task

from wennuan.service.services import auto_close_resolved, sweep_sla


@task()
def sweep_sla_task() -> dict[str, int]:
    """Every minute: mark requests about to breach or breached, and escalate breaches."""
    return sweep_sla()


@task()
def auto_close_task() -> int:
    """Hourly: close resolved requests the resident has not answered."""
    return auto_close_resolved()


@task()
def correlate_incidents_task() -> dict[str, int]:
    """Every minute: open network incidents from complaint clusters and link new requests."""
    from wennuan.service.incidents import correlate_incidents

    return correlate_incidents()
