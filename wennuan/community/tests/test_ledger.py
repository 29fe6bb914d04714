"""The supplies ledger: balances, the never-negative rule, and corrections by reversal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from wennuan.community.choices import EntryKind
from wennuan.community.models import SupplyEntry
from wennuan.community.selectors import balances
from wennuan.community.services import (
    CommunityRefused,
    available,
    issue_to_staff,
    record_receipt,
    reverse_entry,
)
from wennuan.community.tests.factories import item
from wennuan.grid.tests.factories import make_user
from wennuan.people.choices import Role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days_ago(n: int):
    return TODAY() - timedelta(days=n)


@pytest.fixture
def keeper():
    return make_user(Role.MANAGER)


@pytest.fixture
def tech():
    return make_user(Role.TECHNICIAN)


def balance_of(code: str) -> Decimal:
    return next(b.quantity for b in balances() if b.item.code == code)


def test_receipts_and_issues_make_the_balance(keeper, tech):
    masks = item("mask-medical")
    record_receipt(item=masks, day=days_ago(3), quantity="500", source="医药公司", actor=keeper)
    record_receipt(item=masks, day=days_ago(2), quantity="200", actor=keeper)
    entry = issue_to_staff(item=masks, day=days_ago(1), quantity="30", staff=tech, actor=keeper)

    assert entry.kind == EntryKind.ISSUE and entry.quantity == Decimal("-30")
    assert entry.to_staff == tech and entry.created_by == keeper
    assert balance_of("mask-medical") == Decimal("670")
    assert balance_of("gloves-latex") == 0  # every kept item is listed, in stock or not


def test_an_issue_beyond_the_balance_is_refused_and_writes_nothing(keeper, tech):
    masks = item("mask-medical")
    record_receipt(item=masks, day=days_ago(2), quantity="20", actor=keeper)
    before = SupplyEntry.objects.count()

    with pytest.raises(CommunityRefused, match="Only 20"):
        issue_to_staff(item=masks, day=TODAY(), quantity="21", staff=tech, actor=keeper)

    assert SupplyEntry.objects.count() == before
    assert balance_of("mask-medical") == 20
    issue_to_staff(item=masks, day=TODAY(), quantity="20", staff=tech, actor=keeper)
    assert balance_of("mask-medical") == 0  # the last box can go; the balance is never < 0


def test_an_issue_before_the_stock_arrived_is_refused(keeper, tech):
    masks = item("mask-medical")
    record_receipt(item=masks, day=days_ago(1), quantity="100", actor=keeper)

    with pytest.raises(CommunityRefused):
        issue_to_staff(item=masks, day=days_ago(2), quantity="1", staff=tech, actor=keeper)

    assert not SupplyEntry.objects.filter(kind=EntryKind.ISSUE).exists()


def test_a_backdated_issue_cannot_make_a_later_balance_negative(keeper, tech):
    # Given 100 received five days ago and all 100 issued two days ago
    gloves = item("gloves-latex")
    record_receipt(item=gloves, day=days_ago(5), quantity="100", actor=keeper)
    issue_to_staff(item=gloves, day=days_ago(2), quantity="100", staff=tech, actor=keeper)
    # When someone books an issue four days ago: that day had 100, but two days ago would
    # have gone to -10
    assert available(gloves, on=days_ago(4)) == 0
    with pytest.raises(CommunityRefused):
        issue_to_staff(item=gloves, day=days_ago(4), quantity="10", staff=tech, actor=keeper)
    # Then nothing was written
    assert SupplyEntry.objects.filter(item=gloves).count() == 2


def test_reversing_an_issue_puts_the_stock_back_and_keeps_the_original(keeper, tech):
    masks = item("mask-medical")
    record_receipt(item=masks, day=days_ago(2), quantity="50", actor=keeper)
    wrong = issue_to_staff(item=masks, day=days_ago(1), quantity="40", staff=tech, actor=keeper)

    reversal = reverse_entry(entry=wrong, reason="数量录错", actor=keeper)

    assert reversal.kind == EntryKind.REVERSAL and reversal.reverses == wrong
    assert reversal.quantity == Decimal("40") and reversal.day == wrong.day
    assert reversal.note == "数量录错" and reversal.created_by == keeper
    assert SupplyEntry.objects.filter(pk=wrong.pk, quantity=Decimal("-40")).exists()
    assert balance_of("mask-medical") == 50


def test_a_receipt_whose_stock_was_issued_cannot_be_reversed_until_the_issue_is(keeper, tech):
    masks = item("mask-medical")
    receipt = record_receipt(item=masks, day=days_ago(3), quantity="50", actor=keeper)
    issue = issue_to_staff(item=masks, day=days_ago(1), quantity="30", staff=tech, actor=keeper)

    with pytest.raises(CommunityRefused, match="Only 20"):
        reverse_entry(entry=receipt, reason="供货退回", actor=keeper)
    assert not SupplyEntry.objects.filter(kind=EntryKind.REVERSAL).exists()

    reverse_entry(entry=issue, reason="未领取", actor=keeper)
    reverse_entry(entry=receipt, reason="供货退回", actor=keeper)
    assert balance_of("mask-medical") == 0


def test_an_entry_is_reversed_once_and_a_reversal_is_not_reversed(keeper):
    receipt = record_receipt(item=item(), day=days_ago(1), quantity="10", actor=keeper)
    reversal = reverse_entry(entry=receipt, reason="重复录入", actor=keeper)

    with pytest.raises(CommunityRefused, match="already reversed"):
        reverse_entry(entry=receipt, reason="again", actor=keeper)
    with pytest.raises(CommunityRefused, match="cannot be reversed"):
        reverse_entry(entry=reversal, reason="undo", actor=keeper)
    with pytest.raises(CommunityRefused, match="why"):
        reverse_entry(entry=receipt, reason="  ", actor=keeper)
    assert SupplyEntry.objects.count() == 2


@pytest.mark.parametrize("quantity", ["0", "-5", "abc", "NaN", "1.005", "2000000"])
def test_a_bad_quantity_is_refused(keeper, quantity):
    with pytest.raises(CommunityRefused, match="quantity"):
        record_receipt(item=item(), day=TODAY(), quantity=quantity, actor=keeper)
    assert not SupplyEntry.objects.exists()


def test_a_future_day_and_a_community_worker_are_refused(keeper):
    masks = item()
    record_receipt(item=masks, day=TODAY(), quantity="10", actor=keeper)
    with pytest.raises(CommunityRefused, match="future"):
        record_receipt(item=masks, day=TODAY() + timedelta(days=1), quantity="1", actor=keeper)
    worker = make_user(Role.COMMUNITY_WORKER)
    with pytest.raises(CommunityRefused, match="company's staff"):
        issue_to_staff(item=masks, day=TODAY(), quantity="1", staff=worker, actor=keeper)
    assert SupplyEntry.objects.count() == 1


def test_the_database_refuses_an_issue_that_adds_stock(keeper, tech):
    # The rules are also constraints: a bulk load that skipped the services still cannot
    # write an issue without its person or with the wrong sign.
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplyEntry.objects.create(
            item=item(), kind=EntryKind.ISSUE, day=TODAY(), quantity=5, to_staff=tech
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplyEntry.objects.create(item=item(), kind=EntryKind.ISSUE, day=TODAY(), quantity=-5)
