"""Batch assignment: fill a horizon of shortfalls from the pool, maximising total score.

Why not greedy: one practitioner is eligible for many clashing shifts, and picking shortfall by
shortfall hands the best people to whichever shift comes first. The exact model is a 0/1 program:

- a variable per eligible (shortfall, practitioner) edge, objective = its score;
- headcount: per shortfall, sum x <= headcount (each practitioner at most once: one edge per pair);
- overlap and rest: two shifts of one practitioner conflict when their rest-extended intervals
  [start, end + rest) intersect; that conflict graph is an interval graph, so it is captured exactly
  by one "sum x <= 1" row per maximal clique, found by a sweep over sorted start times;
- weekly hours: for each practitioner and each window opened by a candidate or booked shift,
  hours of candidate shifts starting in [X, X + 168 h) <= cap - booked hours in that window
  (windows opened by unchosen candidates are implied by the windows of chosen ones, so adding
  them all is exact).

The LP relaxation of the clique formulation is nearly integral, so we solve it with HiGHS (column
generation in one HiGHS instance per part, columns and rows added in place between rounds), round
it (LP value first, then every open seat filled from all its edges), and solve the small MIP over
the edges the LP says can matter, starting from that rounding, under the time limit. The MIP splits
exactly into the connected components of its shortfall-practitioner graph; components where the LP
is already integral need no MIP, and the rest are solved separately, two at a time. The largest
components (thousands of columns, where HiGHS spends the whole time limit near the root) are
improved instead by exact sub-MIPs over sliding windows of a few days with the rest fixed; mid-size
ones get the whole MIP first and windows if it did not finish. Swaps then hand seats to
better-scoring practitioners who can also work them. An LP stopped by the time limit is
rounded from its last restricted optimum; greedy is the last resort. Every result is re-validated
with exact integer arithmetic and repaired by dropping if anything slips.
"""

from __future__ import annotations

import os
import sys
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from threading import Lock

import highspy
import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import connected_components

from matching.engine.clock import HOUR, WEEK, epoch, is_night_shift
from matching.engine.eligibility import StaticFilter, passes_timed_rules_many
from matching.engine.model import Assignment, Edge, Rules, Shortfall, Ward, WeightBook, Weights
from matching.engine.rank import resolve_weights
from matching.engine.scoring import ranking_order, score_pairs
from matching.engine.snapshot import PractitionerPool

SUPPORT_THRESHOLD = 1e-6
PRICING_TOLERANCE = 1e-7  # below this an entering edge cannot move the bound measurably
# The relaxation's reduced costs are exact down to -REDUCED_COST_HORIZON (wider than any window the
# MIPs use); below it they are upper bounds, which only ever adds edges to a window (still exact).
REDUCED_COST_HORIZON = 0.1
CUT_TOLERANCE = 1e-6
MAX_CUT_ROUNDS = 8
INITIAL_COLUMNS_PER_SEAT = 2
INITIAL_COLUMNS_EXTRA = 3
ENTERING_COLUMNS_PER_SEAT = 2
ENTERING_COLUMNS_EXTRA = 3
MIP_REDUCED_COST_WINDOW = 0.01
MIP_RELATIVE_GAP = 1e-4  # for large MIPs; small ones are solved to optimality
SMALL_MIP_COLUMNS = 5000
WIDENED_MIP_GROWTH = 3
DEFAULT_TIME_LIMIT = 20.0
MAX_SWAP_PASSES = 3
SWAP_SECONDS_PER_ASSIGNMENT = 5e-5  # about two passes of _improve_by_swaps on 13,500 assignments
FINISH_SECONDS_PER_ASSIGNMENT = 4e-5  # validate_and_repair and the result, measured on 13,500 assignments
MIP_THREADS = 2
LP_THREADS = 2  # large LPs are split into this many independent parts, solved side by side
LP_SPLIT_MIN_EDGES = 1_000_000  # independent component MIPs solved side by side
# Measured on the 3,000 x 10,000 benchmark (seeds 1-3, 3 repetitions): the component MIPs are all
# solved at the root, where presolve and the root reduced-cost heuristic cost more than they save
# (about a third less time in total, same objectives).
COMPONENT_MIP_OPTIONS: Mapping[str, object] = {
    "presolve": "off",
    "mip_heuristic_run_root_reduced_cost": False,
}
# Components larger than this (10,000 x 50,000: 2,500-5,000 columns, stopped by the time limit) get
# HiGHS's defaults: on its 8 largest, 1.5 s each, better incumbents in 6 (+1.4 in total score).
DEFAULT_OPTIONS_FROM_COLUMNS = 2500
# Components this large are improved by sub-MIPs over time windows instead (see _improve_by_windows):
# on the 5 largest of 10,000 x 50,000 seed 1, 1.5-2 s each, +0.7 to +1.4 over the LP rounding where
# one MIP over the whole component found +0.1 to +0.6 in the same time.
WINDOW_SEARCH_FROM_COLUMNS = 2500
WINDOW_DAYS = 3.0
WINDOW_STEP_DAYS = 1.5
WINDOW_MIP_SECONDS = 1.0  # at most, per window; they are usually solved to optimality in 0.1-0.3 s
# (with HiGHS defaults: presolve pays off here, unlike on whole components; +0.05-0.2 on 4 of 5)
WINDOW_PASSES = 3
# Components from this size to WINDOW_SEARCH_FROM_COLUMNS: the whole MIP gets this share of the
# component's time, and windows the rest when it did not prove optimality.
HYBRID_FROM_COLUMNS = 1000
HYBRID_MIP_SHARE = 0.5
_KEY_SCALE = 1e10  # practitioner * 1e10 + epoch seconds stays exact in float64


@dataclass
class EdgeSet:
    """Eligible pairs as parallel arrays; within a shortfall, edges are in ranking order."""

    shortfalls: Sequence[Shortfall]
    shortfall: np.ndarray  # index into shortfalls
    practitioner: np.ndarray  # pool position
    score: np.ndarray
    start: np.ndarray  # epoch seconds of the shortfall
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.score)

    @cached_property
    def start_rank(self) -> np.ndarray:
        """Each shortfall's position in (start, index) order."""
        starts = np.array([epoch(s.start) for s in self.shortfalls], float)
        rank = np.empty(len(starts), np.int64)
        rank[np.lexsort((np.arange(len(starts)), starts))] = np.arange(len(starts))
        return rank


@dataclass
class AssignmentResult:
    assignments: list[Assignment]
    objective: float
    filled: int
    seconds: float
    method: str
    lp_bound: float | None
    edges: EdgeSet
    pool: PractitionerPool
    repaired: int = 0  # assignments dropped by the final validation (should always be 0)
    upper_bound: float | None = None  # exact_assign: the MIP's proven bound on the optimum
    # The LP's duals on the headcount rows, per shortfall (the last restricted LP's when it was
    # stopped): any non-negative vector gives benchmarks/matching/lagrangian_bound.py a valid bound.
    headcount_dual: np.ndarray | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def edge_list(self) -> Iterator[Edge]:
        ids, shortfalls = self.pool.ids, self.edges.shortfalls
        for s, p, score in zip(
            self.edges.shortfall.tolist(),
            self.edges.practitioner.tolist(),
            self.edges.score.tolist(),
            strict=True,
        ):
            yield Edge(shortfalls[s].id, ids[p], score)


def build_edges(
    shortfalls: Sequence[Shortfall],
    wards: Mapping[str, Ward],
    pool: PractitionerPool,
    rules: Rules,
    weights: Weights | WeightBook | None = None,
) -> EdgeSet:
    """Every eligible pair with its score: the same eligibility and scoring code as ranking.

    Shortfalls that differ only in their times share the time-independent rules and the score, so
    those are computed once per group; only the time-dependent rules run per shortfall.
    """
    groups: dict[tuple[object, ...], list[int]] = {}
    for k, shortfall in enumerate(shortfalls):
        key = (
            shortfall.ward, shortfall.role, shortfall.min_band, shortfall.gender,
            shortfall.rate_cap, shortfall.desired_competences, is_night_shift(shortfall.start),
            shortfall.extra_radius_km,
        )  # fmt: skip
        groups.setdefault(key, []).append(k)
    per_shortfall: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0, np.int64), np.zeros(0))] * len(
        shortfalls
    )
    static = StaticFilter(pool, rules)
    for members in groups.values():
        first = shortfalls[members[0]]
        ward = wards[first.ward]
        positions, km = static.positions(first, ward)
        scored = score_pairs(first, ward, pool, positions, km, resolve_weights(weights, ward.trust), rules)
        order = ranking_order(pool, scored)
        ranked_positions, ranked_scores = scored.positions[order], scored.scores[order]
        free = passes_timed_rules_many([shortfalls[k] for k in members], pool, rules, ranked_positions)
        for k, mask in zip(members, free, strict=True):
            per_shortfall[k] = (ranked_positions[mask], ranked_scores[mask])
    sizes = np.array([len(p) for p, _ in per_shortfall], dtype=np.int64)
    shortfall_index = np.repeat(np.arange(len(shortfalls)), sizes)
    starts = np.array([epoch(s.start) for s in shortfalls], float)
    ends = np.array([epoch(s.end) for s in shortfalls], float)
    return EdgeSet(
        shortfalls=shortfalls,
        shortfall=shortfall_index,
        practitioner=np.concatenate([p for p, _ in per_shortfall])
        if len(shortfalls)
        else np.zeros(0, np.int64),
        score=np.concatenate([s for _, s in per_shortfall]) if len(shortfalls) else np.zeros(0),
        start=starts[shortfall_index],
        end=ends[shortfall_index],
    )


