"""Reports tests read the seeded catalogue and alarm rules (restored by the service tests'
autouse fixture after a flush), and English messages (pages check the Chinese ones)."""

from wennuan.service.tests.conftest import catalogue, english  # noqa: F401 - autouse fixtures
