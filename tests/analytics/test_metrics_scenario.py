from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from jobs.analytics import selectors
from jobs.analytics.metrics import compute_from_raw
from jobs.analytics.models import DailyRollup, SlotFact
from jobs.analytics.rollups import rebuild_range, refresh_day
from jobs.models import Shortfall
from tests.analytics.scenario import at, build_scenario

pytestmark = pytest.mark.django_db

WEEK = (dt.date(2025, 10, 20), dt.date(2025, 10, 26))
HISTORY = (dt.date(2025, 7, 1), dt.date(2025, 11, 2))

# Trust A, week of 20 October 2025, worked by hand:
# requested slots: S1 1 + S2 3 + S4 1 + S5 1 + S6 1 + S7 1 = 8 (S3's 2 left at the cutoff)
# filled: S1 1 + S2 2 + S5 1 (held until the trust cancelled) + S6 1 (the no-show held it) = 5
# hours: 12.5 + 3 x 12.5 + 12.5 + 12.5 + 13 (DST night) + 12 = 100; filled 12.5 + 25 + 12.5 + 13 = 63
# time to fill (h): 2, 4, 24, 72, 12 -> median 12, p90 24 + 0.6 x 48 = 52.8
# lead time (h) per slot: 166.5 x 6, 24, 10 -> median 166.5, p90 166.5
# continuity 90: S1 (P1, exactly 90 days) + S6 (P1 worked S1) = 2 / 5; 365: + S2's P2 and P3 = 4 / 5
# unfilled at start: S2 1 + S7 1 = 2 (S4 and S5 were cancelled before they started)
# bookings 6: practitioner late cancellations 1 (< 4 h), trust 1 (6 h: < 12 h, not < 4 h)
# no-shows 1 / (3 completed + 1) ; offers sent 4 (queued one not) / 5 fills; accepted 1 of 3 answers
TRUST_A_WEEK = {
    "slots_requested": 8,
    "slots_filled": 5,
    "slots_cancelled_before_cutoff": 2,
    "fill_rate": 5 / 8,
    "hours_requested": 100.0,
    "hours_filled": 63.0,
    "fill_rate_hours": 0.63,
    "time_to_fill_median_hours": 12.0,
    "time_to_fill_p90_hours": 52.8,
    "lead_time_median_hours": 166.5,
    "lead_time_p90_hours": 166.5,
    "continuity_rate_90": 2 / 5,
    "continuity_rate_365": 4 / 5,
    "distinct_staff": 4,
    "unfilled_at_start": 2,
    "bookings_made": 6,
    "late_cancellation_rate_12h": 1 / 6,
    "late_cancellation_rate_4h": 1 / 6,
    "trust_late_cancellation_rate_12h": 1 / 6,
    "trust_late_cancellation_rate_4h": 0.0,
    "no_show_rate": 1 / 4,
    "offers_sent": 4,
    "offers_per_fill": 4 / 5,
    "acceptance_rate": 1 / 3,
}


def _approx(metrics: dict) -> dict:
    return {k: pytest.approx(v, abs=1e-9) if isinstance(v, float) else v for k, v in metrics.items()}


@pytest.fixture
def scenario():
    world = build_scenario()
    rebuild_range(start=HISTORY[0], end=HISTORY[1])
    return world


def test_hand_computed_week_from_rollups(scenario):
    table = selectors.fill_rate_table(
        user=scenario.agency_user, group_by=["trust"], period="week", start=WEEK[0], end=WEEK[1]
    )

    assert sorted(table) == [(WEEK[0], scenario.trust_a.id), (WEEK[0], scenario.trust_b.id)]
    assert table[(WEEK[0], scenario.trust_a.id)] == _approx(TRUST_A_WEEK)


def test_hand_computed_week_from_raw_rows(scenario):
    table = compute_from_raw(
        Shortfall.objects.filter(trust=scenario.trust_a),
        group_by=[],
        period="week",
        start=WEEK[0],
        end=WEEK[1],
    )

    assert table == {(WEEK[0],): _approx(TRUST_A_WEEK)}


