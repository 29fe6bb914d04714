"""The seeded service catalogue: what residents can ask for on day one.

The migration ``0002_seed_catalogue`` loads it; managers edit categories afterwards in the
admin. Texts are in Chinese and English; SLA targets are minutes.
"""

from __future__ import annotations

from typing import Any

LEVELS = [
    {"key": "one_room", "zh": "一个房间", "en": "One room"},
    {"key": "several_rooms", "zh": "几个房间", "en": "Several rooms"},
    {"key": "whole_home", "zh": "整个家", "en": "The whole home"},
]
CATEGORIES = [
    {
        "code": "not_warm",
        "order": 10,
        "duty": "repair",
        "default_priority": 2,
        "name_zh": "室温不达标",
        "name_en": "Home not warm",
        "description_zh": "室内温度低于标准（18 °C）",
        "description_en": "Indoor temperature below the 18 °C standard",
        "notice_zh": "提交前请先确认暖气阀门已打开，并试着给暖气片排气。",
        "notice_en": "Before you report, check that the radiator valves are open and try bleeding the radiators.",
        "first_contact_minutes": 30,
        "on_site_minutes": 4 * 60,
        "resolution_minutes": 24 * 60,
        "home_visit_usual": True,
        "attributes": [
            {
                "code": "indoor_temperature",
                "label_zh": "测得的室内温度（°C）",
                "label_en": "Measured indoor temperature (°C)",
                "datatype": "number",
                "required": True,
                "order": 1,
                "min_value": -10,
                "max_value": 40,
            },
            {
                "code": "rooms_affected",
                "label_zh": "哪些房间不热",
                "label_en": "Rooms affected",
                "datatype": "singlevaluelist",
                "required": True,
                "order": 2,
                "values": LEVELS,
            },
            {
                "code": "since",
                "label_zh": "从什么时候开始",
                "label_en": "Since when",
                "datatype": "datetime",
                "required": False,
                "order": 3,
            },
        ],
    },
    {
        "code": "radiator_leak",
        "order": 20,
        "duty": "repair",
        "default_priority": 1,
        "name_zh": "暖气漏水",
        "name_en": "Radiator leak",
        "description_zh": "暖气片、管道或阀门漏水",
        "description_en": "Water leaking from a radiator, pipe or valve",
        "notice_zh": "如漏水严重，请先关闭暖气片两侧的阀门。",
        "notice_en": "If the leak is heavy, close the valves on both sides of the radiator first.",
        "first_contact_minutes": 15,
        "on_site_minutes": 2 * 60,
        "resolution_minutes": 8 * 60,
        "home_visit_usual": True,
        "attributes": [
            {
                "code": "leak_size",
                "label_zh": "漏水情况",
                "label_en": "How bad is the leak",
                "datatype": "singlevaluelist",
                "required": True,
                "order": 1,
                "values": [
                    {"key": "drip", "zh": "滴水", "en": "Dripping"},
                    {"key": "steady", "zh": "持续流水", "en": "Steady flow"},
                    {"key": "burst", "zh": "喷水", "en": "Burst"},
                ],
            },
        ],
    },
    {
        "code": "noise",
        "order": 30,
        "duty": "repair",
        "default_priority": 3,
        "name_zh": "暖气异响",
        "name_en": "Noise in the heating",
        "description_zh": "暖气片或管道有敲击声、流水声",
        "description_en": "Knocking, hissing or gurgling in radiators or pipes",
        "first_contact_minutes": 2 * 60,
        "on_site_minutes": None,
        "resolution_minutes": 3 * 24 * 60,
        "attributes": [
            {
                "code": "noise_kind",
                "label_zh": "声音类型",
                "label_en": "Kind of noise",
                "datatype": "singlevaluelist",
                "required": False,
                "order": 1,
                "values": [
                    {"key": "knocking", "zh": "敲击声", "en": "Knocking"},
                    {"key": "gurgling", "zh": "流水声", "en": "Gurgling"},
                    {"key": "humming", "zh": "嗡嗡声", "en": "Humming"},
                ],
            },
        ],
    },
    {
        "code": "suspend_resume",
        "order": 40,
        "duty": "customer_service",
        "default_priority": 3,
        "name_zh": "报停 / 开栓",
        "name_en": "Suspend or resume heating",
        "description_zh": "申请本采暖季停止或恢复供暖",
        "description_en": "Stop or restart heating for this season",
        "first_contact_minutes": 4 * 60,
        "on_site_minutes": None,
        "resolution_minutes": 3 * 24 * 60,
        "home_visit_usual": True,
        "attributes": [
            {
                "code": "action",
                "label_zh": "办理事项",
                "label_en": "What you want",
                "datatype": "singlevaluelist",
                "required": True,
                "order": 1,
                "values": [
                    {"key": "suspend", "zh": "报停", "en": "Suspend heating"},
                    {"key": "resume", "zh": "开栓（恢复供暖）", "en": "Resume heating"},
                ],
            },
            {
                "code": "preferred_date",
                "label_zh": "希望办理的日期",
                "label_en": "Preferred date",
                "datatype": "datetime",
                "required": False,
                "order": 2,
            },
        ],
    },
    {
        "code": "billing",
        "order": 50,
        "duty": "customer_service",
        "default_priority": 4,
        "name_zh": "缴费咨询",
        "name_en": "Billing question",
        "description_zh": "热费、发票、缴费方式",
        "description_en": "Heating fees, invoices, ways to pay",
        "first_contact_minutes": 8 * 60,
        "on_site_minutes": None,
        "resolution_minutes": 5 * 24 * 60,
        "attributes": [],
    },
    # Done in person at a service hall: closed while emergency mode is on.
    {
        "code": "hall_business",
        "order": 60,
        "duty": "customer_service",
        "default_priority": 4,
        "name_zh": "营业厅业务预约（过户、开具证明）",
        "name_en": "Service-hall appointment (account transfer, certificates)",
        "description_zh": "需本人到营业厅办理的业务，先在线预约",
        "description_en": "Business done in person at a service hall; book it here first",
        "first_contact_minutes": 24 * 60,
        "on_site_minutes": None,
        "resolution_minutes": 7 * 24 * 60,
        "walk_in": True,
        "attributes": [],
    },
    {
        "code": "outdoor_hazard",
        "order": 60,
        "duty": "inspection",
        "default_priority": 1,
        "name_zh": "室外设施隐患",
        "name_en": "Outdoor facility hazard",
        "description_zh": "管沟冒汽、井盖缺失、管道破损等",
        "description_en": "Steam from a trench, missing manhole cover, damaged pipe",
        "notice_zh": "请远离冒汽处和敞开的井口。",
        "notice_en": "Keep away from steam and open manholes.",
        "first_contact_minutes": 30,
        "on_site_minutes": 3 * 60,
        "resolution_minutes": 24 * 60,
        "allows_anonymous": True,
        "attributes": [
            {
                "code": "hazard_kind",
                "label_zh": "隐患类型",
                "label_en": "Kind of hazard",
                "datatype": "singlevaluelist",
                "required": True,
                "order": 1,
                "values": [
                    {"key": "steam", "zh": "冒汽 / 漏水", "en": "Steam or water"},
                    {
                        "key": "manhole",
                        "zh": "井盖缺失或损坏",
                        "en": "Missing or broken manhole cover",
                    },
                    {"key": "insulation", "zh": "管道保温层破损", "en": "Damaged pipe insulation"},
                    {"key": "other", "zh": "其他", "en": "Other"},
                ],
            },
        ],
    },
    {
        "code": "complaint",
        "order": 70,
        "duty": "customer_service",
        "default_priority": 3,
        "name_zh": "投诉建议",
        "name_en": "Complaint or suggestion",
        "description_zh": "对服务的投诉或建议",
        "description_en": "A complaint about, or a suggestion for, our service",
        "first_contact_minutes": 4 * 60,
        "on_site_minutes": None,
        "resolution_minutes": 3 * 24 * 60,
        "attributes": [],
    },
    {
        "code": "gas_smell",
        "order": 80,
        "duty": "repair",
        "default_priority": 1,
        "name_zh": "闻到燃气味",
        "name_en": "Smell of gas",
        "first_contact_minutes": 5,
        "on_site_minutes": None,
        "resolution_minutes": 60,
        "enabled": False,
        "disabled_message_zh": "燃气异味不由供热公司处理：请立即开窗通风、撤离，不要开关电器，并拨打燃气公司抢修电话或 119。",
        "disabled_message_en": "Gas is not handled by the heating company: open the windows, leave, do not touch switches, and call the gas company's emergency line or 119 now.",
        "attributes": [],
    },
    # A work order the system opens (internal: never shown to residents or partners).
    {
        "code": "station_fault",
        "order": 900,
        "duty": "repair",
        "default_priority": 1,
        "name_zh": "换热站故障工单",
        "name_en": "Station fault work order",
        "description_zh": "由换热站报警自动生成",
        "description_en": "Opened by a station alarm",
        "first_contact_minutes": 15,
        "on_site_minutes": 60,
        "resolution_minutes": 4 * 60,
        "allows_anonymous": True,
        "internal": True,
        "attributes": [],
    },
    # A defect an inspector found on an outdoor facility (internal, like the station fault).
    {
        "code": "facility_fault",
        "order": 910,
        "duty": "repair",
        "default_priority": 2,
        "name_zh": "外网设施缺陷工单",
        "name_en": "Facility defect work order",
        "description_zh": "由巡检发现的问题生成",
        "description_en": "Opened by an inspection finding",
        "first_contact_minutes": 60,
        "on_site_minutes": 4 * 60,
        "resolution_minutes": 24 * 60,
        "allows_anonymous": True,
        "internal": True,
        "attributes": [],
    },
]


def seed_catalogue(category_model: Any = None, attribute_model: Any = None) -> None:
    """Create or update the seeded categories and their questions (idempotent)."""
    if category_model is None or attribute_model is None:
        from wennuan.service.models import CategoryAttribute, ServiceCategory

        category_model, attribute_model = ServiceCategory, CategoryAttribute
    # A migration passes the models as they were then: only the fields they had.
    fields = {f.name for f in category_model._meta.get_fields()}
    for data in CATEGORIES:
        data = dict(data)
        attributes: list[dict[str, Any]] = data.pop("attributes")  # type: ignore[assignment]
        code = data.pop("code")
        if "internal" not in fields and data.get("internal"):
            continue  # added by the migration that adds internal categories
        defaults = {k: v for k, v in data.items() if k in fields}
        category, _ = category_model.objects.update_or_create(code=code, defaults=defaults)
        for attribute in attributes:
            attribute = dict(attribute)
            attribute_model.objects.update_or_create(
                category=category, code=attribute.pop("code"), defaults=attribute
            )
