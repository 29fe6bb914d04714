"""Demo inspection: outdoor facilities around each zone's buildings and station, one plan
per zone walking them during the heating season, and today's rounds.

Per zone: the station yard, a valve well and a building entry for the first three of its
buildings, a pipe segment and a manhole between them, a compensator on every other zone's
main — a plausible set, placed a few tens of metres from what they serve.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from django.db import transaction
from django.utils import timezone

from wennuan.fuel.forecast import season_bounds
from wennuan.grid.models import Building, Zone
from wennuan.inspections.choices import Condition, FacilityKind
from wennuan.inspections.models import Facility, Finding, InspectionPlan, InspectionRound, PlanStop
from wennuan.inspections.services import generate_rounds


def build_demo_inspections(*, seed: int, today: date | None = None) -> dict[str, int]:
    """Facilities and plans for every zone, and today's rounds; returns counts."""
    rng = random.Random(seed + 23)  # nosec B311  # seeded demo data
    today = today or timezone.localdate()
    start, end = season_bounds(today)
    buildings: dict[int, list[Building]] = defaultdict(list)
    for building in Building.objects.filter(zone__isnull=False).order_by("code"):
        buildings[building.zone_id].append(building)  # type: ignore[index]
    facilities: list[Facility] = []
    routes: dict[int, list[Facility]] = defaultdict(list)
    for index, zone in enumerate(Zone.objects.order_by("code")):
        served = buildings.get(zone.pk, [])
        if not served:
            continue
        made = _zone_facilities(zone, served, index, rng)
        facilities += made
        routes[zone.pk] = made
    with transaction.atomic():
        Facility.objects.bulk_create(facilities)
        plans = [
            InspectionPlan(
                name=f"{zone.name}外网巡检",
                zone=zone,
                # Most zones every two days; every third zone twice a week (Monday, Thursday).
                every_days=None if index % 3 == 2 else 2,
                weekdays=[0, 3] if index % 3 == 2 else [],
                active_from=start,
                active_until=end,
            )
            for index, zone in enumerate(Zone.objects.filter(pk__in=list(routes)).order_by("code"))
        ]
        InspectionPlan.objects.bulk_create(plans)
        PlanStop.objects.bulk_create(
            PlanStop(plan=plan, facility=facility, position=position)
            for plan in plans
            for position, facility in enumerate(routes[plan.zone_id], start=1)
        )
    rounds = generate_rounds(today=today).rounds
    return {"facilities": len(facilities), "plans": len(plans), "rounds_today": len(rounds)}


def _zone_facilities(
    zone: Zone, served: list[Building], index: int, rng: random.Random
) -> list[Facility]:
    prefix = f"{zone.code}-"
    first = served[0]

    def near(building: Building) -> tuple[float | None, float | None]:
        if building.latitude is None or building.longitude is None:
            return None, None
        return (
            round(building.latitude + rng.uniform(-0.0004, 0.0004), 6),
            round(building.longitude + rng.uniform(-0.0005, 0.0005), 6),
        )

    made = [
        Facility(
            code=f"{prefix}Y01",
            name=f"{first.station.name}站院" if first.station_id else f"{zone.name}站院",
            kind=FacilityKind.STATION_YARD,
            station=first.station,
            zone=zone,
            latitude=first.station.latitude if first.station_id else None,
            longitude=first.station.longitude if first.station_id else None,
        )
    ]
    for n, building in enumerate(served[:3], start=1):
        lat, lng = near(building)
        made.append(
            Facility(
                code=f"{prefix}V{n:02d}",
                name=f"{building.address}阀门井"[:100],
                kind=FacilityKind.VALVE_WELL,
                building=building,
                zone=zone,
                latitude=lat,
                longitude=lng,
                condition=Condition.FAIR if rng.random() < 0.2 else Condition.GOOD,
            )
        )
        made.append(
            Facility(
                code=f"{prefix}E{n:02d}",
                name=f"{building.address}入户井"[:100],
                kind=FacilityKind.BUILDING_ENTRY,
                building=building,
                zone=zone,
                latitude=lat,
                longitude=lng,
            )
        )
    lat, lng = near(first)
    made.append(
        Facility(
            code=f"{prefix}P01",
            name=f"{zone.name}二次网主管段",
            kind=FacilityKind.PIPE_SEGMENT,
            zone=zone,
            latitude=lat,
            longitude=lng,
        )
    )
    made.append(
        Facility(
            code=f"{prefix}M01",
            name=f"{zone.name}检查井",
            kind=FacilityKind.MANHOLE,
            zone=zone,
            latitude=lat,
            longitude=lng,
        )
    )
    if index % 2 == 0:
        made.append(
            Facility(
                code=f"{prefix}C01",
                name=f"{zone.name}主管补偿器",
                kind=FacilityKind.COMPENSATOR,
                zone=zone,
                latitude=lat,
                longitude=lng,
            )
        )
    return made


def clear_demo_inspections() -> None:
    """Delete rounds, plans and facilities (findings first: they protect their rounds)."""
    Finding.objects.all().delete()
    InspectionRound.objects.all().delete()
    InspectionPlan.objects.all().delete()
    Facility.objects.all().delete()
