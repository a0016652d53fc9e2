"""Callers for `make bench-load` (benchmarks/load/run.sh), written as wrk line files into OUT_DIR:

  practitioners.txt   tokens of active practitioners (roles for you), one per line
  trust_staff.txt     tokens of trust staffing-office users (their shortfall list)
  anyone.txt          "-": no Authorization header (/healthz)
  accept_<n>.txt      "<token> <offer id>": open offers on open future shortfalls, at most one per
                      practitioner and no more per shortfall than it has free seats; re-opened for
                      three hours, so each line is one real acceptance the first time it is sent

Usage: DATABASE_URL=... python benchmarks/load/prepare.py OUT_DIR --runs 50 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count, F  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.practitioners.models import Practitioner  # noqa: E402
from jobs.models import Booking, Offer, Shortfall  # noqa: E402


def tokens_for(user_ids: list[int]) -> list[str]:
    existing = dict(Token.objects.filter(user_id__in=user_ids).values_list("user_id", "key"))
    missing = [Token(user_id=uid, key=Token.generate_key()) for uid in user_ids if uid not in existing]
    Token.objects.bulk_create(missing)
    existing.update({token.user_id: token.key for token in missing})
    return [existing[uid] for uid in user_ids]


def acceptable_offers(now: dt.datetime) -> list[tuple[int, int]]:
    """(offer id, practitioner's user id), one per practitioner, within each shortfall's free seats."""
    offers = (
        Offer.objects.filter(
            status__in=Offer.OPEN_STATUSES,
            shortfall__status__in=Shortfall.OPEN_STATUSES,
            shortfall__starts_at__gt=now + dt.timedelta(hours=3),
            practitioner__status=Practitioner.Status.ACTIVE,
            # The seed's history holds some offers the engine would refuse now (band below the
            # shift's); leave those out. Other lapses (e.g. expired training) still answer 422.
            practitioner__band__gte=F("shortfall__min_band"),
        )
        .order_by("shortfall_id", "-score", "id")
        .values_list("id", "shortfall_id", "shortfall__headcount", "practitioner_id", "practitioner__user_id")
    )
    booked = dict(
        Booking.objects.filter(status=Booking.Status.CONFIRMED, shortfall__status__in=Shortfall.OPEN_STATUSES)
        .values("shortfall_id")
        .annotate(n=Count("id"))
        .values_list("shortfall_id", "n")
    )
    taken: dict[int, int] = {}
    used: set[int] = set()
    chosen = []
    for offer_id, shortfall_id, headcount, practitioner_id, user_id in offers.iterator(chunk_size=5000):
        if practitioner_id in used or taken.get(shortfall_id, 0) >= headcount - booked.get(shortfall_id, 0):
            continue
        used.add(practitioner_id)
        taken[shortfall_id] = taken.get(shortfall_id, 0) + 1
        chosen.append((offer_id, user_id))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--runs", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--practitioners", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    now = timezone.now()

    practitioner_users = list(
        Practitioner.objects.filter(status=Practitioner.Status.ACTIVE)
        .order_by("id")
        .values_list("user_id", flat=True)
    )
    sample = rng.sample(practitioner_users, min(args.practitioners, len(practitioner_users)))
    trust_users = list(
        User.objects.filter(kind=User.Kind.TRUST_STAFF, is_active=True).values_list("id", flat=True)
    )
    (args.out_dir / "practitioners.txt").write_text("\n".join(tokens_for(sample)) + "\n")
    (args.out_dir / "trust_staff.txt").write_text("\n".join(tokens_for(trust_users)) + "\n")
    (args.out_dir / "anyone.txt").write_text("-\n")

    offers = acceptable_offers(now)
    rng.shuffle(offers)
    Offer.objects.filter(id__in=[offer_id for offer_id, _ in offers]).update(
        status=Offer.Status.SENT, expires_at=now + dt.timedelta(hours=3), updated_at=now
    )
    keys = dict(
        zip([user_id for _, user_id in offers], tokens_for([user_id for _, user_id in offers]), strict=True)
    )
    for index, run in enumerate(args.runs):
        share = offers[index :: len(args.runs)]
        (args.out_dir / f"accept_{run}.txt").write_text("".join(f"{keys[u]} {o}\n" for o, u in share))
    print(
        f"{len(sample)} practitioners, {len(trust_users)} trust staff, {len(offers)} acceptable offers "
        f"({', '.join(f'{len(offers[i :: len(args.runs)])} for {run}' for i, run in enumerate(args.runs))})"
    )


if __name__ == "__main__":
    main()
