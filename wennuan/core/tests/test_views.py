"""The 500 handler: an unreachable database is a 503 with Retry-After."""


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
