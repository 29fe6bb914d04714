"""Secrets handed to machines (Open311 API keys, telemetry gateway tokens).

A token is a long random string shown once; only its SHA-256 digest is stored, with a short
prefix to recognise it by. Tokens are high-entropy, so a fast digest is as safe as a slow
password hash, and lets a request find its token by one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class NewToken:
    token: str  # show once, never store
    prefix: str  # stored: enough to recognise the token in a list
    digest: str  # stored: what a presented token is checked against


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(kind_prefix: str) -> NewToken:
    """A new token starting with ``kind_prefix`` (e.g. "wn311_")."""
    token = kind_prefix + secrets.token_urlsafe(30)
    return NewToken(token, token[: len(kind_prefix) + 4], digest(token))
