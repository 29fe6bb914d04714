"""Shared infrastructure: the scheduler's lease and run log, and login throttling."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Lease(models.Model):
    """A named lease held by one process until it expires (e.g. the single active scheduler)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    holder = models.CharField(_("holder"), max_length=120)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")

    def __str__(self) -> str:
        return f"{self.name} → {self.holder}"


class ScheduledRun(models.Model):
    """When the scheduler last enqueued a periodic job, so a restart does not enqueue it twice."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued at"))

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")

    def __str__(self) -> str:
        return self.name


class FailedLogin(models.Model):
    """One failed login attempt; recent rows decide whether further attempts are refused."""

    username = models.CharField(_("user name"), max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")
        indexes = [models.Index(fields=["ip_address", "created_at"], name="failedlogin_ip_time")]

    def __str__(self) -> str:
        return f"{self.username} {self.created_at:%Y-%m-%d %H:%M}"
