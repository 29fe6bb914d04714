"""Reads of the partnership app: who may do what, the partner pages, the supplies books and
the community worker's home page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from wennuan.community.models import (
    ActivityParticipant,
    JointActivity,
    PartnerCommunity,
    PartyMemberReport,
    SupplyEntry,
    SupplyItem,
    SupportLine,
    SupportRecord,
)
from wennuan.people.choices import Role
from wennuan.service.choices import OPEN_STATUSES
from wennuan.service.models import ServiceRequest

HOURS = DecimalField(max_digits=9, decimal_places=1)


# --- who may ------------------------------------------------------------------------------


def may_see_partners(user: Any) -> bool:
    """The list of partnerships is for the company's whole-city staff."""
    return bool(user.is_authenticated and user.sees_whole_city)


def may_manage_partners(user: Any) -> bool:
    """Managers record members reported in, support records and joint activities."""
    return bool(user.is_authenticated and user.can_manage)


def may_keep_supplies(user: Any) -> bool:
    """Managers keep the supplies books (receipts, issues, donations, reversals)."""
    return bool(user.is_authenticated and user.can_manage)


def is_community_worker(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.COMMUNITY_WORKER)


def partner_for_user(user: Any, pk: int) -> PartnerCommunity | None:
    """The partnership if this user may see it, else None (the view answers 404)."""
    return (
        PartnerCommunity.objects.for_user(user)
        .select_related("community__street__district", "liaison")
        .filter(pk=pk)
        .first()
    )


# --- partner pages ------------------------------------------------------------------------


def _hours_of(partner_ref: str) -> Subquery:
    return Subquery(
        ActivityParticipant.objects.filter(activity__partner=OuterRef(partner_ref))
        .order_by()
        .values("activity__partner")
        .annotate(h=Sum("hours"))
        .values("h"),
        output_field=HOURS,
    )


def partner_rows(user: Any) -> QuerySet[PartnerCommunity]:
    """Partnerships with the counts the list shows, in a fixed number of queries."""
    members = (
        PartyMemberReport.objects.filter(partner=OuterRef("pk"), ended_on__isnull=True)
        .order_by()
        .values("partner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    donations = (
        SupportRecord.objects.filter(partner=OuterRef("pk"), reversed_at__isnull=True)
        .order_by()
        .values("partner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    activities = (
        JointActivity.objects.filter(partner=OuterRef("pk"))
        .order_by()
        .values("partner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        PartnerCommunity.objects.for_user(user)
        .select_related("community__street", "liaison")
        .annotate(
            member_count=Coalesce(Subquery(members), 0),
            donation_count=Coalesce(Subquery(donations), 0),
            activity_count=Coalesce(Subquery(activities), 0),
            volunteer_hours=Coalesce(_hours_of("pk"), Value(Decimal(0)), output_field=HOURS),
        )
    )


def member_reports(partner: PartnerCommunity) -> QuerySet[PartyMemberReport]:
    """Members reported in, those serving first, with their names."""
    return partner.member_reports.select_related("member").order_by(
        F("ended_on").desc(nulls_first=True), "-reported_on", "id"
    )


def support_records(partner: PartnerCommunity) -> QuerySet[SupportRecord]:
    """Donations to a partner, newest first, with their lines."""
    return (
        partner.support_records.select_related("handed_over_by", "created_by", "reversed_by")
        .prefetch_related(Prefetch("lines", SupportLine.objects.select_related("item")))
        .order_by("-day", "-id")
    )


def activities(partner: PartnerCommunity) -> QuerySet[JointActivity]:
    """Joint activities, newest first, with each one's volunteers and their total hours."""
    return (
        partner.activities.annotate(
            total_hours=Coalesce(Sum("roll__hours"), Value(Decimal(0)), output_field=HOURS),
            volunteers=Count("roll"),
        )
        .prefetch_related(
            Prefetch("roll", ActivityParticipant.objects.select_related("person").order_by("id"))
        )
        .order_by("-day", "-id")
    )


def volunteer_hours(partner: PartnerCommunity) -> Decimal:
    """Every company volunteer hour given in joint activities with this partner."""
    total = ActivityParticipant.objects.filter(activity__partner=partner).aggregate(h=Sum("hours"))[
        "h"
    ]
    return Decimal(total or 0)


@dataclass
class DonatedTotal:
    """How much of one thing a partner has received (reversed records left out)."""

    label: str
    unit: str
    quantity: Decimal


def donated_totals(partner: PartnerCommunity) -> list[DonatedTotal]:
    """Totals per stock item and per described goods, over records that stand."""
    rows = (
        SupportLine.objects.filter(record__partner=partner, record__reversed_at__isnull=True)
        .order_by()
        .values("item", "item__name_zh", "item__name_en", "item__unit_zh", "item__unit_en")
        .annotate(q=Sum("quantity"))
    )
    totals: list[DonatedTotal] = []
    stock = [r for r in rows if r["item"] is not None]
    for row in stock:
        item = SupplyItem(
            name_zh=row["item__name_zh"],
            name_en=row["item__name_en"],
            unit_zh=row["item__unit_zh"],
            unit_en=row["item__unit_en"],
        )
        totals.append(DonatedTotal(item.name, item.unit, row["q"]))
    described = (
        SupportLine.objects.filter(
            record__partner=partner, record__reversed_at__isnull=True, item__isnull=True
        )
        .order_by()
        .values("description", "unit")
        .annotate(q=Sum("quantity"))
    )
    totals += [DonatedTotal(r["description"], r["unit"], r["q"]) for r in described]
    return sorted(totals, key=lambda t: t.label)


# --- supplies -----------------------------------------------------------------------------


@dataclass
class Balance:
    item: SupplyItem
    quantity: Decimal


def balances() -> list[Balance]:
    """Every item kept (and any retired item still in stock) with its balance today."""
    stock = SupplyEntry.objects.balances()
    return [
        Balance(item, Decimal(stock.get(item.pk) or 0))
        for item in SupplyItem.objects.order_by("category", "code")
        if item.active or stock.get(item.pk)
    ]


def ledger(item: SupplyItem | None = None) -> QuerySet[SupplyEntry]:
    """Entries newest first, with who, to whom, and what reversed them."""
    entries = SupplyEntry.objects.select_related(
        "item",
        "to_staff",
        "partner__community",
        "created_by",
        "reverses",
        "reversal",
        "support_line",
    )
    if item is not None:
        entries = entries.filter(item=item)
    return entries.order_by("-day", "-id")


def recent_donations(limit: int = 20) -> list[SupportRecord]:
    """The latest support records of every partner, for the supplies page."""
    return list(
        SupportRecord.objects.select_related("partner__community", "handed_over_by", "reversed_by")
        .prefetch_related(Prefetch("lines", SupportLine.objects.select_related("item")))
        .order_by("-day", "-id")[:limit]
    )


# --- the community worker -----------------------------------------------------------------


def community_requests(user: Any, *, open_only: bool) -> QuerySet[ServiceRequest]:
    """Every request from the user's community (the service app's scope), newest first."""
    requests = (
        ServiceRequest.objects.for_user(user)
        .select_related("category", "assignee", "household")
        .order_by("-created_at", "-id")
    )
    if open_only:
        requests = requests.filter(status__in=OPEN_STATUSES)
    return requests