def test_night_crossing_the_clock_change_counts_on_its_start_date_with_elapsed_hours(scenario):
    table = selectors.fill_rate_table(
        user=scenario.trust_a_user,
        group_by=["day_night"],
        period="day",
        start=dt.date(2025, 10, 25),
        end=dt.date(2025, 10, 26),
    )

    assert sorted(table) == [(dt.date(2025, 10, 25), "night"), (dt.date(2025, 10, 26), "night")]
    assert table[(dt.date(2025, 10, 25), "night")]["hours_requested"] == 13.0
    assert table[(dt.date(2025, 10, 26), "night")]["hours_requested"] == 12.0


def test_continuity_counts_exactly_90_days_before_and_not_91(scenario):
    table = selectors.fill_rate_table(
        user=scenario.agency_user,
        group_by=["ward"],
        period="day",
        start=dt.date(2025, 10, 20),
        end=dt.date(2025, 10, 21),
    )

    monday, tuesday = (table[(dt.date(2025, 10, d), scenario.ward_a.id)] for d in (20, 21))
    assert (monday["continuity_rate_90"], monday["continuity_rate_365"]) == (1.0, 1.0)  # 22 Jul: 90 days
    assert (tuesday["continuity_rate_90"], tuesday["continuity_rate_365"]) == (0.0, 1.0)  # 91 days; ledger


def test_the_week_after_is_its_own_week(scenario):
    table = selectors.fill_rate_table(
        user=scenario.trust_a_user,
        group_by=[],
        period="week",
        start=dt.date(2025, 10, 20),
        end=dt.date(2025, 11, 2),
    )

    assert sorted(table) == [(dt.date(2025, 10, 20),), (dt.date(2025, 10, 27),)]
    assert table[(dt.date(2025, 10, 27),)]["slots_filled"] == 1
    assert table[(dt.date(2025, 10, 27),)]["continuity_rate_90"] == 1.0


def test_cancelled_one_minute_after_the_cutoff_stays_requested(scenario):
    s3 = scenario.shortfalls["S3"]
    Shortfall.objects.filter(id=s3.id).update(cancelled_at=at(2025, 10, 21, 7, 31))

    refresh_day(trust_id=scenario.trust_a.id, day=dt.date(2025, 10, 22))

    row = DailyRollup.objects.get(day=dt.date(2025, 10, 22))
    assert (row.slots_requested, row.slots_cancelled_before_cutoff, row.slots_filled) == (2, 0, 0)
    assert row.slots_unfilled_at_start == 0  # cancelled before it started: nobody was wanted


def test_refresh_day_after_a_booking_event_matches_a_full_rebuild(scenario):
    s7 = scenario.shortfalls["S7"]
    from tests.factories import BookingFactory

    BookingFactory(shortfall=s7, status="completed")
    refresh_day(trust_id=scenario.trust_a.id, day=dt.date(2025, 10, 26))
    incremental = sorted(DailyRollup.objects.values_list(), key=lambda r: r[1:8])
    incremental_slots = sorted(SlotFact.objects.values_list("shortfall_id", "slot", "practitioner_id"))

    rebuild_range(start=HISTORY[0], end=HISTORY[1])
    rebuild_range(start=HISTORY[0], end=HISTORY[1])  # and again: idempotent

    assert [r[1:] for r in incremental] == [
        r[1:] for r in sorted(DailyRollup.objects.values_list(), key=lambda r: r[1:8])
    ]
    assert incremental_slots == sorted(
        SlotFact.objects.values_list("shortfall_id", "slot", "practitioner_id")
    )


def test_trust_b_sees_none_of_trust_a_even_in_totals(scenario, client_for):
    client = client_for(scenario.trust_b_user)

    total = client.get("/api/v1/fill-rates/", {"period": "week", "from": "2025-10-20", "to": "2025-10-26"})
    asked_for_a = client.get(
        "/api/v1/fill-rates/",
        {"group_by": "trust,ward", "from": "2025-10-20", "to": "2025-10-26", "ward": scenario.ward_a.id},
    )

    assert total.status_code == 200
    [row] = total.json()["results"]
    assert (row["slots_requested"], row["slots_filled"], row["distinct_staff"]) == (1, 1, 1)  # S9 only
    assert asked_for_a.status_code == 200
    assert asked_for_a.json()["results"] == []


