"""A trust's preferred / do-not-book lists (audited, reasons, never on both lists) and the agency's
manual escalation of an unfilled shortfall (every wave due now, the safe-staffing alert once)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.errors import PermissionDenied, ShortfallClosed, ValidationFailed
from backend.core.models import AuditEvent, OutboxMessage
from backend.practitioners.models import PractitionerListing
from jobs.models import Shortfall
from jobs.services.cascade import advance_due_cascades
from jobs.services.escalation import escalate_shortfall
from jobs.services.listings import add_listing, remove_listing
from tests import factories as f
from tests.jobs.conftest import qualified, shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def trust_staff(ward):
    return f.TrustUserFactory(trust=ward.trust)


def test_do_not_book_needs_a_reason_and_changes_nothing_without_one(trust_staff, ward):
    nurse = qualified(ward.trust.agency)

    with pytest.raises(ValidationFailed) as error:
        add_listing(trust_staff=trust_staff, practitioner=nurse, kind="do_not_book", reason="  ")

    assert error.value.extra == {"fields": {"reason": ["Give a reason for do not book."]}}
    assert not PractitionerListing.objects.exists()
    assert not AuditEvent.objects.exists()


def test_do_not_book_is_reviewed_and_lapses_and_replaces_a_preferred_entry(trust_staff, ward):
    nurse = qualified(ward.trust.agency)
    add_listing(trust_staff=trust_staff, practitioner=nurse, kind="preferred", reason="", ward=ward)

    listing = add_listing(
        trust_staff=trust_staff, practitioner=nurse, kind="do_not_book", reason="Late", ward=ward
    )

    assert list(PractitionerListing.objects.values_list("kind", flat=True)) == ["do_not_book"]
    assert listing.review_on == timezone.localdate() + dt.timedelta(days=90)
    assert listing.expires_at is not None
    assert AuditEvent.objects.filter(subject_type="listing", practitioner_id=nurse.id).count() == 2


def test_another_trusts_ward_cannot_be_listed(trust_staff, ward):
    nurse = qualified(ward.trust.agency)

    with pytest.raises(ValidationFailed):
        add_listing(
            trust_staff=trust_staff, practitioner=nurse, kind="preferred", reason="", ward=f.WardFactory()
        )

    assert not PractitionerListing.objects.exists()


def test_only_the_trusts_staff_remove_its_entries(trust_staff, ward):
    nurse = qualified(ward.trust.agency)
    listing = add_listing(trust_staff=trust_staff, practitioner=nurse, kind="preferred", reason="")

    with pytest.raises(PermissionDenied):
        remove_listing(trust_staff=f.TrustUserFactory(), listing=listing)
    remove_listing(trust_staff=trust_staff, listing=listing)

    assert not PractitionerListing.objects.exists()


def test_escalation_offers_everyone_eligible_at_the_next_sweep_and_alerts_once(ward):
    agency_staff = f.AgencyUserFactory(agency=ward.trust.agency)
    nurses = [qualified(ward.trust.agency) for _ in range(3)]
    shortfall = shift(ward, in_hours=30)
    Shortfall.objects.filter(id=shortfall.id).update(
        wave=0, next_wave_at=timezone.now() + dt.timedelta(hours=1)
    )

    escalate_shortfall(shortfall=shortfall, by=agency_staff)
    escalate_shortfall(shortfall=shortfall, by=agency_staff)
    advance_due_cascades()

    shortfall.refresh_from_db()
    assert shortfall.wave == 2
    assert set(shortfall.offers.values_list("practitioner_id", flat=True)) == {n.id for n in nurses}
    assert OutboxMessage.objects.filter(task="jobs.notify_safe_staffing").count() == 1


def test_a_filled_shortfall_cannot_be_escalated(ward):
    shortfall = shift(ward, in_hours=30, status=Shortfall.Status.FILLED)

    with pytest.raises(ShortfallClosed):
        escalate_shortfall(shortfall=shortfall, by=f.AgencyUserFactory(agency=ward.trust.agency))

    shortfall.refresh_from_db()
    assert shortfall.escalated_at is None
