"""The alarm rules a heating company starts with; managers edit them in the admin."""

from django.db import migrations

from wennuan.operations.rules import seed_alarm_rules

def seed(apps, schema_editor):
    seed_alarm_rules(apps.get_model("operations", "AlarmRule"))


class Migration(migrations.Migration):
    dependencies = [("operations", "0003_alarms")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
