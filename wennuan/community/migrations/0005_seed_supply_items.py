from django.db import migrations

from wennuan.community.seed import seed_supply_items


def seed(apps, schema_editor):
    seed_supply_items(apps.get_model("community", "SupplyItem"))


class Migration(migrations.Migration):
    dependencies = [("community", "0004_supplies_and_partnership")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
