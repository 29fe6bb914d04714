"""People tests use the seeded service catalogue (requests to hand over) and English messages."""

from wennuan.service.tests.conftest import catalogue, english  # noqa: F401 - autouse fixtures
