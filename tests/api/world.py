"""Two trusts, two agencies' worth of actors and one object of every kind, for tenancy tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tests import factories as f

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    agency: object
    agency_b: object
    trust_a: object
    trust_b: object
    site_a: object
    ward_a: object
    ward_b: object
    practitioner_x: object
    practitioner_y: object
    credential_x: object
    availability_x: object
    shortfall_a: object
    users: dict
    offer_x: object = None
    booking_x: object = None
    completed_booking_x: object = None
    notification_x: object = None
    webhook_endpoint_a: object = None


def build_world() -> World:
    agency_user = f.AgencyUserFactory(username="agency_user", is_agency_admin=True)
    agency = agency_user.agency
    agency_b_user = f.AgencyUserFactory(username="agency_b_user", agency=f.AgencyFactory(name="Other Agency"))
    trust_a = f.TrustFactory(agency=agency, name="Trust A", ods_code="RAA")
    trust_b = f.TrustFactory(agency=agency, name="Trust B", ods_code="RBB")
    site_a = f.SiteFactory(trust=trust_a)
    site_b = f.SiteFactory(trust=trust_b)
    ward_a = f.WardFactory(site=site_a, name="Willow Ward")
    ward_b = f.WardFactory(site=site_b, name="Juniper Ward")
    trust_a_user = f.TrustUserFactory(username="trust_a_user", trust=trust_a)
    trust_b_user = f.TrustUserFactory(username="trust_b_user", trust=trust_b)
    practitioner_x = f.PractitionerFactory(agency=agency, user=f.UserFactory(username="prac_x"))
    practitioner_y = f.PractitionerFactory(agency=agency, user=f.UserFactory(username="prac_y"))
    credential_x = f.CredentialFactory(practitioner=practitioner_x)
    availability_x = f.AvailabilityFactory(practitioner=practitioner_x)
    shortfall_a = f.ShortfallFactory(ward=ward_a)
    for code in ("dbs_adult", "right_to_work", "core_mandatory"):  # practitioner X can take shifts
        f.CredentialFactory(
            practitioner=practitioner_x,
            credential_type=f.credential_type(code),
            verified_by=agency_user,
            verified_at=timezone.now(),
        )
    offer_x = f.OfferFactory(shortfall=shortfall_a, practitioner=practitioner_x)
    later = shortfall_a.starts_at + dt.timedelta(days=3)
    booking_x = f.BookingFactory(
        practitioner=practitioner_x,
        shortfall=f.ShortfallFactory(ward=ward_a, starts_at=later, ends_at=later + dt.timedelta(hours=12)),
    )
    earlier = shortfall_a.starts_at - dt.timedelta(days=13)
    completed_booking_x = f.BookingFactory(
        practitioner=practitioner_x,
        status="completed",
        shortfall=f.ShortfallFactory(
            ward=ward_a, starts_at=earlier, ends_at=earlier + dt.timedelta(hours=12), status="filled"
        ),
    )
    world = World(
        agency=agency,
        agency_b=agency_b_user.agency,
        trust_a=trust_a,
        trust_b=trust_b,
        site_a=site_a,
        ward_a=ward_a,
        ward_b=ward_b,
        practitioner_x=practitioner_x,
        practitioner_y=practitioner_y,
        credential_x=credential_x,
        availability_x=availability_x,
        shortfall_a=shortfall_a,
        users={
            "agency": agency_user,
            "agency_b": agency_b_user,
            "trust_a": trust_a_user,
            "trust_b": trust_b_user,
            "practitioner_x": practitioner_x.user,
            "practitioner_y": practitioner_y.user,
            "anonymous": None,
        },
        offer_x=offer_x,
        booking_x=booking_x,
        completed_booking_x=completed_booking_x,
    )
    from notifications.models import Notification, TrustWebhookEndpoint

    world.notification_x = Notification.objects.create(
        recipient=practitioner_x.user, kind="booking_confirmed", payload={}, dedupe_key="world:notification_x"
    )
    world.webhook_endpoint_a = TrustWebhookEndpoint.objects.create(
        trust=trust_a, url="https://trust-a.example.nhs.uk/hooks", secret="world-secret"
    )
    return world


def shift_body(world: World, **overrides) -> dict:
    start = (timezone.now() + dt.timedelta(days=5)).replace(hour=7, minute=30, second=0, microsecond=0)
    body = {
        "ward": world.ward_a.id,
        "role": "rmn",
        "min_band": 5,
        "headcount": 2,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=12, minutes=30)).isoformat(),
    }
    body.update(overrides)
    return body
