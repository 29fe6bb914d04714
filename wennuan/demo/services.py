"""The demo city: a realistic, deterministic Yantai heating network with people and zones.

Real district, street and community names come from ``data/yantai_communities.csv``
(china-division, WTFPL). Everything else is generated from the seed, so the same
``households`` and ``seed`` always build the same city. Households, the bulk of the
rows, go in through ``insert_rows`` (COPY / executemany), never one save per row.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wennuan.community.models import PartnerCommunity
from wennuan.core.bulk import insert_rows
from wennuan.grid.choices import Duty, Fuel, HeatingStatus, HeatSourceKind
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
from wennuan.people.models import Shift, User
from wennuan.service.models import ServiceRequest

DATA = Path(__file__).parent / "data" / "yantai_communities.csv"
FUTAI_CODE = "370602012019"  # 福泰社区, the partner community of the source article
HOUSEHOLDS_PER_STATION = 450
HOUSEHOLDS_PER_STAFF = 800  # in every role
HOUSEHOLDS_PER_COMMUNITY = 2000
DEPUTIES = 2
ROSTER_DAYS = 30
ROSTER_ROLES = (Role.TECHNICIAN, Role.INSPECTOR, Role.AGENT, Role.DISPATCHER, Role.MANAGER)
MASTER_DATA_GROUP = "master data editors"

# Central districts first: a small demo city stays in the urban core.
DISTRICT_ORDER = ["370602", "370613", "370611", "370676", "370612", "370614", "370671"]
# Approximate centres (lat, long) so buildings land on the map where the district is.
DISTRICT_CENTRES = {
    "370602": (37.535, 121.395),
    "370611": (37.497, 121.267),
    "370612": (37.387, 121.600),
    "370613": (37.485, 121.445),
    "370614": (37.811, 120.758),
    "370671": (37.445, 121.520),
    "370676": (37.560, 121.250),
    "370681": (37.646, 120.478),
    "370682": (36.978, 120.711),
    "370683": (37.177, 119.942),
    "370685": (37.365, 120.397),
    "370686": (37.336, 120.846),
    "370687": (36.776, 121.159),
}
HEAT_SOURCES = [
    ("HS01", "芝罘热电厂", HeatSourceKind.CHP, 37.545, 121.380, 350),
    ("HS02", "莱山热源厂", HeatSourceKind.BOILER, 37.480, 121.450, 280),
    ("HS03", "福山热源厂", HeatSourceKind.BOILER, 37.500, 121.260, 240),
    ("HS04", "开发区热电厂", HeatSourceKind.CHP, 37.565, 121.240, 320),
    ("HS05", "牟平热源厂", HeatSourceKind.BOILER, 37.390, 121.605, 180),
]
COMPLEX_WORDS_A = [
    "福泰",
    "幸福",
    "海韵",
    "金海湾",
    "阳光",
    "世纪",
    "东方",
    "滨海",
    "芝罘",
    "山海",
    "翠苑",
    "锦绣",
    "和平",
    "新华",
    "南山",
    "毓璜",
    "朝阳",
    "紫金",
    "天马",
    "青年",
    "鑫园",
    "祥和",
    "瑞景",
    "绿城",
    "富贵",
    "长安",
    "海天",
    "银河",
    "松山",
    "明珠",
]
COMPLEX_WORDS_B = ["小区", "花园", "家园", "新村", "苑", "公寓", "雅居", "名邸", "嘉园", "里"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国海燕文斌志伟晓东鹏飞"
VULNERABILITIES = ["独居老人", "家有婴儿", "卧床病人", "残疾人"]
DEMO_LOGINS = [
    ("manager", Role.MANAGER, "演示经理"),
    ("dispatcher", Role.DISPATCHER, "演示调度员"),
    ("agent", Role.AGENT, "演示客服"),
    ("technician", Role.TECHNICIAN, "演示维修员"),
    ("inspector", Role.INSPECTOR, "演示巡检员"),
    ("community", Role.COMMUNITY_WORKER, "福泰社区网格员"),
    ("admin", Role.ADMIN, "系统管理员"),
]
DUTY_POOLS = {
    Duty.REPAIR: Role.TECHNICIAN,
    Duty.CUSTOMER_SERVICE: Role.AGENT,
    Duty.EPIDEMIC_PREVENTION: Role.TECHNICIAN,
    Duty.INSPECTION: Role.INSPECTOR,
}

Progress = Callable[[str, int], None]


@dataclass
class CityStats:
    """Counts of what the generator built."""

    counts: dict[str, int] = field(default_factory=dict)


def load_communities() -> list[dict[str, str]]:
    """The shipped subset of Yantai's divisions: every urban community (社区)."""
    with DATA.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def pick_communities(rows: list[dict[str, str]], wanted: int) -> list[dict[str, str]]:
    """Futai first, then round-robin over the central districts so a small city spans several."""
    by_district: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if row["community_code"] != FUTAI_CODE:
            by_district.setdefault(row["district_code"], []).append(row)
    order = DISTRICT_ORDER + sorted(set(by_district) - set(DISTRICT_ORDER))
    chosen = [next(r for r in rows if r["community_code"] == FUTAI_CODE)]
    index = 0
    while len(chosen) < min(wanted, len(rows)):
        for code in order:
            pool = by_district.get(code, [])
            if index < len(pool) and len(chosen) < wanted:
                chosen.append(pool[index])
        index += 1
    return chosen


