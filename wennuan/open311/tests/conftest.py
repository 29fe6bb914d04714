"""Open311 tests use the seeded catalogue and English messages, like the service tests."""

from wennuan.service.tests.conftest import catalogue, english  # noqa: F401 - autouse fixtures
