from wennuan.service.tests.conftest import catalogue  # noqa: F401  (the seeded catalogue)
