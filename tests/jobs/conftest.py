from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f

qualified = f.qualified_practitioner


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
