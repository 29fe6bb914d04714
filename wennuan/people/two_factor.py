"""Two-factor login of staff (TOTP, RFC 6238, as Google/Microsoft Authenticator and most other
authenticator apps speak it) and single-use recovery codes: every state change of it lives here.

A code is six digits for one 30-second time step. ``verify`` accepts the step before and after
the current one (phones' clocks drift) and remembers the step it accepted, so the same code, or
an older one, is refused afterwards: an intercepted code cannot be replayed.

The secret is stored encrypted (Fernet: AES-128-CBC with an HMAC-SHA256) under
``TWO_FACTOR_ENCRYPTION_KEY``, or a key derived from ``SECRET_KEY`` when that is empty; the
keys in ``TWO_FACTOR_ENCRYPTION_OLD_KEYS`` still decrypt, so the key can be rotated
(``reencrypt_secrets``). Every change that makes the account safer or weaker (on, off, new
recovery codes, an administrator's reset) raises the user's ``session_epoch``, which ends all
their other sessions; the view that made the change keeps its own session with
``update_session_auth_hash``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from wennuan.people.choices import TwoFactorEventKind
from wennuan.people.models import RecoveryCode, TwoFactorDevice, TwoFactorEvent, User

logger = logging.getLogger("wennuan.security")

ISSUER = "Wennuan 问暖"
STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone whose clock is up to ~30 s off still works.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without look-alikes (0/o, 1/l/i): easy to read off paper.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_CODE_LENGTH = 10  # 10 × log2(31) ≈ 50 random bits
# A label of its own, so the key derived from SECRET_KEY is used for nothing else.
DERIVED_KEY_INFO = b"wennuan.people.two_factor: TOTP secret encryption key"
# What a secret stored before encryption looks like (pyotp's base32); a Fernet token never does.
PLAINTEXT_SECRET = re.compile(r"[A-Z2-7]+=*")


class TwoFactorError(Exception):
    """A two-factor change that was refused; the message says why. Nothing was changed."""


class WrongPasswordError(TwoFactorError):
    """The password given to confirm a change was not the user's: a failed login."""


def derived_key(secret_key: str | bytes) -> bytes:
    """The Fernet key derived from a Django ``SECRET_KEY`` (HKDF-SHA256 with a fixed label)."""
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVED_KEY_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(raw))


def _fernet_of(setting: str, key: str | bytes) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"{setting} must hold Fernet keys: 32 bytes in URL-safe base64, 44 characters "
            '(python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())").'
        ) from exc


def _keys() -> list[Fernet]:
    """The keys of the TOTP secrets: the first encrypts, every one decrypts.

    In order: ``TWO_FACTOR_ENCRYPTION_KEY`` (or, when empty, the key derived from
    ``SECRET_KEY``), then ``TWO_FACTOR_ENCRYPTION_OLD_KEYS``, then the keys derived from
    ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``, so that secrets encrypted before a key was set
    or before the SECRET_KEY changed still decrypt. Raises ImproperlyConfigured for a malformed
    key.
    """
    derived = [
        Fernet(derived_key(secret))
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    ]
    explicit = settings.TWO_FACTOR_ENCRYPTION_KEY
    primary = _fernet_of("TWO_FACTOR_ENCRYPTION_KEY", explicit) if explicit else derived[0]
    old = [
        _fernet_of("TWO_FACTOR_ENCRYPTION_OLD_KEYS", key)
        for key in settings.TWO_FACTOR_ENCRYPTION_OLD_KEYS
    ]
    return [primary, *old, *derived]


def secret_box() -> MultiFernet:
    """Every configured key of the TOTP secrets (see ``_keys``), the first encrypting."""
    return MultiFernet(_keys())


def is_plaintext_secret(stored: str) -> bool:
    """Whether a stored secret is still the readable base32 of before encryption."""
    return PLAINTEXT_SECRET.fullmatch(stored) is not None


def encrypt_secret(secret: str) -> str:
    """A base32 TOTP secret as the token stored in ``TwoFactorDevice.encrypted_secret``."""
    return secret_box().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    """The base32 secret of a stored token. A token no configured key opens stops the request
    with ImproperlyConfigured: a key was dropped too early, and guessing cannot help."""
    try:
        return secret_box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A two-factor secret cannot be decrypted: the key it was encrypted with is neither "
            "TWO_FACTOR_ENCRYPTION_KEY nor in TWO_FACTOR_ENCRYPTION_OLD_KEYS."
        ) from None


def device_secret(device: TwoFactorDevice) -> str:
    """The device's base32 secret, in clear: the one way code reads it."""
    return decrypt_secret(device.encrypted_secret)


