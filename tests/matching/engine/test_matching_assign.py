"""Batch assignment: always feasible (checked independently), optimal on small instances."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import assign as assign_module
from matching.engine.assign import assign, build_edges, build_rows, greedy_assign, solve_relaxation
from matching.engine.generate import generate_instance
from matching.engine.instance import Instance, dump_instance, solution_document
from matching.engine.model import Interval, Practitioner, Rules, Shortfall, Ward
from matching.engine.snapshot import build_pool

NOW = datetime(2026, 12, 1, tzinfo=UTC)
WARD = Ward("W1", "T1", "adult_acute", 53.48, -2.24, name="Oak Ward")


def solve(instance: Instance, **options):
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    return assign(instance.shortfalls, instance.ward_by_id, pool, instance.rules, **options)


def document(result, with_edges: bool = True) -> dict:
    edges = list(result.edge_list()) if with_edges else None
    return json.loads(
        json.dumps(solution_document(result.assignments, result.objective, result.seconds, edges))
    )


def shift(day: int, hour: int, hours: float) -> tuple[datetime, datetime]:
    start = NOW + timedelta(days=day, hours=hour)
    return start, start + timedelta(hours=hours)


def test_one_practitioner_is_not_given_two_clashing_shifts():
    early, late = shift(1, 7, 12), shift(1, 15, 8)
    instance = Instance(
        now=NOW,
        rules=Rules(),
        wards=(WARD,),
        shortfalls=(
            Shortfall("S1", "W1", "rmn", 5, *early),
            Shortfall("S2", "W1", "rmn", 5, *late),
        ),
        practitioners=(Practitioner("P1", "rmn", 5, "female", 53.48, -2.24, 20.0),),
    )

    result = solve(instance)

    assert len(list(result.edge_list())) == 2
    assert [a.practitioner for a in result.assignments] == ["P1"]


def test_rest_between_assigned_shifts_is_respected_across_the_batch():
    # Day shift ending 19:00 and a night starting 06:00 next day: 11 h apart, allowed; 05:59 is not.
    instance = Instance(
        now=NOW,
        rules=Rules(),
        wards=(WARD,),
        shortfalls=(
            Shortfall("S1", "W1", "rmn", 5, *shift(1, 7, 12)),
            Shortfall("S2", "W1", "rmn", 5, *shift(2, 6, 8)),
            Shortfall(
                "S3", "W1", "rmn", 5, NOW + timedelta(days=3, hours=7), NOW + timedelta(days=3, hours=19)
            ),
            Shortfall(
                "S4",
                "W1",
                "rmn",
                5,
                NOW + timedelta(days=4, hours=5, minutes=59),
                NOW + timedelta(days=4, hours=12),
            ),
        ),
        practitioners=(Practitioner("P1", "rmn", 5, "female", 53.48, -2.24, 20.0),),
    )

    result = solve(instance)

    assert [a.shortfall for a in result.assignments] in (["S1", "S2", "S3"], ["S1", "S2", "S4"])


def test_weekly_cap_limits_assigned_shifts_together_with_booked_ones():
    # 24 h booked; four 12 h shortfalls on separate days; cap 48 h leaves room for two.
    booked = (Interval(*shift(0, 8, 12)), Interval(*shift(2, 8, 12)))
    instance = Instance(
        now=NOW,
        rules=Rules(),
        wards=(WARD,),
        shortfalls=tuple(Shortfall(f"S{d}", "W1", "rmn", 5, *shift(d, 8, 12)) for d in (1, 3, 4, 5)),
        practitioners=(Practitioner("P1", "rmn", 5, "female", 53.48, -2.24, 20.0, booked=booked),),
    )

    result = solve(instance)

    assert result.filled == 2


def test_headcount_is_never_exceeded():
    start, end = shift(1, 7, 12)
    people = tuple(Practitioner(f"P{n}", "rmn", 5, "female", 53.48, -2.24, 20.0) for n in range(5))
    instance = Instance(
        NOW, Rules(), (WARD,), (Shortfall("S1", "W1", "rmn", 5, start, end, headcount=3),), people
    )

    result = solve(instance)

    assert result.filled == 3 and len({a.practitioner for a in result.assignments}) == 3


def test_generated_instance_solution_passes_the_independent_checker(checker):
    instance = generate_instance(shortfalls=300, practitioners=900, seed=11)

    result = solve(instance)

    assert result.method in ("lp", "lp+mip")
    assert checker.check_solution(dump_instance(instance), document(result)) == []
    assert result.repaired == 0
    assert result.objective <= result.lp_bound + 1e-6


def test_engine_edges_are_exactly_the_pairs_the_checker_finds_eligible(checker):
    instance = generate_instance(shortfalls=60, practitioners=300, seed=4)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)

    edges = build_edges(instance.shortfalls, instance.ward_by_id, pool, instance.rules)
    engine_pairs = {
        (instance.shortfalls[s].id, pool.ids[p])
        for s, p in zip(edges.shortfall, edges.practitioner, strict=True)
    }

    assert engine_pairs == set(checker.Checker(dump_instance(instance)).missing_edges())


def test_greedy_by_start_time_is_feasible_and_no_better_than_the_engine(checker):
    instance = generate_instance(shortfalls=300, practitioners=900, seed=12)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    result = assign(instance.shortfalls, instance.ward_by_id, pool, instance.rules)

    greedy = greedy_assign(result.edges, pool, instance.rules)

    assert checker.check_solution(dump_instance(instance), document(greedy)) == []
    assert greedy.objective <= result.objective


@pytest.mark.parametrize("split", [False, True])
def test_column_generation_reaches_the_lp_optimum_over_every_edge(monkeypatch, split):
    # Incremental rows, pricing that skips edges the headcount duals already rule out, and (when
    # split) one LP per group of roles must all still end at the LP over every edge at once.
    instance = generate_instance(shortfalls=600, practitioners=900, seed=13)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    edges = build_edges(instance.shortfalls, instance.ward_by_id, pool, instance.rules)
    if split:
        monkeypatch.setattr(assign_module, "LP_SPLIT_MIN_EDGES", 0)
        assert len(set(assign_module._lp_parts(edges).tolist())) == 2

    relaxed = solve_relaxation(edges, pool, instance.rules, time_limit=60.0, use_cuts=False)
    everything = np.arange(len(edges))
    full = assign_module._solve(
        edges.score, build_rows(edges, pool, instance.rules), everything, integer=False, time_limit=60.0
    )

    assert relaxed.rounds > 1 and len(relaxed.columns) < len(edges)
    assert relaxed.bound == pytest.approx(full.objective, abs=1e-6)
    # Reduced costs are exact near zero: nothing outside the LP could still improve it.
    outside = np.setdiff1d(everything, relaxed.columns)
    assert relaxed.reduced_cost[outside].max() <= assign_module.PRICING_TOLERANCE


def test_fallback_greedy_by_score_is_feasible_and_fills_open_seats_beyond_the_best_few(checker):
    instance = generate_instance(shortfalls=600, practitioners=900, seed=14)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    engine = assign(instance.shortfalls, instance.ward_by_id, pool, instance.rules)

    chosen = assign_module.greedy_by_score(engine.edges, pool, instance.rules)
    fallback = assign_module._result(chosen, engine.edges, pool, "greedy", None, 0.0, 0, {})

    assert checker.check_solution(dump_instance(instance), document(fallback)) == []
    beyond_best_few = ~assign_module._initial_columns(engine.edges)[chosen]
    assert beyond_best_few.any()
    assert fallback.objective <= engine.objective


def test_an_lp_stopped_after_its_first_round_is_still_rounded_not_replaced_by_greedy(checker, monkeypatch):
    # From the second round on HiGHS may not pivot at all (a real iteration-limit stop, standing in
    # for the time limit), so column generation cannot finish and there is no bound.
    instance = generate_instance(shortfalls=600, practitioners=900, seed=13)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    solve_round = assign_module._RestrictedLp.solve

    def stopped_after_first_round(lp, time_limit):
        if len(lp.columns) > lp.first_round_columns:
            lp.solver.setOptionValue("simplex_iteration_limit", 0)
        return solve_round(lp, time_limit)

    original_extend = assign_module._RestrictedLp.extend

    def remember_first_round(lp, entering, cuts):
        rows = original_extend(lp, entering, cuts)
        lp.__dict__.setdefault("first_round_columns", len(lp.columns))
        return rows

    monkeypatch.setattr(assign_module._RestrictedLp, "extend", remember_first_round)
    monkeypatch.setattr(assign_module._RestrictedLp, "solve", stopped_after_first_round)
    result = assign(instance.shortfalls, instance.ward_by_id, pool, instance.rules)

    assert result.method == "lp rounding, LP stopped by the time limit"
    assert result.lp_bound is None
    assert checker.check_solution(dump_instance(instance), document(result)) == []
    greedy = assign_module.greedy_by_score(result.edges, pool, instance.rules)
    assert result.objective >= float(result.edges.score[greedy].sum())


def test_swaps_hand_a_seat_to_a_better_practitioner_only_when_their_rota_allows_it():
    morning, overlapping = shift(1, 7, 12), shift(1, 9, 8)
    people = (
        Practitioner("P1", "rmn", 5, "female", 53.48, -2.24, 20.0),  # at the ward: scores higher
        Practitioner("P2", "rmn", 5, "female", 53.60, -2.24, 20.0),
    )
    instance = Instance(NOW, Rules(), (WARD,), (Shortfall("S1", "W1", "rmn", 5, *morning),), people)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    edges = build_edges(instance.shortfalls, instance.ward_by_id, pool, instance.rules)
    assert edges.score[0] > edges.score[1]  # stored best first

    swapped, swaps = assign_module._improve_by_swaps(np.array([1]), edges, pool, instance.rules, float("inf"))

    assert swaps == 1 and swapped.tolist() == [0]

    busy = Instance(
        NOW, Rules(), (WARD,),
        (Shortfall("S1", "W1", "rmn", 5, *morning), Shortfall("S2", "W1", "rmn", 5, *overlapping)), people,
    )  # fmt: skip
    pool = build_pool(busy.practitioners, busy.wards, busy.now)
    edges = build_edges(busy.shortfalls, busy.ward_by_id, pool, busy.rules)
    pairs = {
        (busy.shortfalls[s].id, pool.ids[p]): e
        for e, (s, p) in enumerate(zip(edges.shortfall, edges.practitioner, strict=True))
    }
    chosen = np.array(sorted([pairs[("S1", "P2")], pairs[("S2", "P1")]]))

    kept, swaps = assign_module._improve_by_swaps(chosen, edges, pool, busy.rules, float("inf"))

    assert swaps == 0 and kept.tolist() == chosen.tolist()  # P1 cannot work both overlapping shifts


def test_window_search_improves_the_lp_rounding_and_stays_feasible(checker):
    # Large components are improved by exact sub-MIPs over time windows with the rest fixed; on
    # this instance that beats the LP rounding it starts from, and the checker accepts the result.
    instance = generate_instance(shortfalls=600, practitioners=900, seed=13)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    edges = build_edges(instance.shortfalls, instance.ward_by_id, pool, instance.rules)
    relaxed = solve_relaxation(edges, pool, instance.rules, time_limit=60.0)
    columns = np.flatnonzero(relaxed.reduced_cost >= -assign_module.MIP_REDUCED_COST_WINDOW)
    start = assign_module._lp_rounding(edges, pool, instance.rules, relaxed, columns)
    group = np.union1d(columns, start)
    rows = build_rows(edges, pool, instance.rules, group, relaxed.cuts)

    found = assign_module._improve_by_windows(edges, rows, group, start, deadline=float("inf"))

    result = assign_module._result(found, edges, pool, "windows", None, 0.0, 0, {})
    assert checker.check_solution(dump_instance(instance), document(result)) == []
    assert edges.score[found].sum() > edges.score[start].sum() + 0.1
    assert result.objective <= relaxed.bound


# Optimality on small random instances, against brute force over the same edges ----------------------


@st.composite
def small_instances(draw: st.DrawFn) -> Instance:
    wards = (WARD, Ward("W2", "T2", "picu", 53.50, -2.20, name="Ash Ward"))
    shortfalls = []
    for k in range(draw(st.integers(1, 5))):
        start = NOW + timedelta(hours=draw(st.integers(0, 8 * 24)))
        shortfalls.append(
            Shortfall(
                id=f"S{k}",
                ward=draw(st.sampled_from(["W1", "W2"])),
                role="rmn",
                min_band=5,
                start=start,
                end=start + timedelta(hours=draw(st.sampled_from([8, 12, 12.5]))),
                headcount=draw(st.integers(1, 2)),
            )
        )
    people = []
    for k in range(draw(st.integers(1, 4))):
        booked = ()
        if draw(st.booleans()):
            start = NOW + timedelta(hours=draw(st.integers(0, 8 * 24)))
            booked = (Interval(start, start + timedelta(hours=12)),)
        people.append(
            Practitioner(
                id=f"P{k}",
                role="rmn",
                band=5,
                gender="female",
                lat=53.48 + draw(st.floats(-0.05, 0.05)),
                lon=-2.24,
                radius_km=30.0,
                week_hours_cap=draw(st.sampled_from([20.0, 25.0, 36.0, 48.0])),
                booked=booked,
            )
        )
    return Instance(
        NOW, Rules(min_rest_hours=draw(st.sampled_from([8.0, 11.0]))), wards, tuple(shortfalls), tuple(people)
    )


def brute_force_optimum(checker_module, instance_doc: dict, edges: list[dict]) -> float:
    check = checker_module.Checker(instance_doc)
    best = 0.0

    def search(k: int, chosen: list[dict], total: float) -> None:
        nonlocal best
        best = max(best, total)
        if k == len(edges) or total + sum(e["score"] for e in edges[k:]) <= best:
            return
        trial = [*chosen, edges[k]]
        if not check.solution_problems(trial):  # every rule is monotone, so prune on the first breach
            search(k + 1, trial, total + edges[k]["score"])
        search(k + 1, chosen, total)

    search(0, [], 0.0)
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=small_instances())
def test_assignment_matches_the_brute_force_optimum_over_the_same_edges(checker, instance):
    result = solve(instance)
    solution = document(result)
    instance_doc = dump_instance(instance)

    assert checker.check_solution(instance_doc, solution) == []
    optimum = brute_force_optimum(checker, instance_doc, solution["edges"])
    assert round(result.objective, 6) == round(optimum, 6)


# The Lagrangian bound the large benchmark is measured against (benchmarks/matching/lagrangian_bound.py)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=small_instances(), data=st.data())
def test_lagrangian_bound_lies_between_the_brute_force_optimum_and_the_lp_bound(
    checker, lagrangian, instance, data
):
    result = solve(instance)
    instance_doc = dump_instance(instance)
    optimum = brute_force_optimum(checker, instance_doc, document(result)["edges"])

    bound, rules, edges = lagrangian.bound_for_result(instance_doc, result)

    assert bound.inexact == 0
    assert optimum <= bound.value + 1e-9
    assert bound.value <= (result.lp_bound or 0.0) + 1e-6
    # Any non-negative multipliers give a bound, not only the LP's duals.
    multipliers = np.array(
        data.draw(
            st.lists(st.floats(0, 1.2), min_size=len(instance.shortfalls), max_size=len(instance.shortfalls))
        )
    )
    assert optimum <= lagrangian.lagrangian_bound(rules, *edges, multipliers).value + 1e-9
    # Box steps only ever keep a lower bound, and it is still a bound.
    tightened, _ = lagrangian.tighten_by_boxstep(rules, *edges, bound, [], steps=2)
    assert optimum <= tightened.value + 1e-9 and tightened.value <= bound.value


def test_lagrangian_bound_is_tighter_than_the_lp_bound_where_the_lp_splits_a_weekly_knapsack(lagrangian):
    instance = generate_instance(shortfalls=600, practitioners=900, seed=13)
    result = solve(instance)

    bound, _, _ = lagrangian.bound_for_result(dump_instance(instance), result)

    assert result.objective <= bound.value < result.lp_bound - 0.1


def test_box_steps_lower_the_lagrangian_bound_towards_the_best_assignment(lagrangian):
    instance = generate_instance(shortfalls=600, practitioners=900, seed=13)
    result = solve(instance)
    at_lp_duals, rules, edges = lagrangian.bound_for_result(dump_instance(instance), result)

    tightened, history = lagrangian.tighten_by_boxstep(rules, *edges, at_lp_duals, [], steps=15)

    assert result.objective <= tightened.value < at_lp_duals.value - 0.01
    assert tightened.value == min(ub for _, ub in history)


@st.composite
def rota_problems(
    draw: st.DrawFn,
) -> tuple[list[tuple[int, int]], list[float], list[tuple[int, int]], float, float]:
    def shifts(count: int) -> list[tuple[int, int]]:
        starts = [draw(st.integers(0, 10 * 24)) * 3600 for _ in range(count)]
        return [(s, s + int(draw(st.sampled_from([8, 8.5, 12.5, 13])) * 3600)) for s in starts]

    candidates = shifts(draw(st.integers(1, 9)))
    values = [draw(st.floats(0.01, 1.0)) for _ in candidates]
    return (candidates, values, shifts(draw(st.integers(0, 2))), draw(st.sampled_from([20.0, 25.0, 36.0, 48.0])),
            draw(st.sampled_from([8.0, 11.0])))  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(problem=rota_problems())
def test_best_rota_is_the_best_subset_the_checker_accepts(checker, lagrangian, problem):
    candidates, values, booked, cap, rest = problem
    check = checker.Checker({"rules": {"min_rest_hours": rest, "week_hours_cap": cap}, "wards": [],
                             "shortfalls": [], "practitioners": []})  # fmt: skip

    def as_times(shifts):
        return [(NOW + timedelta(seconds=s), NOW + timedelta(seconds=e)) for s, e in shifts]

    best = 0.0
    for mask in range(1 << len(candidates)):
        subset = [k for k in range(len(candidates)) if mask >> k & 1]
        rota = as_times([candidates[k] for k in subset])
        if not check.schedule_problems({}, as_times(booked), rota, label="P"):
            best = max(best, sum(values[k] for k in subset))
    order = sorted(range(len(candidates)), key=lambda k: candidates[k])
    found = lagrangian.best_rota(
        lagrangian.RotaProblem(
            start=[candidates[k][0] for k in order], end=[candidates[k][1] for k in order],
            value=[values[k] for k in order], booked=sorted(booked), cap_seconds=cap * 3600,
            rest_seconds=int(rest * 3600),
        )
    )  # fmt: skip

    assert found.is_exact
    assert found.value == pytest.approx(best, abs=1e-9)
    assert sum(values[order[k]] for k in found.chosen) == pytest.approx(best, abs=1e-9)
