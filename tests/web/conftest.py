"""Fixtures the web page tests share: an agency and one of its trusts."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def agency():
    return f.AgencyFactory()


@pytest.fixture
def trust(agency):
    return f.TrustFactory(agency=agency, name="Moorside Trust")
