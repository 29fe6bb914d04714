"""Staff of the heating company and of partner communities."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from wennuan.people.choices import CITYWIDE_ROLES, MANAGING_ROLES, ZONE_ROLES, Role


class User(AbstractUser):
    """A person who logs in: company staff with a role, or a partner community's worker.

    Chinese names are one string, so ``full_name`` replaces first and last name.
    """

    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.TECHNICIAN)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    is_party_member = models.BooleanField(_("Party member"), default=False)
    vanguard_post = models.CharField(
        _("vanguard post"),
        max_length=64,
        blank=True,
        help_text=_("Name of the Party-member vanguard post (党员先锋岗) this person holds."),
    )
    supervisor = models.ForeignKey(
        "self",
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    community = models.ForeignKey(
        "grid.Community",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workers",
        help_text=_("For community workers: the community they file for."),
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name people see: the full name, else the login name."""
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.display_name

    @property
    def sees_whole_city(self) -> bool:
        """Whether this user's scope is every household (dispatch, hotline, management)."""
        return self.is_superuser or self.role in CITYWIDE_ROLES

    @property
    def is_zone_scoped(self) -> bool:
        """Whether this user sees only the zones they hold a duty in."""
        return not self.is_superuser and self.role in ZONE_ROLES

    @property
    def can_manage(self) -> bool:
        """Whether this user may import and edit master data."""
        return self.is_superuser or self.role in MANAGING_ROLES
