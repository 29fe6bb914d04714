"""Operations tests use the seeded reference data (alarm rules, the catalogue for "not warm"
requests), restored by the service tests' autouse fixture after a flush, and English
messages (pages check the Chinese ones)."""

from wennuan.service.tests.conftest import catalogue, english  # noqa: F401 - autouse fixtures
