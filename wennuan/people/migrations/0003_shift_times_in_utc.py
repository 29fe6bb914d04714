"""SQLite only: rewrite shift times that bulk inserts stored with a UTC offset ("…+08:00")
as the naive UTC text the ORM writes and compares against (they compared 8 hours off)."""

from django.db import migrations

COLUMNS = ("starts_at", "ends_at")


def normalise(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for column in COLUMNS:
        # SQLite's datetime() applies the offset and writes "YYYY-MM-DD HH:MM:SS" (UTC).
        schema_editor.execute(
            f'UPDATE "people_shift" SET "{column}" = datetime("{column}") '
            f'WHERE "{column}" GLOB \'*[+-][0-9][0-9]:[0-9][0-9]\''
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0002_roster_health")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
