"""A Lagrangian upper bound on the best assignment over a set of edges (benchmarks only).

Relax the headcount rows with multipliers u_s >= 0 (one per shortfall). What is left splits by
practitioner, and each practitioner's part is solved exactly over whole rotas:

    UB(u) = sum_s u_s * headcount_s + sum_p max over feasible rotas R of p of sum_{e in R} (score_e - u_s(e))

where a feasible rota is a set of the practitioner's edges that, together with their booked shifts,
breaks none of rules 6-8 of MATCHING_INSTANCE.md (overlap, rest, weekly hours). For every u >= 0
this is >= the optimum (an optimal assignment is one rota per practitioner and pays u_s at most
headcount_s times per shortfall). Every rule is monotone (a subset of a feasible rota is feasible),
so only edges with score_e - u_s(e) > 0 can be in a maximising rota, and with the LP's headcount
duals each practitioner has only a handful of them.

With the LP's optimal headcount duals, UB(u) <= the compact LP bound (given u, that LP's part for a
practitioner is a relaxation of the same rota problem); min over u of UB(u) is the bound of the
rota (Dantzig-Wolfe) formulation. It is still a relaxation bound, not the optimum. Better
multipliers than the LP's come from ``tighten_by_boxstep`` (a stabilised rota master LP); plain
Polyak subgradient steps from the LP's duals (step scales 0.01-0.5) and an unstabilised master only
raised UB(u) in 5-10 steps (the duals are highly degenerate: many alternative maximising rotas).

Written separately from ``matching.engine``: the rules are read the way the independent checker
(checker.py, next to this file) reads them: its time parsing, rest and weekly cap; every rota this
search returns is re-checked with ``Checker.schedule_problems``. Only the edges and their scores
(and optionally the multipliers, which need not be trusted) come from the engine.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_checker_path = Path(__file__).with_name("checker.py")
_spec = importlib.util.spec_from_file_location("matching_checker_for_bound", _checker_path)
assert _spec is not None and _spec.loader is not None
checker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checker)

WEEK_SECONDS = 168 * 3600
# Rotas searched by branch and bound; beyond this many nodes a practitioner's part is bounded by
# the weighted interval scheduling value (overlap and rest only), which is still a valid bound.
NODE_LIMIT = 200_000


def _seconds(text: str) -> int:
    return round(checker._time(text).timestamp())


@dataclass
class RotaProblem:
    """One practitioner's shifts to choose from, with what they already have booked."""

    start: list[int]  # sorted by (start, end)
    end: list[int]
    value: list[float]
    booked: list[tuple[int, int]]
    cap_seconds: float
    rest_seconds: int


@dataclass
class BestRota:
    value: float  # an upper bound on the best rota's value; equal to it when exact
    chosen: list[int]  # positions in the problem's lists (the best rota found)
    is_exact: bool
    nodes: int


