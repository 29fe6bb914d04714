"""Grid imports: all-or-nothing per file, every bad row listed, second import changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from wennuan.grid.importing import ImportFailed
from wennuan.grid.models import Building, Household, ImportRun, Zone, ZoneAssignment
from wennuan.grid.services import import_grid
from wennuan.grid.tests.factories import make_building, make_community, make_station, make_zone
from wennuan.people.models import User

pytestmark = pytest.mark.django_db

HOUSEHOLDS_HEADER = (
    "account_number,building_code,entrance,unit,heated_area_m2,heating_status,occupant_name,phone\n"
)


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English here; the pages below check the Chinese ones."""
    with translation.override("en"):
        yield


@pytest.fixture
def building():
    return make_building(code="B-IMPORT", zone=make_zone())


def snapshot() -> list[tuple]:
    """Everything an import may touch, to prove that a refused file changed nothing."""
    return [
        tuple(Household.objects.order_by("pk").values_list()),
        tuple(Building.objects.order_by("pk").values_list()),
        tuple(
            User.objects.order_by("pk").values_list(
                "username", "full_name", "role", "phone", "supervisor_id"
            )
        ),
        tuple(ZoneAssignment.objects.order_by("pk").values_list()),
        tuple(Zone.objects.order_by("pk").values_list()),
        ImportRun.objects.count(),
    ]


def households_csv(*rows: str) -> bytes:
    return (HOUSEHOLDS_HEADER + "\n".join(rows) + "\n").encode()


def test_good_file_imports_then_second_import_changes_nothing(building):
    data = households_csv(
        "A0001,B-IMPORT,1,101,85.5,heating,王芳,13800001111",
        "A0002,B-IMPORT,1,102,92,报停,李强,0535-6661234",
    )
    first = import_grid(kind="households", data=data, file_name="h.csv")
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second_household = Household.objects.get(account_number="A0002")
    assert second_household.heating_status == "suspended"
    assert second_household.phone == "05356661234"
    assert second_household.address.endswith("1单元102室")

    before = snapshot()[:-1]
    second = import_grid(kind="households", data=data, file_name="h.csv")

    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert snapshot()[:-1] == before


def test_changed_row_updates_by_account_number(building):
    import_grid(
        kind="households",
        data=households_csv("A0001,B-IMPORT,1,101,85.5,heating,王芳,13800001111"),
        file_name="a",
    )
    result = import_grid(
        kind="households",
        data=households_csv("A0001,B-IMPORT,1,101,90,heating,王芳,13800001111"),
        file_name="b",
    )
    assert (result.created, result.updated) == (0, 1)
    assert str(Household.objects.get(account_number="A0001").heated_area_m2) == "90.00"


def test_every_bad_row_is_reported_and_nothing_is_written(building):
    before = snapshot()
    data = households_csv(
        "A0001,B-IMPORT,1,101,85.5,heating,王芳,13800001111",  # line 2: fine
        ",B-IMPORT,1,102,80,heating,李强,13800001112",  # line 3: missing account
        "A0003,NO-SUCH,1,103,80,heating,张伟,13800001113",  # line 4: unknown building
        "A0001,B-IMPORT,1,104,80,heating,刘洋,13800001114",  # line 5: duplicate account
        "A0005,B-IMPORT,1,105,80,heating,陈静,12345",  # line 6: bad phone
        "A0006,B-IMPORT,1,106,-3,heating,杨敏,13800001116",  # line 7: area not positive
        "A0007,B-IMPORT,1,107,abc,heating,赵磊,13800001117",  # line 8: area not a number
        "A0008,B-IMPORT,1,108,80,frozen,黄娟,13800001118",  # line 9: bad status
    )
    with pytest.raises(ImportFailed) as failed:
        import_grid(kind="households", data=data, file_name="bad.csv")

    problems = {(e.line, e.column) for e in failed.value.errors}
    assert problems == {
        (3, "account_number"),
        (4, "building_code"),
        (5, "account_number"),
        (6, "phone"),
        (7, "heated_area_m2"),
        (8, "heated_area_m2"),
        (9, "heating_status"),
    }
    duplicate = next(e for e in failed.value.errors if e.line == 5)
    assert "line 2" in duplicate.message
    assert snapshot() == before


