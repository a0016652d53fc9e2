"""Answering offers: accept (books the shift under row locks), decline, and the expiry sweep."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backend.core import outbox
from backend.core.errors import (
    NotEligible,
    NotFound,
    OfferAlreadyAnswered,
    OfferExpired,
    OfferWithdrawn,
    ShortfallFilled,
)
from backend.organisations.models import Ward
from backend.practitioners.models import Practitioner
from jobs.models import Booking, Offer, Shortfall
from jobs.services.bookings import book_locked
from jobs.services.cascade import hurry_cascade_if_holds_lapsed
from matching.recheck import blockers_before_booking


def _check_still_eligible(*, shortfall: Shortfall, practitioner: Practitioner, now: dt.datetime) -> None:
    """Re-check every hard rule with fresh data (credentials may have lapsed since the offer), on
    rows read under the locks. Working-time rules are the booking's, with better errors."""
    blockers = blockers_before_booking(shortfall=shortfall, practitioner=practitioner, now=now)
    if blockers is None:
        raise NotEligible(
            "Your profile is not active.", extra={"blockers": [{"code": "status", "detail": "Not active"}]}
        )
    if blockers:
        raise NotEligible(
            f"You can no longer take this shift: {blockers[0].detail}.",
            extra={"blockers": [{"code": b.code, "detail": b.detail} for b in blockers]},
        )


def withdraw_open_offers(*, shortfall_id: int, now: dt.datetime, reason: str) -> int:
    """Withdraw every open offer of a shortfall and tell each recipient (same transaction)."""
    withdrawn = list(
        Offer.objects.filter(shortfall_id=shortfall_id, status__in=Offer.OPEN_STATUSES).values_list(
            "id", flat=True
        )
    )
    if withdrawn:
        Offer.objects.filter(id__in=withdrawn, status__in=Offer.OPEN_STATUSES).update(
            status=Offer.Status.WITHDRAWN, responded_at=now, updated_at=now
        )
        outbox.enqueue_many(
            ("jobs.notify_offer_withdrawn", "notifications", {"offer_id": offer_id, "reason": reason})
            for offer_id in withdrawn
        )
    return len(withdrawn)


@transaction.atomic
def accept_offer(*, offer_id: int, practitioner: Practitioner) -> Booking:
    now = timezone.now()
    # Lock order everywhere: shortfall, then offers, then practitioner (no deadlocks). The offer's
    # shortfall is found and locked in one statement; an offer that is not theirs finds nothing.
    shortfall = (
        Shortfall.objects.select_for_update(of=("self",))
        .select_related("role")
        .filter(offers__id=offer_id, offers__practitioner=practitioner)
        .first()
    )
    if shortfall is None:
        raise NotFound()
    # Its ward with the ward's setting and trust (the shortfall's trust), in a second small query:
    # one statement joining all of them costs PostgreSQL more to plan than both of these together.
    shortfall.ward = Ward.objects.select_related("setting", "trust").get(id=shortfall.ward_id)
    if shortfall.trust_id == shortfall.ward.trust_id:
        shortfall.trust = shortfall.ward.trust
    # Not the explanation (JSON with the ranking's reasons): the answer only needs these.
    offer = Offer.objects.select_for_update().only("id", "status", "expires_at").get(id=offer_id)
    if offer.status == Offer.Status.WITHDRAWN:
        raise (
            ShortfallFilled(extra={"shortfall_id": shortfall.id})
            if shortfall.status == Shortfall.Status.FILLED
            else OfferWithdrawn(extra={"offer_id": offer.id})
        )
    if offer.status == Offer.Status.EXPIRED or (
        offer.status in Offer.OPEN_STATUSES and offer.expires_at <= now
    ):
        raise OfferExpired(extra={"offer_id": offer.id, "expired_at": offer.expires_at.isoformat()})
    if offer.status not in Offer.OPEN_STATUSES:
        raise OfferAlreadyAnswered(extra={"offer_id": offer.id, "status": offer.status})
    locked = (
        Practitioner.objects.select_for_update(of=("self",)).select_related("role").get(id=practitioner.id)
    )
    locked.user = practitioner.user  # the caller's own user row, for the response's name
    _check_still_eligible(shortfall=shortfall, practitioner=locked, now=now)

    booking = book_locked(shortfall=shortfall, practitioner=locked, offer=offer, booked_by=practitioner.user)
    Offer.objects.filter(id=offer.id).update(status=Offer.Status.ACCEPTED, responded_at=now, updated_at=now)
    if shortfall.status == Shortfall.Status.FILLED:  # brought up to date (no next wave) by the booking
        withdraw_open_offers(shortfall_id=shortfall.id, now=now, reason="filled")
    after_booking_change(booking=booking, event="booking_confirmed")
    return booking


