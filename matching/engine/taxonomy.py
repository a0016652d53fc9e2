"""Canonical codes and free-text resolution (ingestion only: CSV, history import, search).

Trusts' e-rosters and agencies' spreadsheets name the same role, credential or ward many ways.
Everything is resolved to a canonical code here, with a confidence, before it reaches ranking;
a low-confidence or ambiguous match stays unresolved so a person decides, never a silent guess.
The code lists are plain data so the Django seed migration can load exactly the same codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from matching.engine.model import Ward

ROLES: tuple[str, ...] = ("rmn", "rnld", "hca", "doctor", "psychologist", "ot")

SETTINGS: tuple[str, ...] = (
    "camhs_inpatient",
    "adult_acute",
    "picu",
    "forensic_low",
    "forensic_medium",
    "older_adult",
    "ld_autism",
    "eating_disorders",
    "rehab",
    "community",
    "crisis",
)

CREDENTIAL_TYPES: tuple[str, ...] = (
    "dbs_adult",
    "dbs_children",
    "right_to_work",
    "registration",
    "occupational_health",
    "core_mandatory",
    "safeguarding_adults_l3",
    "safeguarding_children_l3",
    "pmva_rrn",
    "oliver_mcgowan_t1",
    "oliver_mcgowan_t2",
    "ils",
    "bls",
    "rapid_tranquillisation",
)

# The same codes as the database taxonomy (backend/organisations/taxonomy_data.py COMPETENCES).
COMPETENCES: tuple[str, ...] = (
    "observations_1to1",
    "detained_patients",
    "high_acuity",
    "seclusion",
    "ng_feeding",
    "medication_administration",
    "depot_injections",
    "positive_behaviour_support",
    "dementia_care",
    "substance_misuse",
    "autism_support",
    "self_harm",
)

# Ward needs tags (organisations.Ward.needs) and the competence that meets each.
NEED_COMPETENCE: Mapping[str, str] = {
    "one_to_one_obs": "observations_1to1",
    "detained_patients": "detained_patients",
    "high_acuity": "high_acuity",
    "seclusion": "seclusion",
    "ng_feeding": "ng_feeding",
    "clozapine": "medication_administration",
    "depot": "depot_injections",
    "behaviours_that_challenge": "positive_behaviour_support",
    "dementia": "dementia_care",
    "substance_misuse": "substance_misuse",
    "autism": "autism_support",
    "self_harm": "self_harm",
}

# Every booking needs these whatever the setting (the agency's compliance baseline).
BASELINE_CREDENTIALS: frozenset[str] = frozenset({"right_to_work", "core_mandatory"})

SETTING_PRESETS: Mapping[str, frozenset[str]] = {
    "camhs_inpatient": frozenset({"dbs_children", "safeguarding_children_l3"}),
    "picu": frozenset({"pmva_rrn"}),
    "forensic_low": frozenset({"pmva_rrn"}),
    "forensic_medium": frozenset({"pmva_rrn"}),
    "ld_autism": frozenset({"oliver_mcgowan_t2"}),
}


def required_credentials(setting: str, trust_extras: Iterable[str] = ()) -> frozenset[str]:
    """Credential codes a shortfall in ``setting`` needs: setting preset plus the trust's additions.

    The baseline (right to work, core mandatory) is left to the caller's ``trust_extras`` or
    compliance gate so that instances stay exactly as their authors wrote them.
    """
    return SETTING_PRESETS.get(setting, frozenset()) | frozenset(trust_extras)


ROLE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "rmn": (
        "rmn",
        "registered mental health nurse",
        "mental health nurse",
        "staff nurse mh",
        "staff nurse mental health",
        "mental health staff nurse",
        "psychiatric nurse",
        "rnmh",
        "rn mh",
        "charge nurse mental health",
        "deputy ward manager mental health",
    ),
    "rnld": (
        "rnld",
        "registered nurse learning disabilities",
        "learning disability nurse",
        "learning disabilities nurse",
        "ld nurse",
        "rn ld",
        "staff nurse ld",
        "staff nurse learning disabilities",
    ),
    "hca": (
        "hca",
        "healthcare assistant",
        "health care assistant",
        "support worker",
        "healthcare support worker",
        "health care support worker",
        "hcsw",
        "mental health support worker",
        "nursing assistant",
        "clinical support worker",
        "care assistant",
    ),
    "doctor": (
        "doctor",
        "psychiatrist",
        "consultant psychiatrist",
        "specialty doctor psychiatry",
        "locum psychiatrist",
        "speciality doctor",
        "specialty registrar psychiatry",
        "core trainee psychiatry",
        "junior doctor",
    ),
    "psychologist": (
        "psychologist",
        "clinical psychologist",
        "forensic psychologist",
        "counselling psychologist",
    ),
    "ot": ("ot", "occupational therapist", "occupational therapy", "mental health ot"),
}

CREDENTIAL_ALIASES: Mapping[str, tuple[str, ...]] = {
    "dbs_adult": (
        "dbs adult",
        "enhanced dbs",
        "enhanced dbs adults barred list",
        "enhanced dbs adult workforce",
        "dbs adults barred list",
    ),
    "dbs_children": (
        "dbs children",
        "enhanced dbs childrens barred list",
        "enhanced dbs child workforce",
        "childrens barred list",
        "dbs childrens barred list",
        "enhanced dbs children",
    ),
    "right_to_work": ("right to work", "rtw", "right to work check", "right to work in the uk"),
    "registration": (
        "registration",
        "professional registration",
        "nmc registration",
        "gmc registration",
        "hcpc registration",
        "nmc pin",
    ),
    "occupational_health": (
        "occupational health",
        "occupational health clearance",
        "occ health",
        "oh clearance",
        "fit to work",
    ),
    "core_mandatory": (
        "core mandatory training",
        "mandatory training",
        "statutory and mandatory training",
        "stat and mand",
        "core skills training framework",
        "csstf",
    ),
    "safeguarding_adults_l3": (
        "safeguarding adults l3",
        "safeguarding adults level 3",
        "adult safeguarding l3",
    ),
    "safeguarding_children_l3": (
        "safeguarding children l3",
        "safeguarding children level 3",
        "child safeguarding l3",
    ),
    "pmva_rrn": (
        "pmva",
        "pmva rrn",
        "rrn certified pmva",
        "rrn certified restrictive intervention",
        "restrictive intervention training rrn",
        "prevention and management of violence and aggression",
        "mva",
    ),
    "oliver_mcgowan_t1": ("oliver mcgowan t1", "oliver mcgowan mandatory training t1", "ommt t1"),
    "oliver_mcgowan_t2": ("oliver mcgowan t2", "oliver mcgowan mandatory training t2", "ommt t2"),
    "ils": ("ils", "immediate life support"),
    "bls": ("bls", "basic life support"),
    "rapid_tranquillisation": ("rapid tranquillisation", "rapid tranquilization", "rt training"),
}

COMPETENCE_ALIASES: Mapping[str, tuple[str, ...]] = {
    code: (code.replace("_", " "),) for code in COMPETENCES
} | {
    "observations_1to1": (
        "one to one observation",
        "1 to 1 obs",
        "enhanced observation",
        "1 1 obs",
        "1:1 obs",
    ),
    "detained_patients": ("mental health act", "mha", "detained patients", "sectioned patients"),
    "high_acuity": ("high acuity", "de escalation", "deescalation"),
    "ng_feeding": ("ng feeding", "nasogastric feeding", "ngt feeding"),
    "depot_injections": ("depot injections", "depot administration", "lai administration"),
    "positive_behaviour_support": ("positive behaviour support", "pbs"),
    "self_harm": ("self harm", "self-harm management", "dbt skills"),
    "medication_administration": ("medication administration", "meds round", "clozapine monitoring"),
}

RESOLVED_THRESHOLD = 86.0
# Two different codes scoring within this margin of each other is ambiguous, so unresolved.
AMBIGUITY_MARGIN = 4.0

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "first": "1", "second": "2", "third": "3",
}  # fmt: skip
_BAND_PATTERN = re.compile(r"\bband ?(\d)\b|\bb(\d)\b")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}  # only after "tier"/"level", where it is unambiguous


@dataclass(frozen=True)
class Resolution:
    text: str
    canonical: str | None
    confidence: float  # 0-100
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def is_resolved(self) -> bool:
        return self.canonical is not None


def normalise(text: str) -> str:
    """Lowercase, drop punctuation/brackets, number words to digits, 'level 3' -> 'l3', 'tier 2' -> 't2'."""
    lowered = text.lower().replace("'", "").replace("\u2019", "").replace("&", " and ")
    tokens = re.sub(r"[^a-z0-9]+", " ", lowered).split()
    tokens = [_NUMBER_WORDS.get(token, token) for token in tokens]
    merged: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        # "level 3"/"tier two"/"tier ii" collapse to one token so the number stays attached to its word.
        if token in ("level", "tier") and following is not None:
            number = _ROMAN.get(following, following)
            if number.isdigit():
                merged.append(("l" if token == "level" else "t") + number)
                index += 2
                continue
        merged.append(token)
        index += 1
    return " ".join(merged)


def extract_band(text: str) -> int | None:
    """Agenda for Change band from a title: 'Mental Health Nurse Band 5' -> 5, 'B6 RMN' -> 6."""
    match = _BAND_PATTERN.search(normalise(text))
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def _numbers(normalised: str) -> frozenset[str]:
    # "t2", "l3", "7": the numeric part of each token that carries one.
    return frozenset(
        re.sub(r"[^0-9]", "", token) for token in normalised.split() if any(c.isdigit() for c in token)
    )


class Vocabulary:
    """A set of canonical codes with their aliases, ready for repeated fuzzy resolution."""

    def __init__(self, aliases: Mapping[str, Iterable[str]], *, include_codes: bool = True) -> None:
        self._choices: list[str] = []
        self._owners: list[str] = []
        self._exact: dict[str, str] = {}
        for code, names in aliases.items():
            names = (code.replace("_", " "), *names) if include_codes else tuple(names)
            for name in names:
                key = normalise(name)
                if not key or key in self._exact:
                    continue
                self._exact[key] = code
                self._choices.append(key)
                self._owners.append(code)

    def resolve(self, text: str, *, threshold: float = RESOLVED_THRESHOLD) -> Resolution:
        query = normalise(text)
        if not query:
            return Resolution(text, None, 0.0)
        exact = self._exact.get(query)
        if exact is not None:
            return Resolution(text, exact, 100.0)
        query_numbers = _numbers(query)
        best: dict[str, float] = {}
        for choice, score, position in process.extract(
            query, self._choices, scorer=fuzz.WRatio, limit=None, score_cutoff=50
        ):
            # A differing number is a different thing (Ward 7 vs Ward 8, tier 1 vs tier 2).
            if _numbers(choice) != query_numbers and (query_numbers or _numbers(choice)):
                continue
            code = self._owners[position]
            best[code] = max(best.get(code, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda pair: (-pair[1], pair[0]))
        if not ranked:
            return Resolution(text, None, 0.0)
        top_code, top_score = ranked[0]
        alternatives = tuple((code, round(score, 1)) for code, score in ranked[:5])
        is_ambiguous = len(ranked) > 1 and top_score - ranked[1][1] < AMBIGUITY_MARGIN
        if top_score < threshold or is_ambiguous:
            return Resolution(text, None, round(top_score, 1), alternatives)
        return Resolution(text, top_code, round(top_score, 1), alternatives)


ROLE_VOCABULARY = Vocabulary(ROLE_ALIASES)
CREDENTIAL_VOCABULARY = Vocabulary(CREDENTIAL_ALIASES)
COMPETENCE_VOCABULARY = Vocabulary(COMPETENCE_ALIASES)
SETTING_VOCABULARY = Vocabulary(
    {
        "camhs_inpatient": ("camhs", "camhs inpatient", "child and adolescent mental health", "tier 4 camhs"),
        "adult_acute": ("adult acute", "acute admissions", "acute ward"),
        "picu": ("picu", "psychiatric intensive care", "psychiatric intensive care unit"),
        "forensic_low": ("low secure", "forensic low secure"),
        "forensic_medium": ("medium secure", "forensic medium secure"),
        "older_adult": ("older adult", "older adults", "older peoples mental health", "dementia"),
        "ld_autism": ("learning disability and autism", "ld and autism", "learning disabilities"),
        "eating_disorders": ("eating disorders", "eating disorder unit", "ed unit"),
        "rehab": ("rehab", "rehabilitation", "mental health rehabilitation"),
        "community": ("community", "community mental health team", "cmht"),
        "crisis": ("crisis", "crisis team", "crisis resolution home treatment", "crht"),
    }
)


def resolve_role(text: str) -> Resolution:
    """Role title to a role code; the band, if any, is ignored here (see ``extract_band``)."""
    without_band = " ".join(_BAND_PATTERN.sub(" ", normalise(text)).split())
    resolution = ROLE_VOCABULARY.resolve(without_band)
    return Resolution(text, resolution.canonical, resolution.confidence, resolution.alternatives)


def resolve_credential(text: str) -> Resolution:
    return CREDENTIAL_VOCABULARY.resolve(text)


def resolve_competence(text: str) -> Resolution:
    return COMPETENCE_VOCABULARY.resolve(text)


def resolve_setting(text: str) -> Resolution:
    return SETTING_VOCABULARY.resolve(text)


def ward_vocabulary(wards: Sequence[Ward], aliases: Mapping[str, Iterable[str]] | None = None) -> Vocabulary:
    """Wards of one trust (resolve within a trust: two trusts can both have a 'Willow Ward')."""
    extra = aliases or {}
    return Vocabulary(
        {ward.id: (ward.name, *ward.aliases, *extra.get(ward.id, ())) for ward in wards}, include_codes=False
    )


def resolve_ward(
    text: str, wards: Sequence[Ward], aliases: Mapping[str, Iterable[str]] | None = None
) -> Resolution:
    return ward_vocabulary(wards, aliases).resolve(text)


ROLE_LABELS: Mapping[str, str] = {
    "rmn": "RMN",
    "rnld": "RNLD",
    "hca": "HCA / support worker",
    "doctor": "Doctor",
    "psychologist": "Psychologist",
    "ot": "OT",
}

CREDENTIAL_LABELS: Mapping[str, str] = {
    "dbs_adult": "Enhanced DBS (adults)",
    "dbs_children": "Enhanced DBS (children's barred list)",
    "right_to_work": "Right to work",
    "registration": "Professional registration",
    "occupational_health": "Occupational health clearance",
    "core_mandatory": "Core mandatory training",
    "safeguarding_adults_l3": "Safeguarding adults L3",
    "safeguarding_children_l3": "Safeguarding children L3",
    "pmva_rrn": "PMVA (RRN)",
    "oliver_mcgowan_t1": "Oliver McGowan tier 1",
    "oliver_mcgowan_t2": "Oliver McGowan tier 2",
    "ils": "ILS",
    "bls": "BLS",
    "rapid_tranquillisation": "Rapid tranquillisation",
}

SETTING_LABELS: Mapping[str, str] = {
    "camhs_inpatient": "CAMHS inpatient",
    "adult_acute": "adult acute",
    "picu": "PICU",
    "forensic_low": "low secure",
    "forensic_medium": "medium secure",
    "older_adult": "older adult",
    "ld_autism": "learning disability & autism",
    "eating_disorders": "eating disorders",
    "rehab": "rehab",
    "community": "community",
    "crisis": "crisis",
}


COMPETENCE_LABELS: Mapping[str, str] = {
    "observations_1to1": "1:1 observations",
    "detained_patients": "detained patients (MHA)",
    "high_acuity": "high acuity",
    "seclusion": "seclusion",
    "ng_feeding": "NG feeding",
    "medication_administration": "medication administration",
    "depot_injections": "depot injections",
    "positive_behaviour_support": "positive behaviour support",
    "dementia_care": "dementia care",
    "substance_misuse": "substance misuse",
    "autism_support": "autism support",
    "self_harm": "self-harm",
}


def competence_label(code: str) -> str:
    return COMPETENCE_LABELS.get(code, code.replace("_", " "))


def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, code)


def credential_label(code: str) -> str:
    return CREDENTIAL_LABELS.get(code, code.replace("_", " "))


def setting_label(code: str) -> str:
    return SETTING_LABELS.get(code, code.replace("_", " "))