# Constraint rows ---------------------------------------------------------------------------------

HEADCOUNT, CLIQUE, WEEKLY, WEEKLY_ROUNDED = 0, 1, 2, 3


@dataclass
class Cuts:
    """Rounded weekly rows: sum floor(d_e / q) x_e <= floor(room / q) over a practitioner's week from X.

    Valid for whole shifts (Chvatal-Gomory rounding of the weekly-hours row), and they remove the
    LP's favourite cheat: 3.84 twelve-and-a-half-hour shifts in a 48 h week.
    """

    owner: np.ndarray
    window_start: np.ndarray
    divisor: np.ndarray  # seconds

    @classmethod
    def none(cls) -> Cuts:
        return cls(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

    def __len__(self) -> int:
        return len(self.owner)

    def extended(self, other: Cuts) -> Cuts:
        return Cuts(
            np.concatenate((self.owner, other.owner)),
            np.concatenate((self.window_start, other.window_start)),
            np.concatenate((self.divisor, other.divisor)),
        )


@dataclass
class Rows:
    """Rows 'sum coef * x_edge <= upper' in CSR form over edge indices, each with what it means
    (kind, practitioner and time point, or shortfall) so that duals can be priced for any edge."""

    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    upper: np.ndarray
    kind: np.ndarray
    owner: np.ndarray  # practitioner position (clique, weekly) or shortfall index (headcount)
    point: np.ndarray  # clique: the instant all members cover; weekly: the window start
    divisor: np.ndarray  # rounded weekly rows: q in seconds; nan otherwise

    def __len__(self) -> int:
        return len(self.upper)


def _ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flattened [lo_k, hi_k) ranges: (range number per element, element)."""
    sizes = hi - lo
    row = np.repeat(np.arange(len(lo)), sizes)
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return row, np.repeat(lo, sizes) + offsets


@dataclass
class Timeline:
    """Edges sorted by (practitioner, start), for range queries by practitioner and time."""

    order: np.ndarray
    owner: np.ndarray
    start: np.ndarray
    extended_end: np.ndarray  # end + minimum rest
    duration: np.ndarray
    key: np.ndarray  # owner * _KEY_SCALE + start, ascending

    @classmethod
    def of(cls, edges: EdgeSet, subset: np.ndarray, rules: Rules) -> Timeline:
        # One int64 key (practitioner, then the shortfall's rank by start): a single argsort is
        # about twice as fast as a three-key lexsort on millions of edges.
        key = edges.practitioner[subset] * len(edges.shortfalls) + edges.start_rank[edges.shortfall[subset]]
        order = subset[np.argsort(key, kind="stable")]
        owner, start, end = edges.practitioner[order], edges.start[order], edges.end[order]
        return cls(
            order, owner, start, end + rules.min_rest_hours * HOUR, end - start, owner * _KEY_SCALE + start
        )

    @property
    def longest(self) -> float:
        return float((self.extended_end - self.start).max()) if len(self.start) else 0.0


def build_rows(
    edges: EdgeSet,
    pool: PractitionerPool,
    rules: Rules,
    subset: np.ndarray | None = None,
    cuts: Cuts | None = None,
) -> Rows:
    """The exact constraint rows for the edges in ``subset`` (default: all), plus any rounded weekly rows."""
    subset = np.arange(len(edges)) if subset is None else np.asarray(subset, dtype=np.int64)
    blocks: list[tuple[np.ndarray, ...]] = []  # (sizes, index, value, upper, kind, owner, point)

    # Headcount: a shortfall with no more edges than seats needs no row.
    headcount = np.array([s.headcount for s in edges.shortfalls], float)
    by_shortfall = subset[np.argsort(edges.shortfall[subset], kind="stable")]
    count = np.bincount(edges.shortfall[subset], minlength=len(edges.shortfalls))
    binding = count > headcount
    members = by_shortfall[binding[edges.shortfall[by_shortfall]]]
    shortfall_rows = np.flatnonzero(binding)
    blocks.append((count[binding], members, np.ones(len(members)), headcount[binding],
                   np.full(len(shortfall_rows), HEADCOUNT), shortfall_rows, np.full(len(shortfall_rows), np.nan),
                   np.full(len(shortfall_rows), np.nan)))  # fmt: skip

    line = Timeline.of(edges, subset, rules)
    if len(line.order):
        blocks.append(_clique_rows(line))
        blocks.append(_weekly_rows(line, pool, rules))
        if cuts is not None and len(cuts):
            blocks.append(_rounded_rows(line, pool, rules, cuts))
    return Rows(
        start=np.concatenate(([0], np.cumsum(np.concatenate([b[0] for b in blocks])))).astype(np.int64),
        index=np.concatenate([b[1] for b in blocks]).astype(np.int64),
        value=np.concatenate([b[2] for b in blocks]).astype(float),
        upper=np.concatenate([b[3] for b in blocks]).astype(float),
        kind=np.concatenate([b[4] for b in blocks]).astype(np.int8),
        owner=np.concatenate([b[5] for b in blocks]).astype(np.int64),
        point=np.concatenate([b[6] for b in blocks]).astype(float),
        divisor=np.concatenate([b[7] for b in blocks]).astype(float),
    )


def _clique_rows(line: Timeline) -> tuple[np.ndarray, ...]:
    """One 'at most one' row per maximal clique of each practitioner's conflict (interval) graph.

    Every maximal clique of an interval graph is the set of intervals covering some start point,
    so sweep the distinct start points t: members are shifts with start <= t < end + rest.
    """
    n = len(line.key)
    last_of_tie = np.flatnonzero(np.append(line.key[1:] != line.key[:-1], True))
    lo = np.searchsorted(line.key, line.key[last_of_tie] - line.longest, side="right")
    hi = last_of_tie + 1
    row, member = _ranges(lo, hi)
    point = line.start[last_of_tie]
    alive = line.extended_end[member] > point[row]
    row, member = row[alive], member[alive]
    size = np.bincount(row, minlength=len(last_of_tie))
    min_end = np.full(len(last_of_tie), np.inf)
    np.minimum.at(min_end, row, line.extended_end[member])
    following = np.minimum(hi, n - 1)
    next_start = np.where(
        (hi < n) & (line.owner[following] == line.owner[last_of_tie]), line.start[following], np.inf
    )
    # Maximal iff a member ends before the next start point (otherwise the next clique contains it);
    # a clique of one is just x <= 1.
    maximal = (size >= 2) & (min_end <= next_start)
    chosen = maximal[row]
    return (size[maximal], line.order[member[chosen]], np.ones(int(chosen.sum())), np.ones(int(maximal.sum())),
            np.full(int(maximal.sum()), CLIQUE), line.owner[last_of_tie][maximal], point[maximal],
            np.full(int(maximal.sum()), np.nan))  # fmt: skip


def _booked_seconds_between(
    pool: PractitionerPool, owner: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """Seconds of each practitioner's booked shifts starting in [start, stop)."""
    key = pool.booked_owner * _KEY_SCALE + pool.booked_start  # the pool keeps booked sorted by (owner, start)
    cumulative = np.concatenate(([0.0], np.cumsum(pool.booked_end - pool.booked_start)))
    base = owner * _KEY_SCALE
    return (
        cumulative[np.searchsorted(key, base + stop, side="left")]
        - cumulative[np.searchsorted(key, base + start, side="left")]
    )


def _weekly_rows(line: Timeline, pool: PractitionerPool, rules: Rules) -> tuple[np.ndarray, ...]:
    """Hours of candidate shifts in each 7-day window <= cap minus the booked hours in it.

    Windows open at every candidate start and every booked start of a practitioner with edges.
    Only windows whose candidates could exceed the room left need a row.
    """
    cap = pool.week_cap_seconds(rules)
    cumulative = np.concatenate(([0.0], np.cumsum(line.duration)))
    has_edges = np.zeros(pool.size, bool)
    has_edges[line.owner] = True
    booked = np.flatnonzero(has_edges[pool.booked_owner])
    distinct = np.flatnonzero(np.append(True, line.key[1:] != line.key[:-1]))
    window_owner = np.concatenate((line.owner[distinct], pool.booked_owner[booked]))
    window_start = np.concatenate((line.start[distinct], pool.booked_start[booked]))
    window_key = window_owner * _KEY_SCALE + window_start
    lo = np.searchsorted(line.key, window_key, side="left")
    hi = np.searchsorted(line.key, window_key + WEEK, side="left")
    room = cap[window_owner] - _booked_seconds_between(pool, window_owner, window_start, window_start + WEEK)
    binding = (cumulative[hi] - cumulative[lo] > room) & (hi - lo >= 2)
    # Windows with the same candidates and the same room are the same row; keep the first.
    lo, hi, room = lo[binding], hi[binding], room[binding]
    window_owner, window_start = window_owner[binding], window_start[binding]
    if len(lo):
        _, first = np.unique(np.stack((lo, hi, room), axis=1), axis=0, return_index=True)
        first = np.sort(first)
        lo, hi, room, window_owner, window_start = (
            lo[first],
            hi[first],
            room[first],
            window_owner[first],
            window_start[first],
        )
    _, member = _ranges(lo, hi)
    return (hi - lo, line.order[member], line.duration[member] / HOUR, room / HOUR,
            np.full(len(lo), WEEKLY), window_owner, window_start, np.full(len(lo), np.nan))  # fmt: skip


def _room(pool: PractitionerPool, rules: Rules, owner: np.ndarray, window_start: np.ndarray) -> np.ndarray:
    """Seconds left under the weekly cap in each practitioner's week from ``window_start``."""
    booked = _booked_seconds_between(pool, owner, window_start, window_start + WEEK)
    return pool.week_cap_seconds(rules)[owner] - booked


def _rounded_rows(line: Timeline, pool: PractitionerPool, rules: Rules, cuts: Cuts) -> tuple[np.ndarray, ...]:
    window_key = cuts.owner * _KEY_SCALE + cuts.window_start
    lo = np.searchsorted(line.key, window_key, side="left")
    hi = np.searchsorted(line.key, window_key + WEEK, side="left")
    row, member = _ranges(lo, hi)
    coefficient = np.floor(line.duration[member] / cuts.divisor[row])
    counted = coefficient > 0
    row, member, coefficient = row[counted], member[counted], coefficient[counted]
    upper = np.floor(_room(pool, rules, cuts.owner, cuts.window_start) / cuts.divisor)
    size = np.bincount(row, minlength=len(cuts))
    useful = (size >= 2) & (np.bincount(row, weights=coefficient, minlength=len(cuts)) > upper)
    keep = useful[row]
    return (size[useful], line.order[member[keep]], coefficient[keep], upper[useful],
            np.full(int(useful.sum()), WEEKLY_ROUNDED), cuts.owner[useful], cuts.window_start[useful],
            cuts.divisor[useful])  # fmt: skip


def _separate(
    edges: EdgeSet, rows: Rows, x_by_edge: np.ndarray, pool: PractitionerPool, rules: Rules
) -> Cuts:
    """Rounded weekly rows that the LP solution ``x_by_edge`` violates (only weekly rows with a
    fractional member can be cut)."""
    x_all = x_by_edge[rows.index]
    is_fractional = ((x_all > SUPPORT_THRESHOLD) & (x_all < 1 - SUPPORT_THRESHOLD)).astype(np.int64)
    fractional_members = np.add.reduceat(is_fractional, rows.start[:-1]) if len(rows) else np.zeros(0)
    weekly = np.flatnonzero((rows.kind == WEEKLY) & (np.diff(rows.start) > 0) & (fractional_members > 0))
    rooms = _room(pool, rules, rows.owner[weekly], rows.point[weekly])
    # Every (row, q) with q the duration of a member the solution uses, checked all at once:
    # sum floor(d / q) x over the row's members (those at zero add nothing) > floor(room / q).
    row, position = _ranges(rows.start[weekly], rows.start[weekly + 1])
    used = x_all[position] > 0
    row, position = row[used], position[used]
    x = x_all[position]
    duration = edges.end[rows.index[position]] - edges.start[rows.index[position]]
    candidate = x > SUPPORT_THRESHOLD
    pairs = np.unique(np.stack((row[candidate], duration[candidate]), axis=1), axis=0)
    pair_row, q = pairs[:, 0].astype(np.int64), pairs[:, 1]
    first = np.searchsorted(row, np.arange(len(weekly) + 1))
    pair, member = _ranges(first[pair_row], first[pair_row + 1])
    lhs = np.bincount(pair, weights=np.floor(duration[member] / q[pair]) * x[member], minlength=len(q))
    violated = lhs > np.floor(rooms[pair_row] / q) + CUT_TOLERANCE
    chosen = weekly[pair_row[violated]]
    return Cuts(
        rows.owner[chosen].astype(np.int64), rows.point[chosen].astype(float), q[violated].astype(float)
    )


def _headcount_dual(edges: EdgeSet, rows: Rows, dual: np.ndarray) -> np.ndarray:
    """Each shortfall's headcount-row dual (zero where it has no row or the dual is negligible)."""
    headcount = np.zeros(len(edges.shortfalls))
    is_headcount = (dual > PRICING_TOLERANCE) & (rows.kind == HEADCOUNT)
    headcount[rows.owner[is_headcount]] = dual[is_headcount]
    return headcount


def _row_activity(edges: EdgeSet, line: Timeline, rows: Rows, dual: np.ndarray) -> np.ndarray:
    """For every edge on ``line`` (in line order; not only those in the rows), the sum of
    coef * dual over the rows it would be in.

    A row is defined by what it means (this shortfall's seats; this practitioner at instant t; this
    practitioner's week from X), so an edge outside the restricted LP belongs to it exactly when it
    would have been built into it.
    """
    priced = dual > PRICING_TOLERANCE
    on_line = np.zeros(len(line.key))
    cliques = np.flatnonzero(priced & (rows.kind == CLIQUE))
    if len(cliques):
        point_key = rows.owner[cliques] * _KEY_SCALE + rows.point[cliques]
        lo = np.searchsorted(line.key, point_key - line.longest, side="right")
        hi = np.searchsorted(line.key, point_key, side="right")
        row, member = _ranges(lo, hi)
        covers = line.extended_end[member] > rows.point[cliques][row]
        on_line += np.bincount(member[covers], weights=dual[cliques][row[covers]], minlength=len(on_line))
    weeks = np.flatnonzero(priced & (rows.kind == WEEKLY))
    if len(weeks):
        window_key = rows.owner[weeks] * _KEY_SCALE + rows.point[weeks]
        lo = np.searchsorted(line.key, window_key, side="left")
        hi = np.searchsorted(line.key, window_key + WEEK, side="left")
        step = np.zeros(len(line.key) + 1)
        step += np.bincount(lo, weights=dual[weeks], minlength=len(step))
        step -= np.bincount(hi, weights=dual[weeks], minlength=len(step))
        on_line += np.cumsum(step)[:-1] * line.duration / HOUR
    rounded = np.flatnonzero(priced & (rows.kind == WEEKLY_ROUNDED))
    if len(rounded):
        window_key = rows.owner[rounded] * _KEY_SCALE + rows.point[rounded]
        lo = np.searchsorted(line.key, window_key, side="left")
        hi = np.searchsorted(line.key, window_key + WEEK, side="left")
        row, member = _ranges(lo, hi)
        coefficient = np.floor(line.duration[member] / rows.divisor[rounded][row])
        on_line += np.bincount(member, weights=coefficient * dual[rounded][row], minlength=len(on_line))
    return on_line + _headcount_dual(edges, rows, dual)[edges.shortfall[line.order]]


# Solving ------------------------------------------------------------------------------------------

_banner_shown = False


def _highs() -> highspy.Highs:
    """A quiet solver. HiGHS prints a banner on stdout at first construction, which would corrupt
    the CLI's JSON output (and worker logs), so the first one is built with fd 1 on /dev/null."""
    global _banner_shown
    if _banner_shown:
        solver = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            solver = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _banner_shown = True
    solver.setOptionValue("output_flag", False)
    return solver


@dataclass
class Solution:
    x: np.ndarray | None  # over the given columns
    objective: float | None
    row_dual: np.ndarray | None  # over all rows (zero for rows left out); LP only
    is_optimal: bool
    bound: float | None = None  # MIP: the solver's dual bound; LP: the optimum


def _solve(
    scores: np.ndarray,
    rows: Rows,
    columns: np.ndarray,
    *,
    integer: bool,
    time_limit: float,
    start: np.ndarray | None = None,
    relative_gap: float | None = None,
    options: Mapping[str, object] | None = None,
) -> Solution:
    """Maximise scores . x over the given columns (edge indices); ``rows`` must be built for them."""
    n = len(columns)
    if n == 0:
        return Solution(np.zeros(0), 0.0, np.zeros(len(rows)), True)
    sorter = np.argsort(columns, kind="stable")
    local = sorter[np.searchsorted(columns, rows.index, sorter=sorter)]  # LP column of each row entry
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(rows)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = scores[columns].astype(float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = np.full(len(rows), -highspy.kHighsInf)
    lp.row_upper_ = rows.upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = rows.start.astype(np.int32)
    lp.a_matrix_.index_ = local.astype(np.int32)
    lp.a_matrix_.value_ = rows.value
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    solver = _highs()
    solver.setOptionValue("time_limit", float(max(time_limit, 0.05)))
    solver.setOptionValue("random_seed", 1)
    if integer:
        if relative_gap is None:
            relative_gap = MIP_RELATIVE_GAP if n > SMALL_MIP_COLUMNS else 1e-9
        solver.setOptionValue("mip_rel_gap", relative_gap)
    else:
        # Presolve costs more than it saves on these sparse, already-reduced LPs (measured 3x).
        solver.setOptionValue("presolve", "off")
    for name, value in (options or {}).items():
        solver.setOptionValue(name, value)
    solver.passModel(lp)
    if start is not None:
        # A feasible incumbent (greedy) so that a time-limited MIP never returns something worse.
        incumbent = highspy.HighsSolution()
        incumbent.col_value = np.isin(columns, start).astype(float).tolist()
        incumbent.value_valid = True
        solver.setSolution(incumbent)
    solver.run()
    is_optimal = solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
    solution = solver.getSolution()
    if not solution.value_valid:
        return Solution(None, None, None, False)
    row_dual = np.asarray(solution.row_dual) if not integer and solution.dual_valid else None
    x = np.asarray(solution.col_value)
    bound = (
        float(solver.getInfo().mip_dual_bound)
        if integer
        else (float(scores[columns] @ x) if is_optimal else None)
    )
    return Solution(x, float(scores[columns] @ x), row_dual, is_optimal, bound)


def _row_keys(rows: Rows) -> list[tuple[int, int, float, float]]:
    """What each row means, so that a column-generation round adds only the rows not in the LP yet."""
    return list(
        zip(
            rows.kind.tolist(),
            rows.owner.tolist(),
            np.nan_to_num(rows.point, nan=-1.0).tolist(),
            np.nan_to_num(rows.divisor, nan=-1.0).tolist(),
            strict=True,
        )
    )


def _initial_columns(edges: EdgeSet) -> np.ndarray:
    """The best few edges of each shortfall (edges arrive in ranking order within a shortfall)."""
    headcount = np.array([s.headcount for s in edges.shortfalls])
    return (
        _rank_in_shortfall(edges)
        < INITIAL_COLUMNS_PER_SEAT * headcount[edges.shortfall] + INITIAL_COLUMNS_EXTRA
    )


def _rank_in_shortfall(edges: EdgeSet) -> np.ndarray:
    """Each edge's position within its shortfall's edges (they are stored shortfall by shortfall)."""
    first = np.searchsorted(edges.shortfall, np.arange(len(edges.shortfalls) + 1), side="left")
    return np.arange(len(edges)) - np.repeat(first[:-1], np.diff(first))


@dataclass
class Relaxation:
    solution: Solution
    columns: np.ndarray  # edge indices the solution is over
    reduced_cost: np.ndarray | None  # over every edge, when optimal (see REDUCED_COST_HORIZON)
    rounds: int
    cuts: Cuts
    headcount_dual: np.ndarray | None = None  # per shortfall, of this solution's headcount rows

    @property
    def bound(self) -> float | None:
        return self.solution.objective if self.solution.is_optimal else None


def solve_relaxation(
    edges: EdgeSet, pool: PractitionerPool, rules: Rules, *, time_limit: float, use_cuts: bool = True
) -> Relaxation:
    """The LP relaxation over every edge, by column generation, tightened by rounded weekly rows.

    Most of the millions of edges never matter: start from each shortfall's best few, then add
    every edge whose reduced cost (score minus the duals of the rows it would sit in) is positive.
    When none is, the duals are feasible for the LP over all edges, so this optimum is the full LP
    optimum: an upper bound on any assignment, and reduced costs for every edge. Before pricing,
    weekly rows the solution cheats on are rounded (see ``Cuts``) and the LP re-solved.

    On large instances the LP is split by role (no edge joins two roles, so the parts are
    independent) into LP_THREADS parts of about equal size, solved side by side.
    """
    began = time.perf_counter()
    active = _initial_columns(edges)
    entering = np.flatnonzero(active)
    part = _lp_parts(edges)
    lps = [_RestrictedLp(edges, pool, rules) for _ in range(int(part.max()) + 1 if len(part) else 1)]
    cuts = Cuts.none()
    rounds = cut_rounds = 0
    last: Relaxation | None = None
    with ThreadPoolExecutor(max_workers=len(lps)) as threads:
        while True:
            rounds += 1
            built = [
                lp.extend(entering[part[edges.shortfall[entering]] == k], cuts) for k, lp in enumerate(lps)
            ]
            remaining = time_limit - (time.perf_counter() - began)
            solution, columns, meaning = _joined(
                list(threads.map(lambda lp, limit=remaining: lp.solve(limit), lps)), lps
            )
            if solution.row_dual is None or not solution.is_optimal or solution.x is None:
                # Out of time: the last round's optimum over its columns is still a feasible LP
                # solution to round from, just with no bound (see assign_edges).
                return last or Relaxation(solution, columns, None, rounds, cuts)
            # Cut and price in the same round: cuts hold whatever the columns, and the duals price
            # correctly for the rows this LP has. Done only when a round adds neither.
            violated = Cuts.none()
            if use_cuts and cut_rounds < MAX_CUT_ROUNDS:
                x_by_edge = np.zeros(len(edges))
                x_by_edge[columns] = solution.x
                for rows in built:
                    violated = violated.extended(_separate(edges, rows, x_by_edge, pool, rules))
            reduced = _reduced_costs(edges, rules, meaning, solution.row_dual, exact_from=-PRICING_TOLERANCE)
            headcount = _headcount_dual(edges, meaning, solution.row_dual)
            candidates = ~active & (reduced > PRICING_TOLERANCE)
            if not candidates.any() and not len(violated):
                reduced = _reduced_costs(
                    edges, rules, meaning, solution.row_dual, exact_from=-REDUCED_COST_HORIZON
                )
                return Relaxation(solution, columns, reduced, rounds, cuts, headcount)
            unproven = Solution(solution.x, solution.objective, solution.row_dual, False)
            last = Relaxation(unproven, columns, reduced, rounds, cuts, headcount)
            if len(violated):
                cuts = cuts.extended(violated)
                cut_rounds += 1
            entering = np.sort(_best_entering(edges, np.flatnonzero(candidates), reduced))
            active[entering] = True


def _lp_parts(edges: EdgeSet) -> np.ndarray:
    """Which LP part each shortfall goes to: whole roles, balanced by edges over LP_THREADS parts
    (one part below LP_SPLIT_MIN_EDGES, where a thread costs more than it saves)."""
    roles = [s.role for s in edges.shortfalls]
    part = np.zeros(len(roles), np.int64)
    if len(edges) < LP_SPLIT_MIN_EDGES:
        return part
    names, role_index = np.unique(np.array(roles, dtype=object), return_inverse=True)
    load = np.bincount(role_index[edges.shortfall], minlength=len(names))
    totals = np.zeros(LP_THREADS)
    role_part = np.zeros(len(names), np.int64)
    for r in np.argsort(-load, kind="stable").tolist():
        role_part[r] = int(np.argmin(totals))
        totals[role_part[r]] += load[r]
    return role_part[role_index]


def _joined(solutions: list[Solution], lps: list[_RestrictedLp]) -> tuple[Solution, np.ndarray, Rows]:
    """The parts' solutions as one: columns, values, duals and row meanings laid end to end."""
    columns = np.concatenate([lp.columns for lp in lps])
    meanings = [lp.meaning for lp in lps]
    meaning = Rows(meanings[0].start, meanings[0].index, meanings[0].value,
                   *(np.concatenate([getattr(m, name) for m in meanings])
                     for name in ("upper", "kind", "owner", "point", "divisor")))  # fmt: skip
    if any(s.x is None or s.row_dual is None for s in solutions):
        return Solution(None, None, None, False), columns, meaning
    objective = sum(float(s.objective or 0.0) for s in solutions)
    is_optimal = all(s.is_optimal for s in solutions)
    joined = Solution(
        np.concatenate([s.x for s in solutions]),  # type: ignore[misc]
        objective,
        np.concatenate([s.row_dual for s in solutions]),  # type: ignore[misc]
        is_optimal,
        objective if is_optimal else None,
    )
    return joined, columns, meaning


class _RestrictedLp:
    """The column-generation LP, kept in one HiGHS instance from round to round.

    New columns and rows are added in place, so every re-solve hot-starts from the previous
    basis and factorisation (new columns nonbasic at zero, new rows basic) instead of rebuilding
    the model. A row stays once added: it means a fixed set of edges (this shortfall; this
    practitioner at instant t; this practitioner's week from X), so an entering column gets its
    coefficient in every existing row it belongs to, and no row ever becomes wrong.
    """

    def __init__(self, edges: EdgeSet, pool: PractitionerPool, rules: Rules) -> None:
        self.edges, self.pool, self.rules = edges, pool, rules
        self.solver = _highs()
        # Presolve costs more than it saves on these sparse, already-reduced LPs (measured 3x).
        self.solver.setOptionValue("presolve", "off")
        self.solver.setOptionValue("random_seed", 1)
        self.solver.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.columns = np.zeros(0, np.int64)  # edge index of each LP column
        self.local = np.full(len(edges), -1, np.int64)  # LP column of each edge
        self.keys: dict[tuple[int, int, float, float], int] = {}
        empty = np.zeros(0)
        # What each LP row means (the CSR part is left empty: pricing needs only the meaning).
        self.meaning = Rows(np.zeros(1, np.int64), empty.astype(np.int64), empty, empty, empty.astype(np.int8),
                            empty.astype(np.int64), empty, empty)  # fmt: skip

    def extend(self, entering: np.ndarray, cuts: Cuts) -> Rows:
        """Add the ``entering`` edges as columns and every row not yet in the LP; returns the rows
        as built for all columns (for separation)."""
        edges = self.edges
        if len(entering):
            line = Timeline.of(edges, entering, self.rules)
            row, member, value = _memberships(edges, line, self.meaning)
            column = np.searchsorted(entering, line.order[member])
            order = np.lexsort((row, column))
            self.solver.addCols(
                len(entering), edges.score[entering].astype(float), np.zeros(len(entering)),
                np.ones(len(entering)), len(order), np.searchsorted(column[order], np.arange(len(entering))).astype(np.int32),
                row[order].astype(np.int32), value[order].astype(float),
            )  # fmt: skip
            self.local[entering] = len(self.columns) + np.arange(len(entering))
            self.columns = np.concatenate((self.columns, entering))
        rows = build_rows(edges, self.pool, self.rules, self.columns, cuts)
        keys = _row_keys(rows)
        new = np.flatnonzero(np.array([key not in self.keys for key in keys], bool))
        if len(new):
            sizes = np.diff(rows.start)[new]
            _, position = _ranges(rows.start[new], rows.start[new + 1])
            self.solver.addRows(
                len(new), np.full(len(new), -highspy.kHighsInf), rows.upper[new].astype(float), len(position),
                np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int32),
                self.local[rows.index[position]].astype(np.int32), rows.value[position].astype(float),
            )  # fmt: skip
            first = len(self.meaning)
            for offset, k in enumerate(new.tolist()):
                self.keys[keys[k]] = first + offset
            m = self.meaning
            self.meaning = Rows(m.start, m.index, m.value, np.concatenate((m.upper, rows.upper[new])),
                                np.concatenate((m.kind, rows.kind[new])), np.concatenate((m.owner, rows.owner[new])),
                                np.concatenate((m.point, rows.point[new])), np.concatenate((m.divisor, rows.divisor[new])))  # fmt: skip
        return rows

    def solve(self, time_limit: float) -> Solution:
        if not len(self.columns):
            return Solution(np.zeros(0), 0.0, np.zeros(len(self.meaning)), True)
        # HiGHS measures its time limit against its run clock, which keeps counting across runs.
        self.solver.setOptionValue("time_limit", self.solver.getRunTime() + float(max(time_limit, 0.05)))
        self.solver.run()
        is_optimal = self.solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
        solution = self.solver.getSolution()
        if not solution.value_valid:
            return Solution(None, None, None, False)
        x = np.asarray(solution.col_value)
        objective = float(self.edges.score[self.columns] @ x)
        row_dual = np.asarray(solution.row_dual) if solution.dual_valid else None
        return Solution(x, objective, row_dual, is_optimal, objective if is_optimal else None)


def _memberships(edges: EdgeSet, line: Timeline, rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, position on ``line``, coefficient) for every row each edge on the line belongs to."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    headcount_row = np.full(len(edges.shortfalls), -1, np.int64)
    is_headcount = np.flatnonzero(rows.kind == HEADCOUNT)
    headcount_row[rows.owner[is_headcount]] = is_headcount
    row = headcount_row[edges.shortfall[line.order]]
    member = np.flatnonzero(row >= 0)
    parts.append((row[member], member, np.ones(len(member))))
    cliques = np.flatnonzero(rows.kind == CLIQUE)
    point_key = rows.owner[cliques] * _KEY_SCALE + rows.point[cliques]
    lo = np.searchsorted(line.key, point_key - line.longest, side="right")
    hi = np.searchsorted(line.key, point_key, side="right")
    k, member = _ranges(lo, hi)
    covers = line.extended_end[member] > rows.point[cliques][k]
    parts.append((cliques[k[covers]], member[covers], np.ones(int(covers.sum()))))
    for kind in (WEEKLY, WEEKLY_ROUNDED):
        weeks = np.flatnonzero(rows.kind == kind)
        window_key = rows.owner[weeks] * _KEY_SCALE + rows.point[weeks]
        lo = np.searchsorted(line.key, window_key, side="left")
        hi = np.searchsorted(line.key, window_key + WEEK, side="left")
        k, member = _ranges(lo, hi)
        if kind == WEEKLY:
            value = line.duration[member] / HOUR
        else:
            value = np.floor(line.duration[member] / rows.divisor[weeks][k])
        counted = value > 0
        parts.append((weeks[k[counted]], member[counted], value[counted]))
    return tuple(np.concatenate([part[j] for part in parts]) for j in range(3))  # type: ignore[return-value]


def _reduced_costs(
    edges: EdgeSet, rules: Rules, rows: Rows, dual: np.ndarray, *, exact_from: float
) -> np.ndarray:
    """Every edge's reduced cost for these duals: exact where it is above ``exact_from``, elsewhere
    an upper bound that is at most ``exact_from``.

    Duals of the practitioner rows only lower a reduced cost, so score minus the shortfall's
    headcount dual bounds it from above; that one gather rules out most of the millions of edges,
    and only the rest are put on a timeline and priced against the practitioner rows.
    """
    reduced = edges.score - _headcount_dual(edges, rows, dual)[edges.shortfall]
    line = Timeline.of(edges, np.flatnonzero(reduced > exact_from), rules)
    reduced[line.order] = edges.score[line.order] - _row_activity(edges, line, rows, dual)
    return reduced


def _best_entering(edges: EdgeSet, entering: np.ndarray, reduced: np.ndarray) -> np.ndarray:
    """Partial pricing: per shortfall only the few most attractive entering edges, so that on dense
    instances one round does not pull hundreds of thousands of columns into the LP. Column
    generation still ends only when no edge has a positive reduced cost."""
    order = entering[np.lexsort((-reduced[entering], edges.shortfall[entering]))]
    group = edges.shortfall[order]
    first = np.searchsorted(group, group, side="left")
    rank = np.arange(len(order)) - first
    headcount = np.array([s.headcount for s in edges.shortfalls])
    return order[rank < ENTERING_COLUMNS_PER_SEAT * headcount[group] + ENTERING_COLUMNS_EXTRA]


def assign(
    shortfalls: Sequence[Shortfall],
    wards: Mapping[str, Ward],
    pool: PractitionerPool,
    rules: Rules | None = None,
    weights: Weights | WeightBook | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> AssignmentResult:
    """Maximise total score over the horizon under every hard rule (LP, then a MIP on the edges
    the LP says can matter)."""
    rules = rules or Rules()
    began = time.perf_counter()
    edges = build_edges(shortfalls, wards, pool, rules, weights)
    timings = {"edges": time.perf_counter() - began}
    return assign_edges(edges, pool, rules, time_limit=time_limit, began=began, timings=timings)


def assign_edges(
    edges: EdgeSet,
    pool: PractitionerPool,
    rules: Rules,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    began: float | None = None,
    timings: dict[str, float] | None = None,
) -> AssignmentResult:
    began = time.perf_counter() if began is None else began
    timings = {} if timings is None else timings
    chosen: np.ndarray | None = None
    method = "greedy"
    bound = None
    headcount_dual = None
    if len(edges):
        mark = time.perf_counter()
        # Keep back what rounding (or greedy), swaps and validation would need if the LP ran out.
        seats = sum(s.headcount for s in edges.shortfalls)
        reserve = (4 * FINISH_SECONDS_PER_ASSIGNMENT + SWAP_SECONDS_PER_ASSIGNMENT) * seats
        relaxed = solve_relaxation(
            edges, pool, rules, time_limit=time_limit - (time.perf_counter() - began) - reserve
        )
        timings["lp"] = time.perf_counter() - mark
        timings["lp_rounds"] = relaxed.rounds
        headcount_dual = relaxed.headcount_dual
        x = relaxed.solution.x
        if x is not None:
            bound = relaxed.bound
            fractional = (x > SUPPORT_THRESHOLD) & (x < 1 - SUPPORT_THRESHOLD)
            if bound is not None and not fractional.any():
                chosen, method = relaxed.columns[x > 0.5], "lp"
            elif relaxed.bound is not None:
                chosen, method = _mip_near_the_bound(edges, pool, rules, relaxed, began, time_limit, timings)
            elif relaxed.reduced_cost is not None:
                # The LP ran out of time after at least one round: round the last restricted optimum
                # (no bound, no time for a MIP), which is still far better than greedy.
                chosen = _lp_rounding(edges, pool, rules, relaxed, relaxed.columns)
                method = "lp rounding, LP stopped by the time limit"
    if chosen is None:
        # The LP did not finish within the time limit: fall back to greedy (always feasible).
        chosen, method = greedy_by_score(edges, pool, rules), "greedy"
    mark = time.perf_counter()
    deadline = began + time_limit - FINISH_SECONDS_PER_ASSIGNMENT * len(chosen)
    chosen, timings["swaps"] = _improve_by_swaps(chosen, edges, pool, rules, deadline)
    timings["swap_seconds"] = time.perf_counter() - mark
    kept, repaired = validate_and_repair(chosen, edges, pool, rules)
    result = _result(kept, edges, pool, method, bound, began, repaired, timings)
    result.headcount_dual = headcount_dual
    return result


def _mip_near_the_bound(
    edges: EdgeSet,
    pool: PractitionerPool,
    rules: Rules,
    relaxed: Relaxation,
    began: float,
    time_limit: float,
    timings: dict[str, float],
) -> tuple[np.ndarray | None, str]:
    """Solve the 0/1 program over the edges the LP says can matter.

    Reduced-cost argument: with LP bound B, any assignment using an edge of reduced cost -d is worth
    at most B - d. So the MIP over the LP support plus every edge with reduced cost >= -w contains
    every assignment worth more than B - w. First w = MIP_REDUCED_COST_WINDOW; if the result is
    further than that from B, widen w to the remaining gap (which makes the answer provably optimal)
    when that set of edges is still small enough to solve.
    """
    assert relaxed.solution.x is not None
    support = np.zeros(len(edges), bool)
    support[relaxed.columns[relaxed.solution.x > SUPPORT_THRESHOLD]] = True
    window = MIP_REDUCED_COST_WINDOW
    chosen: np.ndarray | None = None
    method = "greedy"
    mark = time.perf_counter()
    for attempt in range(2):
        pick = support.copy()
        if relaxed.reduced_cost is not None:
            pick |= relaxed.reduced_cost >= -window
        columns = np.flatnonzero(pick)
        if attempt and len(columns) > max(WIDENED_MIP_GROWTH * timings["mip_columns"], SMALL_MIP_COLUMNS):
            break
        if chosen is None:
            chosen, method = _lp_rounding(edges, pool, rules, relaxed, columns), "lp rounding"
            # The MIP gets the rounding's edges too, so that it can only improve on it.
            columns = np.union1d(columns, chosen)
        # Keep back the time the swaps and the final validation of the answer take.
        reserve = (SWAP_SECONDS_PER_ASSIGNMENT + FINISH_SECONDS_PER_ASSIGNMENT) * len(chosen)
        remaining = time_limit - (time.perf_counter() - began) - reserve
        if remaining < (0.5 if attempt else 0.05):
            break
        found = _solve_by_component(edges, pool, rules, relaxed, columns, chosen, remaining, timings)
        timings["mip_columns"] = len(columns)
        if found is None:
            break
        if edges.score[found].sum() >= edges.score[chosen].sum():
            chosen, method = found, "lp+mip"
        gap = (relaxed.bound or 0.0) - float(edges.score[chosen].sum())
        if relaxed.bound is None or relaxed.reduced_cost is None or gap <= window + 1e-9:
            break
        window = gap
    timings["mip"] = time.perf_counter() - mark
    return chosen, method


def _lp_rounding(
    edges: EdgeSet, pool: PractitionerPool, rules: Rules, relaxed: Relaxation, columns: np.ndarray
) -> np.ndarray:
    """A good incumbent, so that a MIP stopped by the time limit still returns something close to
    the bound: take the ``columns`` by LP value, then score, while they fit; then fill the seats
    left open from all of their shortfalls' edges, best reduced cost first (the LP fills nearly
    every seat, and a narrow window of edges often has no free practitioner left for them)."""
    assert relaxed.solution.x is not None and relaxed.reduced_cost is not None
    lp_value = np.zeros(len(edges))
    lp_value[relaxed.columns] = relaxed.solution.x
    chosen = _pick(
        columns[np.lexsort((columns, -edges.score[columns], -lp_value[columns]))], edges, pool, rules
    )
    seats = np.array([s.headcount for s in edges.shortfalls])
    open_seats = np.bincount(edges.shortfall[chosen], minlength=len(seats)) < seats
    fill = np.flatnonzero(open_seats[edges.shortfall])
    fill = fill[np.lexsort((fill, -relaxed.reduced_cost[fill]))]
    return _pick(np.concatenate((chosen, fill)), edges, pool, rules)


def _components(edges: EdgeSet, columns: np.ndarray) -> np.ndarray:
    """Connected component of each column in the shortfall-practitioner graph of ``columns``.

    Every row is about one shortfall (headcount) or one practitioner (overlap, rest, weekly), so
    the 0/1 program over ``columns`` splits exactly into one independent program per component."""
    shortfalls = len(edges.shortfalls)
    practitioner, owner = np.unique(edges.practitioner[columns], return_inverse=True)
    nodes = shortfalls + len(practitioner)
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(columns)), (edges.shortfall[columns], shortfalls + owner)), shape=(nodes, nodes)
    )
    _, label = connected_components(graph, directed=False)
    return label[edges.shortfall[columns]]