def reencrypt_secrets() -> int:
    """Encrypt every stored secret with the current first key, after the key changed, so the
    old keys can be dropped. Returns how many secrets were re-encrypted."""
    keys = _keys()
    current, box = keys[0], MultiFernet(keys)
    with transaction.atomic():
        devices = list(TwoFactorDevice.objects.select_for_update().only("pk", "encrypted_secret"))
        stale = []
        for device in devices:
            try:
                current.decrypt(device.encrypted_secret.encode())
            except InvalidToken:
                device.encrypted_secret = box.rotate(device.encrypted_secret.encode()).decode()
                stale.append(device)
        TwoFactorDevice.objects.bulk_update(stale, ["encrypted_secret"], batch_size=500)
    return len(stale)


def _end_other_sessions(user: User) -> None:
    """Raise the user's session epoch: every session logged in before now stops working.

    An update in the database (not ``save``), so two changes racing both count; the in-memory
    user gets the new value so the view can re-sign its own session with it.
    """
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def offers_two_factor(user: object) -> bool:
    """Whether this account may use two-factor login: every staff login does.

    Residents never have an account (the portal checks them by an SMS code), so every active
    ``User`` is staff of the company or of a partner community.
    """
    return isinstance(user, User) and user.is_active


def requires_two_factor(user: User) -> bool:
    """Whether ``TWO_FACTOR_REQUIRED_ROLES`` obliges this user to enrol."""
    return offers_two_factor(user) and user.role in settings.TWO_FACTOR_REQUIRED_ROLES


def confirmed_device(user: User) -> TwoFactorDevice | None:
    """The user's confirmed device, or None when two-factor login is off for them."""
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def has_confirmed_device(user: User) -> bool:
    """Whether logging in as this user needs a code after the password."""
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def pending_device(user: User) -> TwoFactorDevice | None:
    """The device of an enrolment begun but not yet confirmed with a first code."""
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=True).first()


def provisioning_uri(device: TwoFactorDevice) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    totp = pyotp.TOTP(device_secret(device), digits=DIGITS, interval=STEP_SECONDS)
    return totp.provisioning_uri(name=device.user.username, issuer_name=ISSUER)


