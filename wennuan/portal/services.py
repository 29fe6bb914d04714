"""State changes of the resident portal: sending and checking one-time codes."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wennuan.core.validators import is_valid_phone, normalise_phone
from wennuan.grid.models import Household
from wennuan.notify.choices import Channel, Template
from wennuan.notify.services import queue_notification
from wennuan.portal.models import VerificationCode


class PortalError(Exception):
    """A resident-facing refusal tied to one form field; nothing was changed."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def start_verification(*, account_number: str, phone: str) -> VerificationCode:
    """Check that the phone is registered for the account, then text a six-digit code.

    The code is stored hashed. At most OTP_MAX_PER_HOUR codes per household an hour,
    so the form cannot be used to flood a resident's phone.
    """
    account = account_number.strip().upper()
    number = normalise_phone(phone)
    if not account:
        raise PortalError("account_number", _("Enter your account number (户号)."))
    if not is_valid_phone(number):
        raise PortalError("phone", _("Enter the phone number you registered with us."))
    household = Household.objects.filter(account_number=account).first()
    if household is None:
        raise PortalError(
            "account_number",
            _("We have no account %(account)s. It is printed on your heating bill.")
            % {"account": account},
        )
    if number not in {household.phone, household.alt_phone}:
        raise PortalError(
            "phone",
            _("This phone is not registered for this account. Call the hotline to update it."),
        )
    hour_ago = timezone.now() - timedelta(hours=1)
    if (
        VerificationCode.objects.filter(household=household, created_at__gte=hour_ago).count()
        >= settings.OTP_MAX_PER_HOUR
    ):
        raise PortalError("phone", _("Too many codes requested. Try again in an hour."))
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        verification = VerificationCode.objects.create(
            household=household,
            phone=number,
            code_hash=make_password(code),
            expires_at=timezone.now() + timedelta(minutes=settings.OTP_TTL_MINUTES),
        )
        queue_notification(
            channel=Channel.SMS,
            recipient=number,
            template=Template.OTP_CODE,
            context={"code": code, "minutes": settings.OTP_TTL_MINUTES},
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
    return verification


def check_code(*, verification_id: int, code: str) -> Household:
    """Accept the code once, before it expires, within the attempt limit; return the household."""
    with transaction.atomic():
        verification = (
            VerificationCode.objects.select_for_update()
            .select_related("household")
            .filter(pk=verification_id)
            .first()
        )
        if verification is None or verification.used_at is not None:
            raise PortalError("code", _("This code has been used. Ask for a new one."))
        if verification.expires_at <= timezone.now():
            raise PortalError("code", _("The code has expired. Ask for a new one."))
        if verification.attempts >= settings.OTP_MAX_ATTEMPTS:
            raise PortalError("code", _("Too many wrong codes. Ask for a new one."))
        if check_password(code.strip(), verification.code_hash):
            verification.used_at = timezone.now()
            verification.save(update_fields=["used_at"])
            return verification.household
        # The failed attempt must be committed before refusing, or the limit never bites.
        verification.attempts += 1
        verification.save(update_fields=["attempts"])
        left = settings.OTP_MAX_ATTEMPTS - verification.attempts
    raise PortalError("code", _("The code is wrong. %(left)s tries left.") % {"left": left})
