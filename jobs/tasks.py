"""Celery tasks for the cascade and booking lifecycle. Each task takes ids, calls one service and
owns only its retry policy; every service is safe to run twice.

Sweeps (beat) are acknowledged on receipt: a sweep lost with a killed worker is simply run again
by the next beat tick. Message tasks are acknowledged late and kept short, so a task lost with a
killed worker is redelivered after the broker's visibility timeout."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from jobs.models import Booking, Offer, Shortfall
from jobs.services.booking_lifecycle import complete_finished_bookings, send_shift_reminders
from jobs.services.cascade import advance_due_cascades, escalate_unfilled
from jobs.services.offers import expire_offers, resend_unnotified_offers

SWEEP = {"ignore_result": True, "acks_late": False, "time_limit": 300, "soft_time_limit": 270}
MESSAGE = {
    "ignore_result": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="jobs.advance_cascades", **SWEEP)
def advance_cascades_task() -> int:
    return advance_due_cascades()


@shared_task(name="jobs.expire_offers", **SWEEP)
def expire_offers_task() -> int:
    return expire_offers()


@shared_task(name="jobs.resend_unnotified_offers", **SWEEP)
def resend_unnotified_offers_task() -> int:
    return resend_unnotified_offers()


@shared_task(name="jobs.escalate_unfilled", **SWEEP)
def escalate_unfilled_task() -> int:
    return escalate_unfilled()


@shared_task(name="jobs.complete_bookings", **SWEEP)
def complete_bookings_task() -> int:
    return complete_finished_bookings()


@shared_task(name="jobs.remind_shifts", **SWEEP)
def remind_shifts_task() -> int:
    return send_shift_reminders()


def _shift_payload(shortfall: Shortfall) -> dict:
    return {
        "shortfall_id": shortfall.id,
        "ward": shortfall.ward.name,
        "trust": shortfall.trust.name,
        "starts_at": shortfall.starts_at.isoformat(),
        "ends_at": shortfall.ends_at.isoformat(),
    }


@shared_task(name="jobs.notify_offer", **MESSAGE)
def notify_offer_task(offer_id: int, sent_at: str) -> None:
    from notifications.services import notify

    offer = Offer.objects.select_related("practitioner__user", "shortfall__ward", "shortfall__trust").get(
        id=offer_id
    )
    if offer.status not in Offer.OPEN_STATUSES:
        return  # answered, withdrawn or expired before the message went out: say nothing
    shortfall = offer.shortfall
    notify(
        recipient=offer.practitioner.user,
        kind="offer",
        payload={
            **_shift_payload(shortfall),
            "offer_id": offer.id,
            "reasons": offer.explanation.get("reasons", []),
            "expires_at": offer.expires_at.isoformat(),
            "is_exclusive_hold": offer.is_exclusive_hold,
        },
        dedupe_key=f"offer:{offer.id}:{sent_at}",
        urgent=shortfall.starts_at - timezone.now() < dt.timedelta(hours=12),
    )


@shared_task(name="jobs.notify_offer_withdrawn", **MESSAGE)
def notify_offer_withdrawn_task(offer_id: int, reason: str) -> None:
    from notifications.services import notify

    offer = Offer.objects.select_related("practitioner__user", "shortfall__ward", "shortfall__trust").get(
        id=offer_id
    )
    notify(
        recipient=offer.practitioner.user,
        kind="offer_withdrawn",
        payload={**_shift_payload(offer.shortfall), "offer_id": offer.id, "reason": reason},
        dedupe_key=f"offer-withdrawn:{offer.id}:{offer.responded_at.isoformat() if offer.responded_at else ''}",
    )


@shared_task(name="jobs.notify_booking", **MESSAGE)
def notify_booking_task(booking_id: int, event: str) -> None:
    from notifications.services import notify, notify_trust_webhook

    booking = Booking.objects.select_related("practitioner__user", "shortfall__ward", "shortfall__trust").get(
        id=booking_id
    )
    payload = {**_shift_payload(booking.shortfall), "booking_id": booking.id, "status": booking.status}
    notify(
        recipient=booking.practitioner.user,
        kind=event,
        payload=payload,
        dedupe_key=f"{event}:{booking.id}",
    )
    if event in ("booking_confirmed", "booking_cancelled"):
        notify_trust_webhook(
            trust=booking.shortfall.trust,
            event=event.replace("_", ".", 1),
            payload=payload,
            dedupe_key=f"webhook:{event}:{booking.id}",
        )


@shared_task(name="jobs.notify_safe_staffing", **MESSAGE)
def notify_safe_staffing_task(shortfall_id: int) -> None:
    from notifications.services import notify_agency_staff

    shortfall = Shortfall.objects.select_related("ward", "trust__agency").get(id=shortfall_id)
    notify_agency_staff(
        agency=shortfall.trust.agency,
        kind="safe_staffing_alert",
        payload={**_shift_payload(shortfall), "status": shortfall.status, "headcount": shortfall.headcount},
        dedupe_key=f"safe-staffing:{shortfall.id}",
    )
