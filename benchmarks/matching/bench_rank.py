"""Rank one shortfall over 50,000 practitioners: p50 / p95 latency (target p95 <= 10 ms).

    .venv/bin/python benchmarks/matching/bench_rank.py [--practitioners 50000] [--repetitions 200]

Each repetition ranks a different generated shortfall (top 50 with reasons), on a pool built once,
as the API does with its per-process snapshot.
"""

from __future__ import annotations

import argparse
import statistics
import time

from matching.engine.generate import generate_instance
from matching.engine.rank import rank_candidates
from matching.engine.snapshot import build_pool


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--practitioners", type=int, default=50_000)
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    instance = generate_instance(
        shortfalls=arguments.repetitions, practitioners=arguments.practitioners, seed=arguments.seed
    )
    began = time.perf_counter()
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    build_seconds = time.perf_counter() - began
    wards = instance.ward_by_id
    for shortfall in instance.shortfalls[:5]:  # warm-up
        rank_candidates(shortfall, wards[shortfall.ward], pool, instance.rules, limit=50)

    timings, eligible = [], []
    for shortfall in instance.shortfalls:
        began = time.perf_counter()
        ranking = rank_candidates(shortfall, wards[shortfall.ward], pool, instance.rules, limit=50)
        timings.append((time.perf_counter() - began) * 1000)
        eligible.append(ranking.eligible_count)
    with_ineligible = []
    for shortfall in instance.shortfalls[:20]:
        began = time.perf_counter()
        rank_candidates(
            shortfall, wards[shortfall.ward], pool, instance.rules, limit=50, include_ineligible=True
        )
        with_ineligible.append((time.perf_counter() - began) * 1000)

    quantiles = statistics.quantiles(timings, n=100)
    print("| practitioners | repetitions | pool build s | p50 ms | p95 ms | max ms | median eligible | "
          "p50 ms with 50 ineligible explained |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {arguments.practitioners:,} | {len(timings)} | {build_seconds:.2f} | {statistics.median(timings):.2f} | "
        f"{quantiles[94]:.2f} | {max(timings):.2f} | {int(statistics.median(eligible))} | "
        f"{statistics.median(with_ineligible):.2f} |"
    )


if __name__ == "__main__":
    main()
