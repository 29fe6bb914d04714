"""Fixed-window rate limits for public endpoints (the resident portal, Open311).

Counts live in Django's cache. With the default per-process memory cache each app
process counts on its own (N processes allow N × the limit); set ``CACHE_URL`` to a
Redis URL and every process shares one count.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 60
logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The caller's address; behind a proxy, the one the proxy saw (see TRUSTED_PROXY_COUNT)."""
    from django.conf import settings

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted and len(hops) >= trusted:
        return str(hops[-trusted])
    return str(request.META.get("REMOTE_ADDR", ""))


def over_limit(scope: str, ident: str, *, per_minute: int, now: float | None = None) -> int | None:
    """Count one call of ``ident`` in ``scope``; over ``per_minute`` calls in the current
    minute, return the seconds until the next minute (Retry-After), else None.

    A limit of 0 means no limit.
    """
    if per_minute <= 0:
        return None
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"ratelimit:{scope}:{ident}:{window}"
    # add() is atomic and does nothing if the key exists; incr() is atomic on Redis and
    # under the memory cache's lock, so concurrent calls never lose a count.
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr: count this call as the first
            cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
            count = 1
    except Exception:  # the shared cache (Redis) is down: residents still get through
        logger.warning("rate limit not counted: the cache is unreachable", exc_info=True)
        return None
    if count <= per_minute:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
