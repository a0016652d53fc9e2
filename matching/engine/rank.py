"""Rank the candidates for one shortfall (API, offer waves, 'roles for you').

Masks and scores are vectorised over the whole pool; the Python-level work (reasons, blockers)
is done only for the candidates actually returned, so one ranking over 50,000 practitioners
stays within a few milliseconds.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from matching.engine.clock import epoch
from matching.engine.eligibility import RULE_CODES, eligible_positions, explain_pair, pair_masks
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
from matching.engine.scoring import TERMS, ScoredPairs, ranking_order, score_pairs
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
    candidates = []
    for k in order.tolist():
        i = int(scored.positions[k])
        practitioner = pool.practitioners[i]
        terms = {name: round(float(scored.terms[name][k]), 4) for name in TERMS}
        candidates.append(
            Candidate(
                practitioner_id=practitioner.id,
                score=float(scored.scores[k]),
                terms=terms,
                reasons=reasons(
                    shortfall=shortfall,
                    ward=ward,
                    practitioner=practitioner,
                    terms=terms,
                    weights=trust_weights,
                    distance_km=float(scored.distance_km[k]),
                    ward_shifts=float(scored.ward_shifts[k]),
                    ward_last_worked=float(scored.ward_last_worked[k]),
                    trust_shifts=float(scored.trust_shifts[k]),
                    setting_shifts=float(scored.setting_shifts[k]),
                    hours_this_week=float(pool.hours_this_week[i]),
                    now_seconds=now_seconds,
                ),
            )
        )
    ineligible: tuple[IneligibleCandidate, ...] = ()
    if include_ineligible:
        ineligible = _near_misses(shortfall, ward, pool, rules, now, limit or DEFAULT_INELIGIBLE_LIMIT)
    return Ranking(
        shortfall_id=shortfall.id,
        candidates=tuple(candidates),
        eligible_count=len(scored.positions),
        ineligible=ineligible,
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