def best_rota(problem: RotaProblem, node_limit: int = NODE_LIMIT) -> BestRota:
    """The most valuable feasible subset of the problem's shifts, by depth-first branch and bound.

    Of shifts with the same start and end only the most valuable can matter (the rules look only at
    times), so the others are dropped first. The bound at each node is what has been taken plus the
    weighted interval scheduling optimum over the shifts still to decide (overlap and rest only,
    ignoring the weekly cap and the shifts already taken): a relaxation of what can still be added.
    """
    by_times: dict[tuple[int, int], int] = {}
    for k, (s, e) in enumerate(zip(problem.start, problem.end, strict=True)):
        kept = by_times.get((s, e))
        if kept is None or problem.value[k] > problem.value[kept]:
            by_times[(s, e)] = k
    keep = sorted(by_times.values())
    start = [problem.start[k] for k in keep]
    end = [problem.end[k] for k in keep]
    value = [problem.value[k] for k in keep]
    n, rest, cap = len(keep), problem.rest_seconds, problem.cap_seconds
    booked = problem.booked

    def clash(s1: int, e1: int, s2: int, e2: int) -> bool:  # rules 6 and 7 (see checker.py)
        return s1 < e2 + rest and s2 < e1 + rest

    # best[k]: the interval scheduling optimum over shifts k..n-1 (in start order, j can follow k
    # when they do not clash; every later shift clashes with k up to the first one that does not).
    following = list(range(1, n + 1))
    for k in range(n):
        j = k + 1
        while j < n and clash(start[k], end[k], start[j], end[j]):
            j += 1
        following[k] = j
    best = [0.0] * (n + 1)
    for k in range(n - 1, -1, -1):
        best[k] = max(best[k + 1], value[k] + best[following[k]])
    allowed = [not any(clash(start[k], end[k], s, e) for s, e in booked) for k in range(n)]

    taken: list[int] = []
    incumbent: list[Any] = [0.0, []]  # value, chosen (positions in ``keep``)
    nodes = 0

    def within_weekly_cap(k: int) -> bool:
        """Rule 8 for every week the new shift falls in (weeks opened by a shift starting in
        (s - 168 h, s]); the other weeks do not change."""
        s, e = start[k], end[k]
        shifts = [(start[j], end[j]) for j in taken] + booked + [(s, e)]
        nearby = sum(b - a for a, b in shifts if s - WEEK_SECONDS < a < s + WEEK_SECONDS)
        if nearby <= cap:
            return True
        for window_start, _ in shifts:
            if window_start <= s < window_start + WEEK_SECONDS:
                hours = sum(b - a for a, b in shifts if window_start <= a < window_start + WEEK_SECONDS)
                if hours > cap:
                    return False
        return True

    def search(k: int, total: float) -> None:
        nonlocal nodes
        nodes += 1
        if total > incumbent[0]:
            incumbent[0], incumbent[1] = total, list(taken)
        if k == n or total + best[k] <= incumbent[0] + 1e-12 or nodes > node_limit:
            return
        if (
            allowed[k]
            and not any(clash(start[j], end[j], start[k], end[k]) for j in taken)
            and within_weekly_cap(k)
        ):
            taken.append(k)
            search(k + 1, total + value[k])
            taken.pop()
        search(k + 1, total)

    search(0, 0.0)
    chosen = [keep[j] for j in incumbent[1]]
    if nodes > node_limit:
        return BestRota(max(best[0], incumbent[0]), chosen, False, nodes)
    return BestRota(incumbent[0], chosen, True, nodes)


@dataclass
class LagrangianBound:
    value: float
    multipliers: np.ndarray  # per shortfall, in the instance's order
    usage: np.ndarray  # per shortfall: how many maximising rotas take it (headcount - usage: a subgradient)
    practitioners: int  # with at least one edge of positive reduced cost
    items: int  # such edges
    inexact: int  # practitioners bounded without an exact search (node limit)
    rotas: dict[int, list[int]]  # practitioner index -> edge indices of the maximising rota


class RotaRules:
    """The instance's shifts and per-practitioner rules in integer seconds, read as the checker reads them."""

    def __init__(self, instance: dict[str, Any]) -> None:
        self.check = checker.Checker(instance)
        self.shortfall_ids = [s["id"] for s in instance["shortfalls"]]
        self.practitioner_ids = [p["id"] for p in instance["practitioners"]]
        self.start = np.array([_seconds(s["start"]) for s in instance["shortfalls"]], np.int64)
        self.end = np.array([_seconds(s["end"]) for s in instance["shortfalls"]], np.int64)
        self.headcount = np.array([s["headcount"] for s in instance["shortfalls"]], float)
        self.rest_seconds = round(self.check.rest.total_seconds())
        self.practitioners = instance["practitioners"]

    def problem(
        self, practitioner: int, shortfalls: np.ndarray, values: np.ndarray
    ) -> tuple[RotaProblem, np.ndarray]:
        """The rota problem over these shortfalls, and their order in it."""
        order = np.lexsort((self.end[shortfalls], self.start[shortfalls]))
        p = self.practitioners[practitioner]
        booked = sorted((_seconds(b["start"]), _seconds(b["end"])) for b in p.get("booked", []))
        problem = RotaProblem(
            start=self.start[shortfalls[order]].tolist(),
            end=self.end[shortfalls[order]].tolist(),
            value=values[order].tolist(),
            booked=booked,
            cap_seconds=self.check.cap_hours(p) * 3600,
            rest_seconds=self.rest_seconds,
        )
        return problem, order

    def verify(self, practitioner: int, shortfalls: list[int]) -> None:
        """The checker's own verdict on a rota (raises if the search accepted a broken one)."""
        p = self.practitioners[practitioner]
        booked = [(checker._time(b["start"]), checker._time(b["end"])) for b in p.get("booked", [])]
        shortfall_docs = [self.check.shortfalls[self.shortfall_ids[s]] for s in shortfalls]
        assigned = [(checker._time(s["start"]), checker._time(s["end"])) for s in shortfall_docs]
        problems = self.check.schedule_problems(
            p, booked, assigned, label=self.practitioner_ids[practitioner]
        )
        if problems:
            raise AssertionError(f"rota search accepted a rota the checker rejects: {problems[:3]}")


