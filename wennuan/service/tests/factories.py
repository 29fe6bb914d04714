"""Factories for service tests: a zone with a named owner and deputies, all on shift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from wennuan.grid.choices import Duty
from wennuan.grid.models import Household, Zone
from wennuan.grid.tests.factories import assign, make_building, make_household, make_user, make_zone
from wennuan.people.choices import Role
from wennuan.people.models import Shift, User
from wennuan.service.models import ServiceCategory
from wennuan.service.services import Submitted, submit_request


def on_shift(
    user: User, *, start: datetime | None = None, hours: int = 12, lead: bool = False
) -> Shift:
    """Put ``user`` on the roster from ``start`` (default: an hour ago) for ``hours``."""
    start = start or timezone.now() - timedelta(hours=1)
    return Shift.objects.create(
        staff=user, starts_at=start, ends_at=start + timedelta(hours=hours), leads_dispatch=lead
    )


@dataclass
class Area:
    """One zone, one building, one household, and its repair owner with two deputies."""

    zone: Zone
    household: Household
    owner: User
    deputy1: User
    deputy2: User
    dispatcher: User
    supervisor: User


def make_area(*, shifts: bool = True) -> Area:
    supervisor = make_user(Role.MANAGER, phone="13900000009")
    owner = make_user(
        Role.TECHNICIAN, full_name="王师傅", phone="13900000001", supervisor=supervisor
    )
    deputy1 = make_user(
        Role.TECHNICIAN, full_name="李师傅", phone="13900000002", supervisor=supervisor
    )
    deputy2 = make_user(
        Role.TECHNICIAN, full_name="张师傅", phone="13900000003", supervisor=supervisor
    )
    dispatcher = make_user(Role.DISPATCHER, full_name="赵调度", phone="13900000004")
    zone = make_zone()
    assign(zone, Duty.REPAIR, owner, deputy1, deputy2)
    assign(zone, Duty.CUSTOMER_SERVICE, deputy2, deputy1)
    household = make_household(make_building(zone=zone), phone="13812345678")
    if shifts:
        for person in (owner, deputy1, deputy2):
            on_shift(person)
        on_shift(dispatcher, lead=True)
    return Area(zone, household, owner, deputy1, deputy2, dispatcher, supervisor)


def category(code: str = "not_warm") -> ServiceCategory:
    return ServiceCategory.objects.get(code=code)


def file_not_warm(household: Household, temperature: str = "15", **extra: Any) -> Submitted:
    extra.setdefault("channel", "portal")
    return submit_request(
        category=category("not_warm"),
        household=household,
        attributes={"indoor_temperature": temperature, "rooms_affected": "whole_home"},
        description="家里不热",
        **extra,
    )
