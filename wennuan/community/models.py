"""Partner communities (双报到): the partnerships, the Party members the company reports in to
each community, the support it gives them and the activities done together, and the supplies
ledger (masks, disinfectant, gloves) the support and the company's own staff draw on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from wennuan.community.choices import EntryKind, SupplyCategory
from wennuan.people.choices import Role
from wennuan.service.models import bilingual


class PartnerCommunityQuerySet(models.QuerySet["PartnerCommunity"]):
    def for_user(self, user: Any) -> PartnerCommunityQuerySet:
        """Whole-city staff see every partnership; a community worker their own community's;
        other staff the partnerships they are the liaison of or reported in to."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.sees_whole_city:
            return self
        if user.role == Role.COMMUNITY_WORKER:
            if user.community_id is None:
                return self.none()
            return self.filter(community_id=user.community_id)
        mine = PartyMemberReport.objects.filter(member=user, ended_on__isnull=True)
        return self.filter(Q(liaison=user) | Q(pk__in=mine.values("partner_id")))


class PartnerCommunity(models.Model):
    """A community that is a partner of the company, its liaison, and the zones serving it."""

    community = models.OneToOneField(
        "grid.Community",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="partnership",
    )
    since = models.DateField(_("partner since"))
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison"),
        on_delete=models.PROTECT,
        related_name="liaison_for",
        help_text=_("The company staff member who reports in to this community."),
    )
    zones = models.ManyToManyField(
        "grid.Zone", verbose_name=_("serving zones"), related_name="partner_communities", blank=True
    )
    note = models.TextField(_("note"), blank=True)

    objects = PartnerCommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner community")
        verbose_name_plural = _("partner communities")
        ordering = ["community__code"]

    def __str__(self) -> str:
        return str(self.community)