def lagrangian_bound(
    rules: RotaRules,
    shortfall: np.ndarray,
    practitioner: np.ndarray,
    score: np.ndarray,
    multipliers: np.ndarray,
    *,
    verify: bool = True,
) -> LagrangianBound:
    """UB(u) over the edges (shortfall index, practitioner index into the instance's lists, score)."""
    u = np.maximum(np.asarray(multipliers, float), 0.0)
    reduced = score - u[shortfall]
    positive = np.flatnonzero(reduced > 0)
    positive = positive[np.argsort(practitioner[positive], kind="stable")]
    owners = practitioner[positive]
    bounds = (
        np.flatnonzero(np.append(True, owners[1:] != owners[:-1])) if len(owners) else np.zeros(0, np.int64)
    )
    bounds = np.append(bounds, len(owners))
    total = float(u @ rules.headcount)
    usage = np.zeros(len(u))
    inexact = 0
    rotas: dict[int, list[int]] = {}
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        members = positive[lo:hi]
        p = int(owners[lo])
        problem, order = rules.problem(p, shortfall[members], reduced[members])
        found = best_rota(problem)
        total += found.value
        inexact += not found.is_exact
        chosen = members[order[found.chosen]]
        usage[shortfall[chosen]] += 1
        rotas[p] = chosen.tolist()
        if verify and len(chosen) > 1:
            rules.verify(p, shortfall[chosen].tolist())
    return LagrangianBound(total, u, usage, len(bounds) - 1, len(positive), inexact, rotas)


