"""Seed the service catalogue (wennuan/service/catalogue.py)."""

from django.db import migrations


def seed(apps, schema_editor):
    from wennuan.service.catalogue import seed_catalogue

    seed_catalogue(apps.get_model("service", "ServiceCategory"), apps.get_model("service", "CategoryAttribute"))


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
