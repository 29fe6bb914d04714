from django.db import migrations

from wennuan.inspections.checklists import seed_checklists


def seed(apps, schema_editor):
    seed_checklists(apps.get_model("inspections", "ChecklistItem"))


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
