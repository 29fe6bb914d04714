"""Demo disinfection sites: the head office, a service hall, the first stations, two repair
vans — disinfected daily (stations every two days); some done this morning, some overdue."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from wennuan.emergency.models import DisinfectionLog, DisinfectionSite, SiteKind
from wennuan.grid.models import Station
from wennuan.people.models import User


def build_demo_sites() -> int:
    """The sites (once), and a disinfection this morning for every other one; returns how many."""
    sites = [
        DisinfectionSite(name="公司总部办公楼", kind=SiteKind.OFFICE, every_hours=24),
        DisinfectionSite(name="芝罘营业厅", kind=SiteKind.SERVICE_HALL, every_hours=12),
        DisinfectionSite(name="抢修车 1 号", kind=SiteKind.VEHICLE, every_hours=24),
        DisinfectionSite(name="抢修车 2 号", kind=SiteKind.VEHICLE, every_hours=24),
    ] + [
        DisinfectionSite(name=f"{s.name}", kind=SiteKind.STATION, station=s, every_hours=48)
        for s in Station.objects.order_by("code")[:3]
    ]
    DisinfectionSite.objects.bulk_create(sites, ignore_conflicts=True)
    worker = User.objects.filter(username="technician").first()
    if worker is not None:
        morning = timezone.localtime().replace(hour=7, minute=30, second=0, microsecond=0)
        if morning > timezone.now():
            morning -= timedelta(days=1)
        DisinfectionLog.objects.bulk_create(
            DisinfectionLog(site=site, done_at=morning, done_by=worker, agent="含氯消毒液 500 mg/L")
            for site in DisinfectionSite.objects.order_by("name")[::2]
        )
    return DisinfectionSite.objects.count()
