"""Latency of the trust and agency web pages on a seeded database, in-process through Django's test
client (session auth, selectors, analytics, templates and SVG charts), plus the CSV import preview of
a 500-row file. Prints a markdown table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> DEBUG=true ALLOWED_HOSTS=testserver \
        .venv/bin/python benchmarks/web/bench_staff_pages.py [--requests 20]

The database needs `seed_demo` (logins `agency` and `trust1`) and `rebuild_rollups`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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
from backend.organisations.selectors import wards_for  # noqa: E402
from jobs.models import Shortfall  # noqa: E402
from jobs.services.shortfall_import import preview_shortfall_import  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(run, requests: int) -> list[float]:
    run()  # warm: caches, the matching snapshot
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    agency = User.objects.get(username="agency")
    trust = User.objects.get(username="trust1")
    shortfall = (
        Shortfall.objects.filter(trust_id=trust.trust_id, status__in=Shortfall.OPEN_STATUSES)
        .order_by("starts_at")
        .last()
    )
    pages = [
        (agency, "/agency/"),
        (agency, "/agency/?date_from={year_ago}&date_to={today}&period=month"),
        (agency, "/agency/urgent/?within=168"),
        (agency, f"/shortfalls/{shortfall.id}/candidates/"),
        (agency, "/agency/credentials/?within=90"),
        (agency, "/agency/deliveries/"),
        (trust, "/shortfalls/"),
        (trust, f"/shortfalls/{shortfall.id}/"),
        (trust, "/trust/bookings/"),
        (trust, "/trust/lists/"),
    ]
    today = timezone.localdate()
    dates = {"today": today.isoformat(), "year_ago": (today - dt.timedelta(days=364)).isoformat()}
    print("| page | user | requests | p50 ms | p95 ms |")
    print("|---|---|---:|---:|---:|")
    client = Client()
    for user, template in pages:
        client.force_login(user)
        path = template.format(**dates)

        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        times = measure(get, args.requests)
        print(
            f"| GET {path} | {user.username} | {args.requests} | {statistics.median(times):.1f} | {percentile(times, 0.95):.1f} |"
        )

    wards = list(wards_for(trust).values_list("name", flat=True))
    day = today + dt.timedelta(days=7)
    lines = ["external_reference,ward,role,band,date,start,end,headcount"]
    for n in range(500):
        lines.append(f"BENCH-{n},{wards[n % len(wards)]},RMN,5,{day.isoformat()},07:30,20:00,1")
    content = ("\n".join(lines) + "\n").encode()
    times = measure(
        lambda: preview_shortfall_import(user=trust, content=content, filename="bench.csv"), args.requests
    )
    print(
        f"| CSV import preview, 500 rows ({len(content) // 1024} KB) | trust1 | {args.requests} | {statistics.median(times):.1f} | {percentile(times, 0.95):.1f} |"
    )


if __name__ == "__main__":
    main()
