"""Partnership pages: who sees what, the community worker's home page, and recording through
the forms (a refusal changes nothing)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from wennuan.community.choices import EntryKind
from wennuan.community.models import (
    JointActivity,
    PartyMemberReport,
    SupplyEntry,
    SupportRecord,
)
from wennuan.community.services import (
    DonationLine,
    record_activity,
    record_donation,
    record_receipt,
    report_in_member,
)
from wennuan.community.tests.factories import item, make_partner, party_member
from wennuan.grid.tests.factories import make_building, make_community, make_household, make_user
from wennuan.people.choices import Role
from wennuan.service.choices import Channel, Priority, Status
from wennuan.service.models import ServiceRequest
from wennuan.service.tests.factories import file_not_warm, make_area

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def chinese_client() -> Client:
    """The community worker's page as they read it, in Chinese."""
    return Client(headers={"Accept-Language": "zh-hans"})


@pytest.fixture
def client() -> Client:
    """Pages in English here: the refusals are checked in English."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def area():
    return make_area()


@pytest.fixture
def partner(area):
    return make_partner(area.household.building.complex.community)


@pytest.fixture
def worker(area):
    return make_user(Role.COMMUNITY_WORKER, community=area.household.building.complex.community)


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


def lines_data(*lines: tuple[str, str, str]) -> dict[str, str]:
    """The line formset's POST data: (item id or "", description, quantity) per row."""
    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "20",
    }
    for n, (item_id, description, quantity) in enumerate(lines):
        data.update(
            {
                f"lines-{n}-item": item_id,
                f"lines-{n}-description": description,
                f"lines-{n}-quantity": quantity,
            }
        )
    return data


# --- who sees what ------------------------------------------------------------------------


def test_community_worker_sees_only_their_community(client, area, partner, worker, manager):
    other = make_partner()
    client.force_login(worker)

    assert client.get(reverse("community:partners")).url == reverse("community:mine")
    assert client.get(reverse("community:partner", args=[partner.pk])).status_code == 200
    assert client.get(reverse("community:partner", args=[other.pk])).status_code == 404
    assert client.get(reverse("community:supplies")).status_code == 404


def test_community_worker_changes_nothing_on_any_partner_page(client, area, partner, worker):
    other = make_partner()
    member = party_member()
    client.force_login(worker)
    post = {"member": member.username, "reported_on": today().isoformat()}

    mine = client.post(reverse("community:partner_record", args=[partner.pk, "member"]), post)
    elsewhere = client.post(reverse("community:partner_record", args=[other.pk, "member"]), post)
    receipt = client.post(
        reverse("community:supplies_record", args=["receipt"]),
        {"item": item().pk, "day": today().isoformat(), "quantity": "5"},
    )

    assert (mine.status_code, elsewhere.status_code, receipt.status_code) == (403, 404, 404)
    assert not PartyMemberReport.objects.exists() and not SupplyEntry.objects.exists()


def test_field_staff_see_no_partner_list_and_no_supplies(client, partner):
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.get(reverse("community:partners")).status_code == 404
    assert client.get(reverse("community:partner", args=[partner.pk])).status_code == 404
    assert client.get(reverse("community:supplies")).status_code == 404
    assert client.get(reverse("community:mine")).status_code == 404


def test_a_dispatcher_sees_partners_but_records_nothing(client, partner):
    client.force_login(make_user(Role.DISPATCHER))
    assert client.get(reverse("community:partners")).status_code == 200
    page = client.get(reverse("community:partner", args=[partner.pk]))
    assert page.status_code == 200 and not page.context["may_manage"]
    assert client.get(reverse("community:supplies")).status_code == 404


def test_navigation_offers_each_role_its_pages(client, worker, manager):
    client.force_login(worker)
    urls = [i["url"] for i in client.get(reverse("community:mine")).context["nav_items"]]
    assert reverse("community:mine") in urls and reverse("community:supplies") not in urls
    client.force_login(manager)
    urls = [i["url"] for i in client.get(reverse("community:partners")).context["nav_items"]]
    assert reverse("community:partners") in urls and reverse("community:supplies") in urls


# --- the community worker's home page -----------------------------------------------------


def test_the_home_page_lists_every_request_from_the_community_with_its_status(
    chinese_client, area, partner, worker
):
    client = chinese_client
    ours = file_not_warm(area.household).request
    closed = file_not_warm(make_household(area.household.building)).request
    ServiceRequest.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    elsewhere = make_household(make_building(zone=area.zone, community=make_community()))
    theirs = file_not_warm(elsewhere).request
    client.force_login(worker)

    open_page = client.get(reverse("community:mine"))
    all_page = client.get(reverse("community:mine"), {"show": "all"})

    assert [r.number for r in open_page.context["page"]] == [ours.number]
    assert {r.number for r in all_page.context["page"]} == {ours.number, closed.number}
    html = all_page.content.decode()
    assert f'data-request="{ours.number}"' in html and theirs.number not in html
    with translation.override("zh-hans"):  # pages speak the resident's language, Chinese
        shown = {str(Status.ASSIGNED.label), str(Status.CLOSED.label)}
    assert set(re.findall(r'data-testid="status">([^<]+)<', html)) == shown


