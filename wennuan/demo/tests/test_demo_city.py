"""The demo city: deterministic, complete, with real Yantai names and a login per role."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from wennuan.community.models import PartnerCommunity
from wennuan.demo.services import DEMO_LOGINS, FUTAI_CODE, build_demo_city, clear_city
from wennuan.grid.choices import Fuel
from wennuan.grid.models import Building, Community, HeatSource, Household, Station
from wennuan.people.choices import Role
from wennuan.people.models import User

pytestmark = pytest.mark.django_db


def fingerprint() -> str:
    """A digest of the generated city that ignores database ids."""
    rows = Household.objects.order_by("account_number").values_list(
        "account_number",
        "building__code",
        "address",
        "heated_area_m2",
        "phone",
        "occupant_name",
        "heating_status",
    )
    stations = Station.objects.order_by("code").values_list(
        "code", "name", "latitude", "heat_source__code"
    )
    return hashlib.sha256(repr((list(rows), list(stations))).encode()).hexdigest()


def test_same_seed_builds_the_same_city_and_another_seed_does_not():
    build_demo_city(households=1_500, seed=42)
    first = fingerprint()
    clear_city()
    build_demo_city(households=1_500, seed=42)
    assert fingerprint() == first
    clear_city()
    build_demo_city(households=1_500, seed=43)
    assert fingerprint() != first


def test_city_has_the_promised_shape():
    build_demo_city(households=9_000, seed=1)

    assert Household.objects.count() == 9_000
    assert 3 <= HeatSource.objects.filter(fuel=Fuel.COAL).count() <= 5
    assert 16 <= Station.objects.count() <= 24  # about one per 450 households
    assert not Building.objects.filter(zone__isnull=True).exists()
    for role in (Role.TECHNICIAN, Role.INSPECTOR, Role.AGENT, Role.DISPATCHER, Role.MANAGER):
        assert 9 <= User.objects.filter(role=role).count() <= 13, role  # about one per 800
    futai = Community.objects.get(code=FUTAI_CODE)
    assert futai.name == "福泰社区"
    assert PartnerCommunity.objects.filter(community=futai).exists()
    assert Household.objects.filter(building__complex__community=futai).exists()


def test_every_demo_login_works_with_the_documented_password(settings):
    build_demo_city(households=500, seed=1)
    for username, role, _name in DEMO_LOGINS:
        user = authenticate(username=username, password=settings.DEMO_PASSWORD)
        assert user is not None and user.role == role, username
    assert User.objects.get(username="community").community.code == FUTAI_CODE


def test_command_refuses_to_overwrite_and_skips_when_asked(capsys):
    call_command("demo_city", "--households", "300", "--seed", "5", verbosity=0)
    count = Household.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        call_command("demo_city", "--households", "300")
    call_command("demo_city", "--if-empty")
    assert "not rebuilt" in capsys.readouterr().out
    assert Household.objects.count() == count == 300


def test_command_rejects_a_tiny_city():
    with pytest.raises(CommandError, match="at least 100"):
        call_command("demo_city", "--households", "10")
    assert not Household.objects.exists()


def test_the_demo_manager_edits_catalogue_rules_and_curves_in_the_admin_but_not_requests(
    demo_city, client
):
    from wennuan.people.models import User

    manager = User.objects.get(username="manager")
    assert manager.has_perm("service.change_servicecategory")
    assert manager.has_perm("operations.change_alarmrule")
    assert manager.has_perm("operations.change_heatingcurve")
    assert not manager.has_perm("service.change_servicerequest")
    assert not manager.has_perm("operations.change_alarm")
    client.force_login(manager)
    assert client.get("/admin/operations/alarmrule/").status_code == 200
    assert client.get("/admin/service/servicecategory/").status_code == 200
    assert client.get("/admin/service/servicerequest/").status_code == 403


def test_an_older_demo_city_gains_the_parts_added_since_and_only_once(capsys):
    from wennuan.emergency.models import DisinfectionSite
    from wennuan.fuel.models import CoalEntry
    from wennuan.inspections.models import Facility

    build_demo_city(households=300, seed=5)  # as an older version left it: no yards, no rounds
    assert not CoalEntry.objects.exists() and not Facility.objects.exists()
    call_command("demo_city", "--if-empty")
    entries, facilities = CoalEntry.objects.count(), Facility.objects.count()
    assert entries and facilities and DisinfectionSite.objects.exists()
    call_command("demo_city", "--if-empty")
    assert (CoalEntry.objects.count(), Facility.objects.count()) == (entries, facilities)
