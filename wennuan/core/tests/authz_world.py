"""The world the authorization matrix runs in (see test_authorization_matrix.py).

The small demo city (2,000 households, seed 7) plus a far zone ("ZFAR", its own community,
station and one household) whose technician, inspector and community worker are the
"other zone" staff. Every object the matrix asks for ("foreign" ones) lies in zone Z0001,
Futai Community, which none of them serves; the resident proved the far zone's household.

``WriteWatch`` notices any write to any table between two points: on SQLite through
temporary triggers on every table (a row per write in a temp table), on PostgreSQL through
``pg_stat_xact_user_tables`` (the current transaction's inserted, updated and deleted rows per
table); elsewhere through row counts. Cheap enough to run around every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

# Tables a refused request may write to without changing anything of the domain: the
# session (the portal remembers where to come back to after the code check).
IGNORED_TABLES = frozenset({"django_session"})

# A tiny valid JPEG header is enough: the views stream the file, they do not decode it.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"

SECRET_DESCRIPTION = "AUTHZ-PRIVATE-DESCRIPTION-7Q"
SECRET_MEDIA = "https://media.example.org/authz-private-7q.jpg"


@dataclass
class World:
    """Ids and values the routes' kwargs, queries and bodies are built from."""

    users: dict[str, Any]  # persona -> User (None for anonymous and the resident)
    resident_household: Any
    own_request: Any  # the resident's own request
    zone: Any  # foreign zone (Z0001)
    far_zone: Any
    far_station: Any  # feeds the far community: its community worker is in scope, yet refused
    far_alarm: Any  # on the far station
    household: Any
    building: Any
    station: Any
    heat_source: Any
    request: Any  # foreign request (Z0001), dispatched to someone of that zone
    other_request: Any  # another foreign request (original for "duplicate")
    photo: Any
    alarm: Any
    incident: Any
    stop: Any
    round: Any
    plan: Any
    facility: Any
    visit: Any
    finding: Any
    partner: Any
    member_report: Any
    support_record: Any
    supply_entry: Any
    flag: Any
    call: Any
    coal_entry: Any
    expected_delivery: Any
    shift: Any
    subject: Any  # a staff member whose health history only managers may read
    api_key: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def private_markers(self) -> list[str]:
        """What not even public data (Open311) shows of a household's request."""
        found = [
            self.household.account_number,
            self.household.address,
            self.household.phone,
            SECRET_DESCRIPTION,
            SECRET_MEDIA,
        ]
        return [marker for marker in found if marker]

    def markers(self) -> list[str]:
        """Strings that only appear on a page that shows foreign data."""
        return [
            *self.private_markers(),
            self.building.code,
            self.request.number,
            self.facility.code,
        ]


