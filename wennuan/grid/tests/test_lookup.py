"""The household lookup: the whole chain and each duty's people, in constant queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wennuan.demo.services import build_demo_city
from wennuan.grid.choices import Duty
from wennuan.grid.models import Household, ZoneAssignment
from wennuan.grid.selectors import household_chain
from wennuan.people.models import User

pytestmark = pytest.mark.django_db


def test_chain_names_building_station_source_zone_and_people(demo_city):
    dispatcher = User.objects.get(username="dispatcher")
    household = Household.objects.order_by("pk").first()

    chain = household_chain(user=dispatcher, account_number=household.account_number)

    building = household.building
    assert chain.building == building
    assert chain.building.station == building.station
    assert chain.building.station.heat_source == building.station.heat_source
    assert chain.zone == building.zone
    repair = ZoneAssignment.objects.filter(zone=building.zone, duty=Duty.REPAIR).order_by("rank")
    assert chain.duties[Duty.REPAIR].owner == repair[0].staff
    assert chain.duties[Duty.REPAIR].deputies == [a.staff for a in repair[1:]]
    assert set(chain.duties) == set(Duty.values)


def test_deactivated_owner_is_not_named(demo_city):
    household = Household.objects.order_by("pk").first()
    owner = ZoneAssignment.objects.get(zone=household.building.zone, duty=Duty.REPAIR, rank=0).staff
    User.objects.filter(pk=owner.pk).update(is_active=False)

    chain = household_chain(user=User.objects.get(username="manager"), pk=household.pk)

    assert chain.duties[Duty.REPAIR].owner is None
    assert owner not in chain.duties[Duty.REPAIR].deputies


def _lookup_queries(django_assert_num_queries, households: int) -> int:
    build_demo_city(households=households, seed=3)
    dispatcher = User.objects.get(username="dispatcher")
    last = Household.objects.order_by("-pk").values_list("account_number", flat=True).first()
    with django_assert_num_queries(2) as captured:
        chain = household_chain(user=dispatcher, account_number=last)
        # Touch everything the household page shows: no lazy query may hide here.
        _ = (
            chain.building.complex.community.street.district.name,
            chain.building.station.heat_source.name,
            chain.zone.code,
            [p.owner.display_name for p in chain.duties.values()],
        )
    return len(captured.captured_queries)


def test_lookup_costs_the_same_queries_at_1000_and_20000_households(django_assert_num_queries):
    small = _lookup_queries(django_assert_num_queries, 1_000)
    from wennuan.demo.services import clear_city

    clear_city()
    large = _lookup_queries(django_assert_num_queries, 20_000)
    assert small == large == 2


def test_household_page_shows_the_chain(login, demo_city):
    client = login("agent")
    household = Household.objects.order_by("pk").first()
    owner = ZoneAssignment.objects.get(zone=household.building.zone, duty=Duty.REPAIR, rank=0).staff

    page = client.get(reverse("grid:household_detail", args=[household.pk])).content.decode()

    assert household.account_number in page
    assert household.building.station.name in page
    assert household.building.station.heat_source.name in page
    assert owner.display_name in page
