"""Rank the candidates for one shortfall (API, offer waves, 'roles for you').

Masks and scores are vectorised over the whole pool; the Python-level work (reasons, blockers)
is done only for the candidates actually returned, so one ranking over 50,000 practitioners
stays within a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from matching.engine.clock import DAY, epoch, is_night_shift
from matching.engine.eligibility import (
    RULE_CODES,
    eligible_positions,
    eligible_shortfalls,
    explain_pair,
    pair_masks,
)
from matching.engine.explain import reasons
from matching.engine.model import (
    Candidate,
    IneligibleCandidate,
    Ranking,
    Rules,
    Shortfall,
    Ward,
    WeightBook,
    Weights,
)
from matching.engine.scoring import (
    COST_REFERENCE_RATE,
    TERMS,
    ScoredPairs,
    combine_terms,
    needed_competences,
    preference_share,
    ranking_order,
    score_pairs,
)
from matching.engine.snapshot import PractitionerPool

DEFAULT_INELIGIBLE_LIMIT = 50


def resolve_weights(weights: Weights | WeightBook | None, trust: str) -> Weights:
    if weights is None:
        return Weights()
    return weights.for_trust(trust) if isinstance(weights, WeightBook) else weights


def score_shortfall(
    shortfall: Shortfall,
    ward: Ward,
    pool: PractitionerPool,
    rules: Rules,
    weights: Weights,
    now: datetime | None = None,
) -> ScoredPairs:
    """All eligible pairs for one shortfall with their scores."""
    positions, km = eligible_positions(shortfall, ward, pool, rules)
    return score_pairs(shortfall, ward, pool, positions, km, weights, rules, now)


def rank_candidates(
    shortfall: Shortfall,
    ward: Ward,
    pool: PractitionerPool,
    rules: Rules | None = None,
    weights: Weights | WeightBook | None = None,
    now: datetime | None = None,
    include_ineligible: bool = False,
    limit: int | None = None,
) -> Ranking:
    """Eligible practitioners best first, each with score, terms and reasons.

    ``now`` defaults to the pool's snapshot time (recency and 'expired' wording use it).
    With ``include_ineligible``, also the nearest misses of the same role (fewest blockers first,
    up to ``limit`` or DEFAULT_INELIGIBLE_LIMIT), each with every blocker named.
    """
    rules = rules or Rules()
    trust_weights = resolve_weights(weights, ward.trust)
    now = now or pool.now
    now_seconds = float(epoch(now))
    scored = score_shortfall(shortfall, ward, pool, rules, trust_weights, now)
    order = ranking_order(pool, scored)
    if limit is not None:
        order = order[:limit]
    candidates = [
        candidate_at(shortfall, ward, pool, scored, k, trust_weights, now_seconds) for k in order.tolist()
    ]
    ineligible: tuple[IneligibleCandidate, ...] = ()
    if include_ineligible:
        ineligible = _near_misses(shortfall, ward, pool, rules, now, limit or DEFAULT_INELIGIBLE_LIMIT)
    return Ranking(
        shortfall_id=shortfall.id,
        candidates=tuple(candidates),
        eligible_count=len(scored.positions),
        ineligible=ineligible,
    )


def candidate_at(
    shortfall: Shortfall,
    ward: Ward,
    pool: PractitionerPool,
    scored: ScoredPairs,
    k: int,
    weights: Weights,
    now_seconds: float,
) -> Candidate:
    """Pair ``k`` of ``scored`` with its rounded terms and reasons (ranking and 'roles for you')."""
    i = int(scored.positions[k])
    practitioner = pool.practitioners[i]
    terms = {name: round(float(scored.terms[name][k]), 4) for name in TERMS}
    return Candidate(
        practitioner_id=practitioner.id,
        score=float(scored.scores[k]),
        terms=terms,
        reasons=reasons(
            shortfall=shortfall,
            ward=ward,
            practitioner=practitioner,
            terms=terms,
            weights=weights,
            distance_km=float(scored.distance_km[k]),
            ward_shifts=float(scored.ward_shifts[k]),
            ward_last_worked=float(scored.ward_last_worked[k]),
            trust_shifts=float(scored.trust_shifts[k]),
            setting_shifts=float(scored.setting_shifts[k]),
            hours_this_week=float(pool.hours_this_week[i]),
            now_seconds=now_seconds,
        ),
    )


def _near_misses(
    shortfall: Shortfall, ward: Ward, pool: PractitionerPool, rules: Rules, now: datetime, limit: int
) -> tuple[IneligibleCandidate, ...]:
    masks = pair_masks(shortfall, ward, pool, rules)
    failures = sum((~masks[code]).astype(np.int64) for code in RULE_CODES)
    same_role = masks["role"]
    positions = np.flatnonzero(same_role & (failures > 0))
    chosen = positions[np.lexsort((pool.id_order[positions], failures[positions]))][:limit]
    return tuple(
        IneligibleCandidate(
            practitioner_id=pool.ids[i],
            blockers=tuple(explain_pair(shortfall, ward, pool.practitioners[i], rules, now)),
        )
        for i in chosen.tolist()
    )


def score_roles(
    shortfalls: Sequence[Shortfall],
    wards: Mapping[str, Ward],
    pool: PractitionerPool,
    rules: Rules,
    weights: Weights,
    now: datetime | None = None,
    position: int = 0,
) -> tuple[np.ndarray, ScoredPairs]:
    """'Roles for you' in one pass: the practitioner at ``position`` against many shortfalls.

    Returns the indices of the shortfalls they may work and their pairs (entry k is shortfall
    ``chosen[k]``; ``candidate_at`` explains one), scored with the same rules
    (``shortfall_masks``) and the same term arithmetic (``combine_terms``) as ``score_shortfall``
    gives that pair when ranking the shortfall's candidates.
    """
    chosen, km = eligible_shortfalls(shortfalls, wards, pool, rules, position)
    n = len(chosen)
    if not n:
        return chosen, _no_pairs()
    p, at = position, np.array([position])
    now_seconds = float(epoch(now or pool.now))
    rows = [(shortfalls[k], wards[shortfalls[k].ward]) for k in chosen.tolist()]
    by_ward: dict[str, tuple[float, ...]] = {}
    for _, ward in rows:
        if ward.id not in by_ward:
            by_ward[ward.id] = _ward_columns(pool, ward, at)
    ward_shifts, last_worked, trust_shifts, setting_shifts, declared, likes_setting = (
        np.array(values) for values in zip(*(by_ward[ward.id] for _, ward in rows), strict=True)
    )
    needed_sets = [needed_competences(shortfall, ward) for shortfall, ward in rows]
    held = np.zeros(n)
    for k, needed in enumerate(needed_sets):
        for competence in needed:
            competence_column = pool.competence_column.get(competence)
            if competence_column is not None:
                held[k] += pool.competence[p, competence_column]
    wanted = pool.preferred_shift_time[p]
    shift_codes = np.array([2 if is_night_shift(shortfall.start) else 1 for shortfall, _ in rows])
    same = np.full  # the practitioner's own columns, one entry per shortfall
    terms, scores = combine_terms(
        weights,
        ward_shifts=ward_shifts,
        days_since_last=(now_seconds - last_worked) / DAY,
        trust_shifts=trust_shifts,
        setting_shifts=setting_shifts,
        declared=declared.astype(bool),
        held=held,
        needed=np.array([len(needed) for needed in needed_sets]),
        rating_count=same(n, pool.rating_count[p]),
        rating_mean=same(n, pool.rating_mean[p]),
        completed=same(n, pool.completed[p]),
        late_cancellations=same(n, pool.late_cancellations[p]),
        no_shows=same(n, pool.no_shows[p]),
        distance_km=km,
        preferences=preference_share(
            ~pool.has_setting_preference[p] | likes_setting.astype(bool),
            km <= pool.preferred_max_km[p],
            (wanted == 0) | (wanted == shift_codes),
        ),
        hours_this_week=same(n, pool.hours_this_week[p]),
        cap_seconds=same(n, pool.week_cap_seconds(rules)[p]),
        rate=same(n, pool.hourly_rate[p]),
        reference=np.array([shortfall.rate_cap or COST_REFERENCE_RATE for shortfall, _ in rows], float),
    )
    return chosen, ScoredPairs(
        np.full(n, p), scores, terms, km, ward_shifts, last_worked, trust_shifts, setting_shifts
    )


def _no_pairs() -> ScoredPairs:
    empty = np.zeros(0)
    return ScoredPairs(
        np.zeros(0, np.int64), empty, {name: empty for name in TERMS}, empty, empty, empty, empty, empty
    )


def _ward_columns(pool: PractitionerPool, ward: Ward, at: np.ndarray) -> tuple[float, ...]:
    """The practitioner at ``at``'s history with a ward, its trust and setting (``score_pairs``' lookups):
    shifts on the ward, last worked there, shifts in the trust and the setting, declared and
    preferred setting."""
    ledger = pool.history_by_ward.get(ward.id)
    return (
        float(pool.lookup(ledger, at)[0]),
        float(pool.lookup(ledger, at, ledger.last_worked if ledger else None, fill=-np.inf)[0]),
        float(pool.lookup(pool.history_by_trust.get(ward.trust), at)[0]),
        float(pool.lookup(pool.history_by_setting.get(ward.setting), at)[0]),
        float(pool.is_member(pool.declared_setting.get(ward.setting), at)[0]),
        float(pool.is_member(pool.preferred_setting.get(ward.setting), at)[0]),
    )
