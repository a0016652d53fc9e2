"""Latency of the matching endpoints on a seeded database (the `large` seed: 50,000 practitioners,
600 wards, ~10,000 open shortfalls).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_large DEBUG=true \
        .venv/bin/python benchmarks/api/bench_matching_endpoints.py [--requests 200]

In-process through Django's test client (the full request path: auth, selectors, ORM adapter,
engine, serialisation), no network. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.practitioners.models import Practitioner  # noqa: E402
from jobs.models import Shortfall  # noqa: E402
from matching.candidates import snapshot  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(client: Client, url: str) -> float:
    began = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    agency = User.objects.filter(kind="agency_staff").order_by("id").first()
    open_ids = list(
        Shortfall.objects.filter(status__in=Shortfall.OPEN_STATUSES, starts_at__gt=timezone.now())
        .order_by("id")
        .values_list("id", flat=True)
    )
    practitioners = list(
        Practitioner.objects.filter(status="active").order_by("id").values_list("user_id", flat=True)
    )
    print(f"{len(practitioners)} active practitioners, {len(open_ids)} open shortfalls", file=sys.stderr)

    staff = Client()
    staff.force_login(agency)
    began = time.perf_counter()
    snapshot.invalidate()
    snapshot.get()
    cold = (time.perf_counter() - began) * 1000

    candidates = [
        timed(staff, f"/api/v1/shortfalls/{rng.choice(open_ids)}/candidates/?limit=50")
        for _ in range(args.requests)
    ]
    blockers = [
        timed(staff, f"/api/v1/shortfalls/{rng.choice(open_ids)}/candidates/?limit=50&include_ineligible=1")
        for _ in range(max(20, args.requests // 4))
    ]
    roles = []
    for _ in range(args.requests):
        client = Client()
        client.force_login(User.objects.get(id=rng.choice(practitioners)))
        roles.append(timed(client, "/api/v1/roles/"))

    print("| endpoint | requests | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, values in [
        ("GET /api/v1/shortfalls/{id}/candidates/ (warm snapshot)", candidates),
        ("GET /api/v1/shortfalls/{id}/candidates/?include_ineligible=1", blockers),
        ("GET /api/v1/roles/ (fresh per-practitioner load)", roles),
    ]:
        print(
            f"| {name} | {len(values)} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} "
            f"| {max(values):.1f} |"
        )
    print(f"\nSnapshot build (cold, {len(practitioners)} practitioners): {cold:.0f} ms")


if __name__ == "__main__":
    main()