def test_the_home_page_finds_a_home_only_in_the_community_and_links_to_filing(
    client, area, partner, worker
):
    elsewhere = make_household(make_building(community=make_community()))
    client.force_login(worker)

    found = client.get(reverse("community:mine"), {"q": area.household.account_number})
    missed = client.get(reverse("community:mine"), {"q": elsewhere.account_number})

    assert [h.pk for h in found.context["homes"]] == [area.household.pk]
    link = f"{reverse('service:on_behalf')}?account={area.household.account_number}"
    assert link in found.content.decode()
    assert missed.context["homes"] == []
    filing = client.get(link)
    assert filing.context["household"] == area.household


def test_a_worker_files_for_a_resident_without_a_phone_and_follows_it(
    client, area, partner, worker
):
    # Given an elderly resident living alone, without a phone, in the worker's community
    elderly = make_household(
        area.household.building, phone="", vulnerable=True, vulnerability_note="独居老人"
    )
    client.force_login(worker)
    url = reverse("service:on_behalf")
    form = client.get(url, {"account": elderly.account_number, "category": "not_warm"})
    key = form.context["form"].initial["idempotency_key"]

    # When the worker files "not warm" for them through the existing filing page
    response = client.post(
        url,
        {
            "account": elderly.account_number,
            "category": "not_warm",
            "attr_indoor_temperature": "13",
            "attr_rooms_affected": "whole_home",
            "description": "老人家里暖气不热",
            "idempotency_key": key,
            "reporter_name": "社区网格员",
        },
    )

    # Then it is filed by the community channel, urgent, and listed on the worker's page
    assert response.status_code == 302, response.content.decode()[:2000]
    filed = ServiceRequest.objects.get(household=elderly)
    assert filed.channel == Channel.COMMUNITY and filed.created_by == worker
    assert filed.reporter_phone == "" and filed.priority == Priority.URGENT
    page = client.get(reverse("community:mine"))
    assert [r.pk for r in page.context["page"]] == [filed.pk]


def test_the_home_page_shows_what_the_company_donated(
    chinese_client, area, partner, worker, manager
):
    client = chinese_client
    record_receipt(item=item(), day=today(), quantity="100", actor=manager)
    record_donation(
        partner=partner,
        day=today(),
        handed_over_by=party_member(full_name="党员甲"),
        lines=[
            DonationLine(item=item(), quantity="60"),
            DonationLine(description="慰问品", quantity="2"),
        ],
        actor=manager,
    )
    record_donation(
        partner=make_partner(),
        day=today(),
        handed_over_by=party_member(),
        lines=[DonationLine(description="别的社区的", quantity="9")],
        actor=manager,
    )
    client.force_login(worker)

    page = client.get(reverse("community:mine"))

    html = page.content.decode()
    assert "党员甲" in html and "慰问品" in html and "别的社区的" not in html
    assert {t.label: t.quantity for t in page.context["totals"]} == {
        "医用口罩": 60,
        "慰问品": 2,
    }


def test_the_home_page_costs_the_same_queries_with_more_rows(
    client, area, partner, worker, manager, django_assert_max_num_queries
):
    client.force_login(worker)

    def add_one_of_each(n: int) -> None:
        file_not_warm(make_household(area.household.building))
        report_in_member(partner=partner, member=party_member(), reported_on=today(), actor=manager)
        record_donation(
            partner=partner,
            day=today(),
            handed_over_by=party_member(),
            lines=[DonationLine(description=f"物资{n}", quantity="1")],
            actor=manager,
        )
        record_activity(
            partner=partner,
            day=today(),
            title=f"活动{n}",
            participants=[(party_member(), 2)],
            actor=manager,
        )

    add_one_of_each(0)
    client.get(reverse("community:mine"))  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("community:mine"))
    for n in range(1, 5):
        add_one_of_each(n)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("community:mine"))


# --- managers record through the pages ----------------------------------------------------


def test_partner_page_shows_members_donations_and_total_hours(client, partner, manager):
    member = party_member(full_name="王党员")
    report_in_member(partner=partner, member=member, reported_on=today(), actor=manager)
    record_activity(
        partner=partner,
        day=today(),
        title="走访",
        participants=[(member, "2.5"), (party_member(), 3)],
        actor=manager,
    )
    client.force_login(manager)

    page = client.get(reverse("community:partner", args=[partner.pk]))

    html = page.content.decode()
    assert "王党员" in html and "维修党员先锋岗" in html
    assert '<div class="fs-5 fw-semibold" data-testid="total-hours">5.5</div>' in html


