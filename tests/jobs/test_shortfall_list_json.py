"""The shortfall list writes its page without the serializer machinery; it must write exactly what
the documented ShortfallSerializer writes for the same shortfalls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.organisations.models import Competence
from jobs.models import Shortfall
from jobs.selectors import shortfall_rows, with_fill_counts
from jobs.serializers import ShortfallSerializer, shortfall_list_json
from tests import factories as f


@pytest.fixture
def shortfalls(db):
    ward = f.WardFactory()
    competences = list(Competence.objects.order_by("code"))
    plain = f.shift(ward, in_hours=30)
    rich = f.shift(
        ward,
        in_hours=50,
        hourly_rate=Decimal("38.5"),
        rate_cap=Decimal("45.00"),
        notes="Bring a fob",
        external_reference="ER-1",
        gender_requirement="female",
        headcount=3,
    )
    rich.required_competences.add(*competences[-3:])  # added out of name order
    rich.desired_competences.add(*competences[:2])
    f.BookingFactory(shortfall=rich, practitioner=f.qualified_practitioner(ward.trust.agency))
    cancelled = f.shift(ward, in_hours=70)
    Shortfall.objects.filter(id=cancelled.id).update(
        status=Shortfall.Status.CANCELLED,
        cancelled_at=timezone.now() - dt.timedelta(hours=1),
        cancel_reason="x",
    )
    return [rich.id, cancelled.id, plain.id]


def test_the_list_page_equals_the_serializer_for_the_same_shortfalls(shortfalls):
    models = {s.id: s for s in with_fill_counts(Shortfall.objects.filter(id__in=shortfalls))}
    documented = ShortfallSerializer([models[i] for i in shortfalls], many=True).data

    page = [shortfall_list_json(row) for row in shortfall_rows(shortfalls)]

    assert page == documented
    assert [row["id"] for row in page] == shortfalls  # in the order asked for
    assert page[0]["booked_count"] == 1 and len(page[0]["required_competences"]) == 3
