from django.db import migrations

from backend.organisations import taxonomy_data as data


def seed(apps, schema_editor):
    data.seed_taxonomy(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
