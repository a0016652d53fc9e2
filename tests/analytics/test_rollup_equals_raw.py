"""Property: on any history, the numbers from the rollups (built incrementally, one trust-day at a
time in any order, or rebuilt in one go) equal the numbers computed from the raw rows, whether a
query is answered from the period summaries (whole weeks and months of the dashboard groupings) or
from the daily tables, and for agency staff, trust staff and trust staff limited to some wards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.organisations.selectors import wards_for
from jobs.analytics import selectors
from jobs.analytics.metrics import compute_from_raw
from jobs.analytics.models import DailyRollup, PeriodSummary
from jobs.analytics.rollups import rebuild_range, refresh_day
from jobs.analytics.summaries import SUMMARY_GROUPINGS, SUMMARY_PERIODS
from jobs.models import Booking, Offer, Shortfall
from tests import factories as f
from tests.analytics.scenario import at

pytestmark = pytest.mark.django_db

FIRST_DAY = dt.date(2025, 9, 29)  # Monday; five whole weeks and all of October (clock change)
DAYS = 35
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
    trust_user = f.TrustUserFactory(trust=trusts[0])
    ward_limited_user = f.TrustUserFactory(trust=trusts[0])
    ward_limited_user.wards.set([wards[0][1]])
    return {
        "agency_user": agency_user,
        "trust_user": trust_user,
        "ward_limited_user": ward_limited_user,
        "trusts": trusts,
        "wards": wards,
        "practitioners": practitioners,
    }


# Daily-path groupings, and every grouping kept in PeriodSummary (alone and with trust) by week
# and by month: October is a whole month, September and November partial ones.
GROUPINGS = [
    ([], "day"),
    (["trust"], "day"),
    (["role", "band", "setting"], "month"),
    *((list(grouping), period) for grouping in SUMMARY_GROUPINGS for period in SUMMARY_PERIODS),
    *((["trust", *grouping], period) for grouping in SUMMARY_GROUPINGS for period in SUMMARY_PERIODS),
]
USERS = ("agency_user", "trust_user", "ward_limited_user")


def _raw(world: dict, user_key: str, group_by: list[str], period: str, first: dt.date, last: dt.date):
    shortfalls = Shortfall.objects.filter(ward__in=wards_for(world[user_key]))
    return compute_from_raw(shortfalls, group_by=group_by, period=period, start=first, end=last)


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
        # The whole history, and a range starting and ending mid-week (the ends come from the
        # daily tables, the whole periods between from the summaries).
        whole = (FIRST_DAY, last)
        mid_week = (FIRST_DAY + dt.timedelta(days=2), last - dt.timedelta(days=3))
        for user_key in USERS:
            ranges = [whole, mid_week] if user_key == "agency_user" else [whole]
            for group_by, period in GROUPINGS:
                for first, end in ranges:
                    raw = _raw(world, user_key, group_by, period, first, end)
                    rolled = selectors.fill_rate_table(
                        user=world[user_key], group_by=group_by, period=period, start=first, end=end
                    )
                    where = (user_key, group_by, period, first, end)
                    assert rolled.keys() == raw.keys(), where
                    for key, metrics in raw.items():
                        assert rolled[key] == pytest.approx(metrics), (*where, key)
        # A full rebuild changes nothing, daily or summarised.
        incremental = _stored()
        rebuild_range(start=FIRST_DAY, end=last)
        assert _stored() == incremental
        transaction.set_rollback(True)


def _stored() -> tuple[list, list]:
    return (
        sorted(DailyRollup.objects.values_list(*_columns(DailyRollup))),
        sorted(PeriodSummary.objects.values_list(*_columns(PeriodSummary)), key=repr),
    )


def _columns(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.attname != "id"]


@pytest.mark.parametrize(
    ("user_key", "group_by", "period", "is_summarised"),
    [
        ("agency_user", [], "week", True),
        ("agency_user", ["trust"], "month", True),
        ("agency_user", ["day_night", "band", "role"], "week", True),
        ("agency_user", ["ward"], "week", True),
        ("agency_user", ["role", "setting"], "week", False),
        ("agency_user", [], "day", False),
        ("trust_user", [], "week", True),
        ("trust_user", ["ward", "day_night"], "month", True),
        ("ward_limited_user", [], "week", False),
        ("ward_limited_user", ["trust"], "week", False),
        ("ward_limited_user", ["ward"], "week", True),
    ],
)
def test_summaries_answer_only_groupings_they_hold_and_the_user_sees_whole(
    world, user_key, group_by, period, is_summarised
):
    rows = selectors._summaries_for(
        world[user_key], group_by=group_by, period=period, trust_id=None, ward_id=None
    )
    assert (rows is not None) == is_summarised


def test_a_trust_without_wards_does_not_turn_the_agency_summaries_off(world):
    f.TrustFactory(agency=world["agency_user"].agency)  # just onboarded, no wards yet
    rows = selectors._summaries_for(
        world["agency_user"], group_by=[], period="week", trust_id=None, ward_id=None
    )
    assert rows is not None
