"""State changes of the partnership app: the supplies ledger (receipts, issues to staff,
donations, reversals), Party members reported in to partner communities, support records and
joint activities.

The ledger is append-only and an item's balance is never negative, on any day. Every
function checks everything before it writes and raises ``CommunityRefused`` with a message
for the person who tried; nothing is written then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wennuan.community.choices import EntryKind
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
from wennuan.people.models import User

MAX_QUANTITY = Decimal("1000000")  # more than any delivery of masks; a typo guard
MAX_LINES = 20
MAX_HOURS = Decimal("24")
MAX_COMMUNITY_VOLUNTEERS = 10_000


class CommunityRefused(Exception):
    """The change cannot be made, with the reason to show; nothing was written."""


@dataclass(frozen=True)
class DonationLine:
    """One line of a donation as entered: a stock item, or goods described in words."""

    quantity: Any
    item: SupplyItem | None = None
    description: str = ""
    unit: str = ""


# --- checks ------------------------------------------------------------------------------


def _quantity(value: Any, *, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise CommunityRefused(_("%(field)s: not a number") % {"field": field}) from exc
    if not number.is_finite() or number <= 0:
        raise CommunityRefused(_("%(field)s: must be more than 0") % {"field": field})
    if number > MAX_QUANTITY:
        raise CommunityRefused(_("%(field)s: more than 1,000,000 in one entry") % {"field": field})
    if number != number.quantize(Decimal("0.01")):
        raise CommunityRefused(_("%(field)s: at most two decimal places") % {"field": field})
    return number.quantize(Decimal("0.01"))


def _not_future(day: date) -> None:
    if day > timezone.localdate():
        raise CommunityRefused(_("The day cannot be in the future."))


def _text(value: str, *, limit: int, field: str) -> str:
    text = value.strip()
    if len(text) > limit:
        raise CommunityRefused(
            _("%(field)s: at most %(n)s characters") % {"field": field, "n": limit}
        )
    return text


def _company_staff(user: User | None, *, field: str) -> User:
    """An active member of the company's staff (community workers are the partner's)."""
    if user is None or not user.is_active or user.role == Role.COMMUNITY_WORKER:
        raise CommunityRefused(
            _("%(field)s: choose an active member of the company's staff") % {"field": field}
        )
    return user


def _locked(item: SupplyItem) -> SupplyItem:
    """The item's row, locked: one item's entries are written one at a time, so two
    storekeepers cannot both take the last box (SQLite's IMMEDIATE transactions do this for
    the whole database)."""
    return SupplyItem.objects.select_for_update().get(pk=item.pk)


def available(item: SupplyItem, *, on: date) -> Decimal:
    """What can be taken out of stock on ``on`` without any balance going negative: the
    lowest balance at the end of that day or of any later day with entries (a back-dated
    issue must not make a later balance negative either)."""
    rows = (
        SupplyEntry.objects.filter(item=item)
        .order_by()
        .values_list("day")
        .annotate(q=Sum("quantity"))
        .order_by("day")
    )
    running = Decimal(0)
    at_day = Decimal(0)
    later: list[Decimal] = []
    for day, quantity in rows:
        running += quantity
        if day <= on:
            at_day = running
        else:
            later.append(running)
    return min([at_day, *later])


def _take(item: SupplyItem, *, quantity: Decimal, on: date) -> None:
    """Refuse unless ``quantity`` of ``item`` can leave the stock on ``on``."""
    can = available(item, on=on)
    if quantity > can:
        raise CommunityRefused(
            _(
                "Only %(available)s %(unit)s of %(item)s can be taken on %(day)s "
                "(the balance may never go negative); nothing was recorded."
            )
            % {
                "available": f"{max(can, Decimal(0)).normalize():f}",
                "unit": item.unit,
                "item": item.name,
                "day": on.isoformat(),
            }
        )


# --- supplies ledger ---------------------------------------------------------------------


def record_receipt(
    *,
    item: SupplyItem,
    day: date,
    quantity: Any,
    actor: User | None,
    source: str = "",
    note: str = "",
) -> SupplyEntry:
    """Record supplies received (bought, or given to the company): stock goes up."""
    amount = _quantity(quantity, field=_("quantity"))
    _not_future(day)
    source = _text(source, limit=100, field=_("received from"))
    note = _text(note, limit=300, field=_("note"))
    if not item.active:
        raise CommunityRefused(_("%(item)s is no longer kept.") % {"item": item.name})
    with transaction.atomic():
        _locked(item)
        return SupplyEntry.objects.create(
            item=item,
            kind=EntryKind.RECEIPT,
            day=day,
            quantity=amount,
            source=source,
            note=note,
            created_by=actor,
        )


def issue_to_staff(
    *,
    item: SupplyItem,
    day: date,
    quantity: Any,
    staff: User | None,
    actor: User | None,
    note: str = "",
) -> SupplyEntry:
    """Hand supplies to a staff member (masks for a home visit): refused, with nothing
    written, when it would leave a negative balance on that day or any later one."""
    amount = _quantity(quantity, field=_("quantity"))
    _not_future(day)
    person = _company_staff(staff, field=_("issued to"))
    note = _text(note, limit=300, field=_("note"))
    with transaction.atomic():
        locked = _locked(item)
        _take(locked, quantity=amount, on=day)
        return SupplyEntry.objects.create(
            item=locked,
            kind=EntryKind.ISSUE,
            day=day,
            quantity=-amount,
            to_staff=person,
            note=note,
            created_by=actor,
        )


def record_donation(
    *,
    partner: PartnerCommunity,
    day: date,
    handed_over_by: User | None,
    lines: Sequence[DonationLine],
    actor: User | None,
    received_by: str = "",
    note: str = "",
) -> SupportRecord:
    """Record support handed over to a partner community: a support record with its lines.

    Each line naming a stock item is booked out of the supplies ledger as a donation to the
    partner (all lines of one item together must be in stock on that day); lines described
    in words (goods bought for the occasion) are recorded only. All or nothing.
    """
    _not_future(day)
    giver = _company_staff(handed_over_by, field=_("handed over by"))
    received_by = _text(received_by, limit=64, field=_("received by"))
    note = _text(note, limit=300, field=_("note"))
    if not lines:
        raise CommunityRefused(_("Add at least one line: what was handed over, and how much."))
    if len(lines) > MAX_LINES:
        raise CommunityRefused(_("At most %(n)s lines in one record.") % {"n": MAX_LINES})
    checked: list[tuple[DonationLine, Decimal]] = []
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for number, line in enumerate(lines, start=1):
        field = _("line %(n)s") % {"n": number}
        amount = _quantity(line.quantity, field=field)
        description = _text(line.description, limit=100, field=field)
        _text(line.unit, limit=16, field=field)
        if line.item is None and not description:
            raise CommunityRefused(
                _("%(field)s: choose a stock item or describe the goods") % {"field": field}
            )
        if line.item is not None:
            if not line.item.active:
                raise CommunityRefused(_("%(item)s is no longer kept.") % {"item": line.item.name})
            wanted[line.item.pk] += amount
        checked.append((line, amount))
    with transaction.atomic():
        # Locked in id order, so two donations of the same items cannot wait on each other.
        items = {i.pk: i for i in SupplyItem.objects.select_for_update().filter(pk__in=wanted)}
        for pk in sorted(wanted):
            _take(items[pk], quantity=wanted[pk], on=day)
        record = SupportRecord.objects.create(
            partner=partner,
            day=day,
            handed_over_by=giver,
            received_by=received_by,
            note=note,
            created_by=actor,
        )
        for line, amount in checked:
            entry = None
            if line.item is not None:
                entry = SupplyEntry.objects.create(
                    item=line.item,
                    kind=EntryKind.DONATION,
                    day=day,
                    quantity=-amount,
                    partner=partner,
                    note=note,
                    created_by=actor,
                )
            SupportLine.objects.create(
                record=record,
                item=line.item,
                description="" if line.item is not None else line.description.strip(),
                unit="" if line.item is not None else line.unit.strip(),
                quantity=amount,
                entry=entry,
            )
    return record


def reverse_entry(*, entry: SupplyEntry, reason: str, actor: User | None) -> SupplyEntry:
    """Cancel a receipt or an issue by an opposite entry on the same day; the original stays.

    A receipt can be reversed only while its quantity is still in stock from that day on
    (reverse the issues made from it first). Donations are reversed with their support
    record (``reverse_support``), so the record and the books agree.
    """
    reason = _text(reason, limit=300, field=_("reason"))
    if not reason:
        raise CommunityRefused(_("Say why the entry is reversed."))
    if entry.kind == EntryKind.REVERSAL:
        raise CommunityRefused(_("A reversal cannot be reversed; record the entry again instead."))
    if entry.kind == EntryKind.DONATION:
        raise CommunityRefused(
            _("This donation belongs to a support record: reverse the record instead.")
        )
    with transaction.atomic():
        item = _locked(entry.item)
        if SupplyEntry.objects.filter(reverses=entry).exists():
            raise CommunityRefused(_("This entry is already reversed."))
        if entry.quantity > 0:
            _take(item, quantity=entry.quantity, on=entry.day)
        return SupplyEntry.objects.create(
            item=item,
            kind=EntryKind.REVERSAL,
            day=entry.day,
            quantity=-entry.quantity,
            to_staff_id=entry.to_staff_id,
            note=reason,
            reverses=entry,
            created_by=actor,
        )


def reverse_support(*, record: SupportRecord, reason: str, actor: User | None) -> SupportRecord:
    """Cancel a wrong support record: its stock lines are booked back into the ledger by
    reversal entries, and the record is marked reversed (it stays, with who and why)."""
    reason = _text(reason, limit=300, field=_("reason"))
    if not reason:
        raise CommunityRefused(_("Say why the record is reversed."))
    with transaction.atomic():
        locked = SupportRecord.objects.select_for_update().get(pk=record.pk)
        if locked.is_reversed:
            raise CommunityRefused(_("This record is already reversed."))
        entries = list(
            SupplyEntry.objects.filter(support_line__record=locked).order_by("item_id", "id")
        )
        # Booking stock back in never makes a balance negative; the lock keeps the order.
        list(SupplyItem.objects.select_for_update().filter(pk__in={e.item_id for e in entries}))
        SupplyEntry.objects.bulk_create(
            SupplyEntry(
                item_id=entry.item_id,
                kind=EntryKind.REVERSAL,
                day=entry.day,
                quantity=-entry.quantity,
                partner_id=entry.partner_id,
                note=reason,
                reverses=entry,
                created_by=actor,
            )
            for entry in entries
        )
        locked.reversed_at = timezone.now()
        locked.reversed_by = actor
        locked.reversal_reason = reason
        locked.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    return locked


# --- partnership -------------------------------------------------------------------------


def report_in_member(
    *,
    partner: PartnerCommunity,
    member: User | None,
    reported_on: date,
    actor: User | None,
    vanguard_post: str = "",
    note: str = "",
) -> PartyMemberReport:
    """Record a company Party member reported in to a partner community (双报到) with the
    vanguard post they hold there (their usual post when none is given)."""
    person = _company_staff(member, field=_("Party member"))
    if not person.is_party_member:
        raise CommunityRefused(
            _("%(name)s is not recorded as a Party member.") % {"name": person.display_name}
        )
    _not_future(reported_on)
    post = _text(vanguard_post, limit=64, field=_("vanguard post")) or person.vanguard_post
    if not post:
        raise CommunityRefused(_("Name the vanguard post this member holds in the community."))
    note = _text(note, limit=300, field=_("note"))
    with transaction.atomic():
        # The partnership row is the lock: one report-in per member at a time.
        PartnerCommunity.objects.select_for_update().filter(pk=partner.pk).first()
        if PartyMemberReport.objects.filter(
            partner=partner, member=person, ended_on__isnull=True
        ).exists():
            raise CommunityRefused(
                _("%(name)s is already reported in to %(community)s.")
                % {"name": person.display_name, "community": partner}
            )
        return PartyMemberReport.objects.create(
            partner=partner,
            member=person,
            vanguard_post=post,
            reported_on=reported_on,
            note=note,
            created_by=actor,
        )


def end_member_report(
    *, report: PartyMemberReport, ended_on: date, actor: User | None
) -> PartyMemberReport:
    """End a member's service in a community (moved, left the company); the record stays."""
    _not_future(ended_on)
    with transaction.atomic():
        locked = PartyMemberReport.objects.select_for_update().get(pk=report.pk)
        if locked.ended_on is not None:
            raise CommunityRefused(_("This member's service there has already ended."))
        if ended_on < locked.reported_on:
            raise CommunityRefused(_("The end cannot be before the day they reported in."))
        locked.ended_on = ended_on
        locked.ended_by = actor
        locked.ended_at = timezone.now()
        locked.save(update_fields=["ended_on", "ended_by", "ended_at"])
    return locked


