"""Batch assignment quality and speed against the exact optimum and greedy-by-start-time.

    .venv/bin/python benchmarks/matching/bench_assign.py                      # 3,000 x 10,000, seeds 1-3
    .venv/bin/python benchmarks/matching/bench_assign.py --large --seeds 1    # 10,000 x 50,000 vs LP bound
    .venv/bin/python benchmarks/matching/bench_assign.py --exact-time-limit 600

For each seed: the engine (column-generated LP with rounded weekly rows, then a MIP on the edges
the LP's reduced costs say can matter), a reference MIP with HiGHS over a much wider set of edges
(seeded with the engine's answer, generous time limit) that also yields a proven upper bound on
the optimum over all edges (see exact_assign), and greedy by start time. "% of reference" is
against the least of the proven upper bounds on the optimum (that MIP's, the LP bound's and the
Lagrangian bound's), so it understates how close to the true optimum each method is.
The MIP over literally every edge (--full) did not produce a solution within 600 s at this size.
Violations come from benchmarks/matching/checker.py, which shares no code with the engine.

Two relaxation bounds over every edge are reported next to each other, both computed outside the
engine's timed run: the engine's LP bound (the compact LP with rounded weekly rows, re-solved here
without a time limit when the engine's LP was stopped) and the Lagrangian bound of
benchmarks/matching/lagrangian_bound.py (headcount rows relaxed, each practitioner's rota solved
exactly; multipliers: the LP's headcount duals, then --box-steps steps of the box-step method on the
rota master, keeping the least bound: at most the LP bound, approaching the rota formulation's).
Both are relaxation bounds, not the optimum. The large run has no reference MIP: "% of reference"
there is against the Lagrangian bound.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from matching.engine.assign import assign, exact_assign, greedy_assign, solve_relaxation
from matching.engine.generate import generate_instance
from matching.engine.instance import dump_instance, solution_document
from matching.engine.snapshot import build_pool

_spec = importlib.util.spec_from_file_location("matching_checker", Path(__file__).with_name("checker.py"))
assert _spec is not None and _spec.loader is not None
checker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checker)
_spec = importlib.util.spec_from_file_location(
    "matching_lagrangian", Path(__file__).with_name("lagrangian_bound.py")
)
assert _spec is not None and _spec.loader is not None
lagrangian = sys.modules["matching_lagrangian"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lagrangian)


def violations(instance_doc: dict, result) -> int:  # type: ignore[no-untyped-def]
    document = json.loads(json.dumps(solution_document(result.assignments, result.objective, result.seconds)))
    return len(checker.check_solution(instance_doc, document))


def engine_rotas(engine) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """The engine's assignment as one list of edge indices per practitioner (box-step columns)."""
    edges, pool = engine.edges, engine.pool
    key = edges.shortfall.astype(np.int64) * pool.size + edges.practitioner
    order = np.argsort(key, kind="stable")
    shortfall_index = {s.id: k for k, s in enumerate(edges.shortfalls)}
    position = {pid: k for k, pid in enumerate(pool.ids)}
    wanted = np.array(
        [shortfall_index[a.shortfall] * pool.size + position[a.practitioner] for a in engine.assignments],
        np.int64,
    )
    chosen = order[np.searchsorted(key[order], wanted)]
    rotas: dict[int, list[int]] = {}
    for e, p in zip(chosen.tolist(), edges.practitioner[chosen].tolist(), strict=True):
        rotas.setdefault(p, []).append(e)
    return list(rotas.values())