def test_existing_account_number_in_database_is_updated_not_duplicated(building):
    import_grid(
        kind="households",
        data=households_csv("A0001,B-IMPORT,1,101,85.5,heating,王芳,13800001111"),
        file_name="a",
    )
    import_grid(
        kind="households",
        data=households_csv("A0001,B-IMPORT,2,201,85.5,heating,王芳,13800001111"),
        file_name="b",
    )
    assert Household.objects.filter(account_number="A0001").count() == 1


def test_gb18030_file_imports_like_utf8(building):
    data = (
        households_csv("A0001,B-IMPORT,1,101,85.5,供暖,王芳,13800001111").decode().encode("gb18030")
    )
    result = import_grid(kind="households", data=data, file_name="excel.csv")
    assert result.encoding == "gb18030"
    assert Household.objects.get(account_number="A0001").occupant_name == "王芳"


def test_utf8_with_bom_is_read(building):
    data = b"\xef\xbb\xbf" + households_csv("A0001,B-IMPORT,1,101,85.5,heating,王芳,13800001111")
    assert import_grid(kind="households", data=data, file_name="bom.csv").created == 1


def test_bad_encoding_is_refused(building):
    before = snapshot()
    with pytest.raises(ImportFailed) as failed:
        import_grid(
            kind="households",
            data=HOUSEHOLDS_HEADER.encode() + b"\xff\xfe\xff\x80,\x81\n",
            file_name="x.csv",
        )
    assert "UTF-8" in failed.value.errors[0].message
    assert snapshot() == before


def test_rows_with_too_many_values_are_all_listed(building):
    data = households_csv(
        "A1,B-IMPORT,1,101,60,heating,x,13800001111,extra",
        "A2,B-IMPORT,1,102,60,heating,x,13800001112",
        "A3,B-IMPORT,1,103,60,heating,x,13800001113,extra,more",
    )
    with pytest.raises(ImportFailed) as failed:
        import_grid(kind="households", data=data, file_name="x.csv")
    assert [e.line for e in failed.value.errors] == [2, 4]
    assert not Household.objects.exists()


def test_missing_and_unknown_columns_are_named(building):
    with pytest.raises(ImportFailed) as failed:
        import_grid(
            kind="households",
            data=b"account_number,building,unit\nA1,B-IMPORT,101\n",
            file_name="x.csv",
        )
    columns = {e.column for e in failed.value.errors}
    assert {"building_code", "entrance", "heated_area_m2", "building"} <= columns
    assert all(e.line == 1 for e in failed.value.errors)


def test_buildings_import_creates_complexes_and_upserts_by_code():
    community = make_community("370602012019")
    station = make_station("S-1")
    zone = make_zone("Z-1")
    data = (
        "code,community_code,complex,number,latitude,longitude,station_code,zone_code\n"
        f"NB1,{community.code},福泰小区,1号楼,37.54,121.39,{station.code},{zone.code}\n"
        f"NB2,{community.code},福泰小区,2号楼,37.541,121.391,{station.code},\n"
    ).encode()
    first = import_grid(kind="buildings", data=data, file_name="b.csv")
    assert (first.created, first.unchanged) == (2, 0)
    assert Building.objects.get(code="NB1").complex == Building.objects.get(code="NB2").complex
    assert Building.objects.get(code="NB2").zone is None
    second = import_grid(kind="buildings", data=data, file_name="b.csv")
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)


