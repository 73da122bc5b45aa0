"""On PostgreSQL, let staff search a force's victims by any part of their name without
reading every row: a trigram index on the expression Django's icontains compares."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS victim_name_trigram
    ON victims_victim USING gin ((UPPER(full_name::text)) gin_trgm_ops);
"""
DROP = "DROP INDEX IF EXISTS victim_name_trigram;"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("victims", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
