"""Soft score: a weighted mean of terms in [0, 1], computed over numpy columns for eligible pairs.

Each term is kept so the ranking can say why (see ``explain.reasons``). Continuity with the ward
carries the largest default weight: the therapeutic relationship is the point of the platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from matching.engine.clock import DAY, epoch, is_night_shift
from matching.engine.model import Rules, Shortfall, Ward, Weights
from matching.engine.snapshot import PractitionerPool
from matching.engine.taxonomy import NEED_COMPETENCE

TERMS: tuple[str, ...] = (
    "continuity",
    "trust_familiarity",
    "setting_experience",
    "competence_fit",
    "rating",
    "reliability",
    "distance",
    "preferences",
    "fairness",
    "cost",
)

# An eligible pair always scores above zero (the instance format needs scores in (0, 1]).
SCORE_FLOOR = 0.01
SCORE_DECIMALS = 6  # scores are rounded once, here, so that every consumer sums the same numbers

CONTINUITY_HALF_SHIFTS = 2.0  # 2 shifts on the ward = half the count credit
CONTINUITY_RECENCY_DAYS = 60.0  # recency credit decays with this time constant
FAMILIARITY_HALF_SHIFTS = 5.0
SETTING_HALF_SHIFTS = 5.0
DECLARED_SETTING_CREDIT = 0.5  # experience claimed but not yet seen on our books
RATING_PRIOR_MEAN = 3.5  # out of 5
RATING_PRIOR_COUNT = 3.0  # a new worker counts as three average ratings
RELIABILITY_PRIOR_COMPLETED = 4.0
NO_SHOW_PENALTY = 2.0  # a no-show hurts a ward twice as much as a late cancellation
DISTANCE_HALF_KM = 15.0
COST_REFERENCE_RATE = 50.0  # GBP/h when the shortfall has no cap


@dataclass(frozen=True)
class ScoredPairs:
    positions: np.ndarray
    scores: np.ndarray
    terms: dict[str, np.ndarray]
    distance_km: np.ndarray
    ward_shifts: np.ndarray
    ward_last_worked: np.ndarray
    trust_shifts: np.ndarray
    setting_shifts: np.ndarray


def needed_competences(shortfall: Shortfall, ward: Ward) -> frozenset[str]:
    return shortfall.desired_competences | {
        NEED_COMPETENCE[need] for need in ward.needs if need in NEED_COMPETENCE
    }


def continuity_term(ward_shifts, days_since_last):  # type: ignore[no-untyped-def]
    """Grows with shifts on the ward and with how recently; zero for a stranger to the ward."""
    count = ward_shifts / (ward_shifts + CONTINUITY_HALF_SHIFTS)
    recency = np.exp(-np.maximum(days_since_last, 0.0) / CONTINUITY_RECENCY_DAYS)  # exp(-inf) = 0
    return count * (0.5 + 0.5 * recency)


def smoothed_rating(count, mean):  # type: ignore[no-untyped-def]
    mean = np.where(np.isnan(mean), RATING_PRIOR_MEAN, mean)
    return (RATING_PRIOR_COUNT * RATING_PRIOR_MEAN + count * mean) / (RATING_PRIOR_COUNT + count)


def score_pairs(
    shortfall: Shortfall,
    ward: Ward,
    pool: PractitionerPool,
    positions: np.ndarray,
    distance_km: np.ndarray,
    weights: Weights,
    rules: Rules,
    now: datetime | None = None,
) -> ScoredPairs:
    """Scores for the given (eligible) pool positions, rounded to SCORE_DECIMALS, in (0, 1].

    ``now`` (default: the snapshot's time) is when recency of ward experience is measured from.
    """
    now_seconds = float(epoch(now or pool.now))
    ledger = pool.history_by_ward.get(ward.id)
    ward_shifts = pool.lookup(ledger, positions)
    last_worked = pool.lookup(ledger, positions, ledger.last_worked if ledger else None, fill=-np.inf)
    trust_shifts = pool.lookup(pool.history_by_trust.get(ward.trust), positions)
    setting_shifts = pool.lookup(pool.history_by_setting.get(ward.setting), positions)
    declared = pool.is_member(pool.declared_setting.get(ward.setting), positions)

    needed = needed_competences(shortfall, ward)
    held = np.zeros(len(positions))
    for competence in needed:
        column = pool.competence_column.get(competence)
        if column is not None:
            held += pool.competence[positions, column]
    cap_seconds = pool.week_cap_seconds(rules)[positions]
    terms, scores = combine_terms(
        weights,
        ward_shifts=ward_shifts,
        days_since_last=(now_seconds - last_worked) / DAY,
        trust_shifts=trust_shifts,
        setting_shifts=setting_shifts,
        declared=declared,
        held=held,
        needed=np.full(len(positions), len(needed)),
        rating_count=pool.rating_count[positions],
        rating_mean=pool.rating_mean[positions],
        completed=pool.completed[positions],
        late_cancellations=pool.late_cancellations[positions],
        no_shows=pool.no_shows[positions],
        distance_km=distance_km,
        preferences=_preference_term(shortfall, ward, pool, positions, distance_km),
        hours_this_week=pool.hours_this_week[positions],
        cap_seconds=cap_seconds,
        rate=pool.hourly_rate[positions],
        reference=np.full(len(positions), shortfall.rate_cap or COST_REFERENCE_RATE),
    )
    return ScoredPairs(
        positions, scores, terms, distance_km, ward_shifts, last_worked, trust_shifts, setting_shifts
    )


def combine_terms(weights: Weights, **columns: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The terms and the rounded score of each pair from its columns (equal-length arrays, one entry
    per pair). Shared by the pool path (one shortfall, many practitioners) and 'roles for you' (one
    practitioner, many shortfalls), so both score a pair identically."""
    c = columns
    terms: dict[str, np.ndarray] = {}
    terms["continuity"] = continuity_term(c["ward_shifts"], c["days_since_last"])
    terms["trust_familiarity"] = c["trust_shifts"] / (c["trust_shifts"] + FAMILIARITY_HALF_SHIFTS)
    terms["setting_experience"] = np.maximum(
        c["setting_shifts"] / (c["setting_shifts"] + SETTING_HALF_SHIFTS),
        np.where(c["declared"], DECLARED_SETTING_CREDIT, 0.0),
    )
    # No competence needed is a full fit.
    terms["competence_fit"] = np.where(c["needed"] > 0, c["held"] / np.maximum(c["needed"], 1), 1.0)
    rating = smoothed_rating(c["rating_count"], c["rating_mean"])
    terms["rating"] = np.clip((rating - 1.0) / 4.0, 0.0, 1.0)
    completed = c["completed"] + RELIABILITY_PRIOR_COMPLETED
    lapses = c["late_cancellations"] + NO_SHOW_PENALTY * c["no_shows"]
    terms["reliability"] = completed / (completed + lapses)
    terms["distance"] = 1.0 / (1.0 + c["distance_km"] / DISTANCE_HALF_KM)
    terms["preferences"] = c["preferences"]
    terms["fairness"] = 1.0 - np.clip(c["hours_this_week"] / (c["cap_seconds"] / 3600), 0.0, 1.0)
    rate = c["rate"]
    terms["cost"] = np.where(np.isnan(rate), 1.0, np.clip(1.0 - 0.5 * rate / c["reference"], 0.0, 1.0))

    weight = weights.as_dict()
    total_weight = sum(weight[name] for name in TERMS) or 1.0
    raw = sum(weight[name] * terms[name] for name in TERMS) / total_weight
    scores = np.round(SCORE_FLOOR + (1.0 - SCORE_FLOOR) * np.clip(raw, 0.0, 1.0), SCORE_DECIMALS)
    return terms, scores


def preference_share(setting_ok, distance_ok, time_ok):  # type: ignore[no-untyped-def]
    """Share of the practitioner's own stated preferences a shift meets (no preference = met)."""
    return (np.asarray(setting_ok).astype(float) + distance_ok + time_ok) / 3.0


def _preference_term(
    shortfall: Shortfall, ward: Ward, pool: PractitionerPool, positions: np.ndarray, distance_km: np.ndarray
) -> np.ndarray:
    """Share of the practitioner's own stated preferences this shift meets (no preference = met)."""
    likes_setting = pool.is_member(pool.preferred_setting.get(ward.setting), positions)
    setting_ok = ~pool.has_setting_preference[positions] | likes_setting
    distance_ok = distance_km <= pool.preferred_max_km[positions]
    wanted = pool.preferred_shift_time[positions]
    shift_code = 2 if is_night_shift(shortfall.start) else 1
    time_ok = (wanted == 0) | (wanted == shift_code)
    return preference_share(setting_ok, distance_ok, time_ok)


def ranking_order(pool: PractitionerPool, scored: ScoredPairs) -> np.ndarray:
    """Indices into ``scored`` by score desc, continuity desc, then practitioner id: deterministic."""
    return np.lexsort((pool.id_order[scored.positions], -scored.terms["continuity"], -scored.scores))
