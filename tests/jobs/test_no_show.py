"""Recording a no-show: who may, when, what it takes back out of the continuity ledger, and how
it meets the completion sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone

from backend.core.errors import (
    NoShowNotAllowed,
    NoShowOutsideWindow,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from backend.core.models import AuditEvent, OutboxMessage
from backend.practitioners.models import WardExperience
from jobs.analytics.models import DailyRollup
from jobs.analytics.tasks import refresh_day_task
from jobs.models import Booking, Shortfall
from jobs.services.booking_lifecycle import complete_finished_bookings
from jobs.services.no_show import record_no_show
from matching.candidates import snapshot
from matching.services import rank_shortfall
from tests import factories as f
from tests.concurrency import race
from tests.jobs.conftest import qualified, shift


def _worked(ward, *, hours_ago: float, practitioner=None) -> Booking:
    """A confirmed booking on a shift that started `hours_ago` (12.5 h long)."""
    start = (timezone.now() - dt.timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    shortfall = f.ShortfallFactory(
        ward=ward, starts_at=start, ends_at=start + dt.timedelta(hours=12.5), status="filled"
    )
    return f.BookingFactory(
        shortfall=shortfall, practitioner=practitioner or qualified(ward.trust.agency), status="confirmed"
    )


def _ledger(practitioner, ward):
    row = WardExperience.objects.filter(practitioner=practitioner, ward=ward).first()
    return None if row is None else (row.shifts_worked, row.first_worked_at, row.last_worked_at)


@pytest.fixture
def trust_user(ward):
    return f.TrustUserFactory(trust=ward.trust)


def test_a_started_shift_marked_no_show_reopens_the_slot_is_audited_and_refreshes_the_day(ward, trust_user):
    booking = _worked(ward, hours_ago=2)

    marked = record_no_show(booking=booking, by=trust_user, reason="Did not arrive, not answering phone")

    booking.refresh_from_db()
    assert (marked.status, booking.status, booking.completed_at) == ("no_show", "no_show", None)
    assert Shortfall.objects.get(id=booking.shortfall_id).status == "open"
    event = AuditEvent.objects.get(subject_type="booking", subject_id=str(booking.id))
    assert (event.actor_id, event.action, event.practitioner_id) == (
        trust_user.id,
        "update",
        booking.practitioner_id,
    )
    assert event.detail == {
        "event": "no_show",
        "reason": "Did not arrive, not answering phone",
        "previous_status": "confirmed",
        "ledger": "untouched",
    }
    refresh = OutboxMessage.objects.get(task="analytics.refresh_day")
    assert refresh.kwargs == {
        "trust_id": ward.trust_id,
        "day": timezone.localtime(booking.starts_at).date().isoformat(),
    }
    assert _ledger(booking.practitioner, ward) is None


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (lambda b: b.starts_at - dt.timedelta(seconds=1), False),
        (lambda b: b.starts_at, True),
        (lambda b: b.ends_at + dt.timedelta(days=7), True),
        (lambda b: b.ends_at + dt.timedelta(days=7, seconds=1), False),
    ],
    ids=["before-start", "at-start", "seven-days-after-end", "just-after-window"],
)
def test_no_show_window_runs_from_the_start_to_seven_days_after_the_end(ward, trust_user, at, allowed):
    booking = _worked(ward, hours_ago=2)
    now = at(booking)

    if allowed:
        record_no_show(booking=booking, by=trust_user, reason="Never arrived", now=now)
        assert Booking.objects.get(id=booking.id).status == "no_show"
    else:
        with pytest.raises(NoShowOutsideWindow) as refused:
            record_no_show(booking=booking, by=trust_user, reason="Never arrived", now=now)
        assert refused.value.status == 422
        assert Booking.objects.get(id=booking.id).status == "confirmed"
        assert not AuditEvent.objects.filter(subject_type="booking").exists()
        assert not OutboxMessage.objects.filter(task="analytics.refresh_day").exists()


def test_no_show_after_completion_takes_the_shift_back_out_of_the_ledger_exactly(ward, trust_user):
    nurse = qualified(ward.trust.agency)
    earlier = _worked(ward, hours_ago=60, practitioner=nurse)
    complete_finished_bookings(now=earlier.ends_at + dt.timedelta(minutes=1))
    before_second = _ledger(nurse, ward)
    later = _worked(ward, hours_ago=20, practitioner=nurse)
    complete_finished_bookings(now=later.ends_at + dt.timedelta(minutes=1))
    assert _ledger(nurse, ward) == (2, earlier.starts_at, later.ends_at)

    record_no_show(booking=later, by=trust_user, reason="Signed in by someone else")

    assert before_second == (1, earlier.starts_at, earlier.ends_at)
    assert _ledger(nurse, ward) == before_second
    assert AuditEvent.objects.get(subject_type="booking").detail["ledger"] == "decremented"


def test_no_show_of_the_earliest_completed_shift_moves_first_worked_to_the_next_one(ward, trust_user):
    nurse = qualified(ward.trust.agency)
    earlier, later = (
        _worked(ward, hours_ago=60, practitioner=nurse),
        _worked(ward, hours_ago=20, practitioner=nurse),
    )
    complete_finished_bookings(now=later.ends_at + dt.timedelta(minutes=1))

    record_no_show(booking=earlier, by=trust_user, reason="Never arrived")

    assert _ledger(nurse, ward) == (1, later.starts_at, later.ends_at)


def test_no_show_of_the_only_completed_shift_removes_the_ledger_row_it_created(ward, trust_user):
    booking = _worked(ward, hours_ago=20)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))
    assert _ledger(booking.practitioner, ward) == (1, booking.starts_at, booking.ends_at)

    record_no_show(booking=booking, by=trust_user, reason="Never arrived")

    assert _ledger(booking.practitioner, ward) is None
    assert Booking.objects.get(id=booking.id).completed_at is None


def test_no_show_after_imported_history_keeps_the_imported_shifts_and_never_overstates_recency(
    ward, trust_user
):
    nurse = qualified(ward.trust.agency)
    imported_first = timezone.now() - dt.timedelta(days=400)
    f.WardExperienceFactory(
        practitioner=nurse,
        ward=ward,
        shifts_worked=6,
        first_worked_at=imported_first,
        last_worked_at=imported_first + dt.timedelta(days=30),
        source="import",
    )
    booking = _worked(ward, hours_ago=20, practitioner=nurse)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))

    record_no_show(booking=booking, by=trust_user, reason="Never arrived")

    # The ledger holds only its extremes: the imported last date is gone, so the earlier one stands in.
    assert _ledger(nurse, ward) == (6, imported_first, imported_first)


def test_the_outboxed_refresh_moves_the_day_from_completed_to_no_show(ward, trust_user):
    booking = _worked(ward, hours_ago=20)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))
    day = timezone.localtime(booking.starts_at).date().isoformat()
    refresh_day_task(trust_id=ward.trust_id, day=day)

    def counts() -> dict:
        return DailyRollup.objects.filter(trust_id=ward.trust_id).aggregate(
            completed=Sum("bookings_completed"), no_show=Sum("bookings_no_show")
        )

    before = counts()
    record_no_show(booking=booking, by=trust_user, reason="Never arrived")
    refresh_day_task(**OutboxMessage.objects.get(task="analytics.refresh_day").kwargs)

    assert (before, counts()) == ({"completed": 1, "no_show": 0}, {"completed": 0, "no_show": 1})


def test_marking_a_no_show_twice_changes_nothing_the_second_time(ward, trust_user):
    booking = _worked(ward, hours_ago=20)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))
    record_no_show(booking=booking, by=trust_user, reason="Never arrived")

    again = record_no_show(booking=booking, by=trust_user, reason="Never arrived")

    assert again.status == "no_show"
    assert AuditEvent.objects.filter(subject_type="booking").count() == 1
    assert OutboxMessage.objects.filter(task="analytics.refresh_day").count() == 1
    assert _ledger(booking.practitioner, ward) is None


def test_another_trusts_booking_is_not_found_and_a_practitioner_may_not_mark_one(ward, trust_user):
    booking = _worked(ward, hours_ago=2)
    other_trust_user = f.TrustUserFactory()

    with pytest.raises(NotFound):
        record_no_show(booking=booking, by=other_trust_user, reason="Never arrived")
    with pytest.raises(PermissionDenied):
        record_no_show(booking=booking, by=booking.practitioner.user, reason="Never arrived")

    assert Booking.objects.get(id=booking.id).status == "confirmed"
    assert not AuditEvent.objects.filter(subject_type="booking").exists()


def test_agency_staff_may_mark_a_no_show_for_their_trusts(ward):
    booking = _worked(ward, hours_ago=2)
    agency_user = f.AgencyUserFactory(agency=ward.trust.agency)

    record_no_show(booking=booking, by=agency_user, reason="Ward called the agency")

    assert Booking.objects.get(id=booking.id).status == "no_show"


def test_a_cancelled_or_unstarted_booking_cannot_be_a_no_show_and_a_reason_is_required(ward, trust_user):
    cancelled = _worked(ward, hours_ago=2)
    Booking.objects.filter(id=cancelled.id).update(status="cancelled_by_trust")
    future = f.BookingFactory(shortfall=shift(ward, in_hours=30), practitioner=qualified(ward.trust.agency))

    with pytest.raises(NoShowNotAllowed):
        record_no_show(booking=cancelled, by=trust_user, reason="Never arrived")
    with pytest.raises(NoShowOutsideWindow):
        record_no_show(booking=future, by=trust_user, reason="Never arrived")
    with pytest.raises(ValidationFailed):
        record_no_show(booking=future, by=trust_user, reason="   ")

    assert dict(Booking.objects.values_list("id", "status")) == {
        cancelled.id: "cancelled_by_trust",
        future.id: "confirmed",
    }
    assert not AuditEvent.objects.filter(subject_type="booking").exists()


def test_a_no_show_lowers_the_practitioners_reliability_in_ranking(ward, trust_user):
    nurse = qualified(ward.trust.agency)
    booking = _worked(ward, hours_ago=20, practitioner=nurse)
    complete_finished_bookings(now=booking.ends_at + dt.timedelta(minutes=1))
    upcoming = shift(ward, in_hours=72)

    def reliability() -> float:
        snapshot.invalidate()
        ranking, _pool = rank_shortfall(shortfall=upcoming)
        (candidate,) = [c for c in ranking.candidates if c.practitioner_id == str(nurse.id)]
        return candidate.terms["reliability"]

    before = reliability()
    record_no_show(booking=booking, by=trust_user, reason="Never arrived")
    after = reliability()

    # (completed + 4) / (completed + 4 + late + 2 x no-shows), terms rounded to 4 places:
    # one completed shift, then none and one no-show.
    assert (before, after) == (1.0, round(4 / 6, 4))


@pytest.mark.django_db(transaction=True)
def test_no_show_racing_the_completion_sweep_always_ends_as_a_no_show_with_no_ledger_credit():
    agency_user = f.AgencyUserFactory()
    ward = f.WardFactory(site=f.SiteFactory(trust=f.TrustFactory(agency=agency_user.agency)))
    trust_user = f.TrustUserFactory(trust=ward.trust)
    nurse = qualified(ward.trust.agency)
    bookings = [_worked(ward, hours_ago=20 + 13 * i, practitioner=nurse) for i in range(4)]
    sweep_at = timezone.now()

    for booking in bookings:
        results = race(
            [
                lambda: complete_finished_bookings(now=sweep_at),
                lambda b=booking: record_no_show(booking=b, by=trust_user, reason="Never arrived"),
            ]
        )
        assert not any(isinstance(r, Exception) for r in results), results

    assert set(Booking.objects.values_list("status", flat=True)) == {"no_show"}
    assert _ledger(nurse, ward) is None
    assert AuditEvent.objects.filter(subject_type="booking").count() == 4
