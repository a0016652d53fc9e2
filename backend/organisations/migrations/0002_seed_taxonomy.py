from django.db import migrations

from backend.organisations import taxonomy_data as data


def seed(apps, schema_editor):
    Role = apps.get_model("organisations", "Role")
    Band = apps.get_model("organisations", "Band")
    Setting = apps.get_model("organisations", "Setting")
    CredentialType = apps.get_model("organisations", "CredentialType")
    Competence = apps.get_model("organisations", "Competence")
    SettingRequirement = apps.get_model("organisations", "SettingRequirement")

    for code, name, body in data.ROLES:
        Role.objects.update_or_create(code=code, defaults={"name": name, "registration_body": body})
    for number, name in data.BANDS:
        Band.objects.update_or_create(number=number, defaults={"name": name})
    for code, name in data.SETTINGS:
        Setting.objects.update_or_create(code=code, defaults={"name": name})
    for code, name, months in data.CREDENTIAL_TYPES:
        CredentialType.objects.update_or_create(code=code, defaults={"name": name, "validity_months": months})
    for code, name in data.COMPETENCES:
        Competence.objects.update_or_create(code=code, defaults={"name": name})
    for setting_code, credential_codes in data.SETTING_PRESETS.items():
        setting = Setting.objects.get(code=setting_code)
        for credential_code in credential_codes:
            SettingRequirement.objects.get_or_create(
                setting=setting, credential_type=CredentialType.objects.get(code=credential_code), role=None
            )


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
