"""Who sees what: access is scoped in one place (scope_q / for_user) and every page uses it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wennuan.grid.choices import Duty
from wennuan.grid.models import Building, Household, Station, Zone
from wennuan.grid.tests.factories import (
    assign,
    make_building,
    make_community,
    make_household,
    make_user,
    make_zone,
)
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_zones():
    """Zone A and zone B, each with one building and household, in different communities."""
    zone_a, zone_b = make_zone("ZA"), make_zone("ZB")
    community_a, community_b = make_community(), make_community()
    building_a = make_building(zone=zone_a, community=community_a)
    building_b = make_building(zone=zone_b, community=community_b)
    return {
        "zone_a": zone_a,
        "zone_b": zone_b,
        "community_a": community_a,
        "building_a": building_a,
        "building_b": building_b,
        "household_a": make_household(building_a),
        "household_b": make_household(building_b),
    }


def test_technician_of_zone_b_cannot_see_zone_a(client, two_zones):
    technician = make_user(Role.TECHNICIAN)
    assign(two_zones["zone_b"], Duty.REPAIR, technician)
    client.force_login(technician)

    assert list(Household.objects.for_user(technician)) == [two_zones["household_b"]]
    assert list(Building.objects.for_user(technician)) == [two_zones["building_b"]]
    assert list(Zone.objects.for_user(technician)) == [two_zones["zone_b"]]
    assert list(Station.objects.for_user(technician)) == [two_zones["building_b"].station]
    for name, obj in [
        ("grid:household_detail", two_zones["household_a"]),
        ("grid:building_detail", two_zones["building_a"]),
        ("grid:zone_detail", two_zones["zone_a"]),
        ("grid:station_detail", two_zones["building_a"].station),
    ]:
        assert client.get(reverse(name, args=[obj.pk])).status_code == 404, name
    assert (
        client.get(reverse("grid:household_detail", args=[two_zones["household_b"].pk])).status_code
        == 200
    )


def test_inspector_sees_zones_where_they_are_a_deputy(client, two_zones):
    owner, inspector = make_user(Role.INSPECTOR), make_user(Role.INSPECTOR)
    assign(two_zones["zone_a"], Duty.INSPECTION, owner, inspector)

    assert list(Household.objects.for_user(inspector)) == [two_zones["household_a"]]
    client.force_login(inspector)
    response = client.get(
        reverse("grid:household_search"), {"q": two_zones["household_b"].account_number}
    )
    assert response.status_code == 200
    assert response.context["results"] == []


def test_community_worker_sees_only_their_community(client, two_zones):
    worker = make_user(Role.COMMUNITY_WORKER, community=two_zones["community_a"])
    client.force_login(worker)

    assert list(Household.objects.for_user(worker)) == [two_zones["household_a"]]
    assert list(Zone.objects.for_user(worker)) == [two_zones["zone_a"]]
    assert (
        client.get(reverse("grid:household_detail", args=[two_zones["household_b"].pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("grid:household_detail", args=[two_zones["household_a"].pk])).status_code
        == 200
    )


def test_community_worker_without_community_sees_nothing(two_zones):
    worker = make_user(Role.COMMUNITY_WORKER)
    assert not Household.objects.for_user(worker).exists()
    assert not Zone.objects.for_user(worker).exists()


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.MANAGER, Role.AGENT])
def test_citywide_roles_see_every_zone(client, two_zones, role):
    user = make_user(role)
    assert Household.objects.for_user(user).count() == 2
    client.force_login(user)
    for household in ("household_a", "household_b"):
        assert (
            client.get(reverse("grid:household_detail", args=[two_zones[household].pk])).status_code
            == 200
        )


def test_deactivated_user_sees_nothing(two_zones):
    dispatcher = make_user(Role.DISPATCHER, is_active=False)
    assert not Household.objects.for_user(dispatcher).exists()


def test_anonymous_visitor_is_sent_to_login(client, two_zones):
    response = client.get(reverse("grid:household_detail", args=[two_zones["household_a"].pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.INSPECTOR, Role.COMMUNITY_WORKER])
def test_field_roles_cannot_open_the_coverage_audit(client, role):
    client.force_login(make_user(role))
    assert client.get(reverse("grid:coverage")).status_code == 403


def test_navigation_follows_the_role(client):
    client.force_login(make_user(Role.TECHNICIAN))
    labels = [
        str(item["label"])
        for item in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").context["nav_items"]
    ]
    assert "Coverage audit" not in labels and "Import" not in labels
    client.force_login(make_user(Role.MANAGER))
    labels = [
        str(item["label"])
        for item in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").context["nav_items"]
    ]
    assert "Coverage audit" in labels and "Import" in labels