def city_exists() -> bool:
    """Whether the database already holds households (the demo then is not rebuilt)."""
    return Household.objects.exists()


@transaction.atomic  # all or nothing: a half-deleted city could not be rebuilt
def clear_city() -> None:
    """Delete requests, the grid, partnerships and non-superuser staff, children first."""
    from wennuan.demo.fuel import clear_demo_fuel
    from wennuan.demo.inspections import clear_demo_inspections
    from wennuan.operations.models import PlannedStop
    from wennuan.service.models import Incident

    clear_demo_inspections()  # findings name their work orders: before the requests
    from wennuan.emergency.models import (
        CallTask,
        DisinfectionLog,
        DisinfectionSite,
        EmergencyChange,
        FlagView,
        HouseholdFlag,
    )
    from wennuan.grid.models import HouseholdDataAction

    # Rows that name the staff, households and stations deleted below (a demo reset only).
    for named in (
        DisinfectionLog,
        CallTask,
        FlagView,
        HouseholdFlag,
        EmergencyChange,
        HouseholdDataAction,
    ):
        named._default_manager.all().delete()
    DisinfectionSite.objects.filter(station__isnull=False).delete()
    ServiceRequest.objects.all().delete()
    Incident.objects.all().delete()  # they name stations and heat sources, protectively
    PlannedStop.objects.all().delete()
    clear_demo_fuel()
    from wennuan.community.demo import clear_demo_community

    clear_demo_community()  # the supplies ledger protects the partners and people it names
    PartnerCommunity.objects.all().delete()
    Shift.objects.all().delete()
    ZoneAssignment.objects.all().delete()
    Household.objects.all().delete()
    Building.objects.all().delete()
    demo_names = [username for username, _role, _name in DEMO_LOGINS]
    User.objects.filter(Q(is_superuser=False) | Q(username__in=demo_names)).delete()
    for model in (Zone, Station, HeatSource, Complex, Community, Street, District):
        model._default_manager.all().delete()


def build_demo_city(*, households: int, seed: int, progress: Progress | None = None) -> CityStats:
    """Build the demo city in one transaction and return what it made.

    Steps: places (real names), heat sources, complexes and buildings, stations
    (about one per 450 households) and one zone per station, staff (about one per
    800 households in every role) with owners and deputies for every duty, the demo
    logins, partner communities, then the households in bulk.
    """
    if households < 100:
        raise ValueError("the demo city needs at least 100 households")
    rng = random.Random(seed)  # nosec B311  # seeded demo data
    report = progress or (lambda _step, _n: None)
    stats = CityStats()
    with transaction.atomic():
        communities = _places(rng, households, stats)
        report("places", 0)
        sources = _heat_sources(households, stats)
        buildings = _buildings(rng, communities, households, stats)
        report("buildings", 0)
        zones = _stations_and_zones(buildings, sources, stats)
        staff = _staff(rng, households, communities, stats)
        _assign_zones(zones, staff, stats)
        _partners(rng, communities, zones, buildings, staff, stats)
        _roster(staff, stats)
        report("staff", 0)
        stats.counts["households"] = _households(rng, buildings, report)
        _community_support(seed=seed, stats=stats)
    return stats


