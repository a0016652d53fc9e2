"""Soft score: continuity first, monotonic, explained in words people recognise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matching.engine.model import Rules, WardHistory, WeightBook, Weights
from matching.engine.rank import rank_candidates
from matching.engine.snapshot import build_pool

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def rank(shortfall, ward, people, **options):
    return rank_candidates(shortfall, ward, build_pool(people, [ward], NOW), Rules(), now=NOW, **options)


def test_more_shifts_on_the_ward_scores_higher_all_else_equal(ward, make_shortfall, make_practitioner):
    last = NOW - timedelta(days=10)
    people = [
        make_practitioner(id=f"P{n}", history=(WardHistory("W1", n, last),) if n else ())
        for n in (0, 1, 3, 8)
    ]

    ranking = rank(make_shortfall(), ward, people)

    assert [c.practitioner_id for c in ranking.candidates] == ["P8", "P3", "P1", "P0"]
    scores = [c.score for c in ranking.candidates]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4


def test_more_recent_work_on_the_ward_scores_higher(ward, make_shortfall, make_practitioner):
    people = [
        make_practitioner(id="Recent", history=(WardHistory("W1", 4, NOW - timedelta(days=3)),)),
        make_practitioner(id="Old", history=(WardHistory("W1", 4, NOW - timedelta(days=300)),)),
    ]

    ranking = rank(make_shortfall(), ward, people)

    assert [c.practitioner_id for c in ranking.candidates] == ["Recent", "Old"]
    assert ranking.candidates[0].terms["continuity"] > ranking.candidates[1].terms["continuity"]


def test_reasons_name_the_ward_the_count_and_days_ago(ward, make_shortfall, make_practitioner):
    person = make_practitioner(history=(WardHistory("W1", 6, NOW - timedelta(days=12)),))

    reasons = rank(make_shortfall(), ward, [person]).candidates[0].reasons

    assert reasons[0] == "Worked on Willow Ward 6 times, last 12 days ago"
    assert "Knows Northfield Trust: 6 shifts" in reasons
    assert "Experienced in PICU: 6 shifts" in reasons


def test_distance_reason_gives_kilometres_to_one_decimal(ward, make_shortfall, make_practitioner):
    # 0.02878 degrees of latitude is 3.2 km.
    person = make_practitioner(lat=ward.lat + 0.02878, lon=ward.lon)

    candidate = rank(make_shortfall(), ward, [person]).candidates[0]

    assert "3.2 km away" in candidate.reasons


def test_a_rating_count_without_a_mean_is_ranked_without_a_rating_reason(
    ward, make_shortfall, make_practitioner
):
    person = make_practitioner(rating_count=3, rating_mean=None)

    candidate = rank(make_shortfall(), ward, [person]).candidates[0]

    assert not any(reason.startswith("Rated") for reason in candidate.reasons)


def test_scores_are_positive_and_at_most_one(ward, make_shortfall, make_practitioner):
    stranger = make_practitioner(id="Stranger", lat=ward.lat + 0.2, radius_km=60.0, hourly_rate=200.0)
    regular = make_practitioner(
        id="Regular", history=(WardHistory("W1", 50, NOW),), rating_count=40, rating_mean=5.0
    )

    scores = [c.score for c in rank(make_shortfall(), ward, [stranger, regular]).candidates]

    assert all(0 < score <= 1 for score in scores)


def test_equal_scores_break_ties_by_practitioner_id(ward, make_shortfall, make_practitioner):
    people = [make_practitioner(id=pid) for pid in ("P3", "P10", "P2")]

    ranking = rank(make_shortfall(), ward, people)

    assert [c.practitioner_id for c in ranking.candidates] == ["P10", "P2", "P3"]
    assert len({c.score for c in ranking.candidates}) == 1


def test_trust_weights_change_the_order(ward, make_shortfall, make_practitioner):
    familiar = make_practitioner(id="Familiar", lat=ward.lat + 0.2, history=(WardHistory("W1", 5, NOW),))
    nearby = make_practitioner(id="Nearby", lat=ward.lat, rating_count=30, rating_mean=5.0)
    distance_only = Weights(**{name: 0.0 for name in Weights().as_dict()} | {"distance": 1.0})

    default_order = [c.practitioner_id for c in rank(make_shortfall(), ward, [familiar, nearby]).candidates]
    book = WeightBook(by_trust={"T1": distance_only})
    trust_order = [
        c.practitioner_id for c in rank(make_shortfall(), ward, [familiar, nearby], weights=book).candidates
    ]

    assert default_order == ["Familiar", "Nearby"]
    assert trust_order == ["Nearby", "Familiar"]


def test_ineligible_practitioners_come_back_with_their_blockers(ward, make_shortfall, make_practitioner):
    people = [
        make_practitioner(id="Ok"),
        make_practitioner(id="Lapsed", credentials={"pmva_rrn": datetime(2026, 11, 2, tzinfo=UTC)}),
        make_practitioner(id="Far", lat=ward.lat + 1.0),
    ]

    ranking = rank(make_shortfall(), ward, people, include_ineligible=True)

    assert [c.practitioner_id for c in ranking.candidates] == ["Ok"]
    assert ranking.eligible_count == 1
    assert [(i.practitioner_id, [b.code for b in i.blockers]) for i in ranking.ineligible] == [
        ("Far", ["travel"]),
        ("Lapsed", ["credential"]),
    ]
    assert ranking.ineligible[1].blockers[0].detail == "PMVA (RRN) expired 2026-11-02"


def test_limit_returns_only_the_top_candidates(ward, make_shortfall, make_practitioner):
    people = [make_practitioner(id=f"P{n}", history=(WardHistory("W1", n, NOW),)) for n in range(1, 6)]

    ranking = rank(make_shortfall(), ward, people, limit=2)

    assert [c.practitioner_id for c in ranking.candidates] == ["P5", "P4"]
    assert ranking.eligible_count == 5


def test_reliability_and_competence_reasons_read_as_plain_english():
    from matching.engine.explain import _count
    from matching.engine.taxonomy import competence_label

    assert (_count(1, "late cancellation"), _count(2, "no-show")) == ("1 late cancellation", "2 no-shows")
    assert competence_label("observations_1to1") == "1:1 observations"
