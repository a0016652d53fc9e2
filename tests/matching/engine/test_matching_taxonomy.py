"""Free text to canonical codes, with a confidence and never a silent guess."""

from __future__ import annotations

import pytest

from matching.engine.model import Ward
from matching.engine.taxonomy import (
    CREDENTIAL_TYPES,
    ROLES,
    SETTINGS,
    extract_band,
    required_credentials,
    resolve_credential,
    resolve_role,
    resolve_setting,
    resolve_ward,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Mental Health Nurse Band 5", "rmn"),
        ("RMN", "rmn"),
        ("Staff Nurse (MH)", "rmn"),
        ("Registered Nurse (Learning Disabilities)", "rnld"),
        ("Support Worker", "hca"),
        ("Healthcare Assistant", "hca"),
        ("Consultant Psychiatrist", "doctor"),
        ("Clinical Psychologist", "psychologist"),
        ("Occupational Therapist", "ot"),
    ],
)
def test_role_titles_resolve(text, code):
    resolution = resolve_role(text)

    assert (resolution.canonical, resolution.is_resolved) == (code, True)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("PMVA", "pmva_rrn"),
        ("RRN certified restrictive intervention", "pmva_rrn"),
        ("Enhanced DBS children's barred list", "dbs_children"),
        ("Oliver McGowan tier 2", "oliver_mcgowan_t2"),
        ("Oliver McGowan Tier Two", "oliver_mcgowan_t2"),
        ("ILS", "ils"),
        ("Basic Life Support", "bls"),
        ("Safeguarding Children Level 3", "safeguarding_children_l3"),
        ("Safeguarding adults lvl 3", "safeguarding_adults_l3"),
        ("Rapid Tranquilisation", "rapid_tranquillisation"),
        ("Right to Work", "right_to_work"),
        ("Occupational Health clearance", "occupational_health"),
        ("Core mandatory training", "core_mandatory"),
        ("NMC registration", "registration"),
    ],
)
def test_credential_names_resolve(text, code):
    assert resolve_credential(text).canonical == code


def test_nonsense_stays_unresolved():
    for resolution in (resolve_role("xyzzy banana"), resolve_credential("xyzzy banana")):
        assert (resolution.canonical, resolution.is_resolved) == (None, False)


def test_ambiguous_title_stays_unresolved_with_alternatives():
    resolution = resolve_role("Nurse")

    assert resolution.canonical is None
    assert [code for code, _ in resolution.alternatives[:2]] == ["rmn", "rnld"]


def test_a_different_tier_number_is_not_a_near_miss():
    assert resolve_credential("Oliver McGowan tier 3").canonical is None


def test_exact_alias_has_full_confidence():
    assert resolve_role("RMN").confidence == 100.0


def test_band_is_extracted_from_titles():
    assert [extract_band(t) for t in ("Mental Health Nurse Band 5", "B6 RMN", "band seven", "RMN")] == [
        5,
        6,
        7,
        None,
    ]


WARDS = [
    Ward("W7", "T1", "adult_acute", 0.0, 0.0, name="Ward 7 (Acute)"),
    Ward("W8", "T1", "adult_acute", 0.0, 0.0, name="Ward 8 (Acute)"),
    Ward("WW", "T1", "picu", 0.0, 0.0, name="Willow Ward", aliases=("Willow PICU",)),
]


def test_ward_names_resolve_across_number_words_and_brackets():
    assert resolve_ward("ward seven acute", WARDS).canonical == "W7"
    assert resolve_ward("WARD 8 - ACUTE", WARDS).canonical == "W8"
    assert resolve_ward("willow picu", WARDS).canonical == "WW"


def test_ward_with_a_different_number_is_not_matched():
    assert resolve_ward("Ward 9 (Acute)", WARDS).canonical is None


def test_setting_presets_add_the_required_credentials():
    assert required_credentials("camhs_inpatient") == {"dbs_children", "safeguarding_children_l3"}
    assert required_credentials("picu") == {"pmva_rrn"}
    assert required_credentials("forensic_low") == {"pmva_rrn"}
    assert required_credentials("forensic_medium") == {"pmva_rrn"}
    assert required_credentials("ld_autism") == {"oliver_mcgowan_t2"}
    assert required_credentials("adult_acute", ["ils"]) == {"ils"}


def test_setting_text_resolves():
    assert resolve_setting("Psychiatric Intensive Care Unit").canonical == "picu"


def test_code_lists_match_the_seeded_taxonomy():
    assert ROLES == ("rmn", "rnld", "hca", "doctor", "psychologist", "ot")
    assert len(SETTINGS) == 11 and len(CREDENTIAL_TYPES) == 14