def _community_support(*, seed: int, stats: CityStats) -> None:
    """Futai's partnership as the source article tells it: its contacts, the company's Party
    members reported in with their vanguard posts, the union's donation of 2020-02-11 (goods
    bought for the occasion, so not booked from stock), two recent joint activities, and an
    opening stock of masks, disinfectant and gloves.

    Everything here is removed with the partnership by ``clear_city`` (no row names a
    partnership or a person protectively); the opening stock, written by nobody, stays
    in the books and is only written into empty books.
    """
    from wennuan.community.choices import EntryKind
    from wennuan.community.models import (
        ActivityParticipant,
        JointActivity,
        PartnerContact,
        PartyMemberReport,
        SupplyEntry,
        SupplyItem,
        SupportLine,
        SupportRecord,
    )
    from wennuan.community.seed import seed_supply_items

    rng = random.Random(seed + 31)  # nosec B311  # seeded demo data
    today = timezone.localdate()
    futai = PartnerCommunity.objects.select_related("liaison").get(community__code=FUTAI_CODE)
    manager = User.objects.get(username="manager")
    technician = User.objects.get(username="technician")
    PartnerContact.objects.bulk_create(
        PartnerContact(partner=futai, name=name, position=position, phone=_phone(rng), order=n)
        for n, (name, position) in enumerate(
            [("郑主任", "社区居委会主任"), (_person_name(rng), "社区党委书记")], start=1
        )
    )
    posts = [(technician, technician.vanguard_post), (manager, "联络党员先锋岗")]
    others = User.objects.filter(is_party_member=True, role=Role.TECHNICIAN).exclude(
        vanguard_post=""
    )
    posts += [(u, u.vanguard_post) for u in others.exclude(pk=technician.pk).order_by("pk")[:2]]
    PartyMemberReport.objects.bulk_create(
        PartyMemberReport(
            partner=futai,
            member=member,
            vanguard_post=post,
            reported_on=futai.since,
            created_by=manager,
        )
        for member, post in posts
    )
    record = SupportRecord.objects.create(
        partner=futai,
        day=futai.since,
        handed_over_by=manager,
        received_by="郑主任",
        note="工会代表公司全体职工慰问社区一线工作人员",
        created_by=manager,
    )
    SupportLine.objects.bulk_create(
        SupportLine(record=record, description=what, unit=unit, quantity=Decimal(n))
        for what, unit, n in [("消毒液", "桶", 20), ("打印纸", "箱", 10), ("喜旺产品", "份", 30)]
    )
    hours = [Decimal("3"), Decimal("2"), Decimal("2.5"), Decimal("2.5")]
    for days_ago, title, volunteers in [
        (3, "楼道消杀与防疫宣传", 6),
        (1, "入户排查室外供热设施", 2),
    ]:
        activity = JointActivity.objects.create(
            partner=futai,
            day=today - timedelta(days=days_ago),
            title=title,
            community_volunteers=volunteers,
            created_by=manager,
        )
        ActivityParticipant.objects.bulk_create(
            ActivityParticipant(activity=activity, person=member, hours=h)
            for (member, _post), h in zip(posts, hours, strict=False)
        )
    seed_supply_items()  # a flushed test database has lost the migration's rows
    if not SupplyEntry.objects.exists():
        opening = {
            "mask-medical": 2000,
            "mask-n95": 200,
            "disinfectant-84": 120,
            "alcohol-75": 60,
            "gloves-latex": 1000,
            "shoe-covers": 800,
        }
        SupplyEntry.objects.bulk_create(
            SupplyEntry(
                item=item,
                kind=EntryKind.RECEIPT,
                day=today - timedelta(days=20),
                quantity=Decimal(opening[item.code]),
                source="演示期初库存",
            )
            for item in SupplyItem.objects.filter(code__in=opening)
        )
    stats.counts["members_reported_in"] = len(posts)


