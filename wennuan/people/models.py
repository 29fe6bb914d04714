"""Staff of the heating company and of partner communities."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from wennuan.people.choices import (
    CITYWIDE_ROLES,
    DISPATCH_ROLES,
    MANAGING_ROLES,
    ZONE_ROLES,
    CheckInStatus,
    HealthStatus,
    Role,
    Symptom,
    TwoFactorEventKind,
)

# The range a body temperature is believed in: outside it the thermometer (or the typing) is
# wrong. 37.3 °C is the fever line of China's screening rules (体温≥37.3℃ 不得上岗).
TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")
FEVER_C = Decimal("37.3")


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
    health_status = models.CharField(
        _("health status"),
        max_length=12,
        choices=HealthStatus.choices,
        default=HealthStatus.FIT,
        help_text=_("Only fit staff are sent work; the daily health check-in updates this."),
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
    # Mixed into the session hash: raising it ends every session of the user (the one making
    # the change keeps its own with update_session_auth_hash) without scanning the session table.
    session_epoch = models.PositiveIntegerField(_("session epoch"), default=0, editable=False)

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

    def get_session_auth_hash(self) -> str:
        """Django's HMAC of the password hash, with the session epoch mixed in once it is above
        0. At 0 it is exactly Django's own, so sessions made before the epoch existed stay valid.
        """
        if not self.session_epoch:
            return super().get_session_auth_hash()
        return self._epoch_session_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        """The same hash under each of ``SECRET_KEY_FALLBACKS``: a key rotation keeps sessions."""
        if not self.session_epoch:
            yield from super().get_session_auth_fallback_hash()
            return
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._epoch_session_hash(secret=secret)

    def _epoch_session_hash(self, *, secret: str | bytes | None) -> str:
        # A salt of our own, so no epoch's hash can ever equal Django's plain one.
        return salted_hmac(
            "wennuan.people.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

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

    @property
    def can_dispatch(self) -> bool:
        """Whether this user makes dispatch decisions: reassigning and handing over work, the
        dispatch board's bulk actions, planned stops, network incidents, giving a round."""
        return self.is_superuser or self.role in DISPATCH_ROLES


class Shift(models.Model):
    """One entry of the duty roster: a person on duty from ``starts_at`` to ``ends_at``.

    ``leads_dispatch`` marks the dispatcher on duty, who receives work nobody in a
    zone can take and escalations nobody else answers.
    """

    staff = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="shifts"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    leads_dispatch = models.BooleanField(_("dispatcher on duty"), default=False)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("duty roster")
        ordering = ["starts_at", "staff"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="shift_window")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.starts_at:%m-%d %H:%M}–{self.ends_at:%H:%M}"


class Leave(models.Model):
    """A period a staff member is away (leave, training, sick leave): no work is sent."""

    staff = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="leaves"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leave")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.staff} {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"


class CheckInQuerySet(models.QuerySet["HealthCheckIn"]):
    def for_user(self, user: Any) -> CheckInQuerySet:
        """Managers see everyone's check-ins; anyone else their own and their direct reports'."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.can_manage:
            return self
        return self.filter(models.Q(staff=user) | models.Q(staff__supervisor=user))


class HealthCheckIn(models.Model):
    """One daily health check-in: append-only, the latest of a day is the one that counts.

    It is also the event row of the staff member's health: ``health_before`` → ``health_after``
    (what dispatch reads), who recorded it, and how much open work it handed over.
    """

    staff = models.ForeignKey(
        User,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="health_check_ins",
    )
    day = models.DateField(_("day"), help_text=_("The local date the check-in is for."))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    symptoms_note = models.CharField(_("other symptoms"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=CheckInStatus.choices)
    health_before = models.CharField(
        _("health before"), max_length=12, choices=HealthStatus.choices
    )
    health_after = models.CharField(_("health after"), max_length=12, choices=HealthStatus.choices)
    requests_handed_over = models.PositiveIntegerField(_("requests handed over"), default=0)
    rounds_handed_over = models.PositiveIntegerField(_("rounds handed over"), default=0)
    work_waiting = models.PositiveIntegerField(
        _("work nobody could take"),
        default=0,
        help_text=_("Open requests left with the person because nobody was available."),
    )
    recorded_by = models.ForeignKey(
        User,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        verbose_name = _("health check-in")
        verbose_name_plural = _("health check-ins")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["day", "staff"], name="check_in_day_staff")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(temperature__gte=TEMPERATURE_MIN)
                & models.Q(temperature__lte=TEMPERATURE_MAX),
                name="check_in_temperature_range",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CheckInStatus.values), name="check_in_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.day} {self.status} {self.temperature}"

    @property
    def has_fever(self) -> bool:
        """At or above the fever line."""
        return Decimal(self.temperature) >= FEVER_C

    @property
    def symptom_labels(self) -> list[str]:
        """The symptoms in words, then the note."""
        labels = [str(Symptom(code).label) for code in self.symptoms if code in Symptom.values]
        return [*labels, self.symptoms_note] if self.symptoms_note else labels


class TwoFactorDevice(models.Model):
    """A staff member's authenticator app (TOTP, RFC 6238): the shared secret (encrypted),
    when the enrolment was confirmed with a first code, and the last 30-second step a code was
    accepted for (a code of that step or an earlier one is refused: no replay)."""

    user = models.OneToOneField(
        User,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="two_factor_device",
    )
    # The base32 secret as a Fernet token (TWO_FACTOR_ENCRYPTION_KEY): checking codes needs the
    # secret itself, so it cannot be hashed, but a copy of the database or a backup alone must
    # not yield it. Read it only through ``two_factor.device_secret``.
    encrypted_secret = models.CharField(_("encrypted secret"), max_length=255)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    last_used_step = models.BigIntegerField(_("last used time step"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return f"{self.user} ({'on' if self.confirmed_at else 'pending'})"


class RecoveryCode(models.Model):
    """One single-use recovery code of a device, stored as a salted SHA-256 (the codes carry
    50 random bits, so a slow password hash would only slow down logins)."""

    device = models.ForeignKey(
        TwoFactorDevice,
        verbose_name=_("two-factor device"),
        on_delete=models.CASCADE,
        related_name="recovery_codes",
    )
    code_hash = models.CharField(_("code hash"), max_length=128)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.device.user} {'used' if self.used_at else 'unused'}"


class TwoFactorEvent(models.Model):
    """Append-only record of two-factor changes of an account (enrolled, recovery code used,
    new recovery codes, switched off), for the user's page and for audits."""

    user = models.ForeignKey(
        User,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="two_factor_events",
    )
    kind = models.CharField(_("event"), max_length=20, choices=TwoFactorEventKind.choices)
    actor = models.ForeignKey(
        User,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who made the change when it was not the staff member (an administrator)."),
    )
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("two-factor event")
        verbose_name_plural = _("two-factor events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"
