"""The coverage audit: zero gaps on the demo city; every kind of planted gap is found."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from wennuan.grid.choices import Duty
from wennuan.grid.models import Building, CoverageReport, Zone, ZoneAssignment
from wennuan.grid.selectors import coverage_audit
from wennuan.grid.services import record_coverage_report
from wennuan.grid.tests.factories import (
    cover_fully,
    make_building,
    make_household,
    make_user,
    make_zone,
)
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db


def test_demo_city_has_no_gaps(demo_city):
    audit = coverage_audit()
    assert audit.gaps == []
    assert audit.overloaded == []
    assert audit.households == 2_000


def test_planted_gaps_are_all_found(demo_city):
    zones = list(Zone.objects.order_by("code"))
    assert len(zones) >= 3
    # Given: zone 0 loses its repair owner, zone 1 its inspection deputies,
    # zone 2's epidemic owner leaves the company, and one building loses its zone.
    ZoneAssignment.objects.filter(zone=zones[0], duty=Duty.REPAIR, rank=0).delete()
    ZoneAssignment.objects.filter(zone=zones[1], duty=Duty.INSPECTION, rank__gt=0).delete()
    leaver = make_user(Role.TECHNICIAN, is_active=False)
    ZoneAssignment.objects.filter(zone=zones[2], duty=Duty.EPIDEMIC_PREVENTION, rank=0).update(
        staff=leaver
    )
    orphan = Building.objects.filter(zone=zones[0]).order_by("code").last()
    Building.objects.filter(pk=orphan.pk).update(zone=None)

    found = {
        (g.kind, g.duty, g.zone.code if g.zone else g.building.code) for g in coverage_audit().gaps
    }

    assert found == {
        ("no_owner", Duty.REPAIR, zones[0].code),
        ("no_deputy", Duty.INSPECTION, zones[1].code),
        ("no_owner", Duty.EPIDEMIC_PREVENTION, zones[2].code),
        ("no_zone", None, orphan.code),
    }


def test_owner_over_the_household_load_is_listed():
    zone = make_zone()
    people = cover_fully(zone)
    building = make_building(zone=zone)
    for _ in range(4):
        make_household(building)

    audit = coverage_audit(max_households=3)

    assert audit.gaps == []
    overloaded = {o.staff for o in audit.overloaded}
    assert overloaded == {people[d][0] for d in Duty.values}
    assert all(o.households == 4 for o in audit.overloaded)
    assert coverage_audit(max_households=4).overloaded == []


def test_audit_command_exits_nonzero_on_gaps(demo_city, capsys):
    call_command("coverage_audit")
    assert "No gaps." in capsys.readouterr().out
    ZoneAssignment.objects.filter(duty=Duty.REPAIR, rank=0).first().delete()
    with pytest.raises(SystemExit) as exited:
        call_command("coverage_audit")
    assert exited.value.code == 1
    assert "GAP no_owner" in capsys.readouterr().out


def test_stored_report_counts_the_gaps(demo_city):
    Building.objects.filter(pk=Building.objects.first().pk).update(zone=None)
    report = record_coverage_report()
    assert report.gap_count == 1
    assert report.summary["gaps"][0]["kind"] == "no_zone"
    assert CoverageReport.objects.count() == 1


def test_coverage_page_lists_gaps_for_a_manager(login, demo_city):
    zone = Zone.objects.order_by("code").first()
    ZoneAssignment.objects.filter(zone=zone, duty=Duty.CUSTOMER_SERVICE, rank=0).delete()
    response = login("manager").get(reverse("grid:coverage"))
    assert response.status_code == 200
    assert [(g.kind, g.zone) for g in response.context["audit"].gaps] == [("no_owner", zone)]