def _solve_by_component(
    edges: EdgeSet,
    pool: PractitionerPool,
    rules: Rules,
    relaxed: Relaxation,
    columns: np.ndarray,
    incumbent: np.ndarray,
    time_limit: float,
    timings: dict[str, float],
) -> np.ndarray | None:
    """The 0/1 program over ``columns``, one component at a time.

    The LP optimum restricted to a component is optimal for that component's LP (the LP splits
    the same way), so where it is already integral it is that component's integer optimum too: only
    components with a fractional LP value go to the MIP, each with the LP rounding as incumbent,
    two at a time (HiGHS releases the GIL while it runs).
    """
    assert relaxed.solution.x is not None
    lp_value = np.zeros(len(edges))
    lp_value[relaxed.columns] = relaxed.solution.x
    x = lp_value[columns]
    label = _components(edges, columns)
    fractional = np.zeros(label.max() + 1 if len(label) else 0, bool)
    fractional[label[(x > SUPPORT_THRESHOLD) & (x < 1 - SUPPORT_THRESHOLD)]] = True
    settled = columns[~fractional[label] & (x > 0.5)]
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(len(fractional) + 1))
    groups = [columns[order[bounds[k] : bounds[k + 1]]] for k in np.flatnonzero(fractional)]
    groups.sort(key=len, reverse=True)
    timings["mip_components"] = len(groups)
    timings["mip_fractional_columns"] = sum(len(g) for g in groups)
    timings["mip_largest_component"] = len(groups[0]) if groups else 0

    # The same tolerance as one MIP over all of ``columns`` would get: per-component gaps of at most
    # g times each component's bound add up to at most g times the whole bound.
    gap = MIP_RELATIVE_GAP if len(columns) > SMALL_MIP_COLUMNS else 1e-9
    # One deadline for all; each component may use at most its share (by columns) of the threads'
    # time left for the components not started yet, so that under a tight limit the first
    # components cannot starve the rest, and time the small ones leave over goes to the others.
    deadline = time.perf_counter() + time_limit
    unstarted = [sum(len(group) for group in groups)]
    lock = Lock()

    def solve(group: np.ndarray) -> np.ndarray | None:
        with lock:
            share = (deadline - time.perf_counter()) * MIP_THREADS * len(group) / max(unstarted[0], 1)
            unstarted[0] -= len(group)
        remaining = min(deadline - time.perf_counter(), share)
        if remaining < 0.05:
            stopped.append(len(group))
            return None  # out of time: this component keeps the LP rounding
        began = time.perf_counter()
        rows = build_rows(edges, pool, rules, group, relaxed.cuts)
        start = incumbent[np.isin(incumbent, group)]
        if len(group) >= WINDOW_SEARCH_FROM_COLUMNS:
            stopped.append(len(group))  # no proof of optimality from a window search
            return _improve_by_windows(edges, rows, group, start, began + remaining)
        # Mid-size components: the whole MIP first (it often proves optimality quickly); if it
        # runs out of its part of the time, windows from its best assignment for the rest.
        part = remaining if len(group) < HYBRID_FROM_COLUMNS else remaining * HYBRID_MIP_SHARE
        solution = _solve(
            edges.score, rows, group, integer=True, time_limit=part - (time.perf_counter() - began),
            start=start, relative_gap=gap,
            options=COMPONENT_MIP_OPTIONS if len(group) < DEFAULT_OPTIONS_FROM_COLUMNS else None,
        )  # fmt: skip
        if not solution.is_optimal:
            stopped.append(len(group))
        if solution.bound is not None:
            proven.append(solution.bound - float(lp_value[group] @ edges.score[group]))
        found = start
        if solution.x is not None and edges.score[group[solution.x > 0.5]].sum() >= edges.score[start].sum():
            found = group[solution.x > 0.5]
        if not solution.is_optimal and len(group) >= HYBRID_FROM_COLUMNS:
            found = _improve_by_windows(edges, rows, group, found, began + remaining)
        return found

    stopped: list[int] = []  # sizes of the components whose MIP stopped early (time limit)
    proven: list[float] = []  # per component: the MIP's proven bound minus the LP's value
    if len(groups) > 1:
        with ThreadPoolExecutor(max_workers=MIP_THREADS) as pool_of_threads:
            solved = list(pool_of_threads.map(solve, groups))
    else:
        solved = [solve(group) for group in groups]
    timings["mip_stopped_components"] = len(stopped)
    # An upper bound on the best assignment over these columns (not over every edge): the LP bound
    # lowered by what the component MIPs proved; it shows how much of the gap is the LP's own.
    timings["mip_columns_bound"] = float(relaxed.solution.objective or 0.0) + sum(min(d, 0.0) for d in proven)
    parts = [settled]
    for group, found in zip(groups, solved, strict=True):
        if found is None:
            found = incumbent[np.isin(incumbent, group)]
        parts.append(found)
    return np.concatenate(parts).astype(np.int64)