def tighten_by_boxstep(
    rules: RotaRules,
    shortfall: np.ndarray,
    practitioner: np.ndarray,
    score: np.ndarray,
    start: LagrangianBound,
    known_rotas: list[list[int]],
    *,
    steps: int = 10,
    box: float = 0.01,
    verify: bool = True,
    log: Any = None,
) -> tuple[LagrangianBound, list[tuple[float, float]]]:
    """Better multipliers by the box-step method on the rota (Dantzig-Wolfe) master.

    The master LP holds the rotas met so far (``known_rotas``, e.g. the engine's, and every
    maximising rota found): at most one per practitioner, each shortfall at most headcount times.
    Its dual is the cutting-plane model of UB(u) (from below); a box around the best multipliers so
    far keeps its duals there (a column -1 at cost -(centre + box) and one +1 at cost
    (centre - box) per headcount row). Each step: solve the master, evaluate UB at its duals
    (exactly, as ``lagrangian_bound``), add the maximising rotas, and move the centre when UB fell.
    Any u >= 0 gives a valid bound; the least is returned, with (model value, UB) per step.
    """
    import highspy

    best = start
    columns: dict[tuple[int, ...], None] = {}
    for rota in [*known_rotas, *start.rotas.values()]:
        if rota:
            columns.setdefault(tuple(sorted(rota)), None)
    headcount = rules.headcount
    history: list[tuple[float, float]] = []
    for _ in range(steps):
        rotas = list(columns)
        sizes = np.array([len(rota) for rota in rotas], np.int64)
        members = np.fromiter((e for rota in rotas for e in rota), np.int64, count=int(sizes.sum()))
        column = np.repeat(np.arange(len(rotas)), sizes)
        owners, owner_row = np.unique(practitioner[members], return_inverse=True)
        first_member = np.cumsum(sizes) - sizes
        n_rows, n_rotas, n_shortfalls = len(headcount) + len(owners), len(rotas), len(headcount)
        low = np.maximum(best.multipliers - box, 0.0)
        high = best.multipliers + box
        # Columns: rotas, then the box's "above" and "below" columns per shortfall.
        row = np.concatenate((shortfall[members], n_shortfalls + owner_row[first_member],
                              np.arange(n_shortfalls), np.arange(n_shortfalls)))  # fmt: skip
        col = np.concatenate((column, np.arange(n_rotas), n_rotas + np.arange(n_shortfalls),
                              n_rotas + n_shortfalls + np.arange(n_shortfalls)))  # fmt: skip
        value = np.concatenate(
            (np.ones(len(members) + n_rotas), -np.ones(n_shortfalls), np.ones(n_shortfalls))
        )
        cost = np.concatenate((np.bincount(column, weights=score[members], minlength=n_rotas), -high, low))
        n_cols = n_rotas + 2 * n_shortfalls
        order = np.lexsort((row, col))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.full(n_cols, highspy.kHighsInf)
        lp.row_lower_ = np.full(n_rows, -highspy.kHighsInf)
        lp.row_upper_ = np.concatenate((headcount, np.ones(len(owners))))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.searchsorted(col[order], np.arange(n_cols + 1)).astype(np.int32)
        lp.a_matrix_.index_ = row[order].astype(np.int32)
        lp.a_matrix_.value_ = value[order]
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        solver.passModel(lp)
        solver.run()
        model = float(solver.getInfo().objective_function_value)
        dual = np.clip(np.abs(np.asarray(solver.getSolution().row_dual)[:n_shortfalls]), low, high)
        trial = lagrangian_bound(rules, shortfall, practitioner, score, dual, verify=verify)
        history.append((model, trial.value))
        if log is not None:
            log(
                f"box step: model {model:.3f}, UB {trial.value:.3f}, best {min(best.value, trial.value):.3f}, {n_rotas} rotas"
            )
        if trial.value < best.value:
            best = trial
        added = 0
        for rota in trial.rotas.values():
            if rota and tuple(sorted(rota)) not in columns:
                columns[tuple(sorted(rota))] = None
                added += 1
        if not added and trial.value >= best.value:
            break
    return best, history


def bound_for_result(
    instance: dict[str, Any], result: Any, **options: Any
) -> tuple[LagrangianBound, RotaRules, tuple[np.ndarray, ...]]:
    """The bound for an engine ``AssignmentResult`` (its edges, scores and LP headcount duals)."""
    rules = RotaRules(instance)
    shortfall_index = {sid: k for k, sid in enumerate(rules.shortfall_ids)}
    practitioner_index = {pid: k for k, pid in enumerate(rules.practitioner_ids)}
    edges = result.edges
    # Edges refer to the engine's shortfall list and pool positions; map both to the instance's lists.
    shortfall_map = np.array([shortfall_index[s.id] for s in edges.shortfalls], np.int64)
    pool_map = np.array([practitioner_index[pid] for pid in result.pool.ids], np.int64)
    arrays = (shortfall_map[edges.shortfall], pool_map[edges.practitioner], np.asarray(edges.score, float))
    dual = np.zeros(len(rules.shortfall_ids))
    if result.headcount_dual is not None:
        dual[shortfall_map] = result.headcount_dual
    return lagrangian_bound(rules, *arrays, dual, **options), rules, arrays


if __name__ == "__main__":  # pragma: no cover - a convenience for one-off runs
    sys.exit("use benchmarks/matching/bench_assign.py, which reports this bound next to the LP bound")