@dataclass
class _Building:
    """A building not yet saved, and how many households it will hold."""

    obj: Building
    units: int


def _places(rng: random.Random, households: int, stats: CityStats) -> list[Community]:
    rows = pick_communities(
        load_communities(), max(3, math.ceil(households / HOUSEHOLDS_PER_COMMUNITY))
    )
    districts = {
        r["district_code"]: District(code=r["district_code"], name=r["district_name"]) for r in rows
    }
    District.objects.bulk_create(list(districts.values()))
    streets = {
        r["street_code"]: Street(
            code=r["street_code"], name=r["street_name"], district=districts[r["district_code"]]
        )
        for r in rows
    }
    Street.objects.bulk_create(list(streets.values()))
    communities = [
        Community(
            code=r["community_code"], name=r["community_name"], street=streets[r["street_code"]]
        )
        for r in rows
    ]
    Community.objects.bulk_create(communities)
    stats.counts.update(
        districts=len(districts), streets=len(streets), communities=len(communities)
    )
    return communities


def _heat_sources(households: int, stats: CityStats) -> list[HeatSource]:
    count = 3 if households < 100_000 else 4 if households < 500_000 else 5
    sources = [
        HeatSource(
            code=code,
            name=name,
            kind=kind,
            fuel=Fuel.COAL,
            latitude=lat,
            longitude=lng,
            # Capacity grows with the city: about 45 W/m² over 85 m² per household.
            capacity_mw=Decimal(max(cap, round(households * 85 * 45 / 1e6 / count * 1.3))),
        )
        for code, name, kind, lat, lng, cap in HEAT_SOURCES[:count]
    ]
    HeatSource.objects.bulk_create(sources)
    stats.counts["heat_sources"] = len(sources)
    return sources


def _buildings(
    rng: random.Random, communities: list[Community], households: int, stats: CityStats
) -> list[_Building]:
    """Complexes and buildings, community by community, until every household has a unit."""
    per_community = households / len(communities)
    complexes: list[Complex] = []
    planned: list[tuple[Complex, int, int, int, tuple[float, float], int]] = []
    remaining = households
    for index, community in enumerate(communities):
        share = remaining if index == len(communities) - 1 else round(per_community)
        remaining -= share
        centre = DISTRICT_CENTRES.get(community.street.district.code, (37.5, 121.4))
        spot = (centre[0] + rng.uniform(-0.03, 0.03), centre[1] + rng.uniform(-0.04, 0.04))
        used: set[str] = set()
        number_in_complex = 0
        current: Complex | None = None
        complex_spot = spot
        while share > 0:
            if current is None or number_in_complex >= rng.randint(8, 24):
                name = _complex_name(rng, used, community.name if not used else None)
                current = Complex(community=community, name=name)
                complexes.append(current)
                number_in_complex = 0
                complex_spot = (
                    spot[0] + rng.uniform(-0.006, 0.006),
                    spot[1] + rng.uniform(-0.008, 0.008),
                )
            floors = rng.choice([6, 6, 6, 7, 11, 18, 26])
            entrances = rng.choice([2, 2, 3, 4])
            units = min(share, floors * entrances * 2)
            share -= units
            number_in_complex += 1
            planned.append((current, number_in_complex, floors, entrances, complex_spot, units))
    Complex.objects.bulk_create(complexes)
    result: list[_Building] = []
    objs: list[Building] = []
    for seq, (cx, number, floors, entrances, spot, units) in enumerate(planned, start=1):
        community = cx.community
        address = f"{community.street.district.name}{community.street.name}{cx.name}{number}号楼"
        building = Building(
            code=f"B{seq:06d}",
            complex=cx,
            number=f"{number}号楼",
            address=address,
            latitude=round(spot[0] + rng.uniform(-0.0015, 0.0015), 6),
            longitude=round(spot[1] + rng.uniform(-0.002, 0.002), 6),
            floors=floors,
            entrances=entrances,
        )
        objs.append(building)
        result.append(_Building(building, units))
    stats.counts.update(complexes=len(complexes), buildings=len(objs))
    return result