def record_activity(
    *,
    partner: PartnerCommunity,
    day: date,
    title: str,
    participants: Sequence[tuple[User, Any]],
    actor: User | None,
    description: str = "",
    community_volunteers: int = 0,
) -> JointActivity:
    """Record an activity done together with a partner community, with each company
    volunteer's hours (more than 0, at most 24 for one activity, each person once)."""
    _not_future(day)
    title = _text(title, limit=120, field=_("title"))
    if not title:
        raise CommunityRefused(_("Give the activity a title."))
    description = _text(description, limit=2000, field=_("description"))
    if not 0 <= community_volunteers <= MAX_COMMUNITY_VOLUNTEERS:
        raise CommunityRefused(
            _("Community volunteers: a number from 0 to %(n)s.") % {"n": MAX_COMMUNITY_VOLUNTEERS}
        )
    if not participants:
        raise CommunityRefused(_("Name at least one company volunteer."))
    roll: list[tuple[User, Decimal]] = []
    seen: set[int] = set()
    for person, hours in participants:
        who = _company_staff(person, field=_("volunteer"))
        if who.pk in seen:
            raise CommunityRefused(_("%(name)s is named twice.") % {"name": who.display_name})
        seen.add(who.pk)
        try:
            amount = Decimal(str(hours).strip())
        except (InvalidOperation, ValueError) as exc:
            raise CommunityRefused(_("Volunteer hours: not a number.")) from exc
        if not amount.is_finite() or not 0 < amount <= MAX_HOURS:
            raise CommunityRefused(
                _("Volunteer hours of %(name)s: more than 0 and at most 24.")
                % {"name": who.display_name}
            )
        if amount != amount.quantize(Decimal("0.1")):
            raise CommunityRefused(_("Volunteer hours: at most one decimal place."))
        roll.append((who, amount.quantize(Decimal("0.1"))))
    with transaction.atomic():
        activity = JointActivity.objects.create(
            partner=partner,
            day=day,
            title=title,
            description=description,
            community_volunteers=community_volunteers,
            created_by=actor,
        )
        ActivityParticipant.objects.bulk_create(
            ActivityParticipant(activity=activity, person=who, hours=hours) for who, hours in roll
        )
    return activity
