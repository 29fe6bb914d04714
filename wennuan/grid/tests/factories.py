"""Small factories for grid tests: a few rows, named for what they are."""

from __future__ import annotations

from decimal import Decimal
from itertools import count
from typing import Any

from wennuan.grid.choices import Duty
from wennuan.grid.models import (
    Building,
    Community,
    Complex,
    District,
    HeatSource,
    Household,
    Station,
    Street,
    Zone,
    ZoneAssignment,
)
from wennuan.people.choices import Role
from wennuan.people.models import User

_seq = count(1)


def make_community(code: str = "") -> Community:
    n = next(_seq)
    district, _ = District.objects.get_or_create(code="370602", defaults={"name": "芝罘区"})
    street, _ = Street.objects.get_or_create(
        code="370602012", defaults={"name": "幸福街道", "district": district}
    )
    return Community.objects.create(
        code=code or f"3706020129{n:02d}", name=f"测试{n}社区", street=street
    )


def make_station(code: str = "") -> Station:
    n = next(_seq)
    source, _ = HeatSource.objects.get_or_create(
        code="HS01", defaults={"name": "芝罘热电厂", "capacity_mw": Decimal(300)}
    )
    return Station.objects.create(
        code=code or f"ST{n:03d}", name=f"测试{n}换热站", heat_source=source, capacity_mw=Decimal(5)
    )


def make_zone(code: str = "") -> Zone:
    n = next(_seq)
    return Zone.objects.create(code=code or f"ZT{n:03d}", name=f"测试{n}片区")


def make_building(
    *,
    zone: Zone | None = None,
    community: Community | None = None,
    station: Station | None = None,
    code: str = "",
) -> Building:
    n = next(_seq)
    community = community or make_community()
    complex_obj, _ = Complex.objects.get_or_create(
        community=community, name=f"{community.name}小区"
    )
    return Building.objects.create(
        code=code or f"BT{n:05d}",
        complex=complex_obj,
        number=f"{n}号楼",
        address=f"{complex_obj.name}{n}号楼",
        latitude=37.5,
        longitude=121.4,
        station=station or make_station(),
        zone=zone,
    )


def make_household(building: Building, **fields: Any) -> Household:
    n = next(_seq)
    values: dict[str, Any] = {
        "account_number": f"T{n:08d}",
        "entrance": 1,
        "unit": f"{n % 900 + 101}",
        "address": f"{building.address}1单元{n}室",
        "heated_area_m2": Decimal("80.00"),
        "phone": f"1380000{n:04d}",
    }
    values.update(fields)
    return Household.objects.create(building=building, **values)


def make_user(role: str = Role.TECHNICIAN, **fields: Any) -> User:
    n = next(_seq)
    fields.setdefault("username", f"{role}-{n}")
    fields.setdefault("full_name", f"员工{n}")
    return User.objects.create_user(role=role, **fields)


def assign(zone: Zone, duty: str, *people: User) -> None:
    """Make the first person the owner and the rest deputies, in order."""
    for rank, person in enumerate(people):
        ZoneAssignment.objects.create(zone=zone, duty=duty, rank=rank, staff=person)


def cover_fully(zone: Zone) -> dict[str, list[User]]:
    """Give the zone an owner and one deputy for every duty; returns them per duty."""
    people = {}
    for duty in Duty:
        people[duty.value] = [make_user(Role.TECHNICIAN), make_user(Role.TECHNICIAN)]
        assign(zone, duty, *people[duty.value])
    return people
