from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f

BASELINE = ("dbs_adult", "right_to_work", "core_mandatory")


def qualified(agency, **kwargs):
    """An active practitioner holding the verified baseline credentials every shift needs."""
    practitioner = f.PractitionerFactory(agency=agency, **kwargs)
    verifier = f.AgencyUserFactory(agency=agency)
    for code in BASELINE:
        f.CredentialFactory(
            practitioner=practitioner,
            credential_type=f.credential_type(code),
            verified_by=verifier,
            verified_at=timezone.now(),
        )
    return practitioner


@pytest.fixture
def ward(db):
    agency_user = f.AgencyUserFactory(username="agency_user")
    trust = f.TrustFactory(agency=agency_user.agency)
    return f.WardFactory(site=f.SiteFactory(trust=trust), name="Willow Ward")


def shift(ward, *, in_hours: float, hours: float = 12.5, headcount: int = 1, **kwargs):
    start = (timezone.now() + dt.timedelta(hours=in_hours)).replace(second=0, microsecond=0)
    return f.ShortfallFactory(
        ward=ward, starts_at=start, ends_at=start + dt.timedelta(hours=hours), headcount=headcount, **kwargs
    )