def _complex_name(rng: random.Random, used: set[str], community_name: str | None) -> str:
    if community_name is not None:
        # The first complex takes the community's own name, as is common (福泰社区 → 福泰小区).
        name = community_name.removesuffix("社区") + "小区"
    else:
        name = rng.choice(COMPLEX_WORDS_A) + rng.choice(COMPLEX_WORDS_B)
        while name in used:
            name = (
                rng.choice(COMPLEX_WORDS_A) + rng.choice(COMPLEX_WORDS_B) + f"{rng.randint(2, 9)}期"
            )
    used.add(name)
    return name


def _stations_and_zones(
    buildings: list[_Building], sources: list[HeatSource], stats: CityStats
) -> list[tuple[Zone, list[_Building]]]:
    """Cut the buildings (in community order, so neighbours) into stations of ~450 households."""
    groups: list[list[_Building]] = [[]]
    load = 0
    for b in buildings:
        if load >= HOUSEHOLDS_PER_STATION:
            groups.append([])
            load = 0
        groups[-1].append(b)
        load += b.units
    stations: list[Station] = []
    zones: list[Zone] = []
    for seq, group in enumerate(groups, start=1):
        lat = sum(b.obj.latitude for b in group) / len(group)
        lng = sum(b.obj.longitude for b in group) / len(group)
        source = min(
            sources,
            key=lambda s: ((s.latitude or 0.0) - lat) ** 2 + ((s.longitude or 0.0) - lng) ** 2,
        )
        complex_name = group[0].obj.complex.name
        units = sum(b.units for b in group)
        stations.append(
            Station(
                code=f"S{seq:04d}",
                name=f"{complex_name}换热站",
                heat_source=source,
                capacity_mw=Decimal(round(units * 85 * 50 / 1e6 + 0.5, 2)),
                latitude=round(lat, 6),
                longitude=round(lng, 6),
            )
        )
        zones.append(Zone(code=f"Z{seq:04d}", name=f"{complex_name}片区"))
    Station.objects.bulk_create(stations)
    Zone.objects.bulk_create(zones)
    for station, zone, group in zip(stations, zones, groups, strict=True):
        for b in group:
            b.obj.station = station
            b.obj.zone = zone
    Building.objects.bulk_create([b.obj for b in buildings], batch_size=2000)
    stats.counts.update(stations=len(stations), zones=len(zones))
    return list(zip(zones, groups, strict=True))


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _staff(
    rng: random.Random, households: int, communities: list[Community], stats: CityStats
) -> dict[str, list[User]]:
    """About one person per 800 households in every role (at least three, so deputies exist)."""
    password = make_password(settings.DEMO_PASSWORD)
    per_role = max(3, round(households / HOUSEHOLDS_PER_STAFF))
    users: list[User] = []
    by_role: dict[str, list[User]] = {}
    for username, role, full_name in DEMO_LOGINS:
        user = User(
            username=username,
            role=role,
            full_name=full_name,
            password=password,
            phone=_phone(rng),
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
            is_party_member=role in (Role.TECHNICIAN, Role.MANAGER),
            vanguard_post="维修党员先锋岗" if role == Role.TECHNICIAN else "",
            community=communities[0] if role == Role.COMMUNITY_WORKER else None,
        )
        users.append(user)
        by_role.setdefault(role, []).append(user)
    for role in Role:
        if role in (Role.ADMIN, Role.COMMUNITY_WORKER):
            continue
        for n in range(2, per_role + 1):
            party = rng.random() < 0.35
            user = User(
                username=f"{role.value}{n:04d}",
                role=role,
                full_name=_person_name(rng),
                password=password,
                phone=_phone(rng),
                is_party_member=party,
                vanguard_post=rng.choice(["维修党员先锋岗", "客服党员先锋岗", "巡检党员先锋岗"])
                if party and rng.random() < 0.5
                else "",
            )
            users.append(user)
            by_role.setdefault(role, []).append(user)
    User.objects.bulk_create(users, batch_size=2000)
    # Field staff report to a manager; managers to the first manager.
    managers = by_role[Role.MANAGER]
    for index, user in enumerate(users):
        if user.role == Role.MANAGER:
            user.supervisor = managers[0] if user is not managers[0] else None
        elif user.role != Role.ADMIN:
            user.supervisor = managers[index % len(managers)]
    User.objects.bulk_update(users, ["supervisor"], batch_size=2000)
    _grant_master_data(by_role[Role.MANAGER])
    stats.counts["staff"] = len(users)
    return by_role


