"""A season of demo telemetry and requests (`manage.py demo_telemetry`), written set-based."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from wennuan.demo.services import build_demo_city
from wennuan.grid.models import Household, Station
from wennuan.operations.models import StationHour, StationReading
from wennuan.service.choices import OPEN_STATUSES, Status
from wennuan.service.models import RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db


def test_a_season_has_an_hour_of_every_station_and_requests_numbered_as_filed():
    # Given a small demo city
    build_demo_city(households=1_000, seed=3)
    stations = Station.objects.count()
    # When ten days are loaded, raw readings for the last one, and 40 requests
    call_command("demo_telemetry", days=10, raw_days=1, requests=40, seed=3, verbosity=0)
    # Then every station has a roll-up for every hour of the season, raw readings the last day
    hours = StationHour.objects.count()
    assert stations * 24 * 10 <= hours <= stations * 24 * 12
    per_station = StationHour.objects.filter(station=Station.objects.first())
    assert per_station.count() == hours // stations
    assert (
        StationReading.objects.filter(time__lt=timezone.now() - timedelta(days=1, hours=1)).count()
        == 0
    )
    assert StationReading.objects.count() >= stations * 24
    # and the requests: one event each, numbered in the order they were filed, the old closed
    filed = list(ServiceRequest.objects.filter(events__actor_label="demo").order_by("pk"))
    assert len(filed) == 40
    assert RequestEvent.objects.filter(request__in=filed).count() == 40
    assert [r.created_at for r in filed] == sorted(r.created_at for r in filed)
    assert all(r.number.endswith(f"{r.pk:06d}") for r in filed)
    old = [r for r in filed if timezone.now() - r.created_at > timedelta(days=3)]
    assert old and all(r.status == Status.CLOSED for r in old)
    assert all(r.status in {*OPEN_STATUSES, Status.CLOSED} for r in filed)
    # and a new request still gets a key of its own
    assert (
        ServiceRequest.objects.create(
            category_id=filed[0].category_id, household=Household.objects.first(), channel="portal"
        ).pk
        > filed[-1].pk
    )


def test_demo_telemetry_needs_a_city_first():
    with pytest.raises(CommandError):
        call_command("demo_telemetry", days=5, verbosity=0)
