"""Analytics benchmark: 12 months of history with >= 1,000,000 shortfall slots in a scratch
PostgreSQL database, rollups built, then the dashboard queries timed against the same numbers
computed straight from the raw rows (jobs/analytics/metrics.compute_from_raw).

    .venv/bin/python benchmarks/analytics/bench_analytics.py [--shortfalls-per-day 2200] [--runs 30]

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/staffing_analytics_bench) names the
scratch database: it is created, filled and dropped at the end (--keep to keep it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/staffing_analytics_bench"


def admin_connection(url: str):
    import psycopg2

    parts = urlparse(url)
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    return conn, parts.path.lstrip("/")


def log(message: str, started=[time.monotonic()]) -> None:  # noqa: B006
    print(f"[{time.monotonic() - started[0]:7.1f}s] {message}", flush=True)


# --- generation ----------------------------------------------------------------------------------

HEADCOUNTS = np.array([1, 2, 3, 4])
HEADCOUNT_P = np.array([0.78, 0.17, 0.04, 0.01])
SHIFTS = [  # (shift_type, local start hour, minute, hours)
    ("early", 7, 0, 7.5),
    ("late", 13, 30, 7.5),
    ("long_day", 7, 30, 12.5),
    ("night", 19, 30, 12.0),
]
SHIFT_P = np.array([0.25, 0.2, 0.3, 0.25])
POOL = 40


def copy_rows(cursor, model, columns: dict[str, list], count: int) -> None:
    """COPY `count` rows of `model`; columns not given take their null / Django default."""
    from django.utils import timezone

    now = timezone.now().isoformat()
    values = []
    names = []
    for field in model._meta.concrete_fields:
        names.append(field.column)
        if field.attname in columns:
            values.append(columns[field.attname])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append([now] * count)
        elif field.null:
            values.append(["\\N"] * count)
        elif field.has_default():
            default = field.get_default()
            text = (
                {True: "t", False: "f"}.get(default, default) if isinstance(default, bool) else str(default)
            )
            if isinstance(default, (list, dict)):
                import json

                text = json.dumps(default)
            values.append([text] * count)
        elif field.empty_strings_allowed and field.get_internal_type() in (
            "CharField",
            "TextField",
            "SlugField",
        ):
            values.append([""] * count)
        else:
            raise ValueError(f"{model.__name__}.{field.attname} needs a value")
    payload = io.StringIO("\n".join("\t".join(row) for row in zip(*values, strict=True)) + "\n")
    cursor.copy_expert(
        f"COPY {model._meta.db_table} ({', '.join(chr(34) + n + chr(34) for n in names)}) FROM STDIN", payload
    )


def _ts(array: np.ndarray) -> list[str]:
    """epoch seconds -> PostgreSQL timestamptz text."""
    return [s + "+00" for s in np.datetime_as_string(array.astype("datetime64[s]"), unit="s")]


def generate(*, per_day: int, days_back: int, days_ahead: int, seed: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from backend.accounts.models import User
    from backend.organisations.models import Agency, Role, Setting, Site, Trust, Ward
    from backend.practitioners.models import Practitioner
    from jobs.models import Booking, Offer, Shortfall

    rng = np.random.default_rng(seed)
    agency = Agency.objects.create(name="Bench Agency")
    settings_ = list(Setting.objects.all())
    trusts = Trust.objects.bulk_create(
        [Trust(agency=agency, name=f"Bench Trust {i}", ods_code=f"B{i:03d}") for i in range(12)]
    )
    sites = Site.objects.bulk_create(
        [Site(trust=t, name=f"Site {t.id}", latitude=53.4, longitude=-2.2) for t in trusts]
    )
    wards = Ward.objects.bulk_create(
        [
            Ward(
                trust=site.trust,
                site=site,
                name=f"Ward {site.id}-{w}",
                setting=settings_[w % len(settings_)],
                latitude=53.4,
                longitude=-2.2,
            )
            for site in sites
            for w in range(20)
        ]
    )
    roles = {r.code: r.id for r in Role.objects.all()}
    role_ids = np.array([roles.get("rmn"), roles.get("hca"), roles.get("rnld") or roles.get("rmn")])
    n_practitioners = 4000
    users = User.objects.bulk_create(
        [User(username=f"bench{i}", kind="practitioner", password="!") for i in range(n_practitioners)]
    )
    practitioners = Practitioner.objects.bulk_create(
        [
            Practitioner(
                user=u,
                agency=agency,
                role_id=roles["rmn"],
                band=5,
                registration_body="NMC",
                registration_number=f"BN{i:06d}",
                registration_expires_on=dt.date(2030, 1, 1),
                home_latitude=53.4,
                home_longitude=-2.2,
                hourly_rate=30,
            )
            for i, u in enumerate(users)
        ]
    )
    p_ids = np.array([p.id for p in practitioners])
    w_ids = np.array([w.id for w in wards])
    w_trust = np.array([w.trust_id for w in wards])
    pools = np.stack([rng.choice(p_ids, POOL, replace=False) for _ in wards])  # ward -> its regulars
    log(f"{len(trusts)} trusts, {len(wards)} wards, {n_practitioners} practitioners")

    with connection.cursor() as cursor:
        # Generated shifts are not checked for overlaps per practitioner: the analytics never
        # depend on it, and generating a conflict-free roster for 1M slots is not the point here.
        cursor.execute("ALTER TABLE jobs_booking DROP CONSTRAINT booking_no_overlap_per_practitioner")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    today = timezone.localdate()
    first_day = today - dt.timedelta(days=days_back)
    shortfall_id = booking_id = offer_id = 0
    total = {"shortfalls": 0, "slots": 0, "bookings": 0, "offers": 0}
    now_s = int(now.timestamp())
    raw = connection.cursor().cursor
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    for day_index in range(days_back + days_ahead):
        day = first_day + dt.timedelta(days=day_index)
        n = per_day
        ward_idx = rng.integers(0, len(wards), n)
        shift_idx = rng.choice(len(SHIFTS), n, p=SHIFT_P)
        headcount = rng.choice(HEADCOUNTS, n, p=HEADCOUNT_P)
        starts = np.array(
            [
                int(dt.datetime.combine(day, dt.time(SHIFTS[k][1], SHIFTS[k][2]), tzinfo=london).timestamp())
                for k in range(len(SHIFTS))
            ]
        )[shift_idx]
        ends = starts + (np.array([s[3] for s in SHIFTS]) * 3600).astype(int)[shift_idx]
        lead = np.maximum(rng.exponential(5 * 86400, n).astype(int), 2 * 3600)
        posted = np.minimum(starts - lead, now_s - 60)
        lead = starts - posted
        r = rng.random(n)
        cancelled = r < 0.06
        cancel_before = np.where(r < 0.03, rng.integers(25, 96, n), rng.integers(1, 23, n)) * 3600
        cancelled_at = np.where(cancelled, np.maximum(starts - cancel_before, posted + 60), 0)
        cancelled &= cancelled_at <= now_s
        fill_p = np.where(lead < 24 * 3600, 0.6, 0.9)
        filled = np.minimum(rng.binomial(headcount, fill_p), headcount)
        # Mostly nurses (band 5, some 6) and healthcare assistants (band 3), as on real wards.
        role_idx = rng.choice(3, n, p=[0.45, 0.45, 0.10])
        band = np.where(role_idx == 1, 3, np.where(rng.random(n) < 0.25, 6, 5))
        ids = np.arange(shortfall_id + 1, shortfall_id + n + 1)
        shortfall_id += n
        is_past = starts < now_s
        status = np.where(
            cancelled,
            "cancelled",
            np.where(filled == headcount, "filled", np.where(filled > 0, "partially_filled", "open")),
        )
        status = np.where((status == "open") & is_past, "expired", status)
        # practitioners: a random order of the ward's regulars, the first `filled` book, the next one declines
        order = np.argsort(rng.random((n, POOL)), axis=1)[:, :5]
        chosen = pools[ward_idx[:, None], order]
        copy_rows(
            raw,
            Shortfall,
            {
                "id": [str(i) for i in ids],
                "trust_id": [str(t) for t in w_trust[ward_idx]],
                "ward_id": [str(w) for w in w_ids[ward_idx]],
                "role_id": [str(x) for x in role_ids[role_idx]],
                "min_band": [str(b) for b in band],
                "headcount": [str(h) for h in headcount],
                "starts_at": _ts(starts),
                "ends_at": _ts(ends),
                "shift_type": [SHIFTS[k][0] for k in shift_idx],
                "status": list(status),
                "posted_at": _ts(posted),
                "cancelled_at": [
                    s if c else "\\N" for s, c in zip(_ts(cancelled_at), cancelled, strict=True)
                ],
            },
            n,
        )
        b_rows = {
            k: []
            for k in (
                "id",
                "shortfall_id",
                "practitioner_id",
                "starts_at",
                "ends_at",
                "status",
                "created_at",
                "cancelled_at",
            )
        }
        o_rows = {
            k: []
            for k in (
                "id",
                "shortfall_id",
                "practitioner_id",
                "score",
                "status",
                "sent_at",
                "expires_at",
                "wave",
            )
        }
        ttf = np.maximum(
            (rng.exponential(1.0, (n, 4)) * np.minimum(lead, 48 * 3600)[:, None] * 0.3).astype(int), 60
        )
        outcome = rng.random((n, 4))
        for i in range(n):
            for j in range(filled[i]):
                booking_id += 1
                made = min(int(posted[i] + ttf[i, j]), int(starts[i]) - 60, now_s - 30)
                if cancelled[i]:
                    b_status, b_cancel = "cancelled_by_trust", int(cancelled_at[i])
                elif not is_past[i]:
                    b_status, b_cancel = "confirmed", None
                elif outcome[i, j] < 0.02:
                    b_status, b_cancel = "no_show", None
                elif outcome[i, j] < 0.04:
                    b_status, b_cancel = (
                        "cancelled_by_practitioner",
                        int(starts[i]) - int(outcome[i, j] * 400_000),
                    )
                else:
                    b_status, b_cancel = "completed", None
                b_rows["id"].append(booking_id)
                b_rows["shortfall_id"].append(ids[i])
                b_rows["practitioner_id"].append(chosen[i, j])
                b_rows["starts_at"].append(starts[i])
                b_rows["ends_at"].append(ends[i])
                b_rows["status"].append(b_status)
                b_rows["created_at"].append(made)
                b_rows["cancelled_at"].append(b_cancel)
                offer_id += 1
                o_rows["id"].append(offer_id)
                o_rows["shortfall_id"].append(ids[i])
                o_rows["practitioner_id"].append(chosen[i, j])
                o_rows["status"].append("accepted")
                o_rows["sent_at"].append(made - 600)
                o_rows["expires_at"].append(made + 1200)
            offer_id += 1
            o_rows["id"].append(offer_id)
            o_rows["shortfall_id"].append(ids[i])
            o_rows["practitioner_id"].append(chosen[i, 4])
            o_rows["status"].append(("declined", "expired", "withdrawn")[i % 3])
            o_rows["sent_at"].append(int(posted[i]) + 60)
            o_rows["expires_at"].append(int(posted[i]) + 1860)
        nb, no = len(b_rows["id"]), len(o_rows["id"])
        copy_rows(
            raw,
            Booking,
            {
                "id": [str(x) for x in b_rows["id"]],
                "shortfall_id": [str(x) for x in b_rows["shortfall_id"]],
                "practitioner_id": [str(x) for x in b_rows["practitioner_id"]],
                "starts_at": _ts(np.array(b_rows["starts_at"])),
                "ends_at": _ts(np.array(b_rows["ends_at"])),
                "status": b_rows["status"],
                "created_at": _ts(np.array(b_rows["created_at"])),
                "updated_at": _ts(np.array(b_rows["created_at"])),
                "cancelled_at": [
                    "\\N" if c is None else s
                    for c, s in zip(
                        b_rows["cancelled_at"],
                        _ts(np.array([c or 0 for c in b_rows["cancelled_at"]])),
                        strict=True,
                    )
                ],
            },
            nb,
        )
        copy_rows(
            raw,
            Offer,
            {
                "id": [str(x) for x in o_rows["id"]],
                "shortfall_id": [str(x) for x in o_rows["shortfall_id"]],
                "practitioner_id": [str(x) for x in o_rows["practitioner_id"]],
                "score": ["0.5"] * no,
                "status": o_rows["status"],
                "sent_at": _ts(np.array(o_rows["sent_at"])),
                "expires_at": _ts(np.array(o_rows["expires_at"])),
            },
            no,
        )
        total["shortfalls"] += n
        total["slots"] += int(headcount.sum())
        total["bookings"] += nb
        total["offers"] += no
        if day_index % 60 == 0:
            log(f"  {day} {total}")
    with connection.cursor() as cursor:
        for table in ("jobs_shortfall", "jobs_booking", "jobs_offer"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    total.update(first_day=first_day, today=today, agency=agency, trusts=trusts, wards=wards)
    return total


# --- timing --------------------------------------------------------------------------------------


def timed(fn, runs: int) -> tuple[float, float, object]:
    samples = []
    result = None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return statistics.median(samples), p95, result


def _same(rolled: dict, raw: dict) -> bool:
    if rolled.keys() != raw.keys():
        return False
    for key, metrics in raw.items():
        for name, value in metrics.items():
            other = rolled[key][name]
            if (value is None) != (other is None):
                return False
            if value is not None and abs(value - other) > 1e-6 * max(1.0, abs(value)):
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shortfalls-per-day", type=int, default=2200)
    parser.add_argument("--days-back", type=int, default=365)
    parser.add_argument("--days-ahead", type=int, default=28)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--raw-runs", type=int, default=3, help="0: skip the raw computation")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    admin, name = admin_connection(url)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        log("migrated")
        world = generate(
            per_day=args.shortfalls_per_day,
            days_back=args.days_back,
            days_ahead=args.days_ahead,
            seed=args.seed,
        )
        log(
            f"generated {world['shortfalls']:,} shortfalls, {world['slots']:,} slots, "
            f"{world['bookings']:,} bookings, {world['offers']:,} offers"
        )
        from jobs.analytics.rollups import rebuild_range

        began = time.monotonic()
        first, today = world["first_day"], world["today"]
        result = rebuild_range(start=first, end=today + dt.timedelta(days=args.days_ahead))
        build_seconds = time.monotonic() - began
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        log(f"rollups built in {build_seconds:.1f}s: {result}")
        report(args, world, build_seconds, result)
    finally:
        connection.close()
        if not args.keep:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            log(f"dropped {name}")


def report(args, world, build_seconds, result) -> None:
    from django.utils import timezone

    from backend.accounts.models import User
    from jobs.analytics import selectors
    from jobs.analytics.metrics import compute_from_raw
    from jobs.analytics.rollups import refresh_day
    from jobs.models import Shortfall

    agency_user = User.objects.create(username="bench_agency", kind="agency_staff", agency=world["agency"])
    trust = world["trusts"][0]
    refresh_p50, refresh_p95, _ = timed(
        lambda: refresh_day(trust_id=trust.id, day=world["today"] - dt.timedelta(days=3)), 10
    )
    load_before = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    trust_user = User.objects.create(username="bench_trust", kind="trust_staff", trust=trust)
    today = world["today"]
    year_start = today - dt.timedelta(days=364)
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    month_start = month_end.replace(day=1)
    cases = [
        (
            "Fill rate by trust by week, 12 months (agency)",
            agency_user,
            ["trust"],
            "week",
            year_start,
            today,
            None,
        ),
        (
            "Fill rate by ward, last full month (agency)",
            agency_user,
            ["ward"],
            "month",
            month_start,
            month_end,
            None,
        ),
        ("Continuity series by week, 12 months (agency)", agency_user, [], "week", year_start, today, None),
        (
            "By ward by week, 12 months (one trust's staff)",
            trust_user,
            ["ward"],
            "week",
            year_start,
            today,
            trust.id,
        ),
        (
            "By role, band, day/night, month, 12 months (agency)",
            agency_user,
            ["role", "band", "day_night"],
            "month",
            year_start,
            today,
            None,
        ),
        (
            "By role, band, day/night, month, the 12 whole months before this one (agency)",
            agency_user,
            ["role", "band", "day_night"],
            "month",
            (today.replace(day=1) - dt.timedelta(days=365)).replace(day=1),
            month_end,
            None,
        ),
    ]
    lines = [
        f"Data: {world['shortfalls']:,} shortfalls / {world['slots']:,} slots over {args.days_back} days back + "
        f"{args.days_ahead} ahead, {len(world['trusts'])} trusts, {len(world['wards'])} wards, "
        f"{world['bookings']:,} bookings, {world['offers']:,} offers.",
        f"Rollup build (`rebuild_range` over the whole range, period summaries included): "
        f"{build_seconds:.0f} s -> {result.rollup_rows:,} DailyRollup rows, {result.slot_rows:,} SlotFact "
        f"rows, {result.summary_rows:,} PeriodSummary rows. `refresh_day` (one trust-day, as a booking "
        f"event runs it): p50 {refresh_p50:.0f} ms, p95 {refresh_p95:.0f} ms.",
        f"Load average (`uptime`, 1/5/15 min) before the queries: {load_before}.",
        "",
        f"| Dashboard query | rollup p50 ms | rollup p95 ms ({args.runs} runs) | raw p50 ms ({args.raw_runs} runs) | raw / rollup (p50) | same numbers |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for label, user, group_by, period, start, end, trust_id in cases:

        def rolled(user=user, group_by=group_by, period=period, start=start, end=end):
            return selectors.fill_rate_table(
                user=user, group_by=group_by, period=period, start=start, end=end
            )

        def raw(user=user, group_by=group_by, period=period, start=start, end=end, trust_id=trust_id):
            shortfalls = Shortfall.objects.filter(trust__agency=world["agency"])
            if trust_id:
                shortfalls = shortfalls.filter(trust_id=trust_id)
            return compute_from_raw(shortfalls, group_by=group_by, period=period, start=start, end=end)

        p50, p95, rolled_result = timed(rolled, args.runs)
        if args.raw_runs:
            raw_p50, _, raw_result = timed(raw, args.raw_runs)
            same = "yes" if _same(rolled_result, raw_result) else "NO"
            raw_cells = f"{raw_p50:,.0f} | {raw_p50 / p50:,.0f}x | {same}"
        else:
            raw_cells = "not run | - | -"
        lines.append(f"| {label} | {p50:.1f} | {p95:.1f} | {raw_cells} |")
        log(lines[-1])

    now = timezone.now()

    def urgent():
        return list(
            selectors.urgent_shortfalls(user=agency_user, now=now, within=dt.timedelta(hours=24))[:50]
        )

    p50, p95, rows = timed(urgent, args.runs)
    lines.append(
        f"| Urgent list, next 24 h, first page of 50 (agency; {len(rows)} rows) | {p50:.1f} | {p95:.1f} | - | - | - |"
    )
    lines.append(
        f"Load average (`uptime`, 1/5/15 min) after: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}."
    )
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
