"""Operations tests use the seeded reference data (alarm rules, the catalogue for "not warm"
requests), restored by the service tests' autouse fixture after a flush."""

from wennuan.service.tests.conftest import catalogue  # noqa: F401 - an autouse fixture
