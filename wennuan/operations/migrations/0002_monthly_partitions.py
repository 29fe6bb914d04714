"""On PostgreSQL, make station readings a table partitioned by month of ``time``.

The table is recreated LIKE Django's (same columns, types and defaults), partitioned by
range, with the same primary key (station, time), foreign key and time index, and a
DEFAULT partition for months without their own (see operations/partitions.py). Other
databases keep the plain table.
"""

from django.db import migrations

TABLE = "operations_stationreading"

FORWARD = [
    f'ALTER TABLE "{TABLE}" RENAME TO "{TABLE}_plain"',
    f'CREATE TABLE "{TABLE}" (LIKE "{TABLE}_plain" INCLUDING DEFAULTS) PARTITION BY RANGE ("time")',
    f'DROP TABLE "{TABLE}_plain"',
    f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY ("station_id", "time")',
    f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_station_fk" FOREIGN KEY ("station_id") '
    'REFERENCES "grid_station" ("id") DEFERRABLE INITIALLY DEFERRED',
    f'CREATE INDEX "station_reading_time" ON "{TABLE}" ("time")',
    f'CREATE TABLE "{TABLE}_default" PARTITION OF "{TABLE}" DEFAULT',
]


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_telemetry")]

    # Going back leaves the partitioned table: it behaves like the plain one.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
