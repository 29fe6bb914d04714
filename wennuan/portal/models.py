"""The resident portal's one table: one-time codes that prove a resident holds the phone."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationCode(models.Model):
    """A code sent by SMS to a household's registered phone; only its hash is stored."""

    household = models.ForeignKey(
        "grid.Household",
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="verification_codes",
    )
    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    code_hash = models.CharField(_("code hash"), max_length=128)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"
