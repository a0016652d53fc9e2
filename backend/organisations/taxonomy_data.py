"""Canonical taxonomy, seeded by data migration. Codes match matching/engine/taxonomy.py."""

ROLES = [
    ("rmn", "Registered Mental Health Nurse (RMN)", "NMC"),
    ("rnld", "Registered Learning Disability Nurse (RNLD)", "NMC"),
    ("hca", "Healthcare Assistant / Support Worker", ""),
    ("doctor", "Psychiatrist / Doctor", "GMC"),
    ("psychologist", "Psychologist", "HCPC"),
    ("ot", "Occupational Therapist", "HCPC"),
]

BANDS = [
    (2, "Band 2"),
    (3, "Band 3"),
    (4, "Band 4"),
    (5, "Band 5"),
    (6, "Band 6"),
    (7, "Band 7"),
    (8, "Band 8 (8a-8d)"),
    (9, "Band 9"),
]

SETTINGS = [
    ("camhs_inpatient", "CAMHS inpatient"),
    ("adult_acute", "Adult acute"),
    ("picu", "Psychiatric intensive care (PICU)"),
    ("forensic_low", "Forensic low secure"),
    ("forensic_medium", "Forensic medium secure"),
    ("older_adult", "Older adult"),
    ("ld_autism", "Learning disability & autism"),
    ("eating_disorders", "Eating disorders"),
    ("rehab", "Rehabilitation"),
    ("community", "Community"),
    ("crisis", "Crisis"),
]

CREDENTIAL_TYPES = [
    ("dbs_adult", "Enhanced DBS, adults' barred list", 36),
    ("dbs_children", "Enhanced DBS, children's barred list", 36),
    ("right_to_work", "Right to work", None),
    ("registration", "Professional registration", 12),
    ("occupational_health", "Occupational health clearance", 36),
    ("core_mandatory", "Core mandatory training", 12),
    ("safeguarding_adults_l3", "Safeguarding adults level 3", 36),
    ("safeguarding_children_l3", "Safeguarding children level 3", 36),
    ("pmva_rrn", "PMVA restrictive intervention (RRN certified)", 12),
    ("oliver_mcgowan_t1", "Oliver McGowan training tier 1", 36),
    ("oliver_mcgowan_t2", "Oliver McGowan training tier 2", 36),
    ("ils", "Immediate life support (ILS)", 12),
    ("bls", "Basic life support (BLS)", 12),
    ("rapid_tranquillisation", "Rapid tranquillisation", 12),
]

COMPETENCES = [
    ("observations_1to1", "1:1 and enhanced observations"),
    ("detained_patients", "Caring for detained patients (MHA)"),
    ("high_acuity", "High acuity"),
    ("seclusion", "Seclusion"),
    ("ng_feeding", "Nasogastric feeding under restraint"),
    ("medication_administration", "Medication administration"),
    ("depot_injections", "Depot injections"),
    ("positive_behaviour_support", "Positive behaviour support"),
    ("dementia_care", "Dementia care"),
    ("substance_misuse", "Substance misuse"),
    ("autism_support", "Autism support"),
    ("self_harm", "Self-harm management"),
]

# Setting presets: setting -> credentials every practitioner working there must hold.
SETTING_PRESETS = {
    "camhs_inpatient": ["dbs_children", "safeguarding_children_l3"],
    "picu": ["pmva_rrn"],
    "forensic_low": ["pmva_rrn"],
    "forensic_medium": ["pmva_rrn"],
    "ld_autism": ["oliver_mcgowan_t2"],
}

# Every shift anywhere needs these.
BASELINE_CREDENTIALS = ["dbs_adult", "right_to_work", "core_mandatory"]


def seed_taxonomy(get_model) -> None:
    """Create or update every taxonomy row. `get_model(app_label, name)` is the migration's
    historical-model lookup or django.apps.apps.get_model; running it twice changes nothing."""
    Role = get_model("organisations", "Role")
    Band = get_model("organisations", "Band")
    Setting = get_model("organisations", "Setting")
    CredentialType = get_model("organisations", "CredentialType")
    Competence = get_model("organisations", "Competence")
    SettingRequirement = get_model("organisations", "SettingRequirement")

    for code, name, body in ROLES:
        Role.objects.update_or_create(code=code, defaults={"name": name, "registration_body": body})
    for number, name in BANDS:
        Band.objects.update_or_create(number=number, defaults={"name": name})
    for code, name in SETTINGS:
        Setting.objects.update_or_create(code=code, defaults={"name": name})
    for code, name, months in CREDENTIAL_TYPES:
        CredentialType.objects.update_or_create(code=code, defaults={"name": name, "validity_months": months})
    for code, name in COMPETENCES:
        Competence.objects.update_or_create(code=code, defaults={"name": name})
    for setting_code, credential_codes in SETTING_PRESETS.items():
        setting = Setting.objects.get(code=setting_code)
        for credential_code in credential_codes:
            SettingRequirement.objects.get_or_create(
                setting=setting, credential_type=CredentialType.objects.get(code=credential_code), role=None
            )
