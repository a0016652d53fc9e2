from __future__ import annotations

import pytest

from tests import factories as f

qualified = f.qualified_practitioner


@pytest.fixture
def ward(db):
    agency_user = f.AgencyUserFactory(username="agency_user")
    trust = f.TrustFactory(agency=agency_user.agency)
    return f.WardFactory(site=f.SiteFactory(trust=trust), name="Willow Ward")


shift = f.shift
