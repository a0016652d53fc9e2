"""Rank the candidates for a shortfall, the roles for a practitioner, and propose a batch
assignment, by running the engine on ORM-loaded inputs (matching.candidates)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cached_property

from django.db.models import Count, QuerySet
from django.utils import timezone

from backend.organisations.models import Trust
from backend.practitioners.models import Practitioner as PractitionerModel
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking
from jobs.models import Shortfall as ShortfallModel
from matching import candidates as adapter
from matching import fresh
from matching.engine import model as engine
from matching.engine.assign import AssignmentResult, assign
from matching.engine.clock import epoch
from matching.engine.rank import candidate_at, rank_candidates, score_roles
from matching.engine.scoring import ScoredPairs
from matching.engine.snapshot import PractitionerPool
from matching.engine.taxonomy import resolve_setting

ROLES_SCAN_LIMIT = 200  # the soonest open shifts considered per request (date filters reach further)


class RoleMatch:
    """One open shift a practitioner can take, with its score. Terms and reasons are worked out
    on first use: a page of 50 is explained, not every match. ``shift`` has the shortfall's
    columns as attributes (a model instance, or a lighter row from matching.fresh); ``shortfall``
    is always a model instance."""

    def __init__(
        self, *, shift: ShortfallModel | fresh.ShiftRow, ward: engine.Ward, role: str, score: float, explain
    ) -> None:
        self.shift, self.ward, self.role, self.score = shift, ward, role, score
        self._explain = explain

    @cached_property
    def shortfall(self) -> ShortfallModel:
        return self.shift if isinstance(self.shift, ShortfallModel) else self.shift.as_model()

    @cached_property
    def _best(self) -> engine.Candidate:
        return self._explain()

    @property
    def terms(self) -> dict[str, float]:
        return dict(self._best.terms)

    @property
    def reasons(self) -> tuple[str, ...]:
        return self._best.reasons


def rank_shortfall(
    *, shortfall: ShortfallModel, include_ineligible: bool = False, limit: int = 50
) -> tuple[engine.Ranking, PractitionerPool]:
    """Candidates for one shortfall from the process snapshot, best first, with reasons; with
    include_ineligible also the nearest misses with named blockers."""
    pool = adapter.snapshot.get()
    (engine_shortfall,) = adapter.engine_shortfalls([shortfall])
    ward = pool.wards.get(str(shortfall.ward_id)) or adapter.engine_ward(shortfall.ward)
    ranking = rank_candidates(
        engine_shortfall,
        ward,
        pool,
        rules=adapter.rules_for(shortfall.trust),
        weights=adapter.weights_for(shortfall.trust),
        now=timezone.now(),
        include_ineligible=include_ineligible,
        limit=limit,
    )
    return ranking, pool


def _bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    dlat = km / 111.0
    dlon = km / (111.320 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def roles_for(*, practitioner: PractitionerModel, **filters) -> list[RoleMatch]:
    """Open shortfalls this practitioner is eligible for, best first (see ``list_roles``)."""
    return list_roles(practitioner=practitioner, **filters).matches


@dataclass(frozen=True)
class Roles:
    matches: list[RoleMatch]
    # The list holds until the first of the shifts it considered starts (a started shift leaves
    # it, and the next one in start order may enter); None: it considered no shift.
    first_start: dt.datetime | None


def list_roles(
    *,
    practitioner: PractitionerModel,
    caller: fresh.Caller | None = None,
    now: dt.datetime | None = None,
    starts_after: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    setting: str | None = None,
    max_distance_km: float | None = None,
    search: str | None = None,
) -> Roles:
    """Open shortfalls this practitioner is eligible for, best first. The practitioner is loaded
    fresh (not from the snapshot): they must never be shown a shift they cannot take. On PostgreSQL
    the practitioner (``caller``, unless given: see ``fresh.load_caller``) and the shifts are read
    in one statement each (matching.fresh)."""
    now = now or timezone.now()
    none = Roles(matches=[], first_start=None)
    ward_name = None
    if search:
        resolved = resolve_setting(search)
        if resolved.is_resolved:
            setting = resolved.canonical
        else:
            ward_name = search.strip()
    if fresh.is_available():
        caller = caller or fresh.load_caller(practitioner.id, now=now)
        if caller is None:
            return none
        person, exclude = caller.person, caller.booked_shortfalls
    else:
        people = adapter.load_practitioners(now=now, practitioner_ids=[practitioner.id])
        if not people:
            return none
        (person,), exclude = people, None
    radius = min(person.radius_km, max_distance_km) if max_distance_km else person.radius_km
    query = {
        "now": now,
        "box": _bounding_box(person.lat, person.lon, radius),
        "starts_after": starts_after,
        "starts_before": starts_before,
        "setting": setting,
        "ward_name": ward_name,
    }
    if exclude is not None:
        rows = fresh.open_shifts(
            role_id=practitioner.role_id,
            band=practitioner.band,
            exclude=exclude,
            limit=ROLES_SCAN_LIMIT,
            **query,
        )
    else:
        rows = _open_shifts_orm(practitioner=practitioner, **query)
    if not rows:
        return none
    policies = adapter.policy_cache.get({s.trust_id for s, _ in rows})
    wards = adapter.ward_cache.get({s.ward_id for s, _ in rows})
    engine_rows = [
        adapter.engine_shortfall(
            s,
            role=policies.role_codes[s.role_id],
            requires=adapter.required_credentials(
                policies.requirements,
                setting=wards[s.ward_id].setting,
                role_id=s.role_id,
                trust_id=s.trust_id,
            ),
            competences=competences,
        )
        for s, competences in rows
    ]
    pool = PractitionerPool([person], wards.values(), now)
    # One vectorised pass per trust policy: the practitioner against all its shifts at once.
    by_engine_ward = {e.ward: wards[s.ward_id] for (s, _), e in zip(rows, engine_rows, strict=True)}
    by_trust: dict[int, list[int]] = {}
    for k, (shortfall, _) in enumerate(rows):
        by_trust.setdefault(shortfall.trust_id, []).append(k)
    scored = []
    for trust_id, ks in by_trust.items():
        rules, weights = policies.by_trust[trust_id]
        chosen, pairs = score_roles([engine_rows[k] for k in ks], by_engine_ward, pool, rules, weights)
        for j, k in enumerate(chosen.tolist()):
            scored.append((float(pairs.scores[j]), rows[ks[k]][0], engine_rows[ks[k]], pairs, j))
    scored.sort(key=lambda row: (-row[0], row[1].starts_at, row[1].id))
    now_seconds = float(epoch(now))

    def explainer(
        shortfall: ShortfallModel | fresh.ShiftRow,
        engine_shortfall: engine.Shortfall,
        pairs: ScoredPairs,
        j: int,
    ):
        weights = policies.by_trust[shortfall.trust_id][1]
        ward = by_engine_ward[engine_shortfall.ward]
        return lambda: candidate_at(engine_shortfall, ward, pool, pairs, j, weights, now_seconds)

    matches = [
        RoleMatch(
            shift=shortfall,
            ward=wards[shortfall.ward_id],
            role=engine_shortfall.role,
            score=score,
            explain=explainer(shortfall, engine_shortfall, pairs, j),
        )
        for score, shortfall, engine_shortfall, pairs, j in scored
    ]
    return Roles(matches=matches, first_start=min(s.starts_at for s, _ in rows))


def _open_shifts_orm(
    *,
    practitioner: PractitionerModel,
    now: dt.datetime,
    box: tuple[float, float, float, float],
    starts_after: dt.datetime | None,
    starts_before: dt.datetime | None,
    setting: str | None,
    ward_name: str | None,
) -> list[tuple[ShortfallModel, frozenset[str]]]:
    """fresh.open_shifts through the ORM, for databases other than PostgreSQL (the SQLite demo)."""
    lat_lo, lat_hi, lon_lo, lon_hi = box
    shortfalls: QuerySet[ShortfallModel] = (
        ShortfallModel.objects.filter(
            status__in=ShortfallModel.OPEN_STATUSES,
            starts_at__gt=now,
            role_id=practitioner.role_id,
            min_band__lte=practitioner.band,
            ward__latitude__range=(lat_lo, lat_hi),
            ward__longitude__range=(lon_lo, lon_hi),
        )
        .exclude(bookings__practitioner=practitioner, bookings__status__in=ACTIVE_BOOKING_STATUSES)
        .order_by("starts_at", "id")
    )
    if starts_after is not None:  # inclusive: a shift starting at local midnight belongs to that day
        shortfalls = shortfalls.filter(starts_at__gte=starts_after)
    if starts_before is not None:
        shortfalls = shortfalls.filter(starts_at__lt=starts_before)
    if setting:
        shortfalls = shortfalls.filter(ward__setting__code=setting)
    if ward_name:
        shortfalls = shortfalls.filter(ward__name__icontains=ward_name)
    rows = list(shortfalls[:ROLES_SCAN_LIMIT])
    competences: dict[int, set[str]] = defaultdict(set)
    through = ShortfallModel.desired_competences.through
    for shortfall_id, code in through.objects.filter(shortfall_id__in=[s.id for s in rows]).values_list(
        "shortfall_id", "competence__code"
    ):
        competences[shortfall_id].add(code)
    return [(s, frozenset(competences.get(s.id, ()))) for s in rows]


def preview_assignment(
    *,
    trusts: QuerySet[Trust],
    starts_after: dt.datetime,
    starts_before: dt.datetime,
    time_limit: float = 10.0,
) -> tuple[AssignmentResult, list[ShortfallModel]]:
    """A proposal (nothing is booked) filling the open slots of a horizon from the pool."""
    rows = list(
        ShortfallModel.objects.filter(
            trust__in=trusts,
            status__in=ShortfallModel.OPEN_STATUSES,
            starts_at__gte=max(starts_after, timezone.now()),
            starts_at__lt=starts_before,
        )
        .select_related("ward__setting", "ward__trust", "trust", "role")
        .order_by("starts_at", "id")
    )
    booked = dict(
        Booking.objects.filter(shortfall__in=rows, status__in=ACTIVE_BOOKING_STATUSES)
        .values_list("shortfall_id")
        .annotate(n=Count("id"))
    )
    open_rows = [s for s in rows if s.headcount - booked.get(s.id, 0) > 0]
    engine_rows = [
        replace(e, headcount=s.headcount - booked.get(s.id, 0))
        for s, e in zip(open_rows, adapter.engine_shortfalls(open_rows), strict=True)
    ]
    pool = adapter.snapshot.get()
    wards = {**pool.wards, **{str(s.ward_id): adapter.engine_ward(s.ward) for s in open_rows}}
    by_trust = {s.trust_id: s.trust for s in open_rows}
    weights = engine.WeightBook(
        by_trust={str(t): adapter.weights_for(trust) for t, trust in by_trust.items()}
    )
    result = assign(
        engine_rows, wards, pool, rules=adapter.rules_for(None), weights=weights, time_limit=time_limit
    )
    return result, open_rows
