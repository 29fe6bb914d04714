"""Idempotency-Key on API POSTs: the same key and body replay the stored answer.

- A new key: the call runs and its answer (status and body) is stored under the key.
- The same key with the same method, path and body: the stored answer, marked with
  ``Idempotent-Replayed: true``; nothing runs again.
- The same key with another body: 422.
- The key, the work and the answer commit in one transaction (IdempotentMixin.dispatch):
  a process killed midway leaves nothing behind, and the retry runs the call once. A second
  call with the key while the first runs waits for it (PostgreSQL: on the key's unique index;
  SQLite: for the write lock, up to SQLITE_BUSY_TIMEOUT_SECONDS, then 503 and Retry-After)
  and then gets the stored answer. (409 "still running" is left for keys claimed by older
  versions, which stored the key before the work.)
- An answer that is a server error is not stored, and nothing of its work is kept: a retry
  runs again.
Keys are per user and kept API_IDEMPOTENCY_KEEP_HOURS (at least 24) hours.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from wennuan.api.models import IdempotencyRecord
from wennuan.people.models import User

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class Replay(Exception):
    """Raised before the view runs, to answer with a stored response instead."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class StillRunning(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_use"


class BadKey(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "idempotency_key_invalid"


def _digest(request: Request) -> str:
    body = request._request.body  # read before the view parses it; Django keeps a copy
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def begin(request: Request) -> IdempotencyRecord | None:
    """Claim the key of this POST, or raise Replay / KeyReused / StillRunning."""
    key = request.headers.get(HEADER, "").strip()
    if request.method != "POST" or not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise BadKey(_("An Idempotency-Key has at most %(n)s characters.") % {"n": MAX_KEY_LENGTH})
    user = request.user
    assert isinstance(user, User)  # authentication ran first; the API has no anonymous POSTs
    digest = _digest(request)
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user,
                key=key,
                method=request.method,
                path=request.path[:300],
                body_digest=digest,
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(user=user, key=key)
    if existing.body_digest != digest:
        raise KeyReused(
            _("This Idempotency-Key was used for another request; use a new key.")
        ) from None
    if existing.status == 0:
        raise StillRunning(_("The first request with this Idempotency-Key is still running."))
    raise Replay(existing)


def finish(record: IdempotencyRecord, response: Response) -> None:
    """Store the answer for retries, in the transaction of the work (IdempotentMixin.dispatch).

    Not after a server error, nor when the work's transaction can only be rolled back (a
    refusal raised inside a service's ``atomic(savepoint=False)`` block): then the rollback
    takes the key with it and a retry runs again.
    """
    if response.status_code >= 500 or transaction.get_rollback():
        return
    record.status = response.status_code
    record.response = response.data
    record.save(update_fields=["status", "response"])


def replayed(record: IdempotencyRecord) -> Response:
    response = Response(record.response, status=record.status)
    response["Idempotent-Replayed"] = "true"
    return response


def purge(now: Any = None) -> int:
    """Forget keys older than API_IDEMPOTENCY_KEEP_HOURS (never less than 24 hours)."""
    hours = max(24, settings.API_IDEMPOTENCY_KEEP_HOURS)
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