def after_booking_change(*, booking: Booking, event: str) -> None:
    """Messages for a confirmed or cancelled booking (practitioner, trust systems, fill-rate rollups)."""
    outbox.enqueue_many(
        [
            ("jobs.notify_booking", "notifications", {"booking_id": booking.id, "event": event}),
            _fill_rate_refresh(trust_id=booking.shortfall.trust_id, starts_at=booking.starts_at),
        ]
    )


def refresh_fill_rates(*, trust_id: int, starts_at: dt.datetime) -> None:
    """The fill-rate rollup of the shift's trust-day is recomputed after commit (idempotent)."""
    outbox.enqueue_many([_fill_rate_refresh(trust_id=trust_id, starts_at=starts_at)])


def _fill_rate_refresh(*, trust_id: int, starts_at: dt.datetime) -> tuple[str, str, dict]:
    local_day = timezone.localtime(starts_at).date().isoformat()
    return "analytics.refresh_day", "analytics", {"trust_id": trust_id, "day": local_day}


@transaction.atomic
def decline_offer(*, offer_id: int, practitioner: Practitioner, reason: str = "") -> Offer:
    now = timezone.now()
    offer = Offer.objects.select_for_update().filter(id=offer_id, practitioner=practitioner).first()
    if offer is None:
        raise NotFound()
    if offer.status == Offer.Status.WITHDRAWN:
        raise OfferWithdrawn(extra={"offer_id": offer.id})
    if offer.status == Offer.Status.EXPIRED or (
        offer.status in Offer.OPEN_STATUSES and offer.expires_at <= now
    ):
        raise OfferExpired(extra={"offer_id": offer.id})
    if offer.status not in Offer.OPEN_STATUSES:
        raise OfferAlreadyAnswered(extra={"offer_id": offer.id, "status": offer.status})
    offer.status, offer.responded_at, offer.decline_reason = Offer.Status.DECLINED, now, reason[:300]
    offer.save(update_fields=["status", "responded_at", "decline_reason", "updated_at"])
    if offer.wave == 0:
        hurry_cascade_if_holds_lapsed(shortfall_ids={offer.shortfall_id}, now=now)
    return offer


@transaction.atomic
def mark_offer_viewed(*, offer: Offer, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    Offer.objects.filter(id=offer.id, status=Offer.Status.SENT).update(
        status=Offer.Status.VIEWED, viewed_at=now, updated_at=now
    )


@transaction.atomic
def expire_offers(*, now: dt.datetime | None = None) -> int:
    """Beat sweep: open offers past expires_at become expired (one conditional UPDATE)."""
    now = now or timezone.now()
    expiring = list(
        Offer.objects.select_for_update(skip_locked=True)
        .filter(status__in=Offer.OPEN_STATUSES, expires_at__lte=now)
        .values_list("id", "shortfall_id", "wave")
    )
    if not expiring:
        return 0
    Offer.objects.filter(id__in=[i for i, _, _ in expiring], status__in=Offer.OPEN_STATUSES).update(
        status=Offer.Status.EXPIRED, updated_at=now
    )
    hurry_cascade_if_holds_lapsed(shortfall_ids={s for _, s, wave in expiring if wave == 0}, now=now)
    return len(expiring)


@transaction.atomic
def resend_unnotified_offers(
    *, now: dt.datetime | None = None, older_than: dt.timedelta = dt.timedelta(minutes=2)
) -> int:
    """Beat sweep: an open offer whose notification never came into being (its message was lost
    with the broker) is messaged again. The notification's dedupe key makes this safe to repeat."""
    from notifications.models import Notification

    now = now or timezone.now()
    sent = {
        f"offer:{offer_id}:{sent_at.isoformat()}": (offer_id, sent_at.isoformat())
        for offer_id, sent_at in Offer.objects.filter(
            status__in=Offer.OPEN_STATUSES, sent_at__lte=now - older_than, expires_at__gt=now
        ).values_list("id", "sent_at")
    }
    known = set(Notification.objects.filter(dedupe_key__in=list(sent)).values_list("dedupe_key", flat=True))
    missing = [pair for key, pair in sent.items() if key not in known]
    for offer_id, sent_at in missing:
        outbox.enqueue("jobs.notify_offer", queue="notifications", offer_id=offer_id, sent_at=sent_at)
    return len(missing)
