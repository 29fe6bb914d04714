"""Choices of the notification outbox."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a notification reaches its recipient."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class NotificationStatus(models.TextChoices):
    """Where a notification is in the outbox.

    PENDING → SENT, or PENDING → FAILED once it has failed NOTIFY_MAX_ATTEMPTS times.
    A failed attempt below that limit leaves it PENDING with a later next attempt.
    """

    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Template(models.TextChoices):
    """What a notification says; the texts and their context keys are in ``messages.py``."""

    OTP_CODE = "otp_code", _("Verification code")
    REQUEST_RECEIVED = "request_received", _("Request received")
    REQUEST_ACCEPTED = "request_accepted", _("Request accepted")
    VISIT_SCHEDULED = "visit_scheduled", _("Visit scheduled")
    REQUEST_RESOLVED = "request_resolved", _("Request resolved")
    WORK_ASSIGNED = "work_assigned", _("Work assigned")
    WORK_ESCALATED = "work_escalated", _("Work escalated")
    ALARM_RAISED = "alarm_raised", _("Station alarm")
    INCIDENT_NOTICE = "incident_notice", _("Network incident notice")
    STOP_NOTICE = "stop_notice", _("Planned stop notice")
    HEAT_BACK = "heat_back", _("Heat back notice")
    COAL_LOW = "coal_low", _("Coal reserve below the rule")
    STAFF_NOT_FIT = "staff_not_fit", _("Staff member not fit")
    ROUND_HANDED_OVER = "round_handed_over", _("Inspection round handed over")
    CHECK_INS_MISSING = "check_ins_missing", _("Health check-ins missing")


class Language(models.TextChoices):
    """The languages a notification can be written in (the project's LANGUAGES)."""

    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class DeliveryOutcome(StrEnum):
    """What one delivery attempt did: returned by ``deliver_notification``, never stored."""

    SENT = "sent"
    RETRY = "retry"  # failed; still pending, with a later next attempt
    FAILED = "failed"  # failed for the last time (or cannot be rendered): given up
    SKIPPED = "skipped"  # not pending, not due yet, or being sent by another worker
