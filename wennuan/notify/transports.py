"""Transports: the one place that talks to the outside world for each channel.

Every transport either returns (the message was handed over) or raises
``TransportError`` with a message specific enough to act on; the outbox records
that message on the row and retries later.
"""

from __future__ import annotations

import http.client
import json
import logging
import smtplib
import urllib.error
import urllib.request
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection, send_mail
from django.utils import timezone

from wennuan.notify.choices import Channel
from wennuan.notify.models import Notification

logger = logging.getLogger(__name__)

SMS_TRANSPORTS = ("console", "http")
# Django leaves EMAIL_TIMEOUT unset (wait for ever); a hung SMTP server must not hold a
# worker, so without a configured value the e-mail transport gives up after this long.
DEFAULT_EMAIL_TIMEOUT_SECONDS = 30
# How much of a gateway's error answer is kept in last_error.
ERROR_BODY_CHARS = 200


class TransportError(Exception):
    """The message could not be handed over; the outbox retries it later."""


class Transport(Protocol):
    """Hands one rendered message to the outside world."""

    def send(self, notification: Notification, text: str, subject: str) -> None:
        """Deliver ``text`` to ``notification.recipient`` or raise TransportError."""
        ...


class ConsoleTransport:
    """Development: log the message and append it to ``VAR_DIR/outbox.log``."""

    def send(self, notification: Notification, text: str, subject: str) -> None:
        """Write one tab-separated line per message (newlines in the text escaped)."""
        logger.info(
            "notification %s by %s to %s: %s",
            notification.pk,
            notification.channel,
            notification.recipient,
            text,
        )
        line = "\t".join(
            [
                timezone.localtime().isoformat(timespec="seconds"),
                str(notification.pk),
                notification.channel,
                notification.recipient,
                notification.template,
                subject,
                text,
            ]
        )
        path = settings.VAR_DIR / "outbox.log"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as log:
                log.write(line.replace("\r", "\\r").replace("\n", "\\n") + "\n")
        except OSError as exc:
            raise TransportError(f"cannot write {path}: {exc}") from exc


class EmailTransport:
    """E-mail through Django's EMAIL_BACKEND, from DEFAULT_FROM_EMAIL."""

    def send(self, notification: Notification, text: str, subject: str) -> None:
        """Send one plain-text e-mail; any SMTP or network failure becomes TransportError."""
        timeout = settings.EMAIL_TIMEOUT
        if timeout is None:
            timeout = DEFAULT_EMAIL_TIMEOUT_SECONDS
        try:
            send_mail(
                subject,
                text,
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient],
                connection=get_connection(fail_silently=False, timeout=timeout),
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"e-mail not sent: {type(exc).__name__}: {exc}") from exc


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET and could carry the bearer key to
    # another host; a gateway that redirects is misconfigured, so report it instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpSmsTransport:
    """An SMS gateway that takes ``POST {"to", "text", "id"}`` as JSON with a bearer key."""

    def __init__(self, *, url: str, key: str, timeout: float) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    @classmethod
    def from_settings(cls) -> HttpSmsTransport:
        """The gateway configured by the NOTIFY_SMS_GATEWAY_* settings."""
        return cls(
            url=settings.NOTIFY_SMS_GATEWAY_URL,
            key=settings.NOTIFY_SMS_GATEWAY_KEY,
            timeout=settings.NOTIFY_SMS_TIMEOUT_SECONDS,
        )

    def send(self, notification: Notification, text: str, subject: str) -> None:
        """POST the message; anything but a 2xx answer raises TransportError."""
        if not self.url:
            raise TransportError("NOTIFY_SMS_GATEWAY_URL is not set")
        if urlsplit(self.url).scheme not in {"http", "https"}:
            raise TransportError(
                f"NOTIFY_SMS_GATEWAY_URL must be an http(s) URL, not {_shown(self.url)!r}"
            )
        body = json.dumps(
            {"to": notification.recipient, "text": text, "id": notification.pk},
            ensure_ascii=False,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "wennuan-notify",
        }
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                answer = response.read(ERROR_BODY_CHARS)
        except urllib.error.HTTPError as exc:
            message = f"SMS gateway answered HTTP {exc.code} {exc.reason}"
            try:
                detail = _snippet(exc.read(ERROR_BODY_CHARS))
            except (OSError, http.client.HTTPException):
                detail = ""
            raise TransportError(f"{message}: {detail}" if detail else message) from exc
        except TimeoutError as exc:
            raise self._timed_out() from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timed_out() from exc
            raise TransportError(
                f"SMS gateway unreachable at {_shown(self.url)}: {exc.reason}"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(
                f"SMS gateway connection failed: {type(exc).__name__}: {exc}"
            ) from exc
        if not 200 <= status < 300:
            raise TransportError(f"SMS gateway answered HTTP {status}: {_snippet(answer)}")

    def _timed_out(self) -> TransportError:
        return TransportError(
            f"SMS gateway did not answer within {self.timeout:g} s ({_shown(self.url)})"
        )


def _shown(url: str) -> str:
    """The URL without user, password or query, fit for last_error (shown in the admin)."""
    # Some gateways take their key in the query string or as URL credentials.
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else "(not a URL)"


def _snippet(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").strip()


def transport_for(channel: str) -> Transport:
    """The transport for ``channel``: SMS by NOTIFY_SMS_TRANSPORT, e-mail by EMAIL_BACKEND."""
    if channel == Channel.EMAIL:
        return EmailTransport()
    if channel == Channel.SMS:
        kind = settings.NOTIFY_SMS_TRANSPORT
        if kind == "console":
            return ConsoleTransport()
        if kind == "http":
            return HttpSmsTransport.from_settings()
        raise ImproperlyConfigured(
            f"NOTIFY_SMS_TRANSPORT must be one of {', '.join(SMS_TRANSPORTS)}, not {kind!r}"
        )
    raise ValueError(f"unknown notification channel {channel!r}")
