"""The supply items every company keeps during an epidemic, seeded by a migration."""

from __future__ import annotations

from typing import Any

from wennuan.community.choices import SEED_ITEMS


def seed_supply_items(item_model: Any = None) -> int:
    """Create the seeded items that do not exist yet (idempotent); returns how many."""
    if item_model is None:
        from wennuan.community.models import SupplyItem

        item_model = SupplyItem
    made = 0
    for code, category, name_zh, name_en, unit_zh, unit_en in SEED_ITEMS:
        _item, created = item_model.objects.get_or_create(
            code=code,
            defaults={
                "category": category,
                "name_zh": name_zh,
                "name_en": name_en,
                "unit_zh": unit_zh,
                "unit_en": unit_en,
            },
        )
        made += created
    return made