def _improve_by_windows(
    edges: EdgeSet, rows: Rows, group: np.ndarray, incumbent: np.ndarray, deadline: float
) -> np.ndarray:
    """Large-neighbourhood search on one component: free the edges of the shortfalls starting in
    a window of WINDOW_DAYS, keep the incumbent everywhere else, solve that small MIP exactly, and
    slide the window by WINDOW_STEP_DAYS; passes (each offset by half a step) until time is up
    or a pass finds nothing.

    On the big components HiGHS spends a whole time limit near the root, while the sub-MIPs
    (a few hundred columns) are solved to optimality in a fraction of a second each; the
    weekly-hours rows couple a practitioner's shifts only within a week, so most improvements
    are local in time. Each accepted sub-solution is feasible for every row with the rest fixed,
    so the incumbent stays feasible (and is validated again at the end, as always).
    """
    # Everything in positions within ``group`` (sorted), not over all edges: a window is cheap.
    group = np.sort(group)
    chosen = np.isin(group, incumbent)
    local = np.searchsorted(group, rows.index)
    row_of_entry = np.repeat(np.arange(len(rows)), np.diff(rows.start))
    starts = edges.start[group]
    first, last = float(starts.min()), float(starts.max())
    window, step = WINDOW_DAYS * 24 * HOUR, WINDOW_STEP_DAYS * 24 * HOUR
    for number in range(WINDOW_PASSES):
        improved = False
        at = first - (number % 2) * step / 2
        while at <= last:
            remaining = deadline - time.perf_counter()
            if remaining < 0.05:
                return group[chosen]
            is_free = (starts >= at) & (starts < at + window)
            at += step
            free = np.flatnonzero(is_free)
            if not len(free):
                continue
            # Rows with a free edge, over the free edges only, their room lowered by what the
            # fixed edges use.
            fixed_use = np.bincount(
                row_of_entry, weights=rows.value * (chosen & ~is_free)[local], minlength=len(rows)
            )
            keep = is_free[local]
            sizes = np.bincount(row_of_entry[keep], minlength=len(rows))
            used = sizes > 0
            sub_rows = Rows(np.concatenate(([0], np.cumsum(sizes[used]))).astype(np.int64), rows.index[keep],
                            rows.value[keep], (rows.upper - fixed_use)[used], rows.kind[used], rows.owner[used],
                            rows.point[used], rows.divisor[used])  # fmt: skip
            start = group[free[chosen[free]]]
            solution = _solve(
                edges.score, sub_rows, group[free], integer=True, time_limit=min(WINDOW_MIP_SECONDS, remaining),
                start=start, relative_gap=1e-9,
            )  # fmt: skip
            if solution.x is None:
                continue
            found = solution.x > 0.5
            if edges.score[group[free[found]]].sum() > edges.score[start].sum() + 1e-9:
                chosen[free] = found
                improved = True
        if not improved:
            break
    return group[chosen]