def _roster(staff: dict[str, list[User]], stats: CityStats) -> None:
    """Twelve-hour shifts for ROSTER_DAYS from yesterday: half the people on days, half on nights.

    The demo logins work both shifts, so whoever tries the demo finds them on duty; the
    ``dispatcher`` login leads dispatch. Other owners are off at night, so night-time
    requests show the fallback to deputies.
    """
    demo_names = {username for username, _role, _name in DEMO_LOGINS}
    today = timezone.localdate()
    rows: list[tuple[Any, ...]] = []
    for role in ROSTER_ROLES:
        for index, person in enumerate(staff.get(role, [])):
            for offset in range(-1, ROSTER_DAYS):
                day = today + timedelta(days=offset)
                morning = timezone.make_aware(datetime.combine(day, time(8)))
                evening = morning + timedelta(hours=12)
                lead = person.username == "dispatcher"
                if person.username in demo_names:
                    rows.append((person.pk, morning, evening, lead))
                    rows.append((person.pk, evening, evening + timedelta(hours=12), lead))
                elif role == Role.MANAGER or index % 2 == 0:
                    rows.append((person.pk, morning, evening, False))
                else:
                    rows.append((person.pk, evening, evening + timedelta(hours=12), False))
    insert_rows(Shift, ["staff", "starts_at", "ends_at", "leads_dispatch"], rows)
    stats.counts["shifts"] = len(rows)


# What managers edit in the admin: master data, the service catalogue, alarm rules and
# heating curves, fuel profiles and daily temperatures. Not requests, alarms, readings or the
# coal ledger: those change only through services.
MASTER_DATA_APPS = ["grid", "people", "community"]
MASTER_DATA_MODELS = [
    ("service", "servicecategory"),
    ("service", "categoryattribute"),
    ("operations", "alarmrule"),
    ("operations", "heatingcurve"),
    ("fuel", "fuelprofile"),  # each plant's coal quality and boiler efficiency
    ("fuel", "weatherday"),  # a day's temperature entered by hand
]


def master_data_group() -> Group:
    """The demo managers' group, with its permissions brought up to date."""
    group, _created = Group.objects.get_or_create(name=MASTER_DATA_GROUP)
    models_q = Q()
    for app_label, model in MASTER_DATA_MODELS:
        models_q |= Q(content_type__app_label=app_label, content_type__model=model)
    group.permissions.set(
        Permission.objects.filter(Q(content_type__app_label__in=MASTER_DATA_APPS) | models_q)
    )
    return group


def _grant_master_data(managers: list[User]) -> None:
    """Managers edit master data in the admin (see MASTER_DATA_MODELS)."""
    group = master_data_group()
    User.objects.filter(pk__in=[m.pk for m in managers]).update(is_staff=True)
    group.user_set.add(*managers)


