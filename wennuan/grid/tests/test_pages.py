"""Back-office pages: each renders, and costs the same queries in a small and a larger city."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wennuan.demo.services import build_demo_city, clear_city
from wennuan.grid.models import Building, Household, Station, Zone
from wennuan.people.models import User

pytestmark = pytest.mark.django_db


def page_queries(client) -> dict[str, int]:
    """Queries each page makes, for the first objects of the current city."""
    household = Household.objects.order_by("pk").first()
    urls = {
        "home": reverse("home"),
        "zones": reverse("grid:zone_list"),
        "stations": reverse("grid:station_list"),
        "zone": reverse("grid:zone_detail", args=[Zone.objects.order_by("pk").first().pk]),
        "station": reverse("grid:station_detail", args=[Station.objects.order_by("pk").first().pk]),
        "building": reverse(
            "grid:building_detail", args=[Building.objects.order_by("pk").first().pk]
        ),
        "household": reverse("grid:household_detail", args=[household.pk]),
        "coverage": reverse("grid:coverage"),
        "import": reverse("grid:import"),
    }
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(captured)
    return counts


def test_pages_cost_the_same_queries_at_two_city_sizes(client):
    build_demo_city(households=1_000, seed=9)
    client.force_login(User.objects.get(username="manager"))
    small = page_queries(client)

    clear_city()
    build_demo_city(households=12_000, seed=9)
    client.force_login(User.objects.get(username="manager"))
    large = page_queries(client)

    assert small == large
    assert Zone.objects.count() > 20  # the larger city really has more rows per list page


def test_the_station_and_zone_lists_count_each_ones_buildings(client):
    from wennuan.grid.tests.factories import make_building, make_station, make_user, make_zone
    from wennuan.people.choices import Role

    busy, idle = make_station(), make_station()
    north, empty = make_zone(), make_zone()
    for _ in range(3):
        make_building(station=busy, zone=north)
    client.force_login(make_user(Role.DISPATCHER))
    stations = {
        s.pk: s.building_count for s in client.get(reverse("grid:station_list")).context["page"]
    }
    zones = {z.pk: z.building_count for z in client.get(reverse("grid:zone_list")).context["page"]}
    assert stations[busy.pk] == 3 and stations[idle.pk] == 0
    assert zones[north.pk] == 3 and zones[empty.pk] == 0