def exact_assign(
    edges: EdgeSet,
    pool: PractitionerPool,
    rules: Rules,
    *,
    time_limit: float = 600.0,
    start: AssignmentResult | None = None,
    window: float | None = None,
) -> AssignmentResult:
    """A reference MIP for benchmarks, with a proven upper bound on the true optimum.

    ``window=None`` solves the MIP over every edge. With a window w, it solves over the LP support
    plus every edge whose LP reduced cost is >= -w; by the reduced-cost argument any assignment
    using another edge is worth at most (LP bound - w), so the optimum over all edges is at most
    max(MIP bound, LP bound - w): that is ``upper_bound``, and ``method`` is "optimal" when the
    objective reaches it. ``start`` (e.g. the engine's answer) seeds the incumbent.
    """
    began = time.perf_counter()
    relaxed = solve_relaxation(edges, pool, rules, time_limit=time_limit)
    if window is None or relaxed.reduced_cost is None or relaxed.bound is None or relaxed.solution.x is None:
        columns, floor_bound = np.arange(len(edges)), None
    else:
        pick = relaxed.reduced_cost >= -window
        pick[relaxed.columns[relaxed.solution.x > SUPPORT_THRESHOLD]] = True
        columns, floor_bound = np.flatnonzero(pick), relaxed.bound - window
    rows = build_rows(edges, pool, rules, columns, relaxed.cuts)
    incumbent = None
    if start is not None:
        index = {
            (int(s), int(p)): e
            for e, (s, p) in enumerate(zip(edges.shortfall, edges.practitioner, strict=True))
        }
        position = {pid: i for i, pid in enumerate(pool.ids)}
        shortfall_index = {sf.id: k for k, sf in enumerate(edges.shortfalls)}
        incumbent = np.array(
            [index[(shortfall_index[a.shortfall], position[a.practitioner])] for a in start.assignments],
            np.int64,
        )
    remaining = max(1.0, time_limit - (time.perf_counter() - began))
    solution = _solve(edges.score, rows, columns, integer=True, time_limit=remaining, start=incumbent)
    chosen = columns[solution.x > 0.5] if solution.x is not None else greedy_by_score(edges, pool, rules)
    kept, repaired = validate_and_repair(chosen, edges, pool, rules)
    result = _result(kept, edges, pool, "mip", relaxed.bound, began, repaired, {"mip_columns": len(columns)})
    bounds = [b for b in (solution.bound, floor_bound) if b is not None]
    result.upper_bound = max(bounds) if bounds else None
    if result.upper_bound is not None and result.objective >= result.upper_bound - 1e-6:
        result.method = "optimal"
    elif result.upper_bound is not None:
        result.method = f"gap {result.upper_bound - result.objective:.3f}"
    return result