def _assign_zones(
    zones: list[tuple[Zone, list[_Building]]], staff: dict[str, list[User]], stats: CityStats
) -> None:
    """Each zone, per duty: owner = next person of the duty's role, deputies the two after."""
    assignments: list[ZoneAssignment] = []
    for index, (zone, _group) in enumerate(zones):
        for duty, role in DUTY_POOLS.items():
            pool = staff[role]
            # Epidemic prevention starts half-way round the technicians, so it is
            # not the repair owner again, and load stays even.
            start = index + (len(pool) // 2 if duty == Duty.EPIDEMIC_PREVENTION else 0)
            for rank in range(DEPUTIES + 1):
                assignments.append(
                    ZoneAssignment(
                        zone=zone, duty=duty, rank=rank, staff=pool[(start + rank) % len(pool)]
                    )
                )
    ZoneAssignment.objects.bulk_create(assignments, batch_size=5000)
    stats.counts["zone_assignments"] = len(assignments)


def _partners(
    rng: random.Random,
    communities: list[Community],
    zones: list[tuple[Zone, list[_Building]]],
    buildings: list[_Building],
    staff: dict[str, list[User]],
    stats: CityStats,
) -> None:
    """Futai and about one community in ten become partners, each with a liaison and workers."""
    partners = [communities[0]] + [c for c in communities[1:] if rng.random() < 0.1]
    serving: dict[int, set[Zone]] = {}
    for zone, group in zones:
        for b in group:
            serving.setdefault(b.obj.complex.community_id, set()).add(zone)
    liaisons = staff[Role.MANAGER] + staff[Role.TECHNICIAN]
    records = [
        PartnerCommunity(
            community=c,
            since=date(2020, 2, 11),
            liaison=liaisons[i % len(liaisons)],
            note="双报到·共同战疫" if i == 0 else "",
        )
        for i, c in enumerate(partners)
    ]
    PartnerCommunity.objects.bulk_create(records)
    through = PartnerCommunity.zones.through
    through.objects.bulk_create(
        [
            through(partnercommunity_id=p.pk, zone_id=z.pk)
            for p in records
            for z in serving.get(p.community_id, ())
        ]
    )
    # The demo technician owns repair, and the demo inspector inspection, in a zone serving
    # Futai: they are put first in those pools.
    futai_zone = min(serving[communities[0].pk], key=lambda z: z.code)
    for username, duty in (("technician", Duty.REPAIR), ("inspector", Duty.INSPECTION)):
        login = User.objects.get(username=username)
        owner = ZoneAssignment.objects.get(zone=futai_zone, duty=duty, rank=0)
        if owner.staff_id != login.pk:
            ZoneAssignment.objects.filter(zone=futai_zone, duty=duty, staff=login).delete()
            owner.staff = login
            owner.save(update_fields=["staff"])
    workers = [
        User(
            username=f"community{n:04d}",
            role=Role.COMMUNITY_WORKER,
            full_name=_person_name(rng),
            password=staff[Role.MANAGER][0].password,
            phone=_phone(rng),
            community=c,
        )
        for n, c in enumerate(partners[1:], start=2)
    ]
    User.objects.bulk_create(workers)
    stats.counts["partner_communities"] = len(records)


def _households(rng: random.Random, buildings: list[_Building], report: Progress) -> int:
    columns = [
        "account_number",
        "building",
        "entrance",
        "unit",
        "address",
        "heated_area_m2",
        "heating_status",
        "occupant_name",
        "phone",
        "alt_phone",
        "vulnerable",
        "vulnerability_note",
    ]
    statuses = (
        [HeatingStatus.HEATING.value] * 93
        + [HeatingStatus.SUSPENDED.value] * 6
        + [HeatingStatus.DISCONNECTED.value]
    )

    inserted = 0

    def rows() -> Iterator[tuple[Any, ...]]:
        nonlocal inserted
        for b in buildings:
            per_entrance = math.ceil(b.units / b.obj.entrances)
            building_id = b.obj.pk
            for k in range(b.units):
                inserted += 1
                entrance = k // per_entrance + 1
                within = k % per_entrance
                unit = f"{within // 2 + 1}{within % 2 + 1:02d}"
                alt = _phone(rng) if rng.random() < 0.3 else ""
                vulnerable = rng.random() < 0.03
                yield (
                    f"{3706000000 + inserted}",
                    building_id,
                    entrance,
                    unit,
                    f"{b.obj.address}{entrance}单元{unit}室",
                    f"{rng.uniform(45, 140):.2f}",
                    rng.choice(statuses),
                    _person_name(rng),
                    _phone(rng),
                    alt,
                    vulnerable,
                    rng.choice(VULNERABILITIES) if vulnerable else "",
                )
                if inserted % 10_000 == 0:
                    report("households", 10_000)
        report("households", inserted % 10_000)

    insert_rows(Household, columns, rows())
    return inserted


def sample_household() -> Household | None:
    """A demo household whose repair owner is the demo technician: the one the docs' examples
    file for, so that the request shows up in that login's My work."""
    return (
        Household.objects.select_related("building")
        .filter(
            building__zone__assignments__duty=Duty.REPAIR,
            building__zone__assignments__rank=0,
            building__zone__assignments__staff__username="technician",
        )
        .order_by("account_number")
        .first()
    )
