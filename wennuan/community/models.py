"""Partner communities (双报到): communities the company formally works with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerCommunity(models.Model):
    """A community that is a partner of the company, its liaison, and the zones serving it."""

    community = models.OneToOneField(
        "grid.Community",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="partnership",
    )
    since = models.DateField(_("partner since"))
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison"),
        on_delete=models.PROTECT,
        related_name="liaison_for",
        help_text=_("The company staff member who reports in to this community."),
    )
    zones = models.ManyToManyField(
        "grid.Zone", verbose_name=_("serving zones"), related_name="partner_communities", blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("partner community")
        verbose_name_plural = _("partner communities")
        ordering = ["community__code"]

    def __str__(self) -> str:
        return str(self.community)