def test_buildings_import_reports_unknown_references():
    data = (
        b"code,community_code,complex,number,latitude,longitude,station_code,zone_code\n"
        b"NB1,999,X,1,91,121,NOPE,NOZONE\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_grid(kind="buildings", data=data, file_name="b.csv")
    assert {e.column for e in failed.value.errors} == {
        "community_code",
        "latitude",
        "station_code",
        "zone_code",
    }
    assert not Building.objects.exists()


def test_staff_import_links_supervisors_within_the_file():
    community = make_community()
    data = (
        "username,full_name,role,phone,party_member,supervisor,community_code\n"
        "boss,王经理,manager,13900000001,是,,\n"
        "tech1,李师傅,technician,13900000002,no,boss,\n"
        f"cw1,赵网格,community_worker,,,boss,{community.code}\n"
    ).encode()
    result = import_grid(kind="staff", data=data, file_name="s.csv")
    assert result.created == 3
    tech = User.objects.get(username="tech1")
    assert tech.supervisor.username == "boss"
    assert not tech.has_usable_password()
    assert User.objects.get(username="boss").is_party_member
    assert import_grid(kind="staff", data=data, file_name="s.csv").unchanged == 3


def test_staff_import_refuses_bad_rows():
    data = (
        "username,full_name,role,phone,supervisor\n"
        "a,,technician,,\n"  # no name
        "b,某人,plumber,,\n"  # unknown role
        "c,某人,community_worker,,\n"  # community worker without community
        "d,某人,technician,,ghost\n"  # unknown supervisor
    ).encode()
    with pytest.raises(ImportFailed) as failed:
        import_grid(kind="staff", data=data, file_name="s.csv")
    assert {(e.line, e.column) for e in failed.value.errors} == {
        (2, "full_name"),
        (3, "role"),
        (4, "community_code"),
        (5, "supervisor"),
    }
    assert not User.objects.exists()


def test_zone_assignment_import_replaces_the_list_for_each_zone_and_duty():
    for name in ("w1", "w2", "w3"):
        User.objects.create_user(username=name, role="technician")
    data = b"zone_code,zone_name,duty,rank,username\nZN1,New zone,repair,0,w1\nZN1,,repair,1,w2\n"
    assert import_grid(kind="zones", data=data, file_name="z.csv").created == 2
    assert import_grid(kind="zones", data=data, file_name="z.csv").unchanged == 2
    swapped = b"zone_code,duty,rank,username\nZN1,repair,0,w3\nZN1,repair,1,w1\n"
    assert import_grid(kind="zones", data=swapped, file_name="z.csv").updated == 2
    ranks = list(
        ZoneAssignment.objects.filter(zone__code="ZN1")
        .order_by("rank")
        .values_list("staff__username", flat=True)
    )
    assert ranks == ["w3", "w1"]


def test_zone_assignment_import_requires_an_owner():
    User.objects.create_user(username="w1", role="technician")
    with pytest.raises(ImportFailed) as failed:
        import_grid(
            kind="zones",
            data=b"zone_code,zone_name,duty,rank,username\nZN1,Z,repair,1,w1\n",
            file_name="z",
        )
    assert "owner" in failed.value.errors[0].message
    assert not Zone.objects.exists()


def test_command_prints_every_error_and_writes_nothing(tmp_path, building, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        households_csv(
            "A1,B-IMPORT,1,101,0,heating,x,13800001111", "A2,NOPE,1,1,1,heating,x,13800001111"
        )
    )
    with pytest.raises(CommandError, match="2 problems"):
        call_command("import_grid", "households", str(path))
    err = capsys.readouterr().err
    assert "line 2" in err and "line 3" in err
    assert not Household.objects.exists()


def test_command_imports_a_good_file(tmp_path, building, capsys):
    path = tmp_path / "good.csv"
    path.write_bytes(households_csv("A1,B-IMPORT,1,101,60,heating,x,13800001111"))
    call_command("import_grid", "households", str(path))
    assert "1 created" in capsys.readouterr().out
    assert Household.objects.filter(account_number="A1").exists()


def test_upload_page_imports_for_a_manager(client, building):
    manager = User.objects.create_user(username="m", role="manager")
    client.force_login(manager)
    upload = SimpleUploadedFile(
        "h.csv", households_csv("A1,B-IMPORT,1,101,60,heating,x,13800001111")
    )
    response = client.post(reverse("grid:import"), {"kind": "households", "file": upload})
    assert response.status_code == 302
    assert ImportRun.objects.get().user == manager


def test_upload_page_shows_errors_and_writes_nothing(client, building):
    client.force_login(User.objects.create_user(username="m", role="manager"))
    upload = SimpleUploadedFile(
        "h.csv", households_csv("A1,B-IMPORT,1,101,-1,heating,x,13800001111")
    )
    response = client.post(reverse("grid:import"), {"kind": "households", "file": upload})
    assert response.status_code == 400
    assert "第 2 行" in response.content.decode()
    assert not Household.objects.exists()


def test_technician_cannot_upload(client, building):
    client.force_login(User.objects.create_user(username="t", role="technician"))
    before = snapshot()
    upload = SimpleUploadedFile(
        "h.csv", households_csv("A1,B-IMPORT,1,101,60,heating,x,13800001111")
    )
    assert (
        client.post(reverse("grid:import"), {"kind": "households", "file": upload}).status_code
        == 403
    )
    assert snapshot() == before