def qr_svg(device: TwoFactorDevice) -> str:
    """The provisioning URI as an inline SVG QR code (no script, no external image)."""
    qr = segno.make(provisioning_uri(device), error="m")
    return str(qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", title=ISSUER))


def _step(now: datetime | None) -> int:
    moment = timezone.now() if now is None else now
    return int(moment.timestamp()) // STEP_SECONDS


def _normalise_totp(code: str) -> str:
    return "".join(code.split())


def _matching_step(device: TwoFactorDevice, code: str, now: datetime | None) -> int | None:
    """The step within the drift window whose code is ``code`` and that is newer than the last
    accepted one, else None."""
    code = _normalise_totp(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(device_secret(device), digits=DIGITS, interval=STEP_SECONDS)
    current = _step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if device.last_used_step is not None and step <= device.last_used_step:
            continue  # that code (or an older one) was used already
        if constant_time_compare(totp.generate_otp(step), code):
            return step
    return None


def _record(user: User, kind: str, ip_address: str | None, actor: User | None = None) -> None:
    TwoFactorEvent.objects.create(user=user, kind=kind, ip_address=ip_address, actor=actor)
    logger.info(
        "two-factor %s user=%s by=%s ip=%s", kind, user.pk, actor.pk if actor else None, ip_address
    )


def begin_enrolment(*, user: User) -> TwoFactorDevice:
    """Start (or restart) enrolment: a new secret on an unconfirmed device, replacing an
    earlier unconfirmed one. Refused when two-factor login is already on."""
    if not offers_two_factor(user):
        raise TwoFactorError(_("Two-factor login is for staff accounts."))
    with transaction.atomic():
        if has_confirmed_device(user):
            raise TwoFactorError(_("Two-factor login is already on."))
        TwoFactorDevice.objects.filter(user=user).delete()
        return TwoFactorDevice.objects.create(
            user=user, encrypted_secret=encrypt_secret(pyotp.random_base32())
        )


def cancel_enrolment(*, user: User) -> None:
    """Drop an enrolment begun but not confirmed (its secret is forgotten); a confirmed device
    is left alone (switching off needs ``disable``)."""
    TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=True).delete()


def _hash_recovery_code(code: str, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_codes(device: TwoFactorDevice) -> list[str]:
    """Replace the device's recovery codes with fresh ones; returns them in clear (the only
    time they exist in clear), formatted ``xxxxx-xxxxx``."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    device.recovery_codes.all().delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=_hash_recovery_code(code, secrets.token_hex(8)))
        for code in codes
    )
    half = RECOVERY_CODE_LENGTH // 2
    return [f"{code[:half]}-{code[half:]}" for code in codes]


def confirm_enrolment(
    *,
    user: User,
    password: str,
    code: str,
    now: datetime | None = None,
    ip_address: str | None = None,
) -> list[str]:
    """Finish enrolment with the password and a first code from the app: the device is
    confirmed, that code's step counts as used, ten recovery codes are made and the user's
    other sessions end. Returns the codes in clear, to be shown once; only their hashes are
    kept. A wrong password raises ``WrongPasswordError`` (a failed login) and the code is not
    tried."""
    # The password, not just the session: someone who finds a session left open (or stole its
    # cookie) could otherwise bind their own phone to the account and lock its owner out
    # (ASVS 3.7.1). Checked before the transaction: the slow hash must not hold the write lock.
    if not user.check_password(password):
        raise WrongPasswordError(_("That is not your password."))
    with transaction.atomic():
        device = (
            TwoFactorDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=True)
            .first()
        )
        if device is None:
            raise TwoFactorError(_("Start the set-up again: there is nothing to confirm."))
        step = _matching_step(device, code, now)
        if step is None:
            raise TwoFactorError(
                _("That code is not right. Check the phone's clock and type the current code.")
            )
        device.confirmed_at = timezone.now() if now is None else now
        device.last_used_step = step
        device.save(update_fields=["confirmed_at", "last_used_step"])
        codes = _new_recovery_codes(device)
        _record(user, TwoFactorEventKind.ENROLLED, ip_address)
        _end_other_sessions(user)
    return codes


def verify(*, user: User, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` is a valid, unused TOTP code of the user's confirmed device, allowing
    one step of clock drift either way. An accepted code's step is remembered, so the same
    code is refused the second time (and so is any older code)."""
    with transaction.atomic():
        device = (
            TwoFactorDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            return False
        step = _matching_step(device, code, now)
        if step is None:
            return False
        # The row is locked: of two requests racing with the same code only one gets here
        # first; the other then sees the new last_used_step and is refused.
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
    return True


def use_recovery_code(*, user: User, code: str, ip_address: str | None = None) -> bool:
    """Whether ``code`` is one of the user's unused recovery codes; if so it is spent (each
    works once). Spaces, hyphens and capitals do not matter."""
    normalised = _normalise_recovery(code)
    if len(normalised) != RECOVERY_CODE_LENGTH:
        return False
    with transaction.atomic():
        device = (
            TwoFactorDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            return False
        for stored in device.recovery_codes.filter(used_at__isnull=True):
            _, salt, _digest = stored.code_hash.split("$", 2)
            if constant_time_compare(_hash_recovery_code(normalised, salt), stored.code_hash):
                stored.used_at = timezone.now()
                stored.save(update_fields=["used_at"])
                _record(user, TwoFactorEventKind.RECOVERY_USED, ip_address)
                return True
    return False


def remaining_recovery_codes(user: User) -> int:
    """How many unused recovery codes the user has left."""
    return RecoveryCode.objects.filter(
        device__user=user, device__confirmed_at__isnull=False, used_at__isnull=True
    ).count()


def _check_password_and_code(
    user: User, password: str, code: str, now: datetime | None, ip_address: str | None
) -> None:
    # The code is only tried after the right password, so a wrong password spends no code;
    # the message does not say which of the two was wrong.
    ok = user.check_password(password) and (
        verify(user=user, code=code, now=now)
        or use_recovery_code(user=user, code=code, ip_address=ip_address)
    )
    if not ok:
        raise TwoFactorError(_("The password or the code is not right."))


def renew_recovery_codes(
    *,
    user: User,
    password: str,
    code: str,
    now: datetime | None = None,
    ip_address: str | None = None,
) -> list[str]:
    """Replace the recovery codes (all old ones stop working), given the password and a current
    code (or an unused recovery code); the user's other sessions end. Returns the new codes in
    clear, to be shown once."""
    with transaction.atomic():
        device = confirmed_device(user)
        if device is None:
            raise TwoFactorError(_("Two-factor login is off."))
        _check_password_and_code(user, password, code, now, ip_address)
        codes = _new_recovery_codes(device)
        _record(user, TwoFactorEventKind.CODES_RENEWED, ip_address)
        _end_other_sessions(user)
    return codes


def disable(
    *,
    user: User,
    password: str,
    code: str,
    now: datetime | None = None,
    ip_address: str | None = None,
) -> None:
    """Switch two-factor login off, given the password and a current code (or an unused
    recovery code, for a lost phone): the device and its recovery codes are deleted, and the
    user's other sessions end."""
    with transaction.atomic():
        if confirmed_device(user) is None:
            raise TwoFactorError(_("Two-factor login is off."))
        _check_password_and_code(user, password, code, now, ip_address)
        TwoFactorDevice.objects.filter(user=user).delete()
        _record(user, TwoFactorEventKind.DISABLED, ip_address)
        _end_other_sessions(user)


def reset(*, user: User, actor: User, ip_address: str | None = None) -> bool:
    """An administrator switches two-factor login off for someone who lost both the phone and
    the recovery codes (after checking who they are); they can then log in with the password
    and set it up again. Every session of theirs ends (whoever holds the lost phone may hold a
    session too). Returns whether there was anything to switch off."""
    with transaction.atomic():
        deleted, _counts = TwoFactorDevice.objects.filter(user=user).delete()
        if deleted:
            _record(user, TwoFactorEventKind.DISABLED, ip_address, actor=actor)
            _end_other_sessions(user)
    return bool(deleted)
