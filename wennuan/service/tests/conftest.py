"""Service tests read the seeded catalogue and alarm rules; a transactional test elsewhere may
have flushed them."""

from __future__ import annotations

from typing import Any

import pytest

from wennuan.service.catalogue import seed_catalogue


@pytest.fixture(autouse=True)
def catalogue(request: Any) -> None:
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from wennuan.service.models import ServiceCategory

    if not ServiceCategory.objects.exists():
        seed_catalogue()
    from wennuan.operations.rules import seed_alarm_rules

    seed_alarm_rules()  # incidents meet alarms; a flush removes the seeded rules too


@pytest.fixture(autouse=True)
def english() -> Any:
    """Service-level messages are checked in English; pages check the Chinese ones."""
    from django.utils import translation

    with translation.override("en"):
        yield
