"""The demo city's partnership data, and clearing it with the books someone wrote since."""

from __future__ import annotations

import pytest
from django.utils import timezone

from wennuan.community.models import PartnerCommunity, SupplyEntry
from wennuan.community.services import (
    DonationLine,
    issue_to_staff,
    record_donation,
    reverse_entry,
)
from wennuan.community.tests.factories import item
from wennuan.demo.services import FUTAI_CODE, build_demo_city, clear_city
from wennuan.people.models import User

pytestmark = pytest.mark.django_db


def test_demo_futai_has_members_a_donation_activities_and_stock():
    build_demo_city(households=300, seed=3)
    futai = PartnerCommunity.objects.get(community__code=FUTAI_CODE)
    assert futai.member_reports.filter(member__username="technician").exists()
    assert futai.support_records.get().lines.count() == 3
    assert futai.activities.count() == 2 and futai.contacts.count() == 2
    assert SupplyEntry.objects.filter(item__code="mask-medical").exists()

    clear_city()  # the demo's own rows go with the partnership
    build_demo_city(households=300, seed=3)
    assert PartnerCommunity.objects.get(community__code=FUTAI_CODE).activities.count() == 2


def test_clearing_the_books_lets_the_city_be_cleared_after_stock_was_given(client):
    build_demo_city(households=300, seed=3)
    manager, technician = (User.objects.get(username=n) for n in ("manager", "technician"))
    futai = PartnerCommunity.objects.get(community__code=FUTAI_CODE)
    today = timezone.localdate()
    issue = issue_to_staff(item=item(), day=today, quantity="10", staff=technician, actor=manager)
    reverse_entry(entry=issue, reason="录错", actor=manager)
    record_donation(
        partner=futai,
        day=today,
        handed_over_by=technician,
        lines=[DonationLine(item=item(), quantity="100")],
        actor=manager,
    )

    # The books protect the partnership and the people they name: clear_city clears them first.
    clear_city()

    assert not PartnerCommunity.objects.exists() and not SupplyEntry.objects.exists()
