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
