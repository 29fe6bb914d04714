"""Reads of the heating grid: the household chain, search, and the coverage audit."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Func, IntegerField, OuterRef, Q, QuerySet, Subquery

from wennuan.core.validators import normalise_phone
from wennuan.grid.choices import Duty
from wennuan.grid.models import Building, Household, Station, Zone, ZoneAssignment
from wennuan.people.models import User

# The chain from a household up to its district and heat source, fetched in one join.
HOUSEHOLD_CHAIN = (
    "building__complex__community__street__district",
    "building__complex__community__partnership__liaison",
    "building__station__heat_source",
    "building__zone",
)


def _building_count(of: str) -> Subquery:
    """How many buildings point at the outer row (``of``: "station" or "zone"), as a
    correlated subquery: PostgreSQL runs it for the page's rows only, where ``Count`` with a
    GROUP BY counted the buildings of every station before the page was cut (13.6 ms for a
    page of 50 of 2,016 stations)."""
    buildings = (
        Building.objects.filter(**{of: OuterRef("pk")})
        .order_by()
        .annotate(n=Func("pk", function="COUNT"))
        .values("n")
    )
    return Subquery(buildings, output_field=IntegerField())


def stations_for_list(user: Any) -> QuerySet[Station]:
    """The stations this user may see, by code, with their heat source and building count."""
    return (
        Station.objects.for_user(user)
        .select_related("heat_source")
        .annotate(building_count=_building_count("station"))
        .order_by("code")
    )


def zones_for_list(user: Any) -> QuerySet[Zone]:
    """The zones this user may see, by code, with their building count."""
    return (
        Zone.objects.for_user(user)
        .annotate(building_count=_building_count("zone"))
        .order_by("code")
    )


@dataclass
class DutyPeople:
    """The named owner and ordered deputies of one duty in one zone."""

    duty: Duty
    owner: User | None = None
    deputies: list[User] = field(default_factory=list)


def duty_people_for_zone(zone_id: int | None) -> dict[str, DutyPeople]:
    """Owner and deputies of every duty of a zone, in one query (empty duties included)."""
    people = {duty.value: DutyPeople(duty=duty) for duty in Duty}
    if zone_id is None:
        return people
    assignments = (
        ZoneAssignment.objects.filter(zone_id=zone_id, staff__is_active=True)
        .select_related("staff")
        .order_by("duty", "rank")
    )
    for assignment in assignments:
        slot = people[assignment.duty]
        if assignment.rank == 0:
            slot.owner = assignment.staff
        else:
            slot.deputies.append(assignment.staff)
    return people


@dataclass
class HouseholdChain:
    """Everything the company knows about who serves a household, from one lookup."""

    household: Household
    duties: dict[str, DutyPeople]

    @property
    def building(self) -> Building:
        return self.household.building

    @property
    def zone(self) -> Zone | None:
        return self.household.building.zone


def household_chain(
    *, user: Any, account_number: str | None = None, pk: int | None = None
) -> HouseholdChain:
    """The household's building, station, heat source, zone and each duty's people.

    Two queries whatever the size of the city: one join up the chain, one for the
    zone's assignments. Raises Household.DoesNotExist when absent or not visible.
    """
    households = Household.objects.for_user(user).select_related(*HOUSEHOLD_CHAIN)
    lookup: dict[str, Any] = {"account_number": account_number} if pk is None else {"pk": pk}
    household = households.get(**lookup)
    return HouseholdChain(
        household=household, duties=duty_people_for_zone(household.building.zone_id)
    )


def nearest_building(
    latitude: float, longitude: float, *, radius_deg: float = 0.01
) -> Building | None:
    """The building closest to a point (within about a kilometre), for reports made at a place."""
    nearby = Building.objects.filter(
        latitude__range=(latitude - radius_deg, latitude + radius_deg),
        longitude__range=(longitude - radius_deg, longitude + radius_deg),
    ).only("pk", "latitude", "longitude", "station_id", "zone_id")
    return min(
        nearby,
        key=lambda b: (b.latitude - latitude) ** 2 + (b.longitude - longitude) ** 2,
        default=None,
    )


PHONE_QUERY = re.compile(r"^\+?[\d\- ]{7,20}$")
ACCOUNT_QUERY = re.compile(r"^[A-Za-z]{0,4}\d{4,20}$")


def search_households(*, user: Any, query: str, limit: int = 50) -> QuerySet[Household]:
    """Households matching an account number, a phone number or an address fragment.

    Account numbers and phones use their indexes. An address fragment is narrowed to
    the complexes whose name it mentions, or those of the street it names (small tables),
    before the households are scanned, so a search stays fast at a million households;
    such results come building by building.
    """
    text = query.strip()
    base = Household.objects.for_user(user).select_related("building__zone")
    if not text:
        return base.none()
    if ACCOUNT_QUERY.match(text) and base.filter(account_number=text.upper()).exists():
        return base.filter(account_number=text.upper())
    if PHONE_QUERY.match(text):
        phone = normalise_phone(text)
        return base.filter(Q(phone=phone) | Q(alt_phone=phone)).order_by("account_number")[:limit]
    complexes = _complexes_named_in(text)
    order: tuple[str, ...] = ("account_number",)
    if complexes:
        base = base.filter(building__complex_id__in=complexes)
        # Building by building: the households' building index finds the first ones. By
        # account number alone, PostgreSQL walked that index through 300,000 households of
        # other streets before reaching a street's (they are numbered street by street).
        order = ("building_id", "account_number")
    # Addresses are stored without spaces ("福泰小区1号楼1单元101室"): the query as one
    # run first, so "1号楼" does not also match "11号楼"; then each word on its own.
    contiguous = base.filter(address__contains="".join(text.split())).order_by(*order)[:limit]
    if complexes and contiguous:
        return contiguous
    rest = _strip_complex_names(text, complexes) if complexes else text
    for word in rest.split():
        base = base.filter(address__contains=word)
    return base.order_by(*order)[:limit]


def _complexes_named_in(text: str) -> dict[int, str]:
    """Complexes whose name occurs in the query, or which contain the whole query, or which
    lie in a street (subdistrict) the query names: a street's name matches tens of thousands
    of homes, found by their buildings instead of by scanning every household."""
    from wennuan.grid.models import Complex

    found: dict[int, str] = {}
    named: dict[str, bool] = {}  # street name → whether the query names it
    for pk, name, street in Complex.objects.values_list(
        "pk", "name", "community__street__name"
    ).iterator():
        if street not in named:
            named[street] = bool(street) and street in text
        if name in text or (len(text) >= 2 and text in name) or named[street]:
            found[pk] = name
    return found


def _strip_complex_names(text: str, complexes: dict[int, str]) -> str:
    for name in sorted(set(complexes.values()), key=len, reverse=True):
        text = text.replace(name, " ")
    # A fragment that is itself part of a complex name has nothing left to match.
    return "" if any(text.strip() in name for name in complexes.values()) else text


@dataclass
class CoverageGap:
    """A zone (or, with no zone, a building) that lacks an owner or deputy for a duty."""

    kind: str  # "no_zone", "no_owner" or "no_deputy"
    duty: str | None
    zone: Zone | None
    building: Building | None
    buildings: int
    households: int


@dataclass
class OverloadedOwner:
    """A staff member who owns zones holding more households than the configured load."""

    staff: User
    zones: int
    households: int


@dataclass
class CoverageAudit:
    """The result of one coverage audit."""

    gaps: list[CoverageGap]
    overloaded: list[OverloadedOwner]
    max_households: int
    zones: int
    buildings: int
    households: int

    @property
    def ok(self) -> bool:
        return not self.gaps and not self.overloaded

    def summary(self) -> dict[str, Any]:
        """A JSON-safe digest, stored by the nightly audit."""
        return {
            "zones": self.zones,
            "buildings": self.buildings,
            "households": self.households,
            "max_households": self.max_households,
            "gaps": [
                {
                    "kind": g.kind,
                    "duty": g.duty,
                    "zone": g.zone.code if g.zone else None,
                    "building": g.building.code if g.building else None,
                    "buildings": g.buildings,
                    "households": g.households,
                }
                for g in self.gaps
            ],
            "overloaded": [
                {"staff": o.staff.username, "zones": o.zones, "households": o.households}
                for o in self.overloaded
            ],
        }


def coverage_audit(*, max_households: int | None = None) -> CoverageAudit:
    """Find buildings without a zone, zones missing an owner or deputy per duty, overloaded owners.

    Set-based: a fixed handful of grouped queries whatever the size of the city.
    Assignments held by deactivated staff do not count as cover.
    """
    limit = max_households or settings.COVERAGE_MAX_HOUSEHOLDS_PER_OWNER
    per_zone: dict[int | None, dict[str, int]] = {
        row["zone_id"]: {"buildings": row["building_count"], "households": row["household_count"]}
        for row in Building.objects.values("zone_id").annotate(
            building_count=Count("pk", distinct=True), household_count=Count("households")
        )
    }
    zones = Zone.objects.in_bulk([z for z in per_zone if z is not None])
    gaps: list[CoverageGap] = []

    unzoned = per_zone.get(None)
    if unzoned:
        for building in (
            Building.objects.filter(zone__isnull=True)
            .annotate(n=Count("households"))
            .order_by("code")
        ):
            gaps.append(
                CoverageGap("no_zone", None, None, building, 1, building.n)  # type: ignore[attr-defined]
            )

    owners: set[tuple[int, str]] = set()
    deputies: set[tuple[int, str]] = set()
    owned_zones: dict[int, set[int]] = defaultdict(set)
    for zone_id, duty, rank, staff_id in ZoneAssignment.objects.filter(
        staff__is_active=True
    ).values_list("zone_id", "duty", "rank", "staff_id"):
        if rank == 0:
            owners.add((zone_id, duty))
            owned_zones[staff_id].add(zone_id)
        else:
            deputies.add((zone_id, duty))

    for zone_id, zone in sorted(zones.items(), key=lambda item: item[1].code):
        counts = per_zone[zone_id]
        for duty in Duty:
            for kind, present in (("no_owner", owners), ("no_deputy", deputies)):
                if (zone_id, duty.value) not in present:
                    gaps.append(
                        CoverageGap(
                            kind, duty.value, zone, None, counts["buildings"], counts["households"]
                        )
                    )

    overloaded: list[OverloadedOwner] = []
    staff = User.objects.in_bulk(list(owned_zones))
    for staff_id, zone_ids in owned_zones.items():
        load = sum(per_zone[z]["households"] for z in zone_ids if z in per_zone)
        if load > limit:
            overloaded.append(OverloadedOwner(staff[staff_id], len(zone_ids), load))
    overloaded.sort(key=lambda o: -o.households)

    return CoverageAudit(
        gaps=gaps,
        overloaded=overloaded,
        max_households=limit,
        zones=len(zones),
        buildings=sum(row["buildings"] for row in per_zone.values()),
        households=sum(row["households"] for row in per_zone.values()),
    )


@dataclass
class Overview:
    """What the overview page shows a user: their scope and their named duties."""

    households: int
    buildings: int
    zones: int
    stations: int
    my_assignments: list[ZoneAssignment]
    last_report: Any
    partners: list[Any]


def overview_for_user(user: Any) -> Overview:
    """Counts within the user's scope, their own zone assignments, the last coverage report."""
    from wennuan.community.models import PartnerCommunity
    from wennuan.grid.models import CoverageReport, Station

    partners = PartnerCommunity.objects.select_related("community", "liaison")
    if not user.sees_whole_city:
        partners = partners.filter(
            Q(liaison=user) | Q(community_id=user.community_id) | Q(zones__assignments__staff=user)
        ).distinct()
    return Overview(
        households=Household.objects.for_user(user).count(),
        buildings=Building.objects.for_user(user).count(),
        zones=Zone.objects.for_user(user).count(),
        stations=Station.objects.for_user(user).count(),
        my_assignments=list(
            ZoneAssignment.objects.filter(staff=user)
            .select_related("zone")
            .order_by("zone__code", "duty")
        ),
        last_report=CoverageReport.objects.first() if user.sees_whole_city else None,
        partners=list(partners[:20]),
    )
