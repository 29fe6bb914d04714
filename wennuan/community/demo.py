"""Removing the partnership app's rows when the demo city is rebuilt (``clear_city``)."""

from __future__ import annotations

from django.db import transaction

from wennuan.community.choices import EntryKind
from wennuan.community.models import (
    JointActivity,
    PartyMemberReport,
    SupplyEntry,
    SupportRecord,
)


@transaction.atomic
def clear_demo_community() -> None:
    """Delete the supplies books and every partnership's records, children first (reversals
    protect what they reverse, support lines their ledger entries). For the demo only: in
    production the books are never deleted."""
    SupportRecord.objects.all().delete()  # and their lines, which protect ledger entries
    SupplyEntry.objects.filter(kind=EntryKind.REVERSAL).delete()
    SupplyEntry.objects.all().delete()
    JointActivity.objects.all().delete()
    PartyMemberReport.objects.all().delete()