def build_world() -> World:
    from wennuan.community.models import PartyMemberReport, SupplyEntry, SupportRecord
    from wennuan.demo.emergency import build_demo_sites
    from wennuan.demo.fuel import build_demo_fuel
    from wennuan.demo.inspections import build_demo_inspections
    from wennuan.demo.services import build_demo_city
    from wennuan.emergency.models import CallTask, HouseholdFlag
    from wennuan.fuel.models import CoalEntry, ExpectedDelivery
    from wennuan.fuel.services import expect_delivery
    from wennuan.grid.choices import Duty
    from wennuan.grid.models import Community, Household, Zone, ZoneAssignment
    from wennuan.grid.tests.factories import make_building, make_household, make_station
    from wennuan.inspections.models import (
        ChecklistItem,
        Finding,
        InspectionPlan,
        InspectionRound,
        Visit,
    )
    from wennuan.inspections.tests.factories import make_facility, make_plan
    from wennuan.open311.services import issue_key
    from wennuan.operations.models import Alarm, AlarmRule, PlannedStop
    from wennuan.people.choices import Role
    from wennuan.people.models import Shift, User
    from wennuan.service.models import Incident, RequestPhoto, ServiceCategory
    from wennuan.service.services import submit_request

    build_demo_city(households=2_000, seed=7)
    build_demo_fuel(seed=7)
    build_demo_inspections(seed=7)
    build_demo_sites()
    now = timezone.now()

    # --- the far zone and its people -----------------------------------------------------
    far_zone = Zone.objects.create(code="ZFAR", name="远端测试片区")
    street = Community.objects.first().street  # type: ignore[union-attr]
    far_community = Community.objects.create(
        code="370699999001", name="远端测试社区", street=street
    )
    far_station = make_station()
    far_building = make_building(zone=far_zone, community=far_community, station=far_station)
    resident_household = make_household(far_building)

    def staff(username: str, role: str, **fields: Any) -> Any:
        return User.objects.create_user(
            username=username, role=role, full_name=username, password="x", **fields
        )

    technician = staff("far-technician", Role.TECHNICIAN)
    inspector = staff("far-inspector", Role.INSPECTOR)
    community = staff("far-community", Role.COMMUNITY_WORKER, community=far_community)
    for duty in (Duty.REPAIR, Duty.EPIDEMIC_PREVENTION):
        ZoneAssignment.objects.create(zone=far_zone, duty=duty, rank=0, staff=technician)
    ZoneAssignment.objects.create(zone=far_zone, duty=Duty.INSPECTION, rank=0, staff=inspector)
    users = {
        "anonymous": None,
        "resident": None,
        "technician": technician,
        "inspector": inspector,
        "community": community,
        **{name: User.objects.get(username=name) for name in ("agent", "dispatcher", "manager")},
        "admin": User.objects.get(username="admin"),
    }

    # --- the foreign objects: zone Z0001 (Futai Community only) ---------------------------
    zone = Zone.objects.get(code="Z0001")
    household = Household.objects.filter(building__zone=zone).order_by("pk").first()
    assert household is not None
    building = household.building
    station = building.station
    not_warm = ServiceCategory.objects.get(code="not_warm")
    answers = {"indoor_temperature": "15", "rooms_affected": "whole_home"}

    def file(home: Any, description: str) -> Any:
        return submit_request(
            category=not_warm,
            household=home,
            channel="hotline",
            attributes=answers,
            description=description,
        ).request

    request = file(household, SECRET_DESCRIPTION)
    request.media_url = SECRET_MEDIA
    request.save(update_fields=["media_url"])
    neighbour = Household.objects.filter(building__zone=zone).exclude(pk=household.pk).first()
    other_request = file(neighbour, "另一户不热")
    own_request = file(resident_household, "我家不热")

    photo = RequestPhoto(request=request, content_type="image/jpeg", size=len(JPEG))
    photo.image.save("authz.jpg", ContentFile(JPEG), save=True)

    alarm = Alarm.objects.create(
        rule=AlarmRule.objects.order_by("pk")[0],
        station=station,
        severity="warning",
        raised_at=now,
        last_seen_at=now,
        detail="authz",
    )
    far_alarm = Alarm.objects.create(
        rule=AlarmRule.objects.order_by("pk")[0],
        station=far_station,
        severity="warning",
        raised_at=now,
        last_seen_at=now,
        detail="authz far",
    )
    incident = Incident.objects.create(station=station, cause="authz", opened_at=now)
    stop = PlannedStop.objects.create(
        station=station,
        starts_at=now,
        expected_end_at=now + timedelta(hours=4),
        reason="authz",
        announced_by=users["dispatcher"],
    )

    plan = InspectionPlan.objects.filter(zone=zone).order_by("pk").first()
    if plan is None:  # the small city may have none in Z0001: one valve well, one route
        plan = make_plan(zone, [make_facility(zone, code="AUTHZ-F1", building=building)])
    round_, _new = InspectionRound.objects.get_or_create(plan=plan, due_on=timezone.localdate())
    round_.assignee = User.objects.get(username="inspector")
    round_.save(update_fields=["assignee"])
    facility = round_.plan.stops.order_by("position").first().facility  # type: ignore[union-attr]
    visit = Visit(round=round_, facility=facility, position=1)
    visit.photo.save("authz-visit.jpg", ContentFile(JPEG), save=True)
    finding = Finding.objects.create(
        round=round_,
        facility=facility,
        item=ChecklistItem.objects.order_by("pk")[0],
        description="authz",
        work_order=other_request,
    )

    partner = household.building.complex.community.partnership
    member_report = PartyMemberReport.objects.filter(partner=partner).order_by("pk").first()
    support_record = SupportRecord.objects.filter(partner=partner).order_by("pk").first()
    supply_entry = SupplyEntry.objects.order_by("pk").first()

    flag = HouseholdFlag.objects.create(
        household=household, kind="elderly_alone", starts_on=timezone.localdate()
    )
    agent = users["agent"]
    call = CallTask.objects.create(
        household=household, reason="exposure", detail="authz", assignee=agent, key="authz-call"
    )

    # Fuel is whole-city: any coal yard with books will do.
    coal_entry = CoalEntry.objects.select_related("heat_source").order_by("-pk").first()
    assert coal_entry is not None, "the demo city keeps coal books"
    heat_source = coal_entry.heat_source
    expected_delivery = ExpectedDelivery.objects.filter(heat_source=heat_source).first()
    if expected_delivery is None:
        expected_delivery = expect_delivery(
            heat_source=heat_source,
            expected_on=timezone.localdate() + timedelta(days=3),
            tonnes=500,
            supplier="authz",
            actor=users["manager"],
        )
    shift = Shift.objects.order_by("pk").first()
    subject = staff("far-subject", Role.TECHNICIAN)
    api_key = issue_key(name="authz integration").api_key

    return World(
        users=users,
        resident_household=resident_household,
        own_request=own_request,
        zone=zone,
        far_zone=far_zone,
        far_station=far_station,
        far_alarm=far_alarm,
        household=household,
        building=building,
        station=station,
        heat_source=heat_source,
        request=request,
        other_request=other_request,
        photo=photo,
        alarm=alarm,
        incident=incident,
        stop=stop,
        round=round_,
        plan=round_.plan,
        facility=facility,
        visit=visit,
        finding=finding,
        partner=partner,
        member_report=member_report,
        support_record=support_record,
        supply_entry=supply_entry,
        flag=flag,
        call=call,
        coal_entry=coal_entry,
        expected_delivery=expected_delivery,
        shift=shift,
        subject=subject,
        api_key=api_key,
    )


