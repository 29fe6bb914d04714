"""Community tests read the seeded supply items and service catalogue; a transactional test
elsewhere may have flushed them. Service-level messages are checked in English."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def seeded(request: Any) -> None:
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from wennuan.community.seed import seed_supply_items
    from wennuan.service.catalogue import seed_catalogue
    from wennuan.service.models import ServiceCategory

    seed_supply_items()
    if not ServiceCategory.objects.exists():
        seed_catalogue()


@pytest.fixture(autouse=True)
def english() -> Any:
    from django.utils import translation

    with translation.override("en"):
        yield