def test_manager_records_an_activity_with_the_members_reported_in(client, partner, manager):
    member = party_member()
    report = report_in_member(partner=partner, member=member, reported_on=today(), actor=manager)
    other = party_member()
    client.force_login(manager)
    url = reverse("community:partner_record", args=[partner.pk, "activity"])

    response = client.post(
        url,
        {
            "day": today().isoformat(),
            "title": "楼道消杀",
            "members": [report.pk],
            "others": f"{other.username}, {member.username}",
            "hours_each": "2",
            "community_volunteers": "3",
        },
    )

    assert response.status_code == 302
    activity = JointActivity.objects.get()
    assert activity.created_by == manager and activity.community_volunteers == 3
    assert {(p.person_id, p.hours) for p in activity.roll.all()} == {
        (member.pk, Decimal("2")),
        (other.pk, Decimal("2")),
    }


def test_manager_reports_a_member_in_and_a_refusal_changes_nothing(client, partner, manager):
    client.force_login(manager)
    url = reverse("community:partner_record", args=[partner.pk, "member"])
    not_a_member = make_user(Role.TECHNICIAN)

    refused = client.post(url, {"member": not_a_member.username, "reported_on": today()})
    assert refused.status_code == 400
    assert "not recorded as a Party member" in refused.content.decode()
    assert not PartyMemberReport.objects.exists()

    member = party_member()
    assert client.post(url, {"member": member.username, "reported_on": today()}).status_code == 302
    report = PartyMemberReport.objects.get()
    end = client.post(reverse("community:end_report", args=[report.pk]), {"ended_on": today()})
    assert end.status_code == 302
    report.refresh_from_db()
    assert report.ended_on == today()


def test_supplies_page_records_and_refuses_an_issue_beyond_stock(client, manager):
    tech = make_user(Role.TECHNICIAN)
    client.force_login(manager)
    masks = item()

    client.post(
        reverse("community:supplies_record", args=["receipt"]),
        {"item": masks.pk, "day": today().isoformat(), "quantity": "50", "source": "采购"},
    )
    refused = client.post(
        reverse("community:supplies_record", args=["issue"]),
        {"item": masks.pk, "day": today().isoformat(), "quantity": "51", "staff": tech.username},
    )

    assert refused.status_code == 400 and "Only 50" in refused.content.decode()
    assert list(SupplyEntry.objects.values_list("kind", "quantity")) == [
        (EntryKind.RECEIPT, Decimal("50"))
    ]
    page = client.get(reverse("community:supplies"))
    assert next(b for b in page.context["balances"] if b.item == masks).quantity == 50


def test_supplies_page_records_a_donation_with_lines_and_reverses_it(client, partner, manager):
    giver = party_member()
    record_receipt(item=item(), day=today() - timedelta(days=1), quantity="80", actor=manager)
    client.force_login(manager)

    response = client.post(
        reverse("community:supplies_record", args=["donation"]),
        {
            "partner": partner.pk,
            "day": today().isoformat(),
            "handed_over_by": giver.username,
            "received_by": "书记",
            **lines_data((str(item().pk), "", "30"), ("", "慰问品", "5")),
        },
    )

    assert response.status_code == 302
    record = SupportRecord.objects.get()
    assert record.lines.count() == 2
    assert SupplyEntry.objects.get(kind=EntryKind.DONATION).quantity == Decimal("-30")

    client.post(
        reverse("community:reverse_support", args=[record.pk]),
        {"reason": "重复登记", "next": "supplies"},
    )
    record.refresh_from_db()
    assert record.is_reversed
    assert sum(SupplyEntry.objects.values_list("quantity", flat=True)) == 80


def test_a_donation_line_without_its_quantity_is_an_error_on_the_line(client, partner, manager):
    client.force_login(manager)
    response = client.post(
        reverse("community:partner_record", args=[partner.pk, "support"]),
        {
            "day": today().isoformat(),
            "handed_over_by": party_member().username,
            **lines_data((str(item().pk), "", "")),
        },
    )
    assert response.status_code == 400
    assert "Enter the quantity." in response.content.decode()
    assert not SupportRecord.objects.exists()


def test_supplies_reversal_through_the_page(client, manager):
    client.force_login(manager)
    entry = record_receipt(item=item(), day=today(), quantity="10", actor=manager)
    url = reverse("community:supplies_reverse", args=[entry.pk])

    client.post(url, {"reason": ""})
    assert not SupplyEntry.objects.filter(reverses=entry).exists()
    client.post(url, {"reason": "录错"})
    assert SupplyEntry.objects.get(reverses=entry).quantity == Decimal("-10")


def test_partner_list_costs_the_same_queries_with_more_partners(
    client, manager, django_assert_num_queries
):
    make_partner()
    client.force_login(manager)
    client.get(reverse("community:partners"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("community:partners"))
    for _ in range(3):
        partner = make_partner()
        record_activity(
            partner=partner,
            day=today(),
            title="活动",
            participants=[(party_member(), 1)],
            actor=manager,
        )
    with django_assert_num_queries(len(one)):
        client.get(reverse("community:partners"))