class PartnerContact(models.Model):
    """A person on the community's side of a partnership whom the company calls (the Party
    secretary, the director, a grid worker); the company's side is the liaison."""

    partner = models.ForeignKey(
        PartnerCommunity,
        verbose_name=_("partner community"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=64)
    position = models.CharField(_("position"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        verbose_name = _("liaison contact")
        verbose_name_plural = _("liaison contacts")
        ordering = ["partner", "order", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.position})" if self.position else self.name


class PartyMemberReport(models.Model):
    """A company Party member reported in to a partner community (双报到), holding a
    vanguard post there, from ``reported_on`` until ``ended_on`` (open while serving).

    The partnership owns these rows: deleting a partnership (only possible while no stock
    was donated to it) deletes them too.
    """

    partner = models.ForeignKey(
        PartnerCommunity,
        verbose_name=_("partner community"),
        on_delete=models.CASCADE,
        related_name="member_reports",
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Party member"),
        on_delete=models.PROTECT,
        related_name="community_reports",
    )
    vanguard_post = models.CharField(_("vanguard post"), max_length=64)
    reported_on = models.DateField(_("reported in on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("end recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Party member reported in")
        verbose_name_plural = _("Party members reported in")
        ordering = ["partner", "-reported_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "member"],
                condition=Q(ended_on__isnull=True),
                name="member_reported_in_once",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("reported_on")),
                name="member_report_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.vanguard_post}"

    @property
    def serving(self) -> bool:
        """Whether the member still serves in the community."""
        return self.ended_on is None


class SupplyItem(models.Model):
    """A kind of supply the company keeps in stock (masks, disinfectant, gloves, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=14, choices=SupplyCategory.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    unit_zh = models.CharField(_("unit (Chinese)"), max_length=10)
    unit_en = models.CharField(_("unit (English)"), max_length=16)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self, "name")

    @property
    def unit(self) -> str:
        return bilingual(self, "unit")


class SupplyEntryQuerySet(models.QuerySet["SupplyEntry"]):
    def balances(self) -> dict[int, Any]:
        """Item id → the sum of the entries' quantities (reversals included)."""
        rows = self.order_by().values_list("item_id").annotate(q=Sum("quantity"))
        return dict(rows.values_list("item_id", "q"))


class SupplyEntry(models.Model):
    """One line of the supplies ledger: ``quantity`` is the change to the stock (+ in, − out).

    Append-only: a wrong entry is cancelled by a reversal (``reverses``) carrying the
    opposite quantity and the reason, never edited or deleted. An item's balance is the sum
    of its entries and is never negative, on any day.
    """

    item = models.ForeignKey(
        SupplyItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    day = models.DateField(_("day"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    source = models.CharField(
        _("received from"), max_length=100, blank=True, help_text=_("Supplier or donor.")
    )
    to_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplies_issued",
    )
    partner = models.ForeignKey(
        PartnerCommunity,
        verbose_name=_("donated to"),
        null=True,
        blank=True,
        # Stock given to a partner keeps the partnership: the books must say to whom.
        on_delete=models.PROTECT,
        related_name="supply_entries",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = SupplyEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("supplies ledger entry")
        verbose_name_plural = _("supplies ledger")
        ordering = ["item", "day", "id"]
        indexes = [models.Index(fields=["item", "day"], name="supply_entry_item_day")]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="supply_entry_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.RECEIPT) | Q(quantity__gt=0),
                name="supply_receipt_adds",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.ISSUE) | Q(quantity__lt=0, to_staff__isnull=False),
                name="supply_issue_names_staff",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.DONATION) | Q(quantity__lt=0, partner__isnull=False),
                name="supply_donation_names_partner",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.REVERSAL) | Q(reverses__isnull=False),
                name="supply_reversal_names_its_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.day} {self.get_kind_display()} {self.quantity}"

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversal")


class SupportRecord(models.Model):
    """Support handed over to a partner community on a day (a donation), with its lines.

    Lines naming a stock item were booked out of the supplies ledger as donations; lines
    described in words (goods bought for the occasion) were not. A wrong record is reversed
    as a whole: its stock lines are booked back, the record stays, marked reversed.
    """

    partner = models.ForeignKey(
        PartnerCommunity,
        verbose_name=_("partner community"),
        on_delete=models.CASCADE,
        related_name="support_records",
    )
    day = models.DateField(_("day"))
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        on_delete=models.PROTECT,
        related_name="support_handed_over",
    )
    received_by = models.CharField(_("received by"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reversed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reversal_reason = models.CharField(_("why it was reversed"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("support record")
        verbose_name_plural = _("support records")
        ordering = ["-day", "-id"]

    def __str__(self) -> str:
        return f"{self.partner} {self.day}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class SupportLine(models.Model):
    """One line of a support record: a stock item (booked in the ledger) or goods in words."""

    record = models.ForeignKey(
        SupportRecord,
        verbose_name=_("support record"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    item = models.ForeignKey(
        SupplyItem,
        verbose_name=_("stock item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("goods"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    entry = models.OneToOneField(
        SupplyEntry,
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_line",
    )

    class Meta:
        verbose_name = _("support line")
        verbose_name_plural = _("support lines")
        ordering = ["record", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="support_line_positive"),
            models.CheckConstraint(
                condition=Q(item__isnull=False) | ~Q(description=""),
                name="support_line_says_what",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} × {self.quantity}"

    @property
    def label(self) -> str:
        return self.item.name if self.item_id is not None and self.item else self.description

    @property
    def unit_label(self) -> str:
        return self.item.unit if self.item_id is not None and self.item else self.unit


class JointActivity(models.Model):
    """An activity the company and a partner community did together (a volunteer service
    day, a door-to-door check on the elderly), with the company volunteers' hours."""

    partner = models.ForeignKey(
        PartnerCommunity,
        verbose_name=_("partner community"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    day = models.DateField(_("day"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    community_volunteers = models.PositiveIntegerField(
        _("community volunteers"),
        default=0,
        help_text=_("How many residents and community workers took part."),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ActivityParticipant",
        verbose_name=_("company volunteers"),
        related_name="joint_activities",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("joint activity")
        verbose_name_plural = _("joint activities")
        ordering = ["-day", "-id"]

    def __str__(self) -> str:
        return f"{self.day} {self.title}"


class ActivityParticipant(models.Model):
    """A company volunteer in a joint activity and the hours they gave."""

    activity = models.ForeignKey(
        JointActivity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="roll"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    hours = models.DecimalField(_("volunteer hours"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("activity participant")
        verbose_name_plural = _("activity participants")
        ordering = ["activity", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="participant_once"),
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="participant_hours_in_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.hours} h"
