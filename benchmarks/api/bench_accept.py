"""Cost of one accept (POST /api/v1/offers/{id}/accept/) on a seeded database, in-process through
Django's test client (token auth, view, service, serializer): wall time, this process's CPU time
and the number of SQL statements, per accept.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load_large DEBUG=false SECRET_KEY=... \\
        ALLOWED_HOSTS=testserver .venv/bin/python benchmarks/api/bench_accept.py [--mode rollback]

--mode rollback (default): each accept runs in a transaction that is then rolled back, so every run
    accepts the same offers (a before/after comparison on identical work; the after-commit outbox
    publish is not counted).
--mode commit: real accepts, each offer once, the outbox publish to the broker included (re-opened
    offers come from benchmarks/load/prepare.py's choice, as `make bench-load` uses).

Offers are the ones benchmarks/load/prepare.py would pick (open, future, one per practitioner,
within free seats); some answer 422 (lapsed training in the seed) or 409, as under load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "load"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from prepare import acceptable_offers, tokens_for  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from jobs.models import Offer  # noqa: E402


class _RolledBack(Exception):
    pass


def accept(client: APIClient, offer_id: int, token: str, *, rollback: bool) -> tuple[int, float, float, int]:
    """(status, wall ms, CPU ms, statements) for one accept."""
    with CaptureQueriesContext(connection) as queries:
        began, cpu_began = time.perf_counter(), time.thread_time()
        try:
            with transaction.atomic() if rollback else nullcontext():
                response = client.post(
                    f"/api/v1/offers/{offer_id}/accept/", HTTP_AUTHORIZATION=f"Token {token}"
                )
                wall, cpu = time.perf_counter() - began, time.thread_time() - cpu_began
                if rollback:
                    raise _RolledBack
        except _RolledBack:
            pass
    return response.status_code, wall * 1000, cpu * 1000, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["rollback", "commit"], default="rollback")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    now = timezone.now()
    chosen = acceptable_offers(now)
    random.Random(args.seed).shuffle(chosen)
    chosen = chosen[: args.requests + 5]
    Offer.objects.filter(id__in=[offer_id for offer_id, _ in chosen]).update(
        status=Offer.Status.SENT, expires_at=now + dt.timedelta(hours=3), updated_at=now
    )
    tokens = dict(zip([u for _, u in chosen], tokens_for([u for _, u in chosen]), strict=True))
    client = APIClient()
    for offer_id, user_id in chosen[:5]:  # warm up (imports, connections), always rolled back
        accept(client, offer_id, tokens[user_id], rollback=True)

    rows = [accept(client, o, tokens[u], rollback=args.mode == "rollback") for o, u in chosen[5:]]
    statuses: dict[int, int] = {}
    for status, *_ in rows:
        statuses[status] = statuses.get(status, 0) + 1
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(
        f"{len(rows)} accepts, mode {args.mode}, statuses {dict(sorted(statuses.items()))}, load average {load}\n"
    )
    print("| answer | n | wall p50 ms | wall p95 ms | CPU p50 ms | statements p50 |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, picked in [
        ("all", rows),
        *[(str(s), [r for r in rows if r[0] == s]) for s in sorted(statuses)],
    ]:
        walls = sorted(r[1] for r in picked)
        print(
            f"| {label} | {len(picked)} | {statistics.median(walls):.1f} | {walls[int(0.95 * (len(walls) - 1))]:.1f} "
            f"| {statistics.median(r[2] for r in picked):.1f} | {statistics.median(r[3] for r in picked):.0f} |"
        )


if __name__ == "__main__":
    main()
