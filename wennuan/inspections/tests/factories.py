"""Small factories for inspection tests: facilities, plans, and a zone ready for rounds."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from wennuan.grid.choices import Duty
from wennuan.grid.models import Zone
from wennuan.grid.tests.factories import assign, make_user
from wennuan.inspections.choices import FacilityKind
from wennuan.inspections.models import Facility, InspectionPlan, PlanStop
from wennuan.people.choices import Role
from wennuan.people.models import User
from wennuan.service.tests.factories import Area, make_area, on_shift

_seq = itertools.count(1)
SEASON = (date(2026, 11, 15), date(2027, 4, 5))


def make_facility(zone: Zone, kind: str = FacilityKind.VALVE_WELL, **fields: object) -> Facility:
    n = next(_seq)
    values: dict[str, object] = {"code": f"F{n:04d}", "name": f"测试设施{n}", "kind": kind}
    values.update(fields)
    return Facility.objects.create(zone=zone, **values)


def make_plan(
    zone: Zone,
    facilities: Sequence[Facility],
    *,
    every_days: int | None = 1,
    weekdays: Sequence[int] = (),
    active: tuple[date, date] = SEASON,
) -> InspectionPlan:
    plan = InspectionPlan.objects.create(
        name=f"巡检路线{next(_seq)}",
        zone=zone,
        every_days=every_days,
        weekdays=list(weekdays),
        active_from=active[0],
        active_until=active[1],
    )
    PlanStop.objects.bulk_create(
        PlanStop(plan=plan, facility=f, position=i) for i, f in enumerate(facilities, start=1)
    )
    return plan


@dataclass
class Patrol:
    """A zone with its repair people (``area``), an inspection owner and a deputy on shift,
    a valve well, a manhole and a station yard on one daily plan."""

    area: Area
    inspector: User
    deputy: User
    facilities: list[Facility]
    plan: InspectionPlan


def make_patrol(*, shifts: bool = True) -> Patrol:
    area = make_area(shifts=shifts)
    inspector = make_user(Role.INSPECTOR, full_name="刘巡检", phone="13900000011")
    deputy = make_user(Role.INSPECTOR, full_name="陈巡检", phone="13900000012")
    assign(area.zone, Duty.INSPECTION, inspector, deputy)
    if shifts:
        on_shift(inspector)
        on_shift(deputy)
    building = area.household.building
    facilities = [
        make_facility(area.zone, FacilityKind.VALVE_WELL, building=building),
        make_facility(area.zone, FacilityKind.MANHOLE),
        make_facility(area.zone, FacilityKind.STATION_YARD, station=building.station),
    ]
    return Patrol(area, inspector, deputy, facilities, make_plan(area.zone, facilities))
