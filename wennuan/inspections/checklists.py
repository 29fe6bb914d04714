"""The seeded checklist of each facility kind (managers edit them in the admin afterwards)."""

from __future__ import annotations

from typing import Any

# kind → [(Chinese, English, answer, unit, lowest, highest)]
CHECKLISTS: dict[str, list[tuple[str, str, str, str, float | None, float | None]]] = {
    "valve_well": [
        ("井盖完好、无破损", "Cover intact", "pass_fail", "", None, None),
        ("井内无积水", "No standing water in the well", "pass_fail", "", None, None),
        ("阀门及法兰无泄漏", "Valves and flanges not leaking", "pass_fail", "", None, None),
        ("井内空气温度", "Air temperature in the well", "reading", "°C", -20, 45),
        ("其他情况", "Anything else", "text", "", None, None),
    ],
    "pipe_segment": [
        (
            "沿线地面无冒汽、无塌陷",
            "No steam or subsidence along the route",
            "pass_fail",
            "",
            None,
            None,
        ),
        ("架空管道保温层完好", "Insulation of overhead pipes intact", "pass_fail", "", None, None),
        ("管道上方地表温度", "Ground surface temperature above the pipe", "reading", "°C", -30, 25),
        ("沿线有无施工占压", "Works or loads on the route", "text", "", None, None),
    ],
    "compensator": [
        ("补偿器无泄漏", "Compensator not leaking", "pass_fail", "", None, None),
        ("补偿器伸缩量", "Compensator travel", "reading", "mm", 0, 150),
    ],
    "manhole": [
        ("井盖完好、盖严", "Cover intact and closed", "pass_fail", "", None, None),
        ("井口无冒汽、无异味", "No steam or smell at the opening", "pass_fail", "", None, None),
    ],
    "station_yard": [
        ("围墙、大门及门锁完好", "Fence, gate and lock intact", "pass_fail", "", None, None),
        ("场地无积水、积雪", "Yard clear of water and snow", "pass_fail", "", None, None),
        ("消防器材齐全有效", "Fire extinguishers present and in date", "pass_fail", "", None, None),
        (
            "室外管道及阀门无泄漏",
            "Outdoor pipes and valves not leaking",
            "pass_fail",
            "",
            None,
            None,
        ),
    ],
    "building_entry": [
        ("入户管道及阀门无泄漏", "Entry pipes and valves not leaking", "pass_fail", "", None, None),
        ("入户井盖完好", "Entry chamber cover intact", "pass_fail", "", None, None),
        ("入户供水压力", "Supply pressure at the entry", "reading", "MPa", 0.2, 1.0),
    ],
}


def seed_checklists(item_model: Any = None) -> int:
    """Create the seeded items a kind does not have yet (idempotent); returns how many."""
    if item_model is None:
        from wennuan.inspections.models import ChecklistItem

        item_model = ChecklistItem
    made = 0
    for kind, items in CHECKLISTS.items():
        for position, (zh, en, answer, unit, low, high) in enumerate(items, start=1):
            _item, created = item_model.objects.get_or_create(
                facility_kind=kind,
                text_zh=zh,
                defaults={
                    "position": position,
                    "text_en": en,
                    "kind": answer,
                    "unit": unit,
                    "low": low,
                    "high": high,
                },
            )
            made += created
    return made
