"""Hard rules at their boundaries, scalar explanations, and scalar/vector agreement."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine.clock import epoch, local_shift
from matching.engine.eligibility import (
    RULE_CODES,
    distance_km,
    eligible_positions,
    eligible_shortfalls,
    explain_pair,
    pair_masks,
    shortfall_masks,
)
from matching.engine.model import (
    Interval,
    Practitioner,
    Preferences,
    Reliability,
    Rules,
    Shortfall,
    Ward,
    WardHistory,
    Weights,
)
from matching.engine.rank import candidate_at, rank_candidates, score_roles, score_shortfall
from matching.engine.snapshot import build_pool

NOW = datetime(2026, 12, 1, tzinfo=UTC)
RULES = Rules()


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def codes(blockers: list) -> list[str]:
    return [blocker.code for blocker in blockers]


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r1, r2 = np.radians([lat1]), np.radians([lat2])
    return float(distance_km(r1, np.radians([lon1]), np.cos(r1), r2, np.radians([lon2]), np.cos(r2))[0])


def test_rest_of_exactly_eleven_hours_after_a_booked_shift_is_allowed(
    ward, make_shortfall, make_practitioner
):
    shortfall = make_shortfall(start=at(2, 7, 30), end=at(2, 20))
    practitioner = make_practitioner(booked=(Interval(at(1, 8), at(1, 20, 30)),))

    assert explain_pair(shortfall, ward, practitioner, RULES, NOW) == []


def test_rest_of_ten_hours_fifty_nine_minutes_is_blocked_and_says_how_much(
    ward, make_shortfall, make_practitioner
):
    shortfall = make_shortfall(start=at(2, 7, 30), end=at(2, 20))
    practitioner = make_practitioner(booked=(Interval(at(1, 8), at(1, 20, 31)),))

    blockers = explain_pair(shortfall, ward, practitioner, RULES, NOW)

    assert codes(blockers) == ["rest"]
    assert blockers[0].detail == "Only 10 h 59 m rest after shift ending 2026-12-01 20:31"


def test_rest_before_a_later_booked_shift_is_checked_too(ward, make_shortfall, make_practitioner):
    shortfall = make_shortfall(start=at(2, 7, 30), end=at(2, 20))
    practitioner = make_practitioner(booked=(Interval(at(3, 6, 30), at(3, 19)),))

    blockers = explain_pair(shortfall, ward, practitioner, RULES, NOW)

    assert [(b.code, b.detail) for b in blockers] == [
        ("rest", "Only 10 h 30 m rest before shift starting 2026-12-03 06:30")
    ]


def test_overlapping_booked_shift_blocks(ward, make_shortfall, make_practitioner):
    shortfall = make_shortfall(start=at(2, 7, 30), end=at(2, 20))
    practitioner = make_practitioner(booked=(Interval(at(2, 19), at(3, 7)),))

    assert codes(explain_pair(shortfall, ward, practitioner, RULES, NOW)) == ["overlap"]


def test_credential_expiring_exactly_at_shift_end_is_allowed(ward, make_shortfall, make_practitioner):
    shortfall = make_shortfall(end=at(2, 20))
    practitioner = make_practitioner(credentials={"pmva_rrn": at(2, 20)})

    assert explain_pair(shortfall, ward, practitioner, RULES, NOW) == []


def test_credential_expiring_during_the_shift_blocks(ward, make_shortfall, make_practitioner):
    shortfall = make_shortfall(start=at(2, 7, 30), end=at(2, 20))
    practitioner = make_practitioner(credentials={"pmva_rrn": at(2, 19, 59)})

    blockers = explain_pair(shortfall, ward, practitioner, RULES, NOW)

    assert [(b.code, b.detail) for b in blockers] == [
        ("credential", "PMVA (RRN) expires 2026-12-02 19:59, before the shift ends")
    ]


def test_expired_credential_names_its_expiry_date(ward, make_shortfall, make_practitioner):
    practitioner = make_practitioner(credentials={"pmva_rrn": datetime(2026, 11, 2, 12, tzinfo=UTC)})

    blockers = explain_pair(make_shortfall(), ward, practitioner, RULES, NOW)

    assert [(b.code, b.detail) for b in blockers] == [("credential", "PMVA (RRN) expired 2026-11-02")]


def test_missing_credential_blocks(ward, make_shortfall, make_practitioner):
    practitioner = make_practitioner(credentials={})

    blockers = explain_pair(make_shortfall(), ward, practitioner, RULES, NOW)

    assert [(b.code, b.detail) for b in blockers] == [("credential", "No PMVA (RRN) on file")]


def test_night_across_october_clock_change_is_thirteen_hours():
    start, end = local_shift(date(2026, 10, 24), time(20, 0), 12)

    assert (start, end) == (datetime(2026, 10, 24, 19, tzinfo=UTC), datetime(2026, 10, 25, 8, tzinfo=UTC))
    assert end - start == timedelta(hours=13)


def test_night_across_clock_change_counts_thirteen_hours_against_the_weekly_cap(
    ward, make_shortfall, make_practitioner
):
    start, end = local_shift(date(2026, 10, 24), time(20, 0), 12)
    shortfall = make_shortfall(start=start, end=end)
    practitioner_now = datetime(2026, 10, 20, tzinfo=UTC)

    assert (
        explain_pair(shortfall, ward, make_practitioner(week_hours_cap=13.0), RULES, practitioner_now) == []
    )
    blockers = explain_pair(shortfall, ward, make_practitioner(week_hours_cap=12.5), RULES, practitioner_now)
    assert [(b.code, b.detail) for b in blockers] == [
        ("weekly_hours", "Would work 13 h in the 7 days from 2026-10-24 20:00, cap 12 h 30 m")
    ]


def test_weekly_hours_up_to_the_cap_are_allowed_and_one_minute_over_is_blocked(
    ward, make_shortfall, make_practitioner
):
    # Three 12 h shifts already booked in the week; the candidate adds 12 h = 48 h exactly.
    week = tuple(Interval(at(d, 8), at(d, 20)) for d in (3, 5, 7))
    shortfall = make_shortfall(start=at(1, 8), end=at(1, 20))
    over = make_shortfall(start=at(1, 8), end=at(1, 20, 1))

    assert explain_pair(shortfall, ward, make_practitioner(booked=week), RULES, NOW) == []
    blockers = explain_pair(over, ward, make_practitioner(booked=week), RULES, NOW)
    assert [(b.code, b.detail) for b in blockers] == [
        ("weekly_hours", "Would work 48 h 01 m in the 7 days from 2026-12-01 08:00, cap 48 h")
    ]


def test_weekly_window_opened_by_an_earlier_booked_shift_counts(ward, make_shortfall, make_practitioner):
    # Window from 1 Dec 08:00 holds 36 h booked; a shift starting inside it pushes it over 48 h.
    week = tuple(Interval(at(d, 8), at(d, 20)) for d in (1, 3, 5))
    shortfall = make_shortfall(start=at(7, 8), end=at(7, 20, 30))
    outside = make_shortfall(start=at(8, 8), end=at(8, 20, 30))

    blockers = explain_pair(shortfall, ward, make_practitioner(booked=week), RULES, NOW)
    assert [b.code for b in blockers] == ["weekly_hours"]
    assert explain_pair(outside, ward, make_practitioner(booked=week), RULES, NOW) == []


def test_opted_out_practitioner_gets_the_higher_cap(ward, make_shortfall, make_practitioner):
    week = tuple(Interval(at(d, 8), at(d, 20)) for d in (3, 5, 7))
    shortfall = make_shortfall(start=at(1, 8), end=at(1, 20, 30))

    assert codes(explain_pair(shortfall, ward, make_practitioner(booked=week), RULES, NOW)) == [
        "weekly_hours"
    ]
    assert explain_pair(shortfall, ward, make_practitioner(booked=week, has_opted_out=True), RULES, NOW) == []


def test_travel_radius_boundary(ward, make_shortfall, make_practitioner):
    lat, lon = 53.75, -2.2426
    km = km_between(lat, lon, ward.lat, ward.lon)

    assert (
        explain_pair(make_shortfall(), ward, make_practitioner(lat=lat, lon=lon, radius_km=km), RULES, NOW)
        == []
    )
    blockers = explain_pair(
        make_shortfall(), ward, make_practitioner(lat=lat, lon=lon, radius_km=29.0), RULES, NOW
    )
    assert [(b.code, b.detail) for b in blockers] == [("travel", "29.9 km away, travel radius 29 km")]


def test_distance_matches_a_known_great_circle():
    # Manchester to Leeds city centres.
    assert round(km_between(53.4808, -2.2426, 53.8008, -1.5491), 2) == 57.93


def test_every_static_rule_is_named(ward, make_shortfall, make_practitioner):
    shortfall = make_shortfall(gender="male", rate_cap=40.0, min_band=6)
    practitioner = make_practitioner(
        role="rmn", band=5, status="suspended", registration_expires=at(30, 12, month=11), gender="female",
        blocked_trusts=frozenset({"T1"}), blocked_wards=frozenset({"W1"}), hourly_rate=45.0,
    )  # fmt: skip

    blockers = explain_pair(shortfall, ward, practitioner, RULES, NOW)

    assert [(b.code, b.detail) for b in blockers] == [
        ("band", "Band 5, shift needs band 6"),
        ("status", "Status is suspended"),
        ("registration", "Registration expired 2026-11-30"),
        ("do_not_book", "On Northfield Trust's do-not-book list"),
        ("do_not_book", "On Willow Ward's do-not-book list"),
        ("gender", "Shift needs a male practitioner"),
        ("rate", "Rate £45.00/h is above the cap £40.00/h"),
    ]


def test_a_registration_without_an_expiry_date_on_file_is_named_not_a_crash(
    ward, make_shortfall, make_practitioner
):
    # The adapter gives a registered practitioner with no expiry date datetime.min (never valid).
    practitioner = make_practitioner(registration_expires=datetime.min.replace(tzinfo=UTC))

    blockers = explain_pair(make_shortfall(), ward, practitioner, RULES, NOW)

    assert [(b.code, b.detail) for b in blockers] == [
        ("registration", "Registration expiry date not on file")
    ]


def test_wrong_role_is_named(ward, make_shortfall, make_practitioner):
    blockers = explain_pair(make_shortfall(), ward, make_practitioner(role="hca", band=3), RULES, NOW)

    assert [(b.code, b.detail) for b in blockers][:1] == [
        ("role", "Role is HCA / support worker, shift needs RMN")
    ]


def test_band_policy_can_allow_booking_up(ward, make_shortfall, make_practitioner):
    shortfall = make_shortfall(min_band=6)

    assert explain_pair(shortfall, ward, make_practitioner(band=5), Rules(band_up_allowance=1), NOW) == []
    assert codes(explain_pair(shortfall, ward, make_practitioner(band=8), Rules(max_band_above=1), NOW)) == [
        "band"
    ]


# Scalar and vectorised paths agree ------------------------------------------------------------------

WARDS = (
    Ward("WA", "TA", "picu", 53.48, -2.24, name="Ash Ward"),
    Ward("WB", "TB", "adult_acute", 53.60, -2.00, name="Beech Ward"),
)
BASE = datetime(2026, 12, 1, tzinfo=UTC)


@st.composite
def practitioners(draw: st.DrawFn, index: int) -> Practitioner:
    shifts = []
    for _ in range(draw(st.integers(0, 4))):
        start = BASE + timedelta(minutes=30 * draw(st.integers(0, 14 * 48)))
        shifts.append(Interval(start, start + timedelta(minutes=30 * draw(st.integers(8, 26)))))
    return Practitioner(
        id=f"P{index}",
        role=draw(st.sampled_from(["rmn", "hca"])),
        band=draw(st.integers(3, 7)),
        gender=draw(st.sampled_from(["female", "male", None])),
        lat=draw(st.floats(53.2, 53.9)),
        lon=draw(st.floats(-2.6, -1.7)),
        radius_km=draw(st.sampled_from([5.0, 15.0, 30.0, 60.0])),
        week_hours_cap=draw(st.sampled_from([None, 24.0, 48.0])),
        has_opted_out=draw(st.booleans()),
        status=draw(st.sampled_from(["active", "active", "suspended"])),
        registration_expires=draw(
            st.sampled_from([None, BASE + timedelta(days=3), BASE + timedelta(days=30)])
        ),
        credentials={
            code: BASE + timedelta(hours=draw(st.integers(0, 20 * 24)))
            for code in draw(st.sets(st.sampled_from(["pmva_rrn", "dbs_adult", "ils"])))
        },
        blocked_trusts=draw(st.sets(st.sampled_from(["TA", "TB"]), max_size=1)),
        blocked_wards=draw(st.sets(st.sampled_from(["WA", "WB"]), max_size=1)),
        booked=tuple(shifts),
        hourly_rate=draw(st.sampled_from([None, 30.0, 45.0])),
    )


@st.composite
def shortfalls(draw: st.DrawFn) -> Shortfall:
    start = BASE + timedelta(minutes=30 * draw(st.integers(0, 14 * 48)))
    return Shortfall(
        id="S",
        ward=draw(st.sampled_from(["WA", "WB"])),
        role=draw(st.sampled_from(["rmn", "hca"])),
        min_band=draw(st.integers(3, 6)),
        start=start,
        end=start + timedelta(minutes=30 * draw(st.integers(8, 26))),
        requires=frozenset(draw(st.sets(st.sampled_from(["pmva_rrn", "dbs_adult", "ils"])))),
        gender=draw(st.sampled_from([None, "female", "male"])),
        rate_cap=draw(st.sampled_from([None, 40.0])),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.integers(1, 12).flatmap(lambda n: st.tuples(*(practitioners(i) for i in range(n)))),
    shortfall=shortfalls(),
    rules=st.sampled_from([Rules(), Rules(min_rest_hours=8, band_up_allowance=1, max_band_above=2)]),
)
def test_vectorised_masks_and_scalar_blockers_agree(people, shortfall, rules):
    ward = {w.id: w for w in WARDS}[shortfall.ward]
    pool = build_pool(people, WARDS, BASE)

    masks = pair_masks(shortfall, ward, pool, rules)
    positions, _ = eligible_positions(shortfall, ward, pool, rules)

    for i, practitioner in enumerate(people):
        scalar = set(codes(explain_pair(shortfall, ward, practitioner, rules, BASE)))
        vector = {code for code in RULE_CODES if not masks[code][i]}
        assert scalar == vector, practitioner.id
        assert (i in positions.tolist()) == (not scalar)


@st.composite
def experienced(draw: st.DrawFn, index: int) -> Practitioner:
    """A practitioner with everything the score reads: ward history, ratings, reliability,
    preferences, competences and declared settings."""
    person = draw(practitioners(index))
    history = tuple(
        WardHistory(
            ward,
            draw(st.integers(1, 30)),
            draw(st.sampled_from([None, BASE - timedelta(days=draw(st.integers(0, 400)))])),
        )
        for ward in draw(st.sets(st.sampled_from(["WA", "WB"])))
    )
    if draw(st.booleans()):  # mostly eligible, so that many pairs get as far as the score
        person = replace(
            person,
            role="rmn",
            status="active",
            radius_km=60.0,
            registration_expires=None,
            credentials={code: BASE + timedelta(days=60) for code in ("pmva_rrn", "dbs_adult", "ils")},
            blocked_trusts=frozenset(),
            blocked_wards=frozenset(),
        )
    return replace(
        person,
        history=history,
        competences=frozenset(draw(st.sets(st.sampled_from(["rapid_tranq", "obs_level_3", "ng_tube"])))),
        settings_experience=frozenset(draw(st.sets(st.sampled_from(["picu", "adult_acute"])))),
        **draw(
            st.sampled_from(
                [{}, {"rating_count": 4, "rating_mean": 2.5}, {"rating_count": 17, "rating_mean": 4.75}]
            )
        ),
        reliability=Reliability(draw(st.integers(0, 40)), draw(st.integers(0, 3)), draw(st.integers(0, 2))),
        preferences=Preferences(
            preferred_settings=frozenset(draw(st.sets(st.sampled_from(["picu", "adult_acute"]), max_size=1))),
            max_distance_km=draw(st.sampled_from([None, 10.0, 40.0])),
            shift_time=draw(st.sampled_from([None, "day", "night"])),
        ),
    )


@st.composite
def shortfall_lists(draw: st.DrawFn) -> list[Shortfall]:
    eligible_leaning = draw(st.booleans())
    return [
        replace(
            draw(shortfalls()),
            id=f"S{k}",
            **({"role": "rmn", "gender": None, "min_band": 3} if eligible_leaning else {}),
            extra_radius_km=draw(st.sampled_from([0.0, 10.0])),
            desired_competences=frozenset(draw(st.sets(st.sampled_from(["rapid_tranq", "ng_tube"])))),
        )
        for k in range(draw(st.integers(1, 8)))
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.integers(1, 6).flatmap(lambda n: st.tuples(*(experienced(i) for i in range(n)))),
    rows=shortfall_lists(),
    rules=st.sampled_from([Rules(), Rules(min_rest_hours=8, band_up_allowance=1, max_band_above=2)]),
    weights=st.sampled_from([Weights(), Weights(continuity=9.0, cost=0.0, distance=3.0)]),
)
def test_one_practitioner_over_many_shortfalls_agrees_with_the_pool_path(people, rows, rules, weights):
    """'Roles for you' (one practitioner, many shortfalls) and ranking (one shortfall, the pool)
    name the same failed rules and give every eligible pair the same score."""
    wards = {w.id: w for w in WARDS}
    pool = build_pool(people, WARDS, BASE)

    for position in range(len(people)):
        turned = shortfall_masks(rows, wards, pool, rules, position)
        chosen, km = eligible_shortfalls(rows, wards, pool, rules, position)
        indices, roles = score_roles(rows, wards, pool, rules, weights, position=position)
        expected_indices, expected_km, expected_scores = [], [], []
        for k, shortfall in enumerate(rows):
            masks = pair_masks(shortfall, wards[shortfall.ward], pool, rules)
            assert {c for c in RULE_CODES if not turned[c][k]} == {
                c for c in RULE_CODES if not masks[c][position]
            }
            pairs = score_shortfall(shortfall, wards[shortfall.ward], pool, rules, weights)
            where = np.flatnonzero(pairs.positions == position)
            if len(where):
                expected_indices.append(k)
                expected_km.append(float(pairs.distance_km[where[0]]))
                expected_scores.append(float(pairs.scores[where[0]]))
        assert chosen.tolist() == expected_indices == indices.tolist()
        assert km.tolist() == expected_km
        assert roles.scores.tolist() == expected_scores
        for j, k in enumerate(indices.tolist()):  # the reasons a practitioner reads agree too
            shortfall, ward = rows[k], wards[rows[k].ward]
            ranked = rank_candidates(shortfall, ward, pool, rules=rules, weights=weights, now=BASE)
            (expected,) = [c for c in ranked.candidates if c.practitioner_id == people[position].id]
            assert candidate_at(shortfall, ward, pool, roles, j, weights, float(epoch(BASE))) == expected


def test_roles_for_a_practitioner_with_no_shortfalls_is_empty():
    person = Practitioner(id="P0", role="rmn", band=5, gender=None, lat=53.48, lon=-2.24, radius_km=20.0)
    pool = build_pool([person], WARDS, BASE)
    chosen, pairs = score_roles([], {w.id: w for w in WARDS}, pool, Rules(), Weights())
    assert (chosen.tolist(), pairs.scores.tolist(), pairs.positions.tolist()) == ([], [], [])


def test_broadened_radius_admits_a_practitioner_just_beyond_their_own():
    ward = Ward(id="W1", trust="T1", setting="adult_acute", lat=53.4808, lon=-2.2426, name="Willow Ward")
    start = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    shortfall = Shortfall(
        id="S1", ward="W1", role="rmn", min_band=5, start=start, end=start + timedelta(hours=12)
    )
    # About 11.1 km north of the ward, with a 10 km radius.
    nurse = Practitioner(id="P1", role="rmn", band=5, gender="female", lat=53.5808, lon=-2.2426, radius_km=10)

    narrow = explain_pair(shortfall, ward, nurse, Rules(), start)
    broad = explain_pair(replace(shortfall, extra_radius_km=5), ward, nurse, Rules(), start)

    assert [b.code for b in narrow] == ["travel"]
    assert broad == []
