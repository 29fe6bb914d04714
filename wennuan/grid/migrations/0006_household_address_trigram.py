"""A trigram index on household addresses (PostgreSQL only): the staff search by an address
fragment (`address LIKE '%…%'`) reads the index instead of every household. At a million
households a fragment that matches nothing went from 231 ms to 11 ms (docs/performance.md).
SQLite has no such index; its search stays a scan, which is fine at its size.

Built CONCURRENTLY (outside a transaction: ``atomic = False``) so that residents can still be
added while it builds on a large city. pg_trgm is a trusted extension (PostgreSQL 13+): the
database's owner may create it; otherwise a superuser runs `CREATE EXTENSION pg_trgm` first."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS household_address_trgm "
        "ON grid_household USING gin (address gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS household_address_trgm")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("grid", "0005_household_data_action")]

    operations = [migrations.RunPython(forwards, backwards)]
