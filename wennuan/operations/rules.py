"""The alarm rules a heating company starts with (seeded by a migration; managers edit them)."""

from __future__ import annotations

from typing import Any

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name_zh": "二次供水低于曲线5°C持续15分钟",
        "name_en": "Secondary supply 5 °C below the curve for 15 minutes",
        "kind": "threshold",
        "metric": "deviation",
        "direction": "below",
        "threshold": -5.0,
        "minutes": 15,
        "severity": "warning",
    },
    {
        "name_zh": "二次供水10分钟内骤降8°C",
        "name_en": "Secondary supply falling 8 °C within 10 minutes",
        "kind": "rate",
        "metric": "secondary_supply_c",
        "direction": "below",
        "threshold": 8.0,
        "minutes": 10,
        "severity": "critical",
        "opens_work_order": True,
    },
    {
        "name_zh": "10分钟无数据",
        "name_en": "No data for 10 minutes",
        "kind": "stale",
        "metric": "",
        "direction": "",
        "threshold": None,
        "minutes": 10,
        "severity": "warning",
    },
    {
        "name_zh": "循环泵停运",
        "name_en": "Circulation pump stopped",
        "kind": "pump_stopped",
        "metric": "",
        "direction": "",
        "threshold": None,
        "minutes": 2,
        "severity": "critical",
        "opens_work_order": True,
    },
]


def seed_alarm_rules(rule_model: Any = None) -> int:
    """Create the default rules that are missing (by English name); returns how many."""
    if rule_model is None:
        from wennuan.operations.models import AlarmRule as rule_model
    # A migration passes the model as it was then: only the fields it had.
    fields = {f.name for f in rule_model._meta.get_fields()}
    created = 0
    for rule in DEFAULT_RULES:
        defaults = {k: v for k, v in rule.items() if k in fields}
        _, made = rule_model.objects.get_or_create(name_en=rule["name_en"], defaults=defaults)
        created += made
    return created