class WriteWatch:
    """Which tables were written to since ``start()``."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.tables = [
            t for t in connection.introspection.table_names() if not t.startswith("sqlite_")
        ]
        self._before: dict[str, Any] = {}

    def install(self) -> None:
        if self.vendor != "sqlite":
            return
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS authz_writes (tbl TEXT)")
            for n, table in enumerate(self.tables):
                for op in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TEMP TRIGGER IF NOT EXISTS authz_{n}_{op.lower()} AFTER {op} ON "
                        f'main."{table}" BEGIN INSERT INTO authz_writes VALUES '
                        f"('{table}'); END"
                    )

    def _counts(self) -> dict[str, Any]:
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del "
                    "FROM pg_stat_xact_user_tables"
                )
                return dict(cursor.fetchall())
            counts = {}
            for table in self.tables:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                counts[table] = cursor.fetchone()[0]
            return counts

    def start(self) -> None:
        if self.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM temp.authz_writes")
        else:
            self._before = self._counts()

    def written(self) -> set[str]:
        """The tables written to since ``start()`` (those of IGNORED_TABLES left out)."""
        if self.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT DISTINCT tbl FROM temp.authz_writes")
                found = {row[0] for row in cursor.fetchall()}
        else:
            after = self._counts()
            found = {t for t, n in after.items() if n != self._before.get(t, 0)}
        return found - IGNORED_TABLES
