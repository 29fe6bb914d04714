"""Fuel tests: a heat source with a clean yard, and English messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from wennuan.grid.models import HeatSource
from wennuan.service.tests.conftest import english  # noqa: F401 - autouse fixture


@pytest.fixture
def source(db: Any) -> HeatSource:
    return HeatSource.objects.create(code="HS09", name="测试热源厂", capacity_mw=Decimal(200))
