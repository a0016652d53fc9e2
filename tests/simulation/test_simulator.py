"""The operations simulator on one small trust-week: the same seed gives the same results, and
every booking of every policy went through the real accept path (the database invariants hold)."""

from __future__ import annotations

import dataclasses

import pytest
from django.conf import settings

from jobs.models import Booking, Offer
from jobs.simulation import report, world
from jobs.simulation.config import SimulationConfig
from jobs.simulation.policies import policy
from jobs.simulation.runner import Simulation
from tests.jobs.invariants import HEALTHY, violations

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SMALL = dataclasses.replace(
    SimulationConfig(),
    seed=3,
    trusts=1,
    wards=11,
    sites_per_trust=1,
    practitioners=60,
    history_per_ward_day=0.3,
    weeks=1,
    shortfalls_per_ward_day=0.4,
)


def _fingerprint() -> dict:
    """Every simulated shortfall's outcome, by its stable reference."""
    return {
        "bookings": sorted(
            Booking.objects.filter(shortfall__external_reference__startswith="sim-").values_list(
                "shortfall__external_reference", "practitioner_id", "status", "created_at"
            )
        ),
        "offers": sorted(
            Offer.objects.filter(shortfall__external_reference__startswith="sim-").values_list(
                "shortfall__external_reference", "practitioner_id", "wave", "status", "sent_at"
            )
        ),
    }


def _run(name: str, database: str) -> dict:
    with world.using_database(database):
        result = Simulation(SMALL, policy(name)).run()
        row = report.metrics(result, continuity_days=SMALL.continuity_days)
        sim_bookings = Booking.objects.filter(shortfall__external_reference__startswith="sim-")
        return {
            "metrics": {k: v for k, v in row.items() if k != "wall_seconds"},
            "fingerprint": _fingerprint(),
            "violations": violations(),
            "bookings": sim_bookings.count(),
            "bookings_without_offer": sim_bookings.filter(offer__isnull=True).count(),
            "accepts_booked": result.counters["accepts_booked"],
        }


@pytest.fixture(scope="module")
def runs(django_db_blocker):
    prefix = f"{settings.DATABASES['default']['NAME']}_simtest"
    names = {"broadcast": "broadcast", "first": "familiar_first", "again": "familiar_first"}
    with django_db_blocker.unblock():
        world.build_base(f"{prefix}_base", SMALL)
        try:
            for key in names:
                world.create_database(f"{prefix}_{key}", template=f"{prefix}_base")
            yield {key: _run(name, f"{prefix}_{key}") for key, name in names.items()}
        finally:
            for key in names:
                world.drop_database(f"{prefix}_{key}")
            world.drop_database(f"{prefix}_base")


def test_the_same_seed_gives_the_same_results(runs):
    assert runs["first"]["fingerprint"]["bookings"]  # something happened
    assert runs["first"]["metrics"] == runs["again"]["metrics"]
    assert runs["first"]["fingerprint"] == runs["again"]["fingerprint"]


@pytest.mark.parametrize("key", ["broadcast", "first"])
def test_every_booking_went_through_the_real_accept_path(runs, key):
    run = runs[key]
    assert run["violations"] == HEALTHY
    assert run["bookings"] > 0
    assert run["bookings_without_offer"] == 0
    assert run["bookings"] == run["accepts_booked"]


def test_broadcast_sends_no_holds_and_the_cascade_sends_familiar_holds_first(runs):
    broadcast_waves = {wave for _, _, wave, _, _ in runs["broadcast"]["fingerprint"]["offers"]}
    cascade_waves = {wave for _, _, wave, _, _ in runs["first"]["fingerprint"]["offers"]}
    assert 0 not in broadcast_waves  # everyone at once (urgent shifts also tag the top K as wave 1)
    assert 0 in cascade_waves
