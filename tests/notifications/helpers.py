from __future__ import annotations

import datetime as dt

from tests import factories as f


def shift_payload(*, shortfall, offer=None, booking=None) -> dict:
    payload = {
        "shortfall_id": shortfall.id,
        "ward": shortfall.ward.name,
        "trust": shortfall.trust.name,
        "starts_at": shortfall.starts_at.astimezone(dt.UTC).isoformat(),
        "ends_at": shortfall.ends_at.astimezone(dt.UTC).isoformat(),
        "reasons": ["You worked on this ward 6 times"],
    }
    if offer is not None:
        payload["offer_id"] = offer.id
        payload["expires_at"] = offer.expires_at.astimezone(dt.UTC).isoformat()
    if booking is not None:
        payload["booking_id"] = booking.id
    return payload


def offer_for(practitioner, *, starts_at: dt.datetime):
    shortfall = f.ShortfallFactory(
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=12, minutes=30),
        ward=f.WardFactory(name="Willow Ward"),
    )
    return f.OfferFactory(shortfall=shortfall, practitioner=practitioner)