def _result(
    chosen: np.ndarray,
    edges: EdgeSet,
    pool: PractitionerPool,
    method: str,
    lp_bound: float | None,
    began: float,
    repaired: int,
    timings: dict[str, float],
) -> AssignmentResult:
    chosen = chosen[np.lexsort((-edges.score[chosen], edges.shortfall[chosen]))]
    assignments = [
        Assignment(edges.shortfalls[s].id, pool.ids[p], float(score))
        for s, p, score in zip(
            edges.shortfall[chosen].tolist(), edges.practitioner[chosen].tolist(), edges.score[chosen].tolist(),
            strict=True,
        )
    ]  # fmt: skip
    return AssignmentResult(
        assignments=assignments,
        objective=round(float(edges.score[chosen].sum()), 6),
        filled=len(assignments),
        seconds=time.perf_counter() - began,
        method=method,
        lp_bound=lp_bound,
        edges=edges,
        pool=pool,
        repaired=repaired,
        timings=timings,
    )


# Greedy and validation (exact integer-second arithmetic) -----------------------------------------


class Rota:
    """One practitioner's shifts (booked + chosen), for incremental feasibility checks."""

    def __init__(self, booked: list[tuple[float, float]], cap_seconds: float, rest_seconds: float) -> None:
        self.shifts = sorted(booked)
        self.cap = cap_seconds
        self.rest = rest_seconds

    def can_take(self, start: float, end: float) -> bool:
        rest, nearby = self.rest, 0.0
        for other_start, other_end in self.shifts:
            if other_start < end + rest and start < other_end + rest:
                return False
            if start - WEEK < other_start < start + WEEK:
                nearby += other_end - other_start
        # Every window that the new shift falls in holds only shifts starting within a week of it.
        if nearby + (end - start) <= self.cap:
            return True
        trial = sorted((*self.shifts, (start, end)))
        starts = [s for s, _ in trial]
        for window_start, _ in trial:
            if not (window_start <= start < window_start + WEEK):
                continue
            lo, hi = bisect_left(starts, window_start), bisect_left(starts, window_start + WEEK)
            if sum(e - s for s, e in trial[lo:hi]) > self.cap:
                return False
        return True

    def take(self, start: float, end: float) -> None:
        index = bisect_right(self.shifts, (start, end))
        self.shifts.insert(index, (start, end))

    def give_up(self, start: float, end: float) -> None:
        self.shifts.remove((start, end))


