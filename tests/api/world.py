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
    return World(
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
    )


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
