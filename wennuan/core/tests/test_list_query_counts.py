"""Every list page — HTML and REST — makes the same number of queries for a page of one
row as for a page of a hundred (ARCHITECTURE.md, convention 6): no query per row.

Each list is asked for with ``?page_size=1`` and ``?page_size=100`` (the staff pages and the
API clamp it to 1..100) by the demo role that uses it, on a small demo city with a season's
requests, telemetry, coal books and inspection rounds. The larger page must really hold more
than one row, else an N+1 could not show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wennuan.demo.fuel import build_demo_fuel
from wennuan.demo.inspections import build_demo_inspections
from wennuan.demo.season import build_season_requests, season_start
from wennuan.demo.services import build_demo_city
from wennuan.demo.telemetry import build_demo_telemetry
from wennuan.grid.models import Building, HeatSource, Station


@dataclass(frozen=True)
class ListPage:
    """One list: its URL name, the login that uses it, extra query parameters, and where
    the rows are (a context variable of an HTML page; ``results`` of an API answer)."""

    name: str
    role: str
    rows: str
    kwargs: Callable[[], dict[str, Any]] = dict
    params: tuple[tuple[str, str], ...] = ()

    @property
    def api(self) -> bool:
        return self.name.startswith("api:")


def _building() -> dict[str, Any]:
    return {"pk": Building.objects.order_by("pk").first().pk}  # type: ignore[union-attr]


def _station_code() -> dict[str, Any]:
    return {"code": Station.objects.order_by("pk").first().code}  # type: ignore[union-attr]


def _source_code() -> dict[str, Any]:
    return {"code": HeatSource.objects.order_by("pk").first().code}  # type: ignore[union-attr]


LISTS = [
    # Staff pages
    ListPage("service:board", "dispatcher", "page", params=(("status", "closed"),)),
    ListPage("service:list", "dispatcher", "page"),
    ListPage("operations:dashboard", "dispatcher", "page"),
    ListPage("grid:station_list", "dispatcher", "page"),
    ListPage("grid:zone_list", "dispatcher", "page"),
    ListPage("grid:building_detail", "dispatcher", "page", kwargs=_building),
    ListPage("community:supplies", "manager", "page"),
    ListPage("community:mine", "community", "page", params=(("show", "all"),)),
    ListPage("inspections:facilities", "manager", "page"),
    # REST API
    ListPage("api:request-list", "dispatcher", "results"),
    ListPage("api:household-list", "agent", "results"),
    ListPage("api:building-list", "dispatcher", "results"),
    ListPage("api:station-list", "dispatcher", "results"),
    ListPage("api:zone-list", "dispatcher", "results"),
    ListPage("api:station-readings", "dispatcher", "results", kwargs=_station_code),
    ListPage("api:station-hours", "dispatcher", "results", kwargs=_station_code),
    ListPage("api:fuel-source-ledger", "manager", "results", kwargs=_source_code),
    ListPage("api:inspection-facility-list", "manager", "results"),
    ListPage("api:inspection-plan-list", "manager", "results"),
    ListPage("api:inspection-round-list", "manager", "results"),
    ListPage("api:inspection-finding-list", "manager", "results"),
]


@pytest.fixture
def season(db: Any) -> None:
    """A small demo city with what its lists show: a season's requests, two days of
    telemetry, the coal books and inspection rounds."""
    build_demo_city(households=2_000, seed=7)
    now = timezone.now()
    build_demo_telemetry(days=2, seed=7, now=now)
    build_demo_fuel(seed=7)
    build_demo_inspections(seed=7)
    build_season_requests(count=300, start=season_start(30, now=now), seed=7, now=now)
    _findings(3)


def _findings(n: int) -> None:
    """Failed checklist items of the first round, each with a work order."""
    from wennuan.inspections.models import ChecklistItem, Facility, Finding, InspectionRound
    from wennuan.service.models import ServiceRequest

    round_ = InspectionRound.objects.order_by("pk").first()
    item = ChecklistItem.objects.order_by("pk").first()
    orders = list(ServiceRequest.objects.order_by("pk")[:n])
    for facility, order in zip(Facility.objects.order_by("pk")[:n], orders, strict=True):
        Finding.objects.create(
            round=round_, facility=facility, item=item, description="阀门漏水", work_order=order
        )


def _rows(page: ListPage, response: Any) -> int:
    if page.api:
        return len(response.json()[page.rows])
    return len(response.context[page.rows].object_list)


@pytest.mark.parametrize("page", LISTS, ids=[p.name for p in LISTS])
def test_a_list_page_costs_the_same_queries_for_1_and_100_rows(page, season, login):
    client = login(page.role)
    url = reverse(page.name, kwargs=page.kwargs())
    counts, rows = [], []
    for size in ("1", "100"):
        client.get(url, {"page_size": size, **dict(page.params)})  # warm: session, caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": size, **dict(page.params)})
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(queries))
        rows.append(_rows(page, response))
    assert rows[0] == 1 and rows[1] > 1, f"{page.name}: rows {rows}: no N+1 could show"
    assert counts[0] == counts[1], (
        f"{page.name}: {counts[0]} queries for 1 row, {counts[1]} for {rows[1]}"
    )


def test_a_page_size_is_clamped_to_100(season, login):
    client = login("dispatcher")
    response = client.get(reverse("service:list"), {"page_size": "100000"})
    assert response.context["page"].paginator.per_page == 100
    response = client.get(reverse("service:list"), {"page_size": "nonsense"})
    assert response.context["page"].paginator.per_page == 25


def test_a_list_longer_than_the_cap_says_so_and_still_pages_to_its_end(season, login, monkeypatch):
    # Given some 300 requests and a cap of 100 (10,000 in production)
    from wennuan.service.models import ServiceRequest

    total = ServiceRequest.objects.count()
    pages, tail = -(-total // 50), total % 50 or 50
    monkeypatch.setattr("wennuan.core.paging.COUNT_CAP", 100)
    monkeypatch.setattr("wennuan.api.pagination.COUNT_CAP", 100)
    client = login("dispatcher")
    # the page says "more than", and the last page is still reached
    first = client.get(reverse("service:list"), {"page_size": "50"}, HTTP_ACCEPT_LANGUAGE="en")
    assert first.context["page"].paginator.count_capped
    assert "More than 10,000 requests" in first.content.decode()
    chinese = client.get(reverse("service:list"), {"page_size": "50"}, HTTP_ACCEPT_LANGUAGE="zh")
    assert "超过 10,000 条诉求" in chinese.content.decode()
    assert first.context["page"].has_next()
    last = client.get(reverse("service:list"), {"page_size": "50", "page": str(pages)})
    assert last.context["page"].number == pages
    assert len(last.context["page"].object_list) == tail
    assert not last.context["page"].has_next()
    # and so does the API: count 100 with count_capped, next links to the end
    answer = client.get(reverse("api:request-list"), {"page_size": "50"}).json()
    assert (answer["count"], answer["count_capped"]) == (100, True)
    assert answer["next"]
    answer = client.get(reverse("api:request-list"), {"page_size": "50", "page": pages}).json()
    assert len(answer["results"]) == tail and answer["next"] is None
