"""A trust's preferred and do-not-book lists. Preferred practitioners join the familiar-first wave
(jobs/services/cascade.py); do-not-book is a hard blocker in matching. Both are personal data about
the practitioner: every change is audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core import audit
from backend.core.errors import PermissionDenied, ValidationFailed
from backend.organisations.models import Ward
from backend.practitioners.models import Practitioner, PractitionerListing
from jobs.services.booking_lifecycle import DO_NOT_BOOK_EXPIRY, DO_NOT_BOOK_REVIEW


@transaction.atomic
def add_listing(
    *,
    trust_staff: User,
    practitioner: Practitioner,
    kind: str,
    reason: str,
    ward: Ward | None = None,
    request=None,
) -> PractitionerListing:
    """Put a practitioner on the caller's trust's list (whole trust, or one of its wards). Listing
    someone again updates the reason. Moving between the lists replaces the other entry: nobody is
    both preferred and not to be booked at the same place."""
    if not trust_staff.is_trust_staff:
        raise PermissionDenied("Only a trust's staff keep its lists.")
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if kind not in PractitionerListing.Kind.values:
        errors["kind"] = ["Choose preferred or do not book."]
    if kind == PractitionerListing.Kind.DO_NOT_BOOK and not reason:
        errors["reason"] = ["Give a reason for do not book."]
    if ward is not None and ward.trust_id != trust_staff.trust_id:
        errors["ward"] = ["Choose one of your trust's wards."]
    if errors:
        raise ValidationFailed(extra={"fields": errors})
    now = timezone.now()
    is_block = kind == PractitionerListing.Kind.DO_NOT_BOOK
    other_kind = (
        PractitionerListing.Kind.PREFERRED
        if kind == PractitionerListing.Kind.DO_NOT_BOOK
        else PractitionerListing.Kind.DO_NOT_BOOK
    )
    PractitionerListing.objects.filter(
        trust_id=trust_staff.trust_id, ward=ward, practitioner=practitioner, kind=other_kind
    ).delete()
    listing, _ = PractitionerListing.objects.update_or_create(
        trust_id=trust_staff.trust_id,
        ward=ward,
        practitioner=practitioner,
        kind=kind,
        defaults={
            "reason": reason,
            "created_by": trust_staff,
            # As for a do-not-book from a rating: reviewed, and lapsing, rather than for ever.
            "review_on": (now + DO_NOT_BOOK_REVIEW).date() if is_block else None,
            "expires_at": now + DO_NOT_BOOK_EXPIRY if is_block else None,
        },
    )
    audit.record(
        actor=trust_staff,
        action="update",
        subject_type="listing",
        subject_id=listing.id,
        practitioner_id=practitioner.id,
        request=request,
        detail={"kind": kind, "ward": ward.id if ward else None},
    )
    return listing


@transaction.atomic
def remove_listing(*, trust_staff: User, listing: PractitionerListing, request=None) -> None:
    if listing.trust_id != trust_staff.trust_id:
        raise PermissionDenied("Only the trust's own staff change its lists.")
    audit.record(
        actor=trust_staff,
        action="delete",
        subject_type="listing",
        subject_id=listing.id,
        practitioner_id=listing.practitioner_id,
        request=request,
        detail={"kind": listing.kind},
    )
    listing.delete()
