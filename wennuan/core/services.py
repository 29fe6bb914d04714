"""State changes of shared infrastructure: leases and login throttling."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from wennuan.core.models import FailedLogin, Lease, ScheduledRun


def acquire_lease(*, name: str, holder: str, seconds: int) -> bool:
    """Take or renew the named lease for ``holder``; False while someone else holds it.

    One conditional UPDATE decides, so two processes racing for an expired lease
    cannot both win: the database serialises the writes and only one row matches.
    """
    now = timezone.now()
    expires_at = now + timedelta(seconds=seconds)
    with transaction.atomic():
        taken = Lease.objects.filter(Q(holder=holder) | Q(expires_at__lte=now), name=name).update(
            holder=holder, expires_at=expires_at
        )
        if taken:
            return True
        if Lease.objects.filter(name=name).exists():
            return False
        try:
            with transaction.atomic():
                Lease.objects.create(name=name, holder=holder, expires_at=expires_at)
        except IntegrityError:
            return False  # another process created it first
        return True


def release_lease(*, name: str, holder: str) -> None:
    """Give the lease up at once (on shutdown) so a standby can take over without waiting."""
    Lease.objects.filter(name=name, holder=holder).delete()


def login_is_locked(*, username: str, ip_address: str | None) -> bool:
    """Whether too many recent failures for this user name or address forbid another try."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    recent = FailedLogin.objects.filter(created_at__gte=since)
    limit = settings.LOGIN_FAILURE_LIMIT
    if username and recent.filter(username__iexact=username).count() >= limit:
        return True
    # An address gets more room than a name: a company office shares one NAT address.
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= limit * 4


def record_failed_login(*, username: str, ip_address: str | None) -> None:
    """Remember a failed attempt for throttling."""
    FailedLogin.objects.create(username=username[:150], ip_address=ip_address)


def clear_failed_logins(*, username: str) -> None:
    """Forget a user's failures after a successful login."""
    FailedLogin.objects.filter(username__iexact=username).delete()


def prune_failed_logins() -> int:
    """Delete attempts older than the throttling window; returns how many."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    deleted, _ = FailedLogin.objects.filter(created_at__lt=since).delete()
    return deleted


SCHEDULER_LEASE = "scheduler"


def run_scheduler_tick(*, holder: str, now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job that is due, if ``holder`` holds the scheduler lease.

    Returns the names of the jobs enqueued. A process without the lease does nothing,
    so any number of schedulers may run and exactly one enqueues.
    """
    from wennuan.core.schedule import SCHEDULE

    now = now or timezone.now()
    if not acquire_lease(
        name=SCHEDULER_LEASE, holder=holder, seconds=settings.SCHEDULER_LEASE_SECONDS
    ):
        return []
    enqueued: list[str] = []
    last_runs = dict(ScheduledRun.objects.values_list("name", "last_enqueued_at"))
    for job in SCHEDULE:
        previous = last_runs.get(job.name)
        if not job.is_due(now=now, last_enqueued_at=previous):
            continue
        # Each job's period is claimed on its own with a compare-and-set, and enqueued only
        # after that claim commits: even two schedulers that both believe they hold the
        # lease (one paused past its expiry) cannot enqueue the same period twice.
        with transaction.atomic():
            if _claim_period(name=job.name, previous=previous, now=now):
                # robust: with the queue (Redis) down the claim stands and the error is logged;
                # that one period is skipped, the job's next period runs (docs/reliability.md).
                transaction.on_commit(job.task.enqueue, robust=True)
                enqueued.append(job.name)
    return enqueued


def _claim_period(*, name: str, previous: datetime | None, now: datetime) -> bool:
    """Move a job's last run from ``previous`` to ``now``; False if another scheduler did first."""
    if previous is not None:
        return bool(
            ScheduledRun.objects.filter(name=name, last_enqueued_at=previous).update(
                last_enqueued_at=now
            )
        )
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(name=name, last_enqueued_at=now)
    except IntegrityError:
        return False
    return True