def _rotas(pool: PractitionerPool, rules: Rules) -> dict[int, Rota]:
    cap = pool.week_cap_seconds(rules)
    rest = rules.min_rest_hours * HOUR
    # Booked shifts are sorted by owner: each rota reads its own slice, only when first needed.
    first = np.searchsorted(pool.booked_owner, np.arange(pool.size + 1), side="left").tolist()
    starts, ends = pool.booked_start, pool.booked_end

    class Rotas(dict):  # type: ignore[type-arg]
        def __missing__(self, position: int) -> Rota:
            lo, hi = first[position], first[position + 1]
            booked = list(zip(starts[lo:hi].tolist(), ends[lo:hi].tolist(), strict=True))
            rota = self[position] = Rota(booked, float(cap[position]), rest)
            return rota

    return Rotas()


def _pick(candidates: np.ndarray, edges: EdgeSet, pool: PractitionerPool, rules: Rules) -> np.ndarray:
    rotas = _rotas(pool, rules)
    taken = np.zeros(len(edges.shortfalls), np.int64)
    seats = np.array([s.headcount for s in edges.shortfalls])
    chosen = []
    for e in candidates.tolist():
        s = int(edges.shortfall[e])
        if taken[s] >= seats[s]:
            continue
        rota = rotas[int(edges.practitioner[e])]
        if rota.can_take(edges.start[e], edges.end[e]):
            rota.take(edges.start[e], edges.end[e])
            taken[s] += 1
            chosen.append(e)
    return np.asarray(chosen, dtype=np.int64)


