"""A planted day for the briefing: requests in given categories resolved on time, late or
not at all, incidents, alarms, a coal yard with a known cover, inspection rounds done and
overdue, staff with health statuses and check-ins, and emergency mode switched on.

Everything happens on DAY (9 December 2026, in the heating season, so SLA clocks run around
the clock) or around it, at controlled times; the morning job runs at 07:00 the day after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from wennuan.community.models import PartnerCommunity, SupportRecord
from wennuan.community.seed import seed_supply_items
from wennuan.community.services import (
    DonationLine,
    record_donation,
    record_receipt,
    reverse_support,
)
from wennuan.community.tests.factories import item
from wennuan.emergency.services import set_emergency_mode
from wennuan.fuel.services import record_consumption, record_delivery
from wennuan.grid.models import HeatSource
from wennuan.grid.tests.factories import make_community, make_user
from wennuan.inspections.choices import RoundStatus
from wennuan.inspections.models import InspectionRound
from wennuan.inspections.tests.factories import Patrol, make_patrol
from wennuan.operations.alarms import acknowledge_alarm, clear_alarm
from wennuan.operations.models import Alarm, AlarmRule
from wennuan.people.choices import HealthStatus, Role
from wennuan.people.models import HealthCheckIn, User
from wennuan.service.incidents import open_incident, resolve_incident
from wennuan.service.models import Incident, ServiceRequest
from wennuan.service.services import (
    accept_request,
    cancel_request,
    resolve_request,
    submit_request,
)
from wennuan.service.tests.factories import category, file_not_warm, on_shift

ZONE = timezone.get_current_timezone()
DAY = date(2026, 12, 9)
MORNING_AFTER = datetime(2026, 12, 10, 7, 0, tzinfo=ZONE)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


BEFORE = DAY - timedelta(days=1)
AFTER = DAY + timedelta(days=1)


@dataclass
class PlantedDay:
    patrol: Patrol
    requests: dict[str, ServiceRequest]
    incidents: dict[str, Incident]
    alarms: dict[str, Alarm]
    yard: HeatSource
    partners: list[PartnerCommunity]
    donation: SupportRecord


def _file(code: str, patrol: Patrol, channel: str, **attributes: Any) -> ServiceRequest:
    return submit_request(
        category=category(code),
        household=patrol.area.household,
        channel=channel,
        description="测试",
        attributes=attributes,
    ).request


def _resolve(request: ServiceRequest, by: User, note: str = "修好了") -> None:
    request.refresh_from_db()
    accept_request(request=request, actor=by)
    extra = {"measured_temperature": Decimal("20")} if request.category.code == "not_warm" else {}
    resolve_request(request=request, actor=by, note=note, **extra)


def plant_day(time_machine: Any) -> PlantedDay:
    """Plant the day (see the module docstring) with pytest's ``time_machine`` fixture."""

    class Clock:
        @staticmethod
        def move_to(moment: datetime) -> None:
            time_machine.move_to(moment, tick=False)

    clock = Clock()
    clock.move_to(at(DAY - timedelta(days=2), 9))
    yard = HeatSource.objects.create(code="HS09", name="测试热源厂", capacity_mw=Decimal(200))
    # An incident on the yard's plant, opened two days before and resolved on DAY.
    clock.move_to(at(DAY - timedelta(days=2), 10))
    old_incident = open_incident(cause="锅炉检修", heat_source_id=yard.pk)

    patrol = make_patrol(shifts=False)
    area = patrol.area
    for person in (area.owner, area.deputy1, area.deputy2, patrol.inspector, patrol.deputy):
        on_shift(person, start=at(BEFORE, 0), hours=72)
    on_shift(area.dispatcher, start=at(BEFORE, 0), hours=72, lead=True)
    station = area.household.building.station
    rules = list(AlarmRule.objects.order_by("pk")[:3])

    # Partner communities (their liaison is the zone's supervisor, already counted as staff)
    # and masks in stock; a donation the day before.
    seed_supply_items()
    partners = [
        PartnerCommunity.objects.create(
            community=make_community(), since=date(2020, 2, 11), liaison=area.supervisor
        )
        for _ in range(2)
    ]
    masks = item("mask-medical")
    clock.move_to(at(BEFORE, 9))
    record_receipt(item=masks, day=BEFORE, quantity=1000, actor=area.supervisor)
    record_donation(
        partner=partners[0], day=BEFORE, handed_over_by=area.supervisor,
        lines=[DonationLine(quantity=50, item=masks)], actor=area.supervisor,
    )  # fmt: skip

    # The day before: a "not warm" request whose resolution falls due on DAY, never met.
    clock.move_to(at(BEFORE, 22))
    r5 = file_not_warm(area.household, temperature="17", channel="hotline").request
    # An alarm raised the day before, acknowledged, cleared only the morning after.
    a3 = Alarm.objects.create(
        rule=rules[2], station=station, severity="warning", raised_at=at(BEFORE, 10),
        last_seen_at=at(BEFORE, 10), detail="压力偏低",
    )  # fmt: skip
    acknowledge_alarm(alarm=a3, actor=area.dispatcher)

    # DAY.
    clock.move_to(at(DAY, 3))
    a2 = Alarm.objects.create(
        rule=rules[1], station=station, severity="warning", raised_at=at(DAY, 3),
        last_seen_at=at(DAY, 3),
    )  # fmt: skip
    clock.move_to(at(DAY, 5))
    clear_alarm(alarm=a2, actor=area.dispatcher, note="已恢复")
    clock.move_to(at(DAY, 8))
    r1 = file_not_warm(area.household, temperature="17", channel="portal").request
    clock.move_to(at(DAY, 8, 30))
    r2 = _file("radiator_leak", patrol, "hotline", leak_size="drip")
    clock.move_to(at(DAY, 9))
    r3 = _file("radiator_leak", patrol, "portal", leak_size="steady")
    a1 = Alarm.objects.create(
        rule=rules[0], station=station, severity="critical", raised_at=at(DAY, 9),
        last_seen_at=at(DAY, 9), detail="二次供水温度低",
    )  # fmt: skip
    clock.move_to(at(DAY, 10))
    _resolve(r1, area.owner)
    clock.move_to(at(DAY, 11))
    r4 = _file("noise", patrol, "community")
    clock.move_to(at(DAY, 12))
    r6 = _file("billing", patrol, "hotline")
    cancel_request(request=r6, actor=area.dispatcher, reason="重复来电")
    clock.move_to(at(DAY, 13))
    incident = open_incident(cause="换热站循环泵故障", station_id=station.pk)  # links r5
    clock.move_to(at(DAY, 14))
    # Support handed over on DAY: masks from stock and rice bought for the occasion; a
    # second record, entered by mistake, is reversed.
    donation = record_donation(
        partner=partners[1], day=DAY, handed_over_by=area.supervisor, received_by="社区李主任",
        lines=[DonationLine(quantity=200, item=masks),
               DonationLine(quantity=10, description="大米", unit="袋")],
        actor=area.supervisor,
    )  # fmt: skip
    mistake = record_donation(
        partner=partners[0], day=DAY, handed_over_by=area.supervisor,
        lines=[DonationLine(quantity=100, item=masks)], actor=area.supervisor,
    )  # fmt: skip
    reverse_support(record=mistake, reason="录重了", actor=area.supervisor)
    clock.move_to(at(DAY, 15))
    resolve_incident(incident=old_incident, actor=area.dispatcher, note="检修完成")
    clock.move_to(at(DAY, 17))
    _resolve(r2, area.owner)
    clock.move_to(at(DAY, 20))
    set_emergency_mode(on=True, actor=None, reason="寒潮")

    # Inspection rounds: today's done, yesterday's done late (today), one overdue.
    InspectionRound.objects.create(
        plan=patrol.plan, due_on=DAY, assignee=patrol.inspector,
        status=RoundStatus.SUBMITTED, submitted_at=at(DAY, 10),
    )  # fmt: skip
    InspectionRound.objects.create(
        plan=patrol.plan, due_on=BEFORE, assignee=patrol.inspector,
        status=RoundStatus.SUBMITTED, submitted_at=at(DAY, 9),
    )  # fmt: skip
    InspectionRound.objects.create(
        plan=patrol.plan, due_on=DAY - timedelta(days=2), assignee=patrol.inspector
    )

    # Staff health: seven company staff, one isolating, one a confirmed case; three checked
    # in on DAY (the owner twice: the later check-in counts), one with a fever.
    User.objects.filter(pk=area.deputy2.pk).update(health_status=HealthStatus.ISOLATING)
    User.objects.filter(pk=patrol.deputy.pk).update(health_status=HealthStatus.CONFIRMED)
    make_user(Role.TECHNICIAN, is_active=False, health_status=HealthStatus.ISOLATING)
    make_user(Role.COMMUNITY_WORKER)
    for who, status, temperature, hour in (
        (area.owner, "isolating", "36.6", 7),
        (area.owner, "fit", "36.5", 8),
        (area.deputy1, "fit", "37.5", 8),
        (area.deputy2, "isolating", "36.8", 9),
    ):
        HealthCheckIn.objects.create(
            staff=who, day=DAY, temperature=Decimal(temperature), status=status,
            health_before="fit", health_after="fit", created_at=at(DAY, hour),
        )  # fmt: skip

    # The morning after, before the job: r3 is resolved and emergency mode is off again,
    # the alarm of the day before is cleared; none of it changes DAY's figures.
    clock.move_to(at(AFTER, 6))
    _resolve(r3, area.owner)
    clear_alarm(alarm=a3, actor=area.dispatcher, note="已恢复")
    set_emergency_mode(on=False, actor=None, reason="寒潮结束")
    # The coal yard's books: 1,000 t at the end of DAY after a week of 100 t a day, so 10
    # days of cover from the morning after (the reserve rule wants 15).
    record_delivery(heat_source=yard, day=AFTER - timedelta(days=8), tonnes=1700, actor=None)
    for back in range(1, 8):
        record_consumption(
            heat_source=yard, day=AFTER - timedelta(days=back), tonnes=100, actor=None
        )
    clock.move_to(MORNING_AFTER)
    return PlantedDay(
        patrol=patrol,
        requests={"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "r6": r6},
        incidents={"old": old_incident, "new": incident},
        alarms={"a1": a1, "a2": a2, "a3": a3},
        yard=yard,
        partners=partners,
        donation=donation,
    )
