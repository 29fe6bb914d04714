"""Emergency tests use the seeded service catalogue and English messages."""

from wennuan.service.tests.conftest import catalogue, english  # noqa: F401 - autouse fixtures
