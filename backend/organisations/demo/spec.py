"""Seed sizes, the shift pattern and the distributions the generator draws from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC

DEMO_PASSWORD = "demo-pass-2026"
HISTORY_DAYS = 365
HORIZON_DAYS = 28
MIN_REST_SECONDS = 11 * 3600
WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class SizeSpec:
    name: str
    trusts: int
    wards: int
    sites_per_trust: int
    practitioners: int
    open_shortfalls: int
    history_per_ward_day: float  # past shortfalls per ward per day, on average
    staff_per_trust: int
    agency_staff: int


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec(
        name="small",
        trusts=4,
        wards=40,
        sites_per_trust=3,
        practitioners=600,
        open_shortfalls=300,
        history_per_ward_day=0.25,
        staff_per_trust=4,
        agency_staff=4,
    ),
    "large": SizeSpec(
        name="large",
        trusts=20,
        wards=600,
        sites_per_trust=5,
        practitioners=50_000,
        open_shortfalls=10_000,
        history_per_ward_day=1.0,
        staff_per_trust=12,
        agency_staff=25,
    ),
}

# Local (Europe/London) start, duration in minutes, and whether the shift counts as a night.
SHIFT_PATTERN: dict[str, tuple[int, int, int]] = {
    "early": (7, 0, 8 * 60),
    "late": (13, 30, 8 * 60),
    "long_day": (7, 30, 12 * 60 + 30),
    "night": (19, 30, 12 * 60 + 30),
}

# How many wards of each setting, relative to each other (every setting gets at least one).
SETTING_WEIGHTS: dict[str, float] = {
    "adult_acute": 6.0,
    "picu": 2.0,
    "older_adult": 3.0,
    "forensic_low": 1.5,
    "forensic_medium": 1.0,
    "camhs_inpatient": 1.2,
    "ld_autism": 1.2,
    "eating_disorders": 0.8,
    "rehab": 1.5,
    "community": 1.5,
    "crisis": 0.8,
}

# How short of staff each kind of ward runs (shortfalls per day, relative).
SETTING_DEMAND: dict[str, float] = {
    "adult_acute": 1.3,
    "picu": 1.4,
    "older_adult": 1.0,
    "forensic_low": 1.0,
    "forensic_medium": 1.0,
    "camhs_inpatient": 1.1,
    "ld_autism": 1.0,
    "eating_disorders": 0.8,
    "rehab": 0.6,
    "community": 0.4,
    "crisis": 0.7,
}

INPATIENT_ROLE_MIX = {"rmn": 0.42, "hca": 0.48, "doctor": 0.04, "psychologist": 0.02, "ot": 0.04}
SETTING_ROLE_MIX: dict[str, dict[str, float]] = {
    "ld_autism": {"rnld": 0.35, "hca": 0.55, "rmn": 0.05, "ot": 0.05},
    "community": {"rmn": 0.6, "psychologist": 0.15, "ot": 0.15, "doctor": 0.1},
    "crisis": {"rmn": 0.6, "hca": 0.25, "doctor": 0.15},
}

# The agency's workforce: many nurses and support workers, few doctors, psychologists and OTs.
WORKFORCE_ROLE_MIX = {
    "rmn": 0.36,
    "hca": 0.47,
    "rnld": 0.06,
    "doctor": 0.04,
    "psychologist": 0.035,
    "ot": 0.035,
}
PRACTITIONER_BANDS: dict[str, dict[int, float]] = {
    "rmn": {5: 0.55, 6: 0.35, 7: 0.10},
    "rnld": {5: 0.60, 6: 0.35, 7: 0.05},
    "hca": {2: 0.15, 3: 0.60, 4: 0.25},
    "doctor": {7: 0.20, 8: 0.45, 9: 0.35},
    "psychologist": {7: 0.45, 8: 0.45, 9: 0.10},
    "ot": {5: 0.30, 6: 0.55, 7: 0.15},
}
SHORTFALL_MIN_BANDS: dict[str, dict[int, float]] = {
    "rmn": {5: 0.75, 6: 0.22, 7: 0.03},
    "rnld": {5: 0.80, 6: 0.20},
    "hca": {2: 0.20, 3: 0.65, 4: 0.15},
    "doctor": {7: 0.30, 8: 0.50, 9: 0.20},
    "psychologist": {7: 0.60, 8: 0.40},
    "ot": {5: 0.40, 6: 0.50, 7: 0.10},
}
# Hourly pay in pence at each band (what the agency pays; trusts' rates sit a little above).
BAND_RATE_PENCE: dict[str, dict[int, int]] = {
    "rmn": {5: 3400, 6: 4050, 7: 4800},
    "rnld": {5: 3400, 6: 4050, 7: 4800},
    "hca": {2: 1450, 3: 1700, 4: 2000},
    "doctor": {7: 8000, 8: 10000, 9: 12500},
    "psychologist": {7: 5000, 8: 6200, 9: 7500},
    "ot": {5: 3300, 6: 3900, 7: 4600},
}
FEMALE_SHARE = {"rmn": 0.72, "rnld": 0.80, "hca": 0.70, "doctor": 0.50, "psychologist": 0.78, "ot": 0.85}

SHIFT_MIX: dict[str, dict[str, float]] = {
    "ward": {"early": 0.25, "late": 0.25, "long_day": 0.20, "night": 0.30},
    "doctor": {"long_day": 0.5, "night": 0.5},
    "therapy": {"early": 0.7, "long_day": 0.3},
    "community": {"early": 0.5, "late": 0.3, "long_day": 0.2},
    "crisis": {"early": 0.3, "late": 0.3, "night": 0.4},
}

# Competence codes (organisations.Competence) each role is likely to hold.
ROLE_COMPETENCES: dict[str, dict[str, float]] = {
    "rmn": {
        "medication_administration": 0.95,
        "depot_injections": 0.6,
        "observations_1to1": 0.9,
        "detained_patients": 0.8,
        "high_acuity": 0.5,
        "seclusion": 0.3,
        "self_harm": 0.5,
        "ng_feeding": 0.1,
        "dementia_care": 0.2,
        "substance_misuse": 0.3,
        "autism_support": 0.2,
        "positive_behaviour_support": 0.2,
    },
    "rnld": {
        "positive_behaviour_support": 0.9,
        "autism_support": 0.9,
        "medication_administration": 0.9,
        "observations_1to1": 0.8,
        "detained_patients": 0.4,
        "self_harm": 0.3,
    },
    "hca": {
        "observations_1to1": 0.95,
        "detained_patients": 0.5,
        "high_acuity": 0.3,
        "positive_behaviour_support": 0.35,
        "dementia_care": 0.3,
        "autism_support": 0.3,
        "self_harm": 0.3,
        "seclusion": 0.1,
    },
    "doctor": {
        "detained_patients": 0.9,
        "medication_administration": 0.9,
        "high_acuity": 0.5,
        "substance_misuse": 0.4,
        "seclusion": 0.5,
    },
    "psychologist": {
        "self_harm": 0.7,
        "autism_support": 0.4,
        "positive_behaviour_support": 0.4,
        "dementia_care": 0.2,
    },
    "ot": {
        "dementia_care": 0.3,
        "autism_support": 0.3,
        "positive_behaviour_support": 0.3,
        "substance_misuse": 0.2,
    },
}
# Competences a shortfall on a ward of this setting may require.
SETTING_COMPETENCES: dict[str, tuple[str, ...]] = {
    "adult_acute": ("observations_1to1", "detained_patients", "high_acuity", "self_harm"),
    "picu": ("high_acuity", "seclusion", "detained_patients", "observations_1to1"),
    "camhs_inpatient": ("self_harm", "observations_1to1", "ng_feeding"),
    "forensic_low": ("detained_patients", "seclusion", "high_acuity"),
    "forensic_medium": ("detained_patients", "seclusion", "high_acuity"),
    "older_adult": ("dementia_care", "observations_1to1"),
    "ld_autism": ("positive_behaviour_support", "autism_support", "observations_1to1"),
    "eating_disorders": ("ng_feeding", "observations_1to1", "self_harm"),
    "rehab": ("substance_misuse", "depot_injections"),
    "community": ("depot_injections", "substance_misuse"),
    "crisis": ("self_harm", "substance_misuse"),
}
# Ward needs tags (matching.engine.taxonomy.NEED_COMPETENCE keys) by setting.
SETTING_NEEDS: dict[str, tuple[str, ...]] = {
    "adult_acute": ("detained_patients", "high_acuity", "one_to_one_obs", "self_harm", "clozapine"),
    "picu": ("detained_patients", "high_acuity", "one_to_one_obs"),
    "camhs_inpatient": ("self_harm", "one_to_one_obs", "ng_feeding"),
    "forensic_low": ("detained_patients", "high_acuity", "clozapine"),
    "forensic_medium": ("detained_patients", "high_acuity", "clozapine"),
    "older_adult": ("physical_health", "one_to_one_obs"),
    "ld_autism": ("behaviours_that_challenge", "one_to_one_obs", "detained_patients"),
    "eating_disorders": ("ng_feeding", "physical_health", "self_harm"),
    "rehab": ("clozapine", "physical_health"),
    "community": ("clozapine",),
    "crisis": ("self_harm",),
}
SETTING_GENDERS: dict[str, dict[str, float]] = {
    "adult_acute": {"mixed": 0.4, "male": 0.3, "female": 0.3},
    "picu": {"male": 0.5, "female": 0.2, "mixed": 0.3},
    "forensic_low": {"male": 0.75, "female": 0.25},
    "forensic_medium": {"male": 0.8, "female": 0.2},
    "eating_disorders": {"female": 0.7, "mixed": 0.3},
    "older_adult": {"mixed": 0.7, "male": 0.15, "female": 0.15},
}
SETTING_BEDS: dict[str, tuple[int, int]] = {
    "adult_acute": (18, 24),
    "picu": (8, 12),
    "camhs_inpatient": (10, 16),
    "forensic_low": (12, 16),
    "forensic_medium": (12, 16),
    "older_adult": (16, 22),
    "ld_autism": (6, 10),
    "eating_disorders": (12, 16),
    "rehab": (12, 20),
    "community": (0, 0),
    "crisis": (0, 0),
}

LANGUAGES: dict[str, float] = {
    "pl": 0.05,
    "ur": 0.06,
    "pa": 0.04,
    "bn": 0.02,
    "ar": 0.03,
    "so": 0.01,
    "ro": 0.02,
    "tl": 0.08,
    "ml": 0.07,
    "yo": 0.04,
    "ig": 0.03,
    "sn": 0.03,
    "tw": 0.02,
    "hi": 0.04,
    "gu": 0.02,
    "pt": 0.01,
}

SHORTFALL_NOTES = (
    "Please report to the nurse in charge on arrival.",
    "Two patients on enhanced observations.",
    "Male patient on 2:1 observations - male staff preferred.",
    "Induction 15 minutes before the shift for staff new to the ward.",
    "Parking at the rear of the building; bring photo ID.",
    "Escort to general hospital likely.",
    "Ward under pressure after a serious incident - please be flexible.",
    "Section 17 leave escorts planned for the afternoon.",
)
TRUST_CANCEL_REASONS = (
    "Patient discharged - 1:1 observations no longer needed.",
    "Covered by substantive staff.",
    "Bed closed.",
    "Duplicate request from the e-roster.",
    "Covered by the trust's own bank.",
)
PRACTITIONER_CANCEL_REASONS = (
    "Unwell.",
    "Childcare fell through.",
    "Car broke down.",
    "Family emergency.",
    "Booked onto a substantive shift.",
)
DECLINE_REASONS = ("Too far to travel.", "Already working that day.", "Not my preferred shift.", "", "")
DO_NOT_BOOK_REASONS = (
    "Left the ward without handing over.",
    "Concerns about observation practice - under review with the agency.",
    "Repeated late arrival; asked not to return to this ward.",
    "Unprofessional conduct towards a patient's family (investigated).",
)
NO_SHOW_REASON = "Two no-shows without notice."
FEEDBACK_COMMENTS = (
    "Good induction from the nurse in charge.",
    "Short-staffed; no break until late.",
    "Welcoming team, clear handover.",
    "Did not feel supported during an incident.",
    "Would happily work here again.",
)
