"""Emergency mode: one switch for the whole company (an epidemic lockdown, a cold wave).

Other parts read it — inspection rounds come more often while it is on. Issue #8 builds the
rest of emergency operation on it; the switch itself is here so that it is one row, one
history, whoever reads it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmergencyChange(models.Model):
    """One switch of emergency mode, on or off: the latest row is the current state."""

    on = models.BooleanField(_("emergency mode on"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("emergency mode change")
        verbose_name_plural = _("emergency mode changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M} {'on' if self.on else 'off'}"
