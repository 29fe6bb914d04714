"""The alarm rules a heating company starts with; managers edit them in the admin."""

from django.db import migrations

RULES = [
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
    },
]


def seed(apps, schema_editor):
    AlarmRule = apps.get_model("operations", "AlarmRule")
    for rule in RULES:
        AlarmRule.objects.get_or_create(name_en=rule["name_en"], defaults=rule)


class Migration(migrations.Migration):
    dependencies = [("operations", "0003_alarms")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