def run_seed(
    shortfalls: int,
    practitioners: int,
    seed: int,
    exact_time_limit: float,
    window: float | None,
    with_exact: bool,
    time_limit: float,
    box_steps: int,
) -> list[str]:
    instance = generate_instance(shortfalls=shortfalls, practitioners=practitioners, seed=seed)
    instance_doc = dump_instance(instance)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    seats = sum(s.headcount for s in instance.shortfalls)
    cpu = time.process_time()
    engine = assign(instance.shortfalls, instance.ward_by_id, pool, instance.rules, time_limit=time_limit)
    cpu = time.process_time() - cpu  # all of the engine's threads: what the run needs on an idle machine
    load = os.getloadavg()[0]
    # Greedy walks every edge in Python: skipped on the large run, where it would dominate the time.
    greedy = greedy_assign(engine.edges, pool, instance.rules) if with_exact else None
    rows = []
    lp_bound, lp_note = engine.lp_bound, ""
    if lp_bound is None or engine.headcount_dual is None:
        # The engine's LP was stopped by its time limit: finish it here, untimed, for the bound
        # and for the duals the Lagrangian bound starts from.
        relaxed = solve_relaxation(engine.edges, pool, instance.rules, time_limit=1200.0)
        lp_bound, engine.headcount_dual, lp_note = relaxed.bound, relaxed.headcount_dual, " (re-solved here)"
    began = time.perf_counter()
    at_lp_duals, rota_rules, arrays = lagrangian.bound_for_result(instance_doc, engine)
    bound = at_lp_duals
    if box_steps:
        bound, _ = lagrangian.tighten_by_boxstep(
            rota_rules, *arrays, at_lp_duals, engine_rotas(engine), steps=box_steps
        )
    bound_seconds = time.perf_counter() - began
    lp = lp_bound or float("nan")
    reference = bound.value
    reference_name = "Lagrangian bound"
    if with_exact:
        began = time.perf_counter()
        exact = exact_assign(
            engine.edges, pool, instance.rules, time_limit=exact_time_limit, start=engine, window=window
        )
        exact_seconds = time.perf_counter() - began
        # The engine is scored against the best proven upper bound on the optimum over all edges
        # (equal to the optimum when the reference MIP proves optimality).
        reference = min(exact.upper_bound or float("inf"), lp_bound or float("inf"), bound.value)
        reference_name = "exact optimum" if exact.method == "optimal" else "least proven upper bound"
        rows.append(
            f"| {seed} | reference MIP, {exact.timings['mip_columns']:,} edges ({exact.method}) | "
            f"{exact.objective:.3f} | {100 * exact.objective / reference:.3f} | {100 * exact.objective / lp:.3f} | "
            f"{100 * exact.objective / bound.value:.3f} | "
            f"{exact.filled}/{seats} | {violations(instance_doc, exact)} | {exact_seconds:.1f} |"
        )
    edges = len(engine.edges)
    rows.insert(
        0,
        f"| {seed} | engine ({engine.method}) | {engine.objective:.3f} | {100 * engine.objective / reference:.3f} | "
        f"{100 * engine.objective / lp:.3f} | {100 * engine.objective / bound.value:.3f} | "
        f"{engine.filled}/{seats} | {violations(instance_doc, engine)} | {engine.seconds:.2f} |",
    )
    if greedy is not None:
        rows.append(
            f"| {seed} | greedy by start time | {greedy.objective:.3f} | {100 * greedy.objective / reference:.3f} | "
            f"{100 * greedy.objective / lp:.3f} | {100 * greedy.objective / bound.value:.3f} | "
            f"{greedy.filled}/{seats} | {violations(instance_doc, greedy)} | {greedy.seconds:.2f} |"
        )
    detail = ", ".join(
        f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in engine.timings.items()
    )
    rows.append(
        f"| {seed} | ({edges:,} edges; LP bound{lp_note} {lp:.3f}; Lagrangian bound {bound.value:.3f} "
        f"(at the LP's headcount duals {at_lp_duals.value:.3f}, then {box_steps} box steps; "
        f"{bound.practitioners:,} practitioners with {bound.items:,} edges of positive reduced cost, "
        f"{bound.inexact} not solved exactly, {bound_seconds:.1f} s); % of reference vs {reference_name} "
        f"{reference:.3f}; engine CPU {cpu:.1f} s, load average {load:.1f} after it; {detail}) | | | | | | | |"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--shortfalls", type=int, default=3000)
    parser.add_argument("--practitioners", type=int, default=10_000)
    parser.add_argument("--exact-time-limit", type=float, default=300.0)
    parser.add_argument(
        "--time-limit", type=float, default=20.0, help="the engine's time limit (edges, LP, MIP), seconds"
    )
    parser.add_argument(
        "--window",
        type=float,
        default=0.1,
        help="reference MIP over edges with LP reduced cost >= -window (omit with --full for every edge)",
    )
    parser.add_argument("--full", action="store_true", help="reference MIP over every edge (very slow)")
    parser.add_argument("--large", action="store_true", help="10,000 x 50,000 against the LP bound only")
    parser.add_argument(
        "--box-steps",
        type=int,
        default=30,
        help="box steps lowering the Lagrangian bound from the LP's duals (0: the bound at those duals); "
        "about 0.3 s each on 3,000 x 10,000 and 10-15 s each on 10,000 x 50,000",
    )
    arguments = parser.parse_args()
    if arguments.large:
        arguments.shortfalls, arguments.practitioners = 10_000, 50_000
    print(
        f"Batch assignment, {arguments.shortfalls:,} shortfalls x {arguments.practitioners:,} practitioners, "
        f"engine time limit {arguments.time_limit:g} s, load average {os.getloadavg()[0]:.1f} at the start\n"
    )
    print(
        "| seed | method | objective | % of reference | % of LP bound | % of Lagrangian bound "
        "| filled/seats | violations | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in arguments.seeds:
        for row in run_seed(
            arguments.shortfalls,
            arguments.practitioners,
            seed,
            arguments.exact_time_limit,
            None if arguments.full else arguments.window,
            not arguments.large,
            arguments.time_limit,
            arguments.box_steps,
        ):
            print(row, flush=True)


if __name__ == "__main__":
    main()
