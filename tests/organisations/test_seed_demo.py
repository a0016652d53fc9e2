"""seed_demo: deterministic, realistic, and consistent with the database's own invariants."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count, Exists, F, Max, Min, OuterRef

from backend.accounts.models import User
from backend.organisations.demo.reset import cleared_models
from backend.organisations.models import Agency, Setting, Trust, Ward
from backend.practitioners.models import Credential, Practitioner, PractitionerListing, WardExperience
from jobs.models import ACTIVE_BOOKING_STATUSES, Booking, Shortfall

pytestmark = pytest.mark.django_db

NOW = "2026-11-23T12:00:00+00:00"
NOW_DT = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
DEMO_PASSWORD = "demo-pass-2026"
DEMO_LOGINS = ("agency", "trust1", "trust2", "nurse1", "hca1")
# The seed picks these tables' ids itself (first free id onwards), so they are part of the data.
SEEDED_IDS = {"Agency", "Trust", "Site", "Ward", "User", "Practitioner", "Shortfall", "Offer", "Booking"}


def seed_demo(*extra: str, seed: int = 1) -> str:
    out = io.StringIO()
    call_command(
        "seed_demo", "--size", "small", "--seed", str(seed), "--now", NOW, "--quiet", *extra, stdout=out
    )
    return out.getvalue()


def canonical_dump() -> dict[str, list[tuple]]:
    """Every row of every demo table, without database-assigned ids and created/updated stamps."""
    dump = {}
    for model in cleared_models():
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if field.attname not in {"created_at", "updated_at"}
            and not (field.primary_key and model.__name__ not in SEEDED_IDS)
        ]
        dump[model._meta.label] = sorted(model.objects.values_list(*columns), key=repr)
    return dump


def test_same_seed_gives_identical_data_and_another_seed_different_data():
    seed_demo()
    first = canonical_dump()

    seed_demo("--reset")
    second = canonical_dump()
    seed_demo("--reset", seed=2)
    other = canonical_dump()

    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], f"{table} differs between two runs with seed 1"
    assert sum(len(rows) for rows in first.values()) > 20_000
    assert first["jobs.Booking"] != other["jobs.Booking"]
    assert first["practitioners.Practitioner"] != other["practitioners.Practitioner"]


def test_refuses_a_database_with_data_unless_reset():
    Agency.objects.create(name="Someone Else's Agency")

    with pytest.raises(CommandError, match="--reset"):
        seed_demo()

    assert list(Agency.objects.values_list("name", flat=True)) == ["Someone Else's Agency"]


def test_small_seed_is_realistic_and_consistent():
    output = seed_demo()

    # Sizes and coverage.
    assert Trust.objects.count() >= 3
    assert Ward.objects.count() >= 30
    assert Practitioner.objects.count() >= 500
    assert set(Ward.objects.values_list("setting__code", flat=True)) == set(
        Setting.objects.values_list("code", flat=True)
    )
    open_shortfalls = Shortfall.objects.filter(status__in=Shortfall.OPEN_STATUSES)
    assert 200 <= open_shortfalls.count() <= 400
    assert not open_shortfalls.filter(starts_at__lt=NOW_DT).exists()
    assert not Shortfall.objects.filter(posted_at__gte=NOW_DT).exists()
    assert Booking.objects.filter(status="completed").count() > 2000

    # Denormalised copies agree with their source.
    assert Shortfall.objects.exclude(trust_id=F("ward__trust_id")).count() == 0
    assert Booking.objects.exclude(starts_at=F("shortfall__starts_at")).count() == 0
    assert Booking.objects.exclude(ends_at=F("shortfall__ends_at")).count() == 0

    # Shifts keep their local wall-clock times in every season (nights cross midnight and DST).
    london = ZoneInfo("Europe/London")
    pattern = {"early": ("07:00", "15:00"), "late": ("13:30", "21:30"), "long_day": ("07:30", "20:00")}
    pattern["night"] = ("19:30", "08:00")
    seen = {
        (shift_type, f"{start.astimezone(london):%H:%M}", f"{end.astimezone(london):%H:%M}")
        for shift_type, start, end in Shortfall.objects.values_list("shift_type", "starts_at", "ends_at")
    }
    assert seen == {(shift_type, *times) for shift_type, times in pattern.items()}

    # No practitioner has overlapping active bookings, nor less than 11 hours between two.
    rest = dt.timedelta(hours=11)
    clash = Booking.objects.filter(
        practitioner_id=OuterRef("practitioner_id"),
        status__in=ACTIVE_BOOKING_STATUSES,
        starts_at__lt=OuterRef("ends_at") + rest,
        ends_at__gt=OuterRef("starts_at") - rest,
    ).exclude(pk=OuterRef("pk"))
    active = Booking.objects.filter(status__in=ACTIVE_BOOKING_STATUSES)
    assert active.filter(Exists(clash)).count() == 0

    # The continuity ledger is exactly the completed bookings.
    completed = Booking.objects.filter(status="completed")
    expected = {
        (row["practitioner_id"], row["shortfall__ward_id"]): (row["shifts"], row["first"], row["last"])
        for row in completed.values("practitioner_id", "shortfall__ward_id").annotate(
            shifts=Count("id"), first=Min("starts_at"), last=Max("starts_at")
        )
    }
    ledger = {
        (p, w): (n, first, last)
        for p, w, n, first, last in WardExperience.objects.filter(source="booking").values_list(
            "practitioner_id", "ward_id", "shifts_worked", "first_worked_at", "last_worked_at"
        )
    }
    assert ledger == expected

    # Do-not-book entries carry a reason; every credential set has a few expiring soon.
    assert not PractitionerListing.objects.filter(kind="do_not_book", reason="").exists()
    assert PractitionerListing.objects.filter(kind="preferred").exists()
    soon = Credential.objects.filter(
        expires_on__gte=NOW_DT.date(), expires_on__lte=NOW_DT.date() + dt.timedelta(days=30)
    )
    assert 0.02 < soon.count() / Credential.objects.count() < 0.08

    # Demo logins work with the printed password; everyone else cannot log in with a password.
    assert DEMO_PASSWORD in output
    for username in DEMO_LOGINS:
        assert username in output
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    assert User.objects.exclude(username__in=DEMO_LOGINS).filter(password__startswith="!").count() == (
        User.objects.count() - len(DEMO_LOGINS)
    )
    agency = User.objects.get(username="agency")
    assert (agency.kind, agency.is_agency_admin, agency.is_staff) == ("agency_staff", True, True)
    assert [User.objects.get(username=name).trust_id for name in ("trust1", "trust2")] == list(
        Trust.objects.order_by("id").values_list("id", flat=True)[:2]
    )
    for username in ("nurse1", "hca1"):
        practitioner = Practitioner.objects.get(user__username=username)
        assert practitioner.status == "active"
        assert WardExperience.objects.filter(practitioner=practitioner, shifts_worked__gte=3).exists()
        assert completed.filter(practitioner=practitioner).count() >= 10
        credentials = Credential.objects.filter(practitioner=practitioner)
        assert not credentials.filter(expires_on__lt=NOW_DT.date() + dt.timedelta(days=60)).exists()
        assert not credentials.filter(verified_at__isnull=True).exists()
