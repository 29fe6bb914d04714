"""Facilities from CSV: all or nothing, every bad row with its line, by code (a second import
of the same file changes nothing), and the command's summary and exit code."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from wennuan.grid.importing import ImportFailed
from wennuan.grid.tests.factories import make_building, make_station, make_zone
from wennuan.inspections.choices import Condition, FacilityKind
from wennuan.inspections.importing import import_facilities
from wennuan.inspections.models import Facility

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    zone = make_zone("ZF01")
    other = make_zone("ZF02")
    return {
        "zone": zone,
        "other": other,
        "building": make_building(zone=zone, code="BF001"),
        "elsewhere": make_building(zone=other, code="BF002"),
        "station": make_station("SF01"),
    }


GOOD = (
    "code,name,kind,zone_code,latitude,longitude,building_code,station_code,condition,notes\n"
    "VW-001,幸福路1号阀门井,valve_well,ZF01,37.53,121.39,BF001,,good,\n"
    "PS-002,幸福路管段,Pipe segment,ZF01,,,,,,沿河段\n"  # the English name of the kind
    "SY-003,一号站场,station_yard,ZF01,37.5,121.4,,SF01,Poor,\n"  # a condition's name
)


def test_a_good_file_creates_and_the_same_file_again_changes_nothing(grid):
    result = import_facilities(GOOD.encode())
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    valve = Facility.objects.get(code="VW-001")
    assert (valve.kind, valve.zone, valve.building, valve.latitude) == (
        FacilityKind.VALVE_WELL,
        grid["zone"],
        grid["building"],
        37.53,
    )
    pipe = Facility.objects.get(code="PS-002")
    assert (pipe.kind, pipe.notes, pipe.latitude, pipe.building) == (
        FacilityKind.PIPE_SEGMENT,
        "沿河段",
        None,
        None,
    )
    yard = Facility.objects.get(code="SY-003")
    assert (yard.kind, yard.station, yard.condition) == (
        FacilityKind.STATION_YARD,
        grid["station"],
        Condition.POOR,
    )
    before = list(Facility.objects.order_by("code").values())
    again = import_facilities(GOOD.encode("gb18030"))  # as a Chinese spreadsheet saves it
    assert (again.created, again.updated, again.unchanged, again.encoding) == (0, 0, 3, "gb18030")
    assert list(Facility.objects.order_by("code").values()) == before


def test_known_codes_are_updated_and_left_out_columns_kept(grid):
    import_facilities(GOOD.encode())
    Facility.objects.filter(code="VW-001").update(condition=Condition.FAIR)
    changed = (
        "code,name,kind,zone_code,condition\n"
        "VW-001,幸福路1号阀门井（改）,valve_well,ZF01,\n"  # empty condition: kept
        "NEW-1,新检查井,manhole,ZF02,\n"
    )
    result = import_facilities(changed.encode())
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    valve = Facility.objects.get(code="VW-001")
    assert valve.name.endswith("（改）") and valve.condition == Condition.FAIR
    assert valve.building == grid["building"] and valve.latitude == 37.53  # columns not in file
    assert Facility.objects.get(code="NEW-1").condition == Condition.GOOD


def test_a_bad_file_lists_every_bad_row_and_creates_nothing(grid):
    bad = (
        "code,name,kind,zone_code,latitude,longitude,building_code,station_code,condition\n"
        "VW-001,好的,valve_well,ZF01,,,BF001,,\n"  # line 2: good
        "VW-002,,boiler,ZF01,,,,,\n"  # 3: no name, unknown kind
        "VW-001,重复,manhole,ZF01,,,,,\n"  # 4: code repeats line 2
        "VW-004,阀门井,valve_well,ZX99,,,,,\n"  # 5: unknown zone
        "VW-005,阀门井,valve_well,ZF01,95,121,,,\n"  # 6: latitude out of range
        "VW-006,阀门井,valve_well,ZF01,37.5,,,,\n"  # 7: latitude without longitude
        "VW-007,阀门井,valve_well,ZF01,,,BF002,,\n"  # 8: the building is in ZF02
        "VW-008,阀门井,valve_well,ZF01,,,B-NONE,S-NONE,\n"  # 9: unknown building, station
        "VW 9,阀门井,valve_well,ZF01,,,,,broken\n"  # 10: bad code, unknown condition
    )
    with pytest.raises(ImportFailed) as failed:
        import_facilities(bad.encode())
    found = {(e.line, e.column) for e in failed.value.errors}
    assert found == {
        (3, "name"),
        (3, "kind"),
        (4, "code"),
        (5, "zone_code"),
        (6, "latitude"),
        (7, "longitude"),
        (8, "building_code"),
        (9, "building_code"),
        (9, "station_code"),
        (10, "code"),
        (10, "condition"),
    }
    messages = {(e.line, e.column): e.message for e in failed.value.errors}
    assert "line 2" in messages[(4, "code")]
    assert "ZF02" in messages[(8, "building_code")] and "ZF01" in messages[(8, "building_code")]
    assert "valve_well" in messages[(3, "kind")]
    assert str(failed.value.errors[0]).startswith("line 3, name:")
    assert not Facility.objects.exists()


def test_a_file_without_the_required_columns_is_refused(grid):
    with pytest.raises(ImportFailed) as failed:
        import_facilities(b"code,name,latitude\nX1,x,37\n")
    assert {(e.line, e.column) for e in failed.value.errors} == {
        (1, "kind"),
        (1, "zone_code"),
    }
    with pytest.raises(ImportFailed) as half:
        import_facilities(b"code,name,kind,zone_code,latitude\nX1,x,manhole,ZF01,37\n")
    assert [(e.line, e.column) for e in half.value.errors] == [(1, "longitude")]
    assert not Facility.objects.exists()


def test_the_command_prints_a_summary_or_every_error_with_exit_code_1(grid, tmp_path):
    good = tmp_path / "facilities.csv"
    good.write_text(GOOD, encoding="utf-8")
    out = io.StringIO()
    call_command("import_facilities", str(good), stdout=out)
    assert "facilities.csv (utf-8): 3 rows — 3 created, 0 updated, 0 unchanged." in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,kind,zone_code\nA1,,manhole,ZF01\nA2,x,nope,ZX\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_facilities", str(bad), stderr=err)
    assert failed.value.returncode == 1  # manage.py exits with it
    assert str(failed.value) == "3 problems; nothing was imported."
    assert err.getvalue().splitlines() == [
        "bad.csv: line 2, name: a value is required",
        "bad.csv: line 3, kind: 'nope' is not one of: " + ", ".join(FacilityKind.values),
        "bad.csv: line 3, zone_code: unknown zone 'ZX'",
    ]
    assert Facility.objects.count() == 3  # the good file's, nothing of the bad one


def test_the_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file") as failed:
        call_command("import_facilities", str(tmp_path / "none.csv"))
    assert failed.value.returncode == 1


@pytest.mark.django_db
def test_managers_upload_the_registry_on_the_facilities_page_all_or_nothing(client):
    import io

    from django.urls import reverse

    from wennuan.grid.tests.factories import make_user, make_zone
    from wennuan.inspections.models import Facility
    from wennuan.people.choices import Role

    zone = make_zone()
    manager = make_user(Role.MANAGER)
    client.force_login(manager)
    good = io.BytesIO(f"code,name,kind,zone_code\nW-1,一号阀门井,valve_well,{zone.code}\n".encode())
    good.name = "f.csv"
    assert client.post(reverse("inspections:facilities"), {"file": good}).status_code == 302
    assert Facility.objects.get().code == "W-1"
    bad = io.BytesIO(f"code,name,kind,zone_code\nW-2,二号,rocket,{zone.code}\n".encode())
    bad.name = "f.csv"
    page = client.post(reverse("inspections:facilities"), {"file": bad})
    assert page.status_code == 400 and len(page.context["errors"]) == 1
    assert Facility.objects.count() == 1
    client.force_login(make_user(Role.INSPECTOR))
    good.seek(0)
    assert client.post(reverse("inspections:facilities"), {"file": good}).status_code == 404
