"""Open311 tests use the seeded catalogue, like the service tests."""

from wennuan.service.tests.conftest import catalogue  # noqa: F401 - an autouse fixture