def test_agency_sees_every_trust_grouped(scenario, client_for):
    response = client_for(scenario.agency_user).get(
        "/api/v1/fill-rates/", {"group_by": "trust", "from": "2025-10-20", "to": "2025-10-26"}
    )

    assert response.status_code == 200
    rows = {row["trust_name"]: row for row in response.json()["results"]}
    assert sorted(rows) == ["Trust A", "Trust B"]
    assert rows["Trust A"]["fill_rate"] == 5 / 8
    assert rows["Trust A"]["period_start"] == "2025-10-20"


def test_csv_export_by_format_parameter_and_accept_header(scenario, client_for):
    client = client_for(scenario.trust_a_user)
    params = {"group_by": "ward,day_night", "period": "week", "from": "2025-10-20", "to": "2025-10-26"}

    by_param = client.get("/api/v1/fill-rates/", {**params, "format": "csv"})
    by_header = client.get("/api/v1/fill-rates/", params, HTTP_ACCEPT="text/csv")

    assert by_param.status_code == by_header.status_code == 200
    assert by_param["Content-Type"].startswith("text/csv")
    assert by_param.content == by_header.content
    rows = list(csv.DictReader(io.StringIO(by_param.content.decode())))
    assert [(r["ward_name"], r["day_night"], r["slots_requested"], r["slots_filled"]) for r in rows] == [
        ("Willow Ward", "day", "6", "4"),
        ("Willow Ward", "night", "2", "1"),
    ]


def test_series_has_one_value_per_period_with_gaps_as_null(scenario, client_for):
    response = client_for(scenario.trust_a_user).get(
        "/api/v1/fill-rates/series/",
        {"period": "week", "from": "2025-10-13", "to": "2025-11-02", "metrics": "fill_rate,slots_filled"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["periods"] == ["2025-10-13", "2025-10-20", "2025-10-27"]
    assert body["series"] == [
        {"group": {}, "values": {"fill_rate": [None, 0.625, 1.0], "slots_filled": [None, 5, 1]}}
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "trust,colour"}, "group_by"),
        ({"group_by": "trust,trust"}, "group_by"),
        ({"period": "fortnight"}, "period"),
        ({"from": "2025-10-20", "to": "2025-10-01"}, "to"),
        ({"from": "2020-01-01", "to": "2025-10-01"}, "from"),
        ({"from": "yesterday"}, "from"),
    ],
)
def test_bad_query_is_a_400_naming_the_field(params, field, client_for):
    from tests.factories import AgencyUserFactory

    response = client_for(AgencyUserFactory()).get("/api/v1/fill-rates/", params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["extra"]["fields"]) == [field]


def test_urgent_lists_unfilled_shifts_starting_soon_with_cascade_state(client_for):
    from django.utils import timezone

    from tests import factories as f

    agency_user = f.AgencyUserFactory()
    ward = f.WardFactory(site=f.SiteFactory(trust=f.TrustFactory(agency=agency_user.agency)))
    now = timezone.now()
    soon = f.ShortfallFactory(ward=ward, starts_at=now + dt.timedelta(hours=3), headcount=2)
    f.ShortfallFactory(ward=ward, starts_at=now + dt.timedelta(hours=30))  # not soon
    f.ShortfallFactory(ward=ward, starts_at=now + dt.timedelta(hours=2), status="filled")
    f.OfferFactory(shortfall=soon, wave=1, status="declined")
    hold = f.OfferFactory(
        shortfall=soon, wave=0, is_exclusive_hold=True, expires_at=now + dt.timedelta(minutes=20)
    )
    f.BookingFactory(shortfall=soon, status="confirmed")

    response = client_for(agency_user).get("/api/v1/shortfalls/urgent/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == soon.id
    assert (row["slots_filled"], row["slots_open"]) == (1, 1)
    assert dt.datetime.fromisoformat(row["cascade"].pop("hold_expires_at")) == hold.expires_at
    assert row["cascade"] == {
        "wave": 1,
        "offers_sent": 2,
        "offers_open": 1,
        "offers_declined": 1,
        "is_escalated": True,
    }
    csv_rows = list(
        csv.DictReader(
            io.StringIO(client_for(agency_user).get("/api/v1/shortfalls/urgent/?format=csv").content.decode())
        )
    )
    assert [(r["id"], r["cascade.wave"]) for r in csv_rows] == [(str(soon.id), "1")]
