"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from wennuan.demo.services import build_demo_city


def pytest_configure(config: Any) -> None:
    # Tests render templates without running collectstatic first: plain storage,
    # and an existing (empty) STATIC_ROOT so WhiteNoise has nothing to warn about.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Rate-limit counts live in the cache: every test starts with none."""
    from django.core.cache import cache

    from wennuan.emergency.services import CACHE_KEY

    cache.clear()
    # Emergency mode is off until a test switches it (through the service, which clears
    # this): pages then cost the same number of queries on the first load as on the next.
    cache.set(CACHE_KEY, False, None)


@pytest.fixture(autouse=True)
def empty_task_queue() -> None:
    """On the Redis queue (make test-rq) every test starts with nothing queued."""
    from wennuan.core.tests.task_queue import empty_the_queue

    empty_the_queue()


@pytest.fixture
def enqueued_tasks() -> Iterator[list[Any]]:
    """The TaskResult of every task enqueued during the test, in order, whatever the queue."""
    from django_tasks.signals import task_enqueued

    seen: list[Any] = []

    def record(sender: Any, task_result: Any, **kwargs: Any) -> None:
        seen.append(task_result)

    task_enqueued.connect(record, dispatch_uid="test-enqueued-tasks")
    yield seen
    task_enqueued.disconnect(dispatch_uid="test-enqueued-tasks")


@pytest.fixture
def demo_city(db: Any) -> None:
    """A small but complete demo city (2,000 households, seed 7)."""
    build_demo_city(households=2_000, seed=7)


@pytest.fixture
def login(client: Client) -> Any:
    """Log the test client in as a user name from the demo city; returns the client."""
    from wennuan.people.models import User

    def _login(username: str) -> Client:
        client.force_login(User.objects.get(username=username))
        return client

    return _login
