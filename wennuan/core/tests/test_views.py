"""The 500 handler and readiness: what the app says when the database or Redis is down."""

import pytest


def test_an_unreachable_database_is_a_503_with_retry_after_and_other_errors_a_500():
    from django.db import OperationalError
    from django.test import RequestFactory

    from wennuan.core.views import server_error

    factory = RequestFactory()
    try:
        raise OperationalError("could not connect to server: Connection refused")
    except OperationalError:
        page = server_error(factory.get("/service/board/"))
        api = server_error(factory.post("/api/v1/requests/"))
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert api.status_code == 503 and b'"detail"' in api.content
    try:
        raise ValueError("a bug")
    except ValueError:
        other = server_error(factory.get("/"))
    assert other.status_code == 500 and not other.has_header("Retry-After")


def test_the_500_handler_is_installed():
    from django.urls import get_resolver

    assert get_resolver().resolve_error_handler(500).__name__ == "server_error"


@pytest.mark.django_db
def test_with_redis_unreachable_pages_still_answer_and_readyz_says_why(client, settings):
    """A real Redis client pointed at a port nobody listens on: rate limits fail open,
    emergency mode is read from the database, and /readyz reports the cache."""
    settings.CACHE_URL = "redis://127.0.0.1:9/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    # (Changing CACHES through the settings fixture makes Django build the handlers anew.)
    from django.urls import reverse

    assert client.get(reverse("portal:home")).status_code == 200
    # A rate-limited form: counted nowhere, answered all the same (a field error here).
    refused = client.post(reverse("portal:verify"), {"account_number": "", "phone": ""})
    assert refused.status_code in (200, 400)
    answer = client.get(reverse("readyz"))
    assert answer.status_code == 503 and answer.content.startswith(b"cache:")
