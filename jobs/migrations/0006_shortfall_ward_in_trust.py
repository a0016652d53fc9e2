"""A shortfall's ward belongs to the shortfall's trust: a composite foreign key (ward_id, trust_id)
-> organisations_ward (id, trust_id). Trust staff's lists then filter by trust alone. PostgreSQL
only (SQLite cannot add a foreign key to an existing table; the demo's data is generated)."""

from django.db import migrations

ADD = """
ALTER TABLE jobs_shortfall ADD CONSTRAINT shortfall_ward_in_trust
    FOREIGN KEY (ward_id, trust_id) REFERENCES organisations_ward (id, trust_id) DEFERRABLE INITIALLY DEFERRED
"""
DROP = "ALTER TABLE jobs_shortfall DROP CONSTRAINT IF EXISTS shortfall_ward_in_trust"


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0005_shortfall_trust_list_order"),
        ("organisations", "0004_ward_id_trust_unique"),
    ]

    operations = [migrations.RunPython(add, drop)]
