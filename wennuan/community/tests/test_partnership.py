"""Donations to partner communities (support records and the books), Party members reported
in, and joint activities with volunteer hours."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from wennuan.community.choices import EntryKind
from wennuan.community.models import (
    ActivityParticipant,
    JointActivity,
    PartyMemberReport,
    SupplyEntry,
    SupportLine,
    SupportRecord,
)
from wennuan.community.selectors import (
    activities,
    balances,
    donated_totals,
    partner_rows,
    volunteer_hours,
)
from wennuan.community.services import (
    CommunityRefused,
    DonationLine,
    end_member_report,
    record_activity,
    record_donation,
    record_receipt,
    report_in_member,
    reverse_entry,
    reverse_support,
)
from wennuan.community.tests.factories import item, make_partner, party_member
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def stocked(manager):
    """300 masks and 40 bottles of 84 disinfectant in stock since last week."""
    week_ago = today() - timedelta(days=7)
    record_receipt(item=item("mask-medical"), day=week_ago, quantity="300", actor=manager)
    record_receipt(item=item("disinfectant-84"), day=week_ago, quantity="40", actor=manager)


def stock(code: str) -> Decimal:
    return next(b.quantity for b in balances() if b.item.code == code)


# --- donations ----------------------------------------------------------------------------


def test_a_donation_books_its_stock_lines_and_records_goods_in_words(manager, stocked):
    partner = make_partner()
    giver = party_member()

    record = record_donation(
        partner=partner,
        day=today(),
        handed_over_by=giver,
        received_by="社区书记",
        lines=[
            DonationLine(item=item("mask-medical"), quantity="200"),
            DonationLine(item=item("disinfectant-84"), quantity="10"),
            DonationLine(description="米面油慰问品", unit="份", quantity="30"),
        ],
        actor=manager,
    )

    assert record.handed_over_by == giver and record.created_by == manager
    lines = list(record.lines.order_by("id"))
    assert [line.quantity for line in lines] == [200, 10, 30]
    assert lines[0].entry.kind == EntryKind.DONATION and lines[0].entry.partner == partner
    assert lines[0].entry.quantity == Decimal("-200")
    assert lines[2].entry is None and lines[2].label == "米面油慰问品"
    assert stock("mask-medical") == 100 and stock("disinfectant-84") == 30
    totals = {t.label: t.quantity for t in donated_totals(partner)}
    assert totals == {"Medical masks": 200, "84 disinfectant": 10, "米面油慰问品": 30}


def test_lines_of_one_item_together_must_be_in_stock_or_nothing_is_written(manager, stocked):
    partner = make_partner()
    # Each line alone fits (200 ≤ 300), together they do not (400 > 300)
    with pytest.raises(CommunityRefused, match="Only 300"):
        record_donation(
            partner=partner,
            day=today(),
            handed_over_by=party_member(),
            lines=[
                DonationLine(description="慰问品", quantity="5"),
                DonationLine(item=item("mask-medical"), quantity="200"),
                DonationLine(item=item("mask-medical"), quantity="200"),
            ],
            actor=manager,
        )
    assert not SupportRecord.objects.exists() and not SupportLine.objects.exists()
    assert not SupplyEntry.objects.filter(kind=EntryKind.DONATION).exists()
    assert stock("mask-medical") == 300


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one line"),
        ([DonationLine(quantity="3")], "choose a stock item or describe"),
        ([DonationLine(description="慰问品", quantity="0")], "more than 0"),
    ],
)
def test_a_donation_without_proper_lines_is_refused(manager, lines, message):
    with pytest.raises(CommunityRefused, match=message):
        record_donation(
            partner=make_partner(),
            day=today(),
            handed_over_by=party_member(),
            lines=lines,
            actor=manager,
        )
    assert not SupportRecord.objects.exists()


def test_a_donation_is_handed_over_by_company_staff(manager):
    worker = make_user(Role.COMMUNITY_WORKER)
    with pytest.raises(CommunityRefused, match="handed over by"):
        record_donation(
            partner=make_partner(),
            day=today(),
            handed_over_by=worker,
            lines=[DonationLine(description="慰问品", quantity="1")],
            actor=manager,
        )
    assert not SupportRecord.objects.exists()


def test_reversing_a_donation_books_its_stock_back_and_keeps_the_record(manager, stocked):
    partner = make_partner()
    record = record_donation(
        partner=partner,
        day=today(),
        handed_over_by=party_member(),
        lines=[
            DonationLine(item=item("mask-medical"), quantity="100"),
            DonationLine(description="慰问品", quantity="2"),
        ],
        actor=manager,
    )
    donation = record.lines.get(item__isnull=False).entry

    # A donation entry is not reversed alone: the record and the books would disagree
    with pytest.raises(CommunityRefused, match="support record"):
        reverse_entry(entry=donation, reason="错", actor=manager)

    reverse_support(record=record, reason="登记错社区", actor=manager)

    record.refresh_from_db()
    assert record.is_reversed and record.reversed_by == manager
    assert record.reversal_reason == "登记错社区"
    assert SupplyEntry.objects.get(reverses=donation).quantity == Decimal("100")
    assert stock("mask-medical") == 300
    assert donated_totals(partner) == []  # reversed records are left out
    with pytest.raises(CommunityRefused, match="already reversed"):
        reverse_support(record=record, reason="again", actor=manager)


# --- members reported in ------------------------------------------------------------------


def test_a_party_member_reports_in_with_their_usual_post_by_default(manager):
    partner = make_partner()
    member = party_member(post="维修党员先锋岗")

    report = report_in_member(partner=partner, member=member, reported_on=today(), actor=manager)

    assert report.vanguard_post == "维修党员先锋岗" and report.serving
    assert report.created_by == manager
    with pytest.raises(CommunityRefused, match="already reported in"):
        report_in_member(partner=partner, member=member, reported_on=today(), actor=manager)
    assert PartyMemberReport.objects.count() == 1


def test_only_party_members_report_in_and_a_post_is_needed(manager):
    partner = make_partner()
    with pytest.raises(CommunityRefused, match="not recorded as a Party member"):
        report_in_member(
            partner=partner, member=make_user(Role.TECHNICIAN), reported_on=today(), actor=manager
        )
    with pytest.raises(CommunityRefused, match="vanguard post"):
        report_in_member(
            partner=partner, member=party_member(post=""), reported_on=today(), actor=manager
        )
    assert not PartyMemberReport.objects.exists()


def test_a_service_ends_once_not_before_it_began_and_can_start_again(manager):
    partner = make_partner()
    member = party_member()
    report = report_in_member(
        partner=partner,
        member=member,
        vanguard_post="入户走访岗",
        reported_on=today() - timedelta(days=10),
        actor=manager,
    )
    with pytest.raises(CommunityRefused, match="before"):
        end_member_report(report=report, ended_on=today() - timedelta(days=11), actor=manager)

    end_member_report(report=report, ended_on=today(), actor=manager)
    report.refresh_from_db()
    assert report.ended_on == today() and report.ended_by == manager and not report.serving
    with pytest.raises(CommunityRefused, match="already ended"):
        end_member_report(report=report, ended_on=today(), actor=manager)

    again = report_in_member(partner=partner, member=member, reported_on=today(), actor=manager)
    assert again.serving and PartyMemberReport.objects.count() == 2


# --- joint activities ---------------------------------------------------------------------


def test_volunteer_hours_add_up_per_activity_and_per_partner(manager):
    partner, other = make_partner(), make_partner()
    a, b, c = party_member(), party_member(), party_member()
    record_activity(
        partner=partner,
        day=today() - timedelta(days=3),
        title="入户走访独居老人",
        participants=[(a, "3"), (b, "2.5")],
        community_volunteers=4,
        actor=manager,
    )
    record_activity(
        partner=partner, day=today(), title="楼道消杀", participants=[(c, 4)], actor=manager
    )
    record_activity(partner=other, day=today(), title="别处", participants=[(a, 8)], actor=manager)

    assert volunteer_hours(partner) == Decimal("9.5")
    listed = {x.title: (x.total_hours, x.volunteers) for x in activities(partner)}
    assert listed == {"入户走访独居老人": (Decimal("5.5"), 2), "楼道消杀": (Decimal("4"), 1)}
    rows = {p.pk: p for p in partner_rows(manager)}
    assert rows[partner.pk].volunteer_hours == Decimal("9.5")
    assert rows[partner.pk].activity_count == 2
    assert rows[other.pk].volunteer_hours == Decimal("8")


@pytest.mark.parametrize(
    ("participants", "message"),
    [
        ([], "at least one"),
        ("same-twice", "named twice"),
        ([("member", "25")], "at most 24"),
        ([("member", "0")], "more than 0"),
        ([("member", "1.25")], "one decimal"),
        ([("worker", "2")], "company's staff"),
    ],
)
def test_an_activity_with_bad_volunteers_is_refused_and_writes_nothing(
    manager, participants, message
):
    member = party_member()
    people = {"member": member, "worker": make_user(Role.COMMUNITY_WORKER)}
    if participants == "same-twice":
        roll = [(member, "2"), (member, "3")]
    else:
        roll = [(people[who], hours) for who, hours in participants]
    with pytest.raises(CommunityRefused, match=message):
        record_activity(
            partner=make_partner(), day=today(), title="活动", participants=roll, actor=manager
        )
    assert not JointActivity.objects.exists() and not ActivityParticipant.objects.exists()


def test_an_activity_needs_a_title_and_a_past_day(manager):
    member = party_member()
    partner = make_partner()
    with pytest.raises(CommunityRefused, match="title"):
        record_activity(
            partner=partner, day=today(), title=" ", participants=[(member, 1)], actor=manager
        )
    with pytest.raises(CommunityRefused, match="future"):
        record_activity(
            partner=partner,
            day=today() + timedelta(days=1),
            title="明天",
            participants=[(member, 1)],
            actor=manager,
        )
    assert not JointActivity.objects.exists()
