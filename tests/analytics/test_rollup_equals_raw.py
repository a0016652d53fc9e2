"""Property: on any history, the numbers from the rollups (built incrementally, one trust-day at a
time in any order, or rebuilt in one go) equal the numbers computed from the raw rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.analytics import selectors
from jobs.analytics.metrics import compute_from_raw
from jobs.analytics.rollups import rebuild_range, refresh_day
from jobs.models import Booking, Offer, Shortfall
from tests import factories as f
from tests.analytics.scenario import at

pytestmark = pytest.mark.django_db

FIRST_DAY = dt.date(2025, 10, 13)  # two weeks around the October clock change
DAYS = 21
BOOKING_STATUSES = [s for s, _ in Booking.Status.choices]
OFFER_STATUSES = [s for s, _ in Offer.Status.choices]

booking = st.tuples(
    st.integers(0, 5),  # practitioner
    st.sampled_from(BOOKING_STATUSES),
    st.integers(0, 200),  # made, hours after posting
    st.integers(-6, 30),  # cancelled, hours before start
)
shortfall = st.fixed_dictionaries(
    {
        "trust": st.integers(0, 1),
        "ward": st.integers(0, 1),
        "role": st.sampled_from(["rmn", "hca"]),
        "band": st.integers(3, 6),
        "night": st.booleans(),
        "headcount": st.integers(1, 3),
        "posted_hours_before": st.integers(1, 300),
        "cancelled_hours_before": st.none() | st.integers(-2, 48),
        "bookings": st.lists(booking, max_size=4, unique_by=lambda b: b[0]),
        "offers": st.lists(
            st.tuples(st.integers(0, 5), st.sampled_from(OFFER_STATUSES)),
            max_size=4,
            unique_by=lambda o: o[0],
        ),
    }
)
history = st.lists(shortfall, min_size=1, max_size=DAYS, unique_by=lambda s: id(s))


def _insert(spec: list[dict], world: dict) -> None:
    for day_index, item in enumerate(spec):  # one shortfall a day: practitioners never overlap
        day = FIRST_DAY + dt.timedelta(days=day_index)
        ward = world["wards"][item["trust"]][item["ward"]]
        starts_at = at(
            day.year, day.month, day.day, 20 if item["night"] else 7, 30 if not item["night"] else 0
        )
        ends_at = starts_at + dt.timedelta(hours=11 if item["night"] else 12)  # 07:00 < next 07:30
        posted_at = starts_at - dt.timedelta(hours=item["posted_hours_before"])
        cancelled = item["cancelled_hours_before"]
        s = f.ShortfallFactory(
            ward=ward,
            role=f.role(item["role"]),
            min_band=item["band"],
            headcount=item["headcount"],
            starts_at=starts_at,
            ends_at=ends_at,
            shift_type="night" if item["night"] else "long_day",
            posted_at=posted_at,
            status="open" if cancelled is None else "cancelled",
            cancelled_at=None if cancelled is None else starts_at - dt.timedelta(hours=cancelled),
        )
        active = 0
        for practitioner, status, made_after, cancelled_before in item["bookings"]:
            if status in ("confirmed", "completed"):
                if active == item["headcount"]:
                    continue  # the database refuses more active bookings than the headcount
                active += 1
            b = f.BookingFactory(
                shortfall=s,
                practitioner=world["practitioners"][practitioner],
                status=status,
                cancelled_at=starts_at - dt.timedelta(hours=cancelled_before)
                if "cancelled" in status
                else None,
            )
            Booking.objects.filter(id=b.id).update(created_at=posted_at + dt.timedelta(hours=made_after))
        for practitioner, status in item["offers"]:
            f.OfferFactory(
                shortfall=s,
                practitioner=world["practitioners"][practitioner],
                status=status,
                sent_at=None if status == "queued" or practitioner % 2 else posted_at,
            )


@pytest.fixture
def world():
    agency_user = f.AgencyUserFactory()
    trusts = [f.TrustFactory(agency=agency_user.agency) for _ in range(2)]
    wards = [
        [
            f.WardFactory(site=f.SiteFactory(trust=t), setting=f.setting(code))
            for code in ("adult_acute", "picu")
        ]
        for t in trusts
    ]
    practitioners = [f.PractitionerFactory(agency=agency_user.agency) for _ in range(6)]
    # Imported history for some pairs, so the ledger is part of continuity too.
    f.WardExperienceFactory(
        practitioner=practitioners[0],
        ward=wards[0][0],
        first_worked_at=at(2025, 8, 1),
        last_worked_at=at(2025, 9, 1),
    )
    return {"agency_user": agency_user, "trusts": trusts, "wards": wards, "practitioners": practitioners}


GROUPINGS = [
    ([], "week"),
    (["trust"], "day"),
    (["ward", "day_night"], "week"),
    (["role", "band", "setting"], "month"),
]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=history, order=st.randoms(use_true_random=False))
def test_rollups_equal_raw_computation(world, spec, order):
    with transaction.atomic():
        _insert(spec, world)
        # Incrementally, one trust-day at a time in a random order (as booking events would).
        days = [(t.id, FIRST_DAY + dt.timedelta(days=i)) for t in world["trusts"] for i in range(DAYS)]
        order.shuffle(days)
        for trust_id, day in days:
            refresh_day(trust_id=trust_id, day=day)
        last = FIRST_DAY + dt.timedelta(days=DAYS - 1)
        for group_by, period in GROUPINGS:
            raw = compute_from_raw(
                Shortfall.objects.all(), group_by=group_by, period=period, start=FIRST_DAY, end=last
            )
            rolled = selectors.fill_rate_table(
                user=world["agency_user"], group_by=group_by, period=period, start=FIRST_DAY, end=last
            )
            assert rolled.keys() == raw.keys(), (group_by, period)
            for key, metrics in raw.items():
                assert rolled[key] == pytest.approx(metrics), (group_by, period, key)
        # A full rebuild changes nothing.
        incremental = sorted(selectors.rollups_for(world["agency_user"]).values_list(*_ROLLUP_COLUMNS))
        rebuild_range(start=FIRST_DAY, end=last)
        assert (
            sorted(selectors.rollups_for(world["agency_user"]).values_list(*_ROLLUP_COLUMNS)) == incremental
        )
        transaction.set_rollback(True)


_ROLLUP_COLUMNS = [
    field.attname
    for field in __import__(
        "jobs.analytics.models", fromlist=["DailyRollup"]
    ).DailyRollup._meta.concrete_fields
    if field.attname != "id"
]