def greedy_by_score(edges: EdgeSet, pool: PractitionerPool, rules: Rules) -> np.ndarray:
    """Best edges first across the whole horizon (the fallback when the solver gives nothing).

    Bounded work on millions of edges: first each shortfall's best few, best first; then the
    other edges of the shortfalls still open, best first."""
    first = np.flatnonzero(_initial_columns(edges))
    chosen = _pick(first[np.lexsort((edges.shortfall[first], -edges.score[first]))], edges, pool, rules)
    seats = np.array([s.headcount for s in edges.shortfalls])
    open_seats = np.bincount(edges.shortfall[chosen], minlength=len(seats)) < seats
    rest = np.flatnonzero(open_seats[edges.shortfall])
    rest = rest[np.lexsort((edges.shortfall[rest], -edges.score[rest]))]
    return _pick(np.concatenate((chosen, rest)), edges, pool, rules)


def greedy_by_start_time(edges: EdgeSet, pool: PractitionerPool, rules: Rules) -> np.ndarray:
    """Shortfalls in start order, each taking its best still-free practitioners (today's practice)."""
    order = np.lexsort((np.arange(len(edges)), edges.shortfall, edges.start))
    return _pick(order, edges, pool, rules)


def greedy_assign(edges: EdgeSet, pool: PractitionerPool, rules: Rules) -> AssignmentResult:
    began = time.perf_counter()
    chosen = greedy_by_start_time(edges, pool, rules)
    return _result(chosen, edges, pool, "greedy_by_start_time", None, began, 0, {})


def _improve_by_swaps(
    chosen: np.ndarray, edges: EdgeSet, pool: PractitionerPool, rules: Rules, deadline: float
) -> tuple[np.ndarray, int]:
    """Local improvement: hand a seat to a better-scoring practitioner for the same shortfall who
    can also work it, lowest-scoring seats first, in passes until none improves (or time is up).

    Every move keeps the assignment feasible (the newcomer's rota is checked exactly; the one who
    gives the seat up only gains room), and catches what a MIP limited to the LP's edges cannot see.
    """
    # Worth starting with time for half the estimate (setting up the rotas and part of a pass, the
    # lowest-scoring seats first): under load the MIP phase often overruns its share by a little,
    # and a full estimate's margin skipped the swaps altogether (-2 on 10,000 x 50,000).
    if time.perf_counter() + SWAP_SECONDS_PER_ASSIGNMENT * len(chosen) / 2 > deadline:
        return chosen, 0  # not even time for one pass
    rotas = _rotas(pool, rules)
    for e in chosen.tolist():
        rotas[int(edges.practitioner[e])].take(edges.start[e], edges.end[e])
    first = np.searchsorted(edges.shortfall, np.arange(len(edges.shortfalls) + 1), side="left").tolist()
    score, shortfall, practitioner = edges.score, edges.shortfall, edges.practitioner
    taken = set(chosen.tolist())
    swaps = 0
    for _ in range(MAX_SWAP_PASSES):
        improved = False
        for e in sorted(taken, key=lambda k: (score[k], k)):
            if time.perf_counter() > deadline:
                return np.array(sorted(taken), np.int64), swaps
            if e not in taken:
                continue
            # A shortfall's edges are stored best first: the better ones come before e.
            for f in range(first[int(shortfall[e])], e):
                if score[f] <= score[e]:
                    break
                if f in taken:
                    continue
                newcomer = rotas[int(practitioner[f])]
                if newcomer.can_take(edges.start[f], edges.end[f]):
                    rotas[int(practitioner[e])].give_up(edges.start[e], edges.end[e])
                    newcomer.take(edges.start[f], edges.end[f])
                    taken.discard(e)
                    taken.add(f)
                    swaps += 1
                    improved = True
                    break
        if not improved:
            break
    return np.array(sorted(taken), np.int64), swaps


def validate_and_repair(
    chosen: np.ndarray, edges: EdgeSet, pool: PractitionerPool, rules: Rules
) -> tuple[np.ndarray, int]:
    """Re-check the whole assignment exactly; drop any edge that would break a rule (lowest score loses).

    Re-adding chosen edges best-first through the same incremental checks keeps every edge of a
    feasible assignment, so this only ever drops when something upstream went wrong.
    """
    chosen = np.unique(chosen)
    order = chosen[np.lexsort((chosen, -edges.score[chosen]))]
    kept = _pick(order, edges, pool, rules)
    duplicate_pairs = len(
        set(zip(edges.shortfall[kept].tolist(), edges.practitioner[kept].tolist(), strict=True))
    )
    assert duplicate_pairs == len(kept)
    return np.sort(kept), len(chosen) - len(kept)
