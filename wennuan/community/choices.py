"""Choices of the partnership app: kinds of supplies and of supplies-ledger entries."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class SupplyCategory(TextChoices):
    """What a supply item is, for grouping on the supplies page and in the briefing."""

    MASK = "mask", _("Masks")
    DISINFECTANT = "disinfectant", _("Disinfectant")
    GLOVES = "gloves", _("Gloves")
    OTHER = "other", _("Other items")


class EntryKind(TextChoices):
    """What a supplies-ledger entry records. Its quantity is the change to the stock."""

    RECEIPT = "receipt", _("Receipt")  # bought or given to the company: stock goes up
    ISSUE = "issue", _("Issued to staff")  # handed to a staff member: stock goes down
    DONATION = "donation", _("Donated to a partner community")  # stock goes down
    REVERSAL = "reversal", _("Reversal")  # cancels one entry with the opposite quantity


# Kinds that take stock out: refused when they would leave a negative balance.
OUTGOING_KINDS = frozenset({EntryKind.ISSUE, EntryKind.DONATION})

# The items every company keeps during an epidemic: (code, category, name zh, name en,
# unit zh, unit en). Managers add others in the admin.
SEED_ITEMS = [
    ("mask-medical", SupplyCategory.MASK, "医用口罩", "Medical masks", "只", "pcs"),
    ("mask-n95", SupplyCategory.MASK, "N95口罩", "N95 masks", "只", "pcs"),
    (
        "disinfectant-84",
        SupplyCategory.DISINFECTANT,
        "84消毒液",
        "84 disinfectant",
        "瓶",
        "bottles",
    ),
    ("alcohol-75", SupplyCategory.DISINFECTANT, "75%酒精", "75% alcohol", "瓶", "bottles"),
    ("gloves-latex", SupplyCategory.GLOVES, "一次性手套", "Disposable gloves", "副", "pairs"),
    ("shoe-covers", SupplyCategory.OTHER, "鞋套", "Shoe covers", "双", "pairs"),
    ("thermometer", SupplyCategory.OTHER, "额温枪", "Forehead thermometers", "把", "pcs"),
]
